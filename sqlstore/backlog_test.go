package sqlstore_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
)

// TestBacklogBoundTogether: stores of separate pools storing bounded
// events at once never pass the bound together.
func TestBacklogBoundTogether(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			o.prepare(t)
			const stores, perStore, bound = 2, 4, 10
			var ss []*sqlstore.Store
			for range stores {
				s, err := o.open(t, sqlstore.Config{})
				if err != nil {
					t.Fatal(err)
				}
				ss = append(ss, s)
			}
			sub, err := ss[0].CreateSubscription(t.Context(), monitehooks.Subscription{PartnerID: "p", ObjectType: "entity", Status: monitehooks.StatusEnabled})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			var wg sync.WaitGroup
			for _, s := range ss {
				for range perStore {
					wg.Go(func() {
						for range 5 {
							_, err := s.CreateEvent(t.Context(), monitehooks.CreateEventParams{
								Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
								SubscriptionIDs: []string{sub.ID}, Due: now, MaxPending: bound,
							})
							if err != nil && !errors.Is(err, monitehooks.ErrBacklogFull) {
								t.Errorf("CreateEvent: %v", err)
							}
						}
					})
				}
			}
			wg.Wait()
			if c, err := ss[0].CountDeliveries(t.Context()); err != nil || c.Pending != bound {
				t.Errorf("CountDeliveries = %+v, %v; want exactly %d pending", c, err, bound)
			}
		})
	}
}
