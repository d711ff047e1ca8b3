package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/monitehooks/monitehooks"
)

// expiredDelivery is a finished delivery retention deletes.
type expiredDelivery struct {
	seq, event, updated int64
	status              monitehooks.DeliveryStatus
}

// eventLeft is an element of expireEvents' JSON argument: an event that
// lost some of its deliveries, how many, and when the last of them
// finished.
type eventLeft struct {
	Seq  int64 `json:"seq"`
	Lost int   `json:"lost"`
	Last int64 `json:"last"`
}

// DeleteExpired deletes up to p.Limit finished deliveries that finished
// before p.Before, oldest first, with their attempts, then up to p.Limit
// events left without deliveries whose age counts from before p.Before,
// in one transaction. An event's age counts from its CreatedAt when it
// was stored without deliveries, from when its last delivery finished
// otherwise: each event counts the deliveries it has left, and gets its
// age when the last goes. On PostgreSQL the rows it deletes are locked
// with SKIP LOCKED, so that processes sweeping at once delete each row
// once and never wait for each other; the events are locked in order, so
// that they never wait for each other in a circle.
//
// In the same transaction it deletes up to p.Limit tombstones of deleted
// subscriptions (see DeleteSubscription) last written before p.Before
// whose deliveries are all gone, with their queues: a subscription
// deleted long ago costs claims nothing, and the database no row.
//
// On PostgreSQL one process sweeps at a time: a call that finds another
// process's call under way (a transaction-level advisory lock per schema)
// deletes nothing and answers zero counts, leaving the work to it; on
// SQLite the database's write lock makes calls take turns.
//
// A list token naming a deleted item continues from the item's sort key:
// see ListDeliveries.
func (s *Store) DeleteExpired(ctx context.Context, p monitehooks.DeleteExpiredParams) (monitehooks.DeleteExpiredResult, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.DeleteExpiredResult{}, err
	}
	if p.Limit <= 0 {
		return monitehooks.DeleteExpiredResult{}, fmt.Errorf("sqlstore: retention limit %d: must be positive: %w", p.Limit, monitehooks.ErrInvalid)
	}
	before := clampNs(p.Before)
	var res monitehooks.DeleteExpiredResult
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res = monitehooks.DeleteExpiredResult{}
		if s.dialect == DialectPostgres {
			// One process sweeps at a time; the others find the lock
			// taken and leave the work to it.
			var mine bool
			if err := s.queryRow(ctx, tx, trySweepLock, "monitehooks_retention:"+s.schema).Scan(&mine); err != nil {
				return fmt.Errorf("sqlstore: taking retention's lock: %w", err)
			}
			if !mine {
				return nil
			}
		}
		expired, err := s.expiredDeliveries(ctx, tx, before, p.Limit)
		if err != nil {
			return err
		}
		if len(expired) > 0 {
			if res.Deliveries, err = s.deleteExpiredDeliveries(ctx, tx, expired); err != nil {
				return err
			}
		}
		r, err := s.exec(ctx, tx, s.q.deleteEvents, before, p.Limit)
		if err != nil {
			return fmt.Errorf("sqlstore: deleting expired events: %w", err)
		}
		n, err := r.RowsAffected()
		if err != nil {
			return fmt.Errorf("sqlstore: deleting expired events: %w", err)
		}
		res.Events = int(n)
		if s.q.pruneQueues != "" {
			if _, err := s.exec(ctx, tx, s.q.pruneQueues, before, p.Limit); err != nil {
				return fmt.Errorf("sqlstore: deleting the queues of deleted subscriptions: %w", err)
			}
		}
		if _, err := s.exec(ctx, tx, s.q.pruneTombstones, before, p.Limit); err != nil {
			return fmt.Errorf("sqlstore: deleting the tombstones of subscriptions: %w", err)
		}
		return nil
	})
	if err != nil {
		return monitehooks.DeleteExpiredResult{}, err
	}
	return res, nil
}

// trySweepLock takes retention's lock of a schema until the transaction
// ends, if no other transaction holds it, and answers whether it did.
const trySweepLock = `SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0))`

// expiredDeliveries returns up to limit deliveries that finished before
// before, oldest first, locking them on PostgreSQL.
func (s *Store) expiredDeliveries(ctx context.Context, tx *sql.Tx, before int64, limit int) ([]expiredDelivery, error) {
	rows, err := s.query(ctx, tx, s.q.expiredDeliveries, before, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: finding expired deliveries: %w", err)
	}
	defer rows.Close()
	var out []expiredDelivery
	for rows.Next() {
		var (
			d      expiredDelivery
			status string
		)
		if err := rows.Scan(&d.seq, &d.event, &d.updated, &status); err != nil {
			return nil, fmt.Errorf("sqlstore: finding expired deliveries: %w", err)
		}
		d.status = monitehooks.DeliveryStatus(status)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlstore: finding expired deliveries: %w", err)
	}
	return out, nil
}

// deleteExpiredDeliveries deletes the deliveries with their attempts,
// counts them out, and tells their events how many they lost.
func (s *Store) deleteExpiredDeliveries(ctx context.Context, tx *sql.Tx, expired []expiredDelivery) (int, error) {
	seqs := make([]int64, len(expired))
	var c counts
	events := make(map[int64]*eventLeft)
	for i, d := range expired {
		seqs[i] = d.seq
		if d.status == monitehooks.DeliverySucceeded {
			c.succeeded--
		} else {
			c.failed--
		}
		e := events[d.event]
		if e == nil {
			e = &eventLeft{Seq: d.event, Last: d.updated}
			events[d.event] = e
		}
		e.Lost++
		e.Last = max(e.Last, d.updated)
	}
	seqsJSON, _ := json.Marshal(seqs) // numbers: never fails
	if _, err := s.exec(ctx, tx, s.q.deleteDeliveryAttempts, string(seqsJSON)); err != nil {
		return 0, fmt.Errorf("sqlstore: deleting expired attempts: %w", err)
	}
	r, err := s.exec(ctx, tx, s.q.deleteDeliveries, string(seqsJSON))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: deleting expired deliveries: %w", err)
	}
	if n, err := r.RowsAffected(); err != nil {
		return 0, fmt.Errorf("sqlstore: deleting expired deliveries: %w", err)
	} else if int(n) != len(expired) {
		// Locked (PostgreSQL) or under the write lock (SQLite): none can
		// have changed since it was read.
		return 0, fmt.Errorf("sqlstore: deleting expired deliveries: deleted %d of %d", n, len(expired))
	}
	left := make([]eventLeft, 0, len(events))
	for _, e := range events {
		left = append(left, *e)
	}
	slices.SortFunc(left, func(a, b eventLeft) int { return cmp.Compare(a.Seq, b.Seq) })
	leftJSON, _ := json.Marshal(left) // numbers: never fails
	if _, err := s.exec(ctx, tx, s.q.expireEvents, string(leftJSON)); err != nil {
		return 0, fmt.Errorf("sqlstore: counting the deliveries events have left: %w", err)
	}
	if err := s.count(ctx, s.own(tx), c); err != nil {
		return 0, err
	}
	return len(expired), nil
}
