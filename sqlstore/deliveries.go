package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/monitehooks/monitehooks"
)

// deliveryColumns are the columns of a delivery scanDeliveries reads,
// before those of attemptColumns; d is the delivery, e its event.
const deliveryColumns = `d.seq, d.id, e.id AS event_id, d.subscription_id, d.partner_id, d.object_type, d.event_type,
	d.status, d.next_attempt_ns, d.created_ns, d.updated_ns`

// attemptColumns are an attempt's columns, NULL for a delivery without
// attempts (a LEFT JOIN).
const attemptColumns = `a.n, a.at_ns, a.duration_ns, a.url, a.status_code, a.error_class, a.error, a.response`

const (
	// selectDelivery reads a delivery with its attempts in one statement,
	// so that they agree.
	selectDelivery = `SELECT ` + deliveryColumns + `, ` + attemptColumns + `
FROM monitehooks_deliveries d
JOIN monitehooks_events e ON e.seq = d.event_seq
LEFT JOIN monitehooks_attempts a ON a.delivery_seq = d.seq
WHERE d.id = $1 AND d.partner_id = $2
ORDER BY a.n`

	// deliverySeq finds a list cursor's item.
	deliverySeq = `SELECT seq FROM monitehooks_deliveries WHERE id = $1`

	deliveryExists = `SELECT 1 FROM monitehooks_deliveries WHERE id = $1`

	// listDeliveries is a list's template (see listScans): the page, then
	// its attempts, in one statement. $1 partner, $2 object type or '',
	// $3 event type or '', $4 and $5 the created range, $6 the event's seq
	// or 0, $7 1 when $8 is the subscription ID to keep, $9 the status or
	// '', $10 1 when a cursor is given, $11 and $12 its key and seq, $13
	// the limit. ($8 always holds a UUID: a NULL would leave PostgreSQL
	// without its type.)
	listDeliveries = `WITH page AS (
	SELECT ` + deliveryColumns + `
	FROM monitehooks_deliveries d
	JOIN monitehooks_events e ON e.seq = d.event_seq
	WHERE d.partner_id = $1
		AND ($2 = '' OR d.object_type = $2)
		AND ($3 = '' OR d.event_type = $3)
		AND d.created_ns BETWEEN $4 AND $5
		AND ($6 = 0 OR d.event_seq = $6)
		AND ($7 = 0 OR d.subscription_id = $8)
		AND ($9 = '' OR d.status = $9 || '')
		AND ($10 = 0 OR (d.{key}, d.seq) {cmp} ($11, $12))
	ORDER BY d.{key} {dir}, d.seq {dir}
	LIMIT $13 + 0
)
SELECT d.*, ` + attemptColumns + `
FROM page d
LEFT JOIN monitehooks_attempts a ON a.delivery_seq = d.seq
ORDER BY d.{key} {dir}, d.seq {dir}, a.n`

	// recordAttempt ends the lease the token holds: $1 delivery ID, $2
	// token, $3 status, $4 next attempt, $5 updated, $6 attempts added.
	recordAttempt = `UPDATE monitehooks_deliveries
SET status = $3, next_attempt_ns = $4, available_ns = $4, lease_token = NULL, updated_ns = $5, attempts = attempts + $6
WHERE id = $1 AND lease_token = $2 AND status = 'pending'
RETURNING seq, attempts`

	insertAttempt = `INSERT INTO monitehooks_attempts
	(delivery_seq, n, at_ns, duration_ns, url, status_code, error_class, error, response)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

	// releaseDelivery ends the lease the token holds: the delivery is due
	// again at its next attempt, which has come.
	releaseDelivery = `UPDATE monitehooks_deliveries
SET lease_token = NULL, available_ns = next_attempt_ns
WHERE id = $1 AND lease_token = $2 AND status = 'pending'`

	deliveryStatus = `SELECT status FROM monitehooks_deliveries WHERE id = $1 AND partner_id = $2`

	// requeueDelivery makes a finished delivery pending, due at $3.
	requeueDelivery = `UPDATE monitehooks_deliveries
SET status = 'pending', next_attempt_ns = $3, available_ns = $3, lease_token = NULL, updated_ns = $3
WHERE id = $1 AND partner_id = $2 AND status <> 'pending'`

	// requeueFailed makes the failed deliveries of a subscription created
	// at or after $3 pending, due at $4.
	requeueFailed = `UPDATE monitehooks_deliveries
SET status = 'pending', next_attempt_ns = $4, available_ns = $4, lease_token = NULL, updated_ns = $4
WHERE subscription_id = $1 AND partner_id = $2 AND status = 'failed' AND created_ns >= $3`
)

func deliveryNotFound(id string) error {
	return fmt.Errorf("sqlstore: delivery %q: %w", id, monitehooks.ErrDeliveryNotFound)
}

// scanDeliveries reads rows of deliveryColumns and attemptColumns, a
// delivery's rows together, its attempts in order, and returns the
// deliveries in the order of the rows, with their seqs.
func scanDeliveries(rows *sql.Rows) ([]monitehooks.Delivery, []int64, error) {
	var (
		out  []monitehooks.Delivery
		seqs []int64
	)
	for rows.Next() {
		var (
			d                                 monitehooks.Delivery
			seq, next, created, updated       int64
			objectType, eventType, status     string
			n, at, duration, code             sql.NullInt64
			url, class, errText, responseText sql.NullString
		)
		err := rows.Scan(&seq, &d.ID, &d.EventID, &d.SubscriptionID, &d.PartnerID, &objectType, &eventType,
			&status, &next, &created, &updated,
			&n, &at, &duration, &url, &code, &class, &errText, &responseText)
		if err != nil {
			return nil, nil, err
		}
		if len(seqs) == 0 || seqs[len(seqs)-1] != seq {
			d.ObjectType, d.EventType = monitehooks.ObjectType(objectType), monitehooks.EventType(eventType)
			d.Status = monitehooks.DeliveryStatus(status)
			d.NextAttemptAt, d.CreatedAt, d.UpdatedAt = fromNs(next), fromNs(created), fromNs(updated)
			out, seqs = append(out, d), append(seqs, seq)
		}
		if n.Valid {
			last := &out[len(out)-1]
			last.Attempts = append(last.Attempts, monitehooks.Attempt{
				At:         fromNs(at.Int64),
				Duration:   time.Duration(duration.Int64),
				URL:        url.String,
				StatusCode: int(code.Int64),
				ErrorClass: monitehooks.ErrorClass(class.String),
				Error:      errText.String,
				Response:   responseText.String,
			})
		}
	}
	return out, seqs, rows.Err()
}

// GetDelivery returns the partner's delivery with the ID, with its
// attempts.
func (s *Store) GetDelivery(ctx context.Context, partnerID, id string) (monitehooks.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Delivery{}, err
	}
	if !validID(id) {
		return monitehooks.Delivery{}, deliveryNotFound(id)
	}
	return s.getDelivery(ctx, nil, partnerID, id)
}

// getDelivery reads a delivery, in tx when it is not nil.
func (s *Store) getDelivery(ctx context.Context, tx *sql.Tx, partnerID, id string) (monitehooks.Delivery, error) {
	rows, err := s.query(ctx, tx, s.q.selectDelivery, id, partnerID)
	if err != nil {
		return monitehooks.Delivery{}, fmt.Errorf("sqlstore: getting delivery: %w", err)
	}
	defer rows.Close()
	ds, _, err := scanDeliveries(rows)
	switch {
	case err != nil:
		return monitehooks.Delivery{}, fmt.Errorf("sqlstore: getting delivery: %w", err)
	case len(ds) == 0:
		return monitehooks.Delivery{}, deliveryNotFound(id)
	}
	return ds[0], nil
}

// ListDeliveries returns one page of the partner's deliveries with their
// attempts. A page token whose boundary delivery was deleted since
// continues from its sort key: the deliveries with that very key (those
// of one event, made at once) are listed again, so that none is skipped.
func (s *Store) ListDeliveries(ctx context.Context, partnerID string, p monitehooks.ListParams) (monitehooks.Page[monitehooks.Delivery], error) {
	lq, err := s.resolveList(ctx, p, s.q.deliverySeq)
	if err != nil {
		return monitehooks.Page[monitehooks.Delivery]{}, err
	}
	lo, hi, ok := createdRange(&lq.ListParams)
	if !ok {
		return emptyPage[monitehooks.Delivery](), nil
	}
	var eventSeq int64
	if lq.EventID != "" {
		if !validID(lq.EventID) {
			return emptyPage[monitehooks.Delivery](), nil
		}
		switch err := s.queryRow(ctx, nil, s.q.partnerEventSeq, lq.EventID, partnerID).Scan(&eventSeq); {
		case errors.Is(err, sql.ErrNoRows):
			return emptyPage[monitehooks.Delivery](), nil
		case err != nil:
			return monitehooks.Page[monitehooks.Delivery]{}, fmt.Errorf("sqlstore: listing deliveries: %w", err)
		}
	}
	bySub, subID := 0, uuid.Nil.String()
	if lq.SubscriptionID != "" {
		if !validID(lq.SubscriptionID) {
			return emptyPage[monitehooks.Delivery](), nil
		}
		bySub, subID = 1, lq.SubscriptionID
	}
	sc := s.q.listDeliveriesByCreated
	if lq.Sort == monitehooks.SortUpdatedAt {
		sc = s.q.listDeliveriesByUpdated
	}
	return pageOf(ctx, &lq, func(asc bool, after boundary, limit int) ([]keyed[monitehooks.Delivery], error) {
		rows, err := s.query(ctx, nil, sc.pick(asc), partnerID, string(lq.ObjectType), string(lq.EventType),
			lo, hi, eventSeq, bySub, subID, string(lq.Status), after.flag(), after.key, after.seq, limit)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: listing deliveries: %w", err)
		}
		defer rows.Close()
		ds, seqs, err := scanDeliveries(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlstore: listing deliveries: %w", err)
		}
		out := make([]keyed[monitehooks.Delivery], len(ds))
		for i, d := range ds {
			out[i] = keyed[monitehooks.Delivery]{item: d, key: sortKey(&lq, d.CreatedAt, d.UpdatedAt), seq: seqs[i], id: d.ID}
		}
		return out, nil
	})
}

// errLeaseLost is the answer to a token that does not hold its delivery.
var errLeaseLost = fmt.Errorf("sqlstore: %w", monitehooks.ErrLeaseLost)

// notHeld answers for a delivery whose token did not hold it: not found
// when there is no delivery with the ID, the lease lost otherwise.
func (s *Store) notHeld(ctx context.Context, tx *sql.Tx, id string) error {
	var one int
	switch err := s.queryRow(ctx, tx, s.q.deliveryExists, id).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return deliveryNotFound(id)
	case err != nil:
		return fmt.Errorf("sqlstore: %w", err)
	}
	return errLeaseLost
}

// RecordAttempt records the outcome of a claimed delivery and ends its
// lease, in one transaction: on PostgreSQL one statement, shared with the
// outcomes other workers record at the same time (see recorder.go); on
// SQLite a transaction of its own.
func (s *Store) RecordAttempt(ctx context.Context, p monitehooks.RecordAttemptParams) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !p.Status.Valid() {
		return fmt.Errorf("sqlstore: delivery status %q: %w", p.Status, monitehooks.ErrInvalid)
	}
	if !validID(p.DeliveryID) {
		return deliveryNotFound(p.DeliveryID)
	}
	next, err := toNs("NextAttemptAt", p.NextAttemptAt)
	if err != nil {
		return err
	}
	updated, err := toNs("UpdatedAt", p.UpdatedAt)
	if err != nil {
		return err
	}
	var (
		attemptArgs []any
		at          int64
	)
	added := 0
	if a := p.Attempt; a != nil {
		if at, err = toNs("Attempt.At", a.At); err != nil {
			return err
		}
		attemptArgs = []any{at, int64(a.Duration), a.URL, a.StatusCode, string(a.ErrorClass), a.Error, a.Response}
		added = 1
	}
	if s.dialect == DialectPostgres {
		c := &recordCall{id: p.DeliveryID, token: p.LeaseToken, status: string(p.Status), next: next, updated: updated,
			done: make(chan error, 1)}
		if a := p.Attempt; a != nil {
			c.added, c.at, c.duration, c.url, c.code = 1, at, int64(a.Duration), a.URL, a.StatusCode
			c.class, c.err, c.resp = string(a.ErrorClass), a.Error, a.Response
		}
		return s.recordQueued(ctx, c)
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var seq, attempts int64
		err := s.queryRow(ctx, tx, s.q.recordAttempt, p.DeliveryID, p.LeaseToken, string(p.Status), next, updated, added).Scan(&seq, &attempts)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return s.notHeld(ctx, tx, p.DeliveryID)
		case err != nil:
			return fmt.Errorf("sqlstore: recording attempt: %w", err)
		}
		if attemptArgs != nil {
			if _, err := s.exec(ctx, tx, s.q.insertAttempt, append([]any{seq, attempts}, attemptArgs...)...); err != nil {
				return fmt.Errorf("sqlstore: recording attempt: %w", err)
			}
		}
		return s.count(ctx, s.own(tx), moved(monitehooks.DeliveryPending, p.Status, 1))
	})
}

// moved returns the change to the counts of n deliveries going from one
// state to another.
func moved(from, to monitehooks.DeliveryStatus, n int) counts {
	var c counts
	field := func(st monitehooks.DeliveryStatus) *int {
		switch st {
		case monitehooks.DeliveryPending:
			return &c.pending
		case monitehooks.DeliverySucceeded:
			return &c.succeeded
		}
		return &c.failed
	}
	if from != to {
		*field(from) -= n
		*field(to) += n
	}
	return c
}

// ReleaseDelivery ends a lease without recording an attempt; the delivery
// is claimable again at once.
func (s *Store) ReleaseDelivery(ctx context.Context, p monitehooks.ReleaseParams) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validID(p.DeliveryID) {
		return deliveryNotFound(p.DeliveryID)
	}
	res, err := s.exec(ctx, nil, s.q.releaseDelivery, p.DeliveryID, p.LeaseToken)
	if err != nil {
		return fmt.Errorf("sqlstore: releasing delivery: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return fmt.Errorf("sqlstore: releasing delivery: %w", err)
		}
		return s.notHeld(ctx, nil, p.DeliveryID)
	}
	if s.notifier.enabled {
		if s.dialect == DialectPostgres {
			// Outside a transaction, delivered at once.
			if _, err := s.exec(ctx, nil, notify, s.notifier.channel); err != nil {
				return fmt.Errorf("sqlstore: released, but notifying: %w", err)
			}
		}
		s.committed()
	}
	return nil
}

// RequeueDelivery makes the partner's succeeded or failed delivery pending
// again, due at p.Due, keeping its attempts; its UpdatedAt becomes p.Due.
// A pending delivery is left as it is. It returns the delivery.
func (s *Store) RequeueDelivery(ctx context.Context, p monitehooks.RequeueDeliveryParams) (monitehooks.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Delivery{}, err
	}
	if !validID(p.DeliveryID) {
		return monitehooks.Delivery{}, deliveryNotFound(p.DeliveryID)
	}
	due, err := toNs("Due", p.Due)
	if err != nil {
		return monitehooks.Delivery{}, err
	}
	var d monitehooks.Delivery
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var status string
		switch err := s.queryRow(ctx, tx, s.q.deliveryStatus, p.DeliveryID, p.PartnerID).Scan(&status); {
		case errors.Is(err, sql.ErrNoRows):
			return deliveryNotFound(p.DeliveryID)
		case err != nil:
			return fmt.Errorf("sqlstore: requeueing delivery: %w", err)
		}
		if st := monitehooks.DeliveryStatus(status); st != monitehooks.DeliveryPending {
			res, err := s.exec(ctx, tx, s.q.requeueDelivery, p.DeliveryID, p.PartnerID, due)
			if err != nil {
				return fmt.Errorf("sqlstore: requeueing delivery: %w", err)
			}
			// Another transaction may have requeued it meanwhile.
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("sqlstore: requeueing delivery: %w", err)
			} else if n == 1 {
				if err := s.count(ctx, s.own(tx), moved(st, monitehooks.DeliveryPending, 1)); err != nil {
					return err
				}
				if err := s.notifyTx(ctx, s.own(tx)); err != nil {
					return err
				}
			}
		}
		var err error
		d, err = s.getDelivery(ctx, tx, p.PartnerID, p.DeliveryID)
		return err
	})
	if err != nil {
		return monitehooks.Delivery{}, err
	}
	s.committed()
	return d, nil
}

// RequeueFailed makes every failed delivery of the partner's subscription
// created at or after p.Since pending again, due at p.Due, and returns how
// many it requeued: 0 for an unknown subscription or another partner's.
func (s *Store) RequeueFailed(ctx context.Context, p monitehooks.RequeueFailedParams) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !validID(p.SubscriptionID) {
		return 0, nil
	}
	due, err := toNs("Due", p.Due)
	if err != nil {
		return 0, err
	}
	since := clampNs(p.Since)
	n := 0
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var one int
		switch err := s.queryRow(ctx, tx, s.q.subscriptionExists, p.SubscriptionID, p.PartnerID).Scan(&one); {
		case errors.Is(err, sql.ErrNoRows):
			return nil
		case err != nil:
			return fmt.Errorf("sqlstore: requeueing failed deliveries: %w", err)
		}
		res, err := s.exec(ctx, tx, s.q.requeueFailed, p.SubscriptionID, p.PartnerID, since, due)
		if err != nil {
			return fmt.Errorf("sqlstore: requeueing failed deliveries: %w", err)
		}
		affected, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("sqlstore: requeueing failed deliveries: %w", err)
		}
		n = int(affected)
		if n > 0 {
			if err := s.notifyTx(ctx, s.own(tx)); err != nil {
				return err
			}
		}
		return s.count(ctx, s.own(tx), moved(monitehooks.DeliveryFailed, monitehooks.DeliveryPending, n))
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		s.committed()
	}
	return n, nil
}

// CountDeliveries returns how many deliveries are in each state, over
// every partner: the sum of the count shards, O(1).
func (s *Store) CountDeliveries(ctx context.Context) (monitehooks.DeliveryCounts, error) {
	var c monitehooks.DeliveryCounts
	if err := s.queryRow(ctx, nil, s.q.sumCounts).Scan(&c.Pending, &c.Succeeded, &c.Failed); err != nil {
		return monitehooks.DeliveryCounts{}, fmt.Errorf("sqlstore: counting deliveries: %w", err)
	}
	return c, nil
}
