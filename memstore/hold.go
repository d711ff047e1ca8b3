package memstore

import (
	"context"
	"time"

	"github.com/monitehooks/monitehooks"
)

var _ monitehooks.Holder = (*Store)(nil)

// HoldSubscription makes the subscription's pending deliveries, those
// created later included, not claimable before until; the zero time lifts
// the hold. The hold is kept on the subscription's queue of claimable
// deliveries, so a claim never looks at a held subscription's deliveries
// before until, whatever their number: it costs O(log n) once, not every
// claim. It answers nil for an unknown subscription.
func (s *Store) HoldSubscription(ctx context.Context, subscriptionID string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sid, ok := parseID(subscriptionID)
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sq := s.queues[sid]
	if sq == nil {
		if until.IsZero() {
			return nil
		}
		sq = s.queueLocked(sid, subscriptionID)
	}
	sq.hold = stampOf(until)
	if sq.state == queueWaiting {
		s.fixWaitingLocked(sq)
	}
	// A queue in the ring stays there: its turn finds out whether its head
	// is claimable.
	return nil
}
