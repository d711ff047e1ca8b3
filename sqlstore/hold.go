package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/monitehooks/monitehooks"
)

var _ monitehooks.Holder = (*Store)(nil)

const (
	// holdQueue holds the subscription's queue until $2, making the queue
	// if the subscription never had a delivery.
	holdQueue = `INSERT INTO monitehooks_queues (subscription_id, held_until) VALUES ($1, $2)
ON CONFLICT (subscription_id) DO UPDATE SET held_until = excluded.held_until`

	// liftHold lifts the hold of the subscription's queue.
	liftHold = `UPDATE monitehooks_queues SET held_until = NULL WHERE subscription_id = $1 AND held_until IS NOT NULL`
)

// HoldSubscription makes the subscription's pending deliveries, those
// created later included, not claimable before until; the zero time lifts
// the hold. The hold is a column of the subscription's queue, so claims
// skip the queue without reading its deliveries, and it holds for every
// process sharing the database, and across restarts, until it ends or is
// replaced. A claim's NextDue counts a held subscription that has pending
// deliveries at the end of its hold, even when they come due later. It
// answers nil for an unknown subscription.
func (s *Store) HoldSubscription(ctx context.Context, subscriptionID string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !validID(subscriptionID) {
		return nil
	}
	var err error
	if until.IsZero() {
		_, err = s.exec(ctx, nil, s.q.liftHold, subscriptionID)
	} else {
		_, err = s.exec(ctx, nil, s.q.holdQueue, subscriptionID, clampNs(until))
	}
	if err != nil {
		return fmt.Errorf("sqlstore: holding subscription: %w", err)
	}
	return nil
}
