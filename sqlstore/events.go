package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/monitehooks/monitehooks"
)

// eventColumns are the columns scanEvent reads, in order.
const eventColumns = `e.seq, e.id, e.partner_id, e.entity_id, e.object_type, e.object_id, e.type, e.object, e.created_ns`

const (
	// insertEvent: $9 is how many deliveries the event gets, $10 its
	// CreatedAt when it gets none (its age for retention), NULL otherwise.
	insertEvent = `INSERT INTO monitehooks_events
	(id, partner_id, entity_id, object_type, object_id, type, object, created_ns, deliveries_left, expires_ns)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING seq`

	selectEvent = `SELECT ` + eventColumns + `
FROM monitehooks_events e
WHERE e.id = $1 AND e.partner_id = $2`

	// eventSeq finds a list cursor's item.
	eventSeq = `SELECT seq FROM monitehooks_events WHERE id = $1`

	partnerEventSeq = `SELECT seq FROM monitehooks_events WHERE id = $1 AND partner_id = $2`

	// listEventsQuery is a list's template (see listScans). $1 partner,
	// $2 object type or '', $3 event type or '', $4 and $5 the created
	// range, $6 1 when a cursor is given, $7 and $8 its key and seq, $9
	// the limit.
	listEventsQuery = `SELECT ` + eventColumns + `
FROM monitehooks_events e
WHERE e.partner_id = $1
	AND ($2 = '' OR e.object_type = $2)
	AND ($3 = '' OR e.type = $3)
	AND e.created_ns BETWEEN $4 AND $5
	AND ($6 = 0 OR (e.{key}, e.seq) {cmp} ($7, $8))
ORDER BY e.{key} {dir}, e.seq {dir}
LIMIT $9 + 0`

	// lockBacklog makes the bounded CreateEvents of a schema take turns
	// until their transactions end, so that two of them cannot both find
	// room for their deliveries and pass the bound together.
	lockBacklog = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`

	sumCounts = `SELECT CAST(COALESCE(SUM(pending), 0) AS BIGINT), CAST(COALESCE(SUM(succeeded), 0) AS BIGINT), CAST(COALESCE(SUM(failed), 0) AS BIGINT)
FROM monitehooks_counts`
)

// countShards is how many rows monitehooks_counts has at first (see the
// first migration). On PostgreSQL a writer that finds every shard held
// by another transaction makes one more (see updateCounts).
const countShards = 16

// newShard returns the shard updateCounts (and insertMatchedEvent) is
// given: on SQLite one of the first migration's, picked at random; on
// PostgreSQL the number of a shard to make when every shard is held,
// above those, picked at random among 2^30 so that two writers seldom
// pick the same.
func (s *Store) newShard() int {
	if s.dialect == DialectPostgres {
		return countShards + rand.IntN(1<<30)
	}
	return rand.IntN(countShards)
}

// scanEvent reads a row of eventColumns.
func scanEvent(row interface{ Scan(...any) error }) (ev monitehooks.Event, seq int64, err error) {
	var (
		objectType, typ string
		created         int64
	)
	err = row.Scan(&seq, &ev.ID, &ev.PartnerID, &ev.EntityID, &objectType, &ev.ObjectID, &typ, &ev.Object, &created)
	ev.ObjectType, ev.Type, ev.CreatedAt = monitehooks.ObjectType(objectType), monitehooks.EventType(typ), fromNs(created)
	return ev, seq, err
}

// CreateEvent stores the event with a new ID and one pending delivery per
// subscription ID, due at p.Due, made in the order of p.SubscriptionIDs,
// in one transaction, and returns the stored event. The subscription IDs
// must be UUIDs, listed once each; the store does not check that the
// subscriptions exist. With p.MaxPending set it checks the bound in the
// same transaction (see checkBacklog).
func (s *Store) CreateEvent(ctx context.Context, p monitehooks.CreateEventParams) (monitehooks.Event, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Event{}, err
	}
	seen := make(map[string]bool, len(p.SubscriptionIDs))
	pairs := make([][2]string, len(p.SubscriptionIDs)) // delivery ID, subscription ID
	for i, sid := range p.SubscriptionIDs {
		if !validID(sid) {
			return monitehooks.Event{}, fmt.Errorf("sqlstore: subscription ID %q is not one the store gave out: %w", sid, monitehooks.ErrInvalid)
		}
		if seen[sid] {
			return monitehooks.Event{}, fmt.Errorf("sqlstore: subscription ID %s listed twice: %w", sid, monitehooks.ErrInvalid)
		}
		seen[sid] = true
		pairs[i] = [2]string{newID(), sid}
	}
	ev, err := newEvent(p)
	if err != nil {
		return monitehooks.Event{}, err
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		return s.storeEvent(ctx, s.own(tx), &ev, pairs, p.MaxPending, true)
	})
	if err != nil {
		return monitehooks.Event{}, err
	}
	if len(pairs) > 0 {
		s.committed()
	}
	return ev.Event, nil
}

// newEventRow is an event to store: the event, with its new ID and a copy
// of its Object, and its times in stored form.
type newEventRow struct {
	monitehooks.Event
	created, due int64
}

// newEvent returns the event of p to store.
func newEvent(p monitehooks.CreateEventParams) (newEventRow, error) {
	created, err := toNs("event CreatedAt", p.Event.CreatedAt)
	if err != nil {
		return newEventRow{}, err
	}
	due, err := toNs("Due", p.Due)
	if err != nil {
		return newEventRow{}, err
	}
	ev := newEventRow{Event: p.Event, created: created, due: due}
	ev.ID = newID()
	ev.Object = clone(ev.Object)
	return ev, nil
}

// storeEvent stores ev and its deliveries, pairs of (delivery ID,
// subscription ID), in the transaction x, honouring the bound on the
// backlog (0: none); lockBacklog takes the backlog's lock first (see
// checkBacklog).
func (s *Store) storeEvent(ctx context.Context, x txExec, ev *newEventRow, pairs [][2]string, bound int, lockBacklog bool) error {
	var seq int64
	expires := sql.NullInt64{Int64: ev.created, Valid: len(pairs) == 0}
	err := x.queryRow(ctx, s.q.insertEvent, ev.ID, ev.PartnerID, ev.EntityID, string(ev.ObjectType),
		ev.ObjectID, string(ev.Type), ev.Object, ev.created, len(pairs), expires).Scan(&seq)
	if err != nil {
		return fmt.Errorf("sqlstore: storing event: %w", err)
	}
	if len(pairs) == 0 {
		return nil
	}
	if bound > 0 {
		if err := s.checkBacklog(ctx, x, len(pairs), bound, lockBacklog); err != nil {
			return err
		}
	}
	deliveries, _ := json.Marshal(pairs) // strings only: never fails
	subs := make([]string, len(pairs))
	for i, pair := range pairs {
		subs[i] = pair[1]
	}
	subsJSON, _ := json.Marshal(subs) // idem
	if _, err := x.exec(ctx, s.q.insertDeliveries, seq, ev.PartnerID, string(ev.ObjectType), string(ev.Type), ev.due, string(deliveries)); err != nil {
		return fmt.Errorf("sqlstore: storing deliveries: %w", err)
	}
	if _, err := x.exec(ctx, s.q.insertQueues, string(subsJSON)); err != nil {
		return fmt.Errorf("sqlstore: storing delivery queues: %w", err)
	}
	if err := s.notifyTx(ctx, x); err != nil {
		return err
	}
	return s.count(ctx, x, counts{pending: len(pairs)})
}

// checkBacklog answers an error wrapping ErrBacklogFull when n more
// pending deliveries would pass the bound. On PostgreSQL, with lock set,
// it first takes a lock that the bounded CreateEvents of the schema hold
// until their transactions end (and so does the caller): it serializes
// them, not the unbounded ones, nor anything else. On SQLite the
// transaction holds the write lock already.
func (s *Store) checkBacklog(ctx context.Context, x txExec, n, bound int, lock bool) error {
	if lock && s.dialect == DialectPostgres {
		if _, err := x.exec(ctx, lockBacklog, "monitehooks_backlog:"+s.schema); err != nil {
			return fmt.Errorf("sqlstore: locking the backlog: %w", err)
		}
	}
	var c monitehooks.DeliveryCounts
	if err := x.queryRow(ctx, s.q.sumCounts).Scan(&c.Pending, &c.Succeeded, &c.Failed); err != nil {
		return fmt.Errorf("sqlstore: counting the backlog: %w", err)
	}
	if c.Pending+n > bound {
		return backlogFull(c.Pending, n, bound)
	}
	return nil
}

// backlogFull is the error of an event whose n deliveries would take the
// pending ones past the bound.
func backlogFull(pending, n, bound int) error {
	return fmt.Errorf("sqlstore: %d deliveries pending, %d more would pass the bound of %d: %w", pending, n, bound, monitehooks.ErrBacklogFull)
}

// clone returns a copy of b, nil for nil.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// counts are changes to the delivery counts.
type counts struct{ pending, succeeded, failed int }

// count adds c to the counts, in a shard picked at random: on
// PostgreSQL among those no other transaction holds (see updateCounts).
func (s *Store) count(ctx context.Context, x txExec, c counts) error {
	if c == (counts{}) {
		return nil
	}
	if _, err := x.exec(ctx, s.q.updateCounts, c.pending, c.succeeded, c.failed, s.newShard()); err != nil {
		return fmt.Errorf("sqlstore: counting deliveries: %w", err)
	}
	return nil
}

// inTx runs f in a transaction, committing when it returns nil and
// rolling back otherwise, or when f panics. On
// SQLite it waits for the store's other writers first (see
// Store.writeMu), and, with Open's settings, the transaction takes the
// write lock from its start (BEGIN IMMEDIATE).
func (s *Store) inTx(ctx context.Context, f func(tx *sql.Tx) error) error {
	if s.serialize {
		s.writeMu.Lock()
		defer s.writeMu.Unlock()
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: %w", err)
	}
	// Rolled back on every way out but a commit, a panic of Allow's
	// included: ErrTxDone after a commit is harmless.
	defer tx.Rollback()
	if err := f(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: committing: %w", err)
	}
	return nil
}

// GetEvent returns the partner's event with the ID.
func (s *Store) GetEvent(ctx context.Context, partnerID, id string) (monitehooks.Event, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Event{}, err
	}
	notFound := fmt.Errorf("sqlstore: event %q: %w", id, monitehooks.ErrEventNotFound)
	if !validID(id) {
		return monitehooks.Event{}, notFound
	}
	ev, _, err := scanEvent(s.queryRow(ctx, nil, s.q.selectEvent, id, partnerID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return monitehooks.Event{}, notFound
	case err != nil:
		return monitehooks.Event{}, fmt.Errorf("sqlstore: getting event: %w", err)
	}
	return ev, nil
}

// ListEvents returns one page of the partner's events. Both sort fields
// sort them by creation.
func (s *Store) ListEvents(ctx context.Context, partnerID string, p monitehooks.ListParams) (monitehooks.Page[monitehooks.Event], error) {
	lq, err := s.resolveList(ctx, p, s.q.eventSeq)
	if err != nil {
		return monitehooks.Page[monitehooks.Event]{}, err
	}
	lo, hi, ok := createdRange(&lq.ListParams)
	if !ok {
		return emptyPage[monitehooks.Event](), nil
	}
	return pageOf(ctx, &lq, func(asc bool, after boundary, limit int) ([]keyed[monitehooks.Event], error) {
		rows, err := s.query(ctx, nil, s.q.listEvents.pick(asc), partnerID, string(lq.ObjectType), string(lq.EventType),
			lo, hi, after.flag(), after.key, after.seq, limit)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: listing events: %w", err)
		}
		defer rows.Close()
		var out []keyed[monitehooks.Event]
		for rows.Next() {
			ev, seq, err := scanEvent(rows)
			if err != nil {
				return nil, fmt.Errorf("sqlstore: listing events: %w", err)
			}
			out = append(out, keyed[monitehooks.Event]{item: ev, key: clampNs(ev.CreatedAt), seq: seq, id: ev.ID})
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("sqlstore: listing events: %w", err)
		}
		return out, nil
	})
}
