package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
)

// On PostgreSQL, RecordAttempt records outcomes in batches, as a job
// queue's completer does: the outcomes that workers record while the
// store is writing others wait, and are then written together, up to
// maxRecordBatch at a time, in one statement (recordAttempts), which is
// a transaction of its own: one round trip and one commit for the batch
// instead of five round trips and a commit each. Each call still returns
// once its own outcome is committed, with its own answer: nil, the lease
// lost, or the delivery not found. No outcome waits for a timer: a call
// that finds no write in flight writes at once, with whatever has
// queued, and one write is in flight at a time.
//
// A batch that PostgreSQL refuses (a value it cannot store, say) is
// written again one outcome at a time, so that each call gets the answer
// of its own outcome; any other error (the connection lost) is every
// call's answer.

// maxRecordBatch is the most outcomes one statement records.
const maxRecordBatch = 128

// recorder queues the outcomes waiting for a write.
type recorder struct {
	mu       sync.Mutex    // guards queue and flushing
	queue    []*recordCall // waiting for a write, in the order they came
	flushing bool          // a write is in flight, and will see to the queue
}

// recordCall is one RecordAttempt waiting for its outcome to be written.
type recordCall struct {
	id, token, status string
	next, updated     int64
	added             int // 1 with an attempt, 0 without
	at, duration      int64
	url               string
	code              int
	class, err, resp  string
	done              chan error // the answer; buffered
}

// recordAttempts records a batch of outcomes, each given in the arrays
// $1 to $13 at the same index: the delivery ID, its lease token, its new
// status, next attempt and update time, 1 when an attempt is appended
// (0 otherwise), and the attempt's time, duration, URL, status code,
// error class, error and response; $14 a shard of the counts to make
// when every shard is held (see updateCounts). It locks the deliveries in
// the order of their seqs, so that two batches never wait for each other
// in a circle, ends the leases the tokens hold, appends the attempts,
// and moves the counts. It answers a row per outcome: its index (from
// 1), whether its token held the delivery, and whether the delivery
// exists.
const recordAttempts = `WITH x AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::integer[],
		$7::bigint[], $8::bigint[], $9::text[], $10::integer[], $11::text[], $12::text[], $13::text[])
		WITH ORDINALITY AS x(id, token, status, next, updated, added, at, duration, url, code, class, error, response, i)
), locked AS (
	SELECT d.seq FROM monitehooks_deliveries d
	WHERE d.id IN (SELECT x.id::uuid FROM x)
	ORDER BY d.seq
	FOR UPDATE
), done AS (
	UPDATE monitehooks_deliveries AS d
	SET status = x.status, next_attempt_ns = x.next, available_ns = x.next, lease_token = NULL,
		updated_ns = x.updated, attempts = d.attempts + x.added
	FROM x, locked
	WHERE d.id = x.id::uuid AND locked.seq = d.seq AND d.lease_token = x.token AND d.status = 'pending'
	RETURNING x.i, d.seq, d.attempts, x.status
), appended AS (
	INSERT INTO monitehooks_attempts (delivery_seq, n, at_ns, duration_ns, url, status_code, error_class, error, response)
	SELECT done.seq, done.attempts, x.at, x.duration, x.url, x.code, x.class, x.error, x.response
	FROM done JOIN x ON x.i = done.i
	WHERE x.added = 1
), moved AS (
	SELECT count(*) FILTER (WHERE done.status <> 'pending') AS finished,
		count(*) FILTER (WHERE done.status = 'succeeded') AS succeeded,
		count(*) FILTER (WHERE done.status = 'failed') AS failed
	FROM done
), shard AS (
	SELECT c.shard FROM monitehooks_counts c
	WHERE EXISTS (SELECT 1 FROM moved WHERE moved.finished > 0)
	ORDER BY random()
	LIMIT 1
	FOR UPDATE SKIP LOCKED
), counted AS (
	UPDATE monitehooks_counts c
	SET pending = c.pending - m.finished, succeeded = c.succeeded + m.succeeded, failed = c.failed + m.failed
	FROM shard, moved m
	WHERE c.shard = shard.shard
), new_shard AS (
	INSERT INTO monitehooks_counts AS c (shard, pending, succeeded, failed)
	SELECT $14::integer, -m.finished, m.succeeded, m.failed FROM moved m
	WHERE m.finished > 0 AND NOT EXISTS (SELECT 1 FROM shard)
	ON CONFLICT (shard) DO UPDATE
	SET pending = c.pending + excluded.pending, succeeded = c.succeeded + excluded.succeeded, failed = c.failed + excluded.failed
)
SELECT x.i, done.i IS NOT NULL, EXISTS (SELECT 1 FROM monitehooks_deliveries d WHERE d.id = x.id::uuid)
FROM x LEFT JOIN done ON done.i = x.i`

// recordQueued queues c, writes the queue if no write is in flight, and
// returns c's answer once its outcome is written, or when ctx ends first
// (the outcome may then still be written).
func (s *Store) recordQueued(ctx context.Context, c *recordCall) error {
	r := &s.rec
	r.mu.Lock()
	r.queue = append(r.queue, c)
	lead := !r.flushing
	r.flushing = true
	r.mu.Unlock()
	if lead {
		s.flushRecords()
	}
	select {
	case err := <-c.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("sqlstore: recording attempt: %w (the outcome may still be recorded)", ctx.Err())
	}
}

// flushRecords writes a batch from the front of the queue. When more
// have queued meanwhile, it leaves them to a goroutine of their own, so
// that the caller returns once its own batch is written.
func (s *Store) flushRecords() {
	r := &s.rec
	r.mu.Lock()
	n := min(len(r.queue), maxRecordBatch)
	batch := append([]*recordCall(nil), r.queue[:n]...)
	r.queue = append(r.queue[:0:0], r.queue[n:]...)
	r.mu.Unlock()

	s.writeRecords(context.Background(), batch)

	r.mu.Lock()
	more := len(r.queue) > 0
	r.flushing = more
	r.mu.Unlock()
	if more {
		go s.flushRecords()
	}
}

// writeRecords writes the batch and answers each of its calls. A
// delivery's outcomes are written in the order they came, one statement
// each: a statement would pick one of them at random.
func (s *Store) writeRecords(ctx context.Context, batch []*recordCall) {
	seen := make(map[string]bool, len(batch))
	for i, c := range batch {
		if seen[c.id] {
			var first, later []*recordCall
			for _, c := range batch[i:] {
				if seen[c.id] {
					later = append(later, c)
				} else {
					seen[c.id] = true
					first = append(first, c)
				}
			}
			s.writeRecords(ctx, append(batch[:i:i], first...))
			s.writeRecords(ctx, later)
			return
		}
		seen[c.id] = true
	}
	errs, err := s.recordBatch(ctx, batch)
	var pgErr *pgconn.PgError
	switch {
	case err != nil && len(batch) > 1 && errors.As(err, &pgErr):
		// Refused, and rolled back: find whose outcome it was.
		for _, c := range batch {
			s.writeRecords(ctx, []*recordCall{c})
		}
		return
	case err != nil:
		err = fmt.Errorf("sqlstore: recording attempt: %w", err)
		for _, c := range batch {
			c.done <- err
		}
		return
	}
	for i, c := range batch {
		c.done <- errs[i]
	}
}

// recordBatch runs recordAttempts for the batch and returns each call's
// answer, or the error of the statement.
func (s *Store) recordBatch(ctx context.Context, batch []*recordCall) ([]error, error) {
	n := len(batch)
	var (
		ids, tokens, statuses, urls, classes, errTexts, resps = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		nexts, updateds, ats, durations                       = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		addeds, codes                                         = make([]int32, n), make([]int32, n)
	)
	for i, c := range batch {
		ids[i], tokens[i], statuses[i] = c.id, c.token, c.status
		nexts[i], updateds[i], addeds[i] = c.next, c.updated, int32(c.added)
		ats[i], durations[i], urls[i], codes[i] = c.at, c.duration, c.url, int32(c.code)
		classes[i], errTexts[i], resps[i] = c.class, c.err, c.resp
	}
	rows, err := s.db.QueryContext(ctx, s.q.recordAttempts, ids, tokens, statuses, nexts, updateds, addeds,
		ats, durations, urls, codes, classes, errTexts, resps, s.newShard())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	errs := make([]error, n)
	seen := 0
	for rows.Next() {
		var (
			i            int64
			held, exists bool
		)
		if err := rows.Scan(&i, &held, &exists); err != nil {
			return nil, err
		}
		if i < 1 || i > int64(n) {
			return nil, fmt.Errorf("outcome %d of a batch of %d", i, n)
		}
		switch {
		case held:
		case exists:
			errs[i-1] = errLeaseLost
		default:
			errs[i-1] = deliveryNotFound(batch[i-1].id)
		}
		seen++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if seen != n {
		return nil, fmt.Errorf("%d answers for a batch of %d", seen, n)
	}
	return errs, nil
}
