package sqlstore_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
)

// TestSeveralProcesses: stores with pools of their own over one database
// claim and record together; every delivery is recorded once.
func TestSeveralProcesses(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			o.prepare(t)
			const stores, workers, subs, events = 2, 3, 4, 30
			var ss []*sqlstore.Store
			for range stores {
				s, err := o.open(t, sqlstore.Config{})
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				ss = append(ss, s)
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			var subIDs []string
			for range subs {
				sub, err := ss[0].CreateSubscription(t.Context(), monitehooks.Subscription{PartnerID: "p", ObjectType: "entity", Status: monitehooks.StatusEnabled})
				if err != nil {
					t.Fatal(err)
				}
				subIDs = append(subIDs, sub.ID)
			}
			for i := range events {
				_, err := ss[i%stores].CreateEvent(t.Context(), monitehooks.CreateEventParams{
					Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
					SubscriptionIDs: subIDs, Due: now.Add(time.Duration(i) * time.Millisecond),
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			var (
				mu       sync.Mutex
				recorded = make(map[string]int)
				wg       sync.WaitGroup
				errs     = make(chan error, stores*workers)
			)
			for _, s := range ss {
				for range workers {
					wg.Go(func() {
						for {
							res, err := s.ClaimDeliveries(t.Context(), monitehooks.ClaimParams{Now: now.Add(time.Hour), Limit: 5, Lease: time.Hour})
							if err != nil {
								errs <- err
								return
							}
							if len(res.Claims) == 0 {
								return
							}
							for _, c := range res.Claims {
								err := s.RecordAttempt(t.Context(), monitehooks.RecordAttemptParams{
									DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken,
									Attempt: &monitehooks.Attempt{At: now, StatusCode: 200},
									Status:  monitehooks.DeliverySucceeded, UpdatedAt: now,
								})
								if err != nil {
									errs <- err
									return
								}
								mu.Lock()
								recorded[c.DeliveryID]++
								mu.Unlock()
							}
						}
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("worker: %v", err)
			}
			if len(recorded) != subs*events {
				t.Errorf("recorded %d deliveries; want %d", len(recorded), subs*events)
			}
			for id, n := range recorded {
				if n != 1 {
					t.Errorf("delivery %s recorded %d times", id, n)
				}
			}
			for i, s := range ss {
				if c, err := s.CountDeliveries(t.Context()); err != nil || c != (monitehooks.DeliveryCounts{Succeeded: subs * events}) {
					t.Errorf("store %d: CountDeliveries = %+v, %v; want %d succeeded", i+1, c, err, subs*events)
				}
			}
		})
	}
}

// TestCrash: a process claims and dies; another finds the deliveries
// claimable once the leases end, and the dead process's tokens no longer
// hold.
func TestCrash(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			o.prepare(t)
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			first, err := o.open(t, sqlstore.Config{})
			if err != nil {
				t.Fatal(err)
			}
			sub, err := first.CreateSubscription(t.Context(), monitehooks.Subscription{PartnerID: "p", ObjectType: "entity", Status: monitehooks.StatusEnabled})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := first.CreateEvent(t.Context(), monitehooks.CreateEventParams{
				Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
				SubscriptionIDs: []string{sub.ID}, Due: now,
			}); err != nil {
				t.Fatal(err)
			}
			res, err := first.ClaimDeliveries(t.Context(), monitehooks.ClaimParams{Now: now, Limit: 10, Lease: time.Minute})
			if err != nil || len(res.Claims) != 1 {
				t.Fatalf("claim = %d claims, %v; want 1", len(res.Claims), err)
			}
			lost := res.Claims[0]
			first.Close() // the process dies holding the lease

			second, err := o.open(t, sqlstore.Config{})
			if err != nil {
				t.Fatal(err)
			}
			res, err = second.ClaimDeliveries(t.Context(), monitehooks.ClaimParams{Now: now.Add(30 * time.Second), Limit: 10, Lease: time.Minute})
			if err != nil || len(res.Claims) != 0 || !res.NextDue.Equal(now.Add(time.Minute)) {
				t.Fatalf("claim while the dead lease holds = %d claims, NextDue %v, %v; want none, %v", len(res.Claims), res.NextDue, err, now.Add(time.Minute))
			}
			res, err = second.ClaimDeliveries(t.Context(), monitehooks.ClaimParams{Now: now.Add(time.Minute), Limit: 10, Lease: time.Minute})
			if err != nil || len(res.Claims) != 1 || res.Claims[0].DeliveryID != lost.DeliveryID {
				t.Fatalf("claim once the dead lease ended = %d claims, %v; want the delivery %s", len(res.Claims), err, lost.DeliveryID)
			}
			err = second.RecordAttempt(t.Context(), monitehooks.RecordAttemptParams{
				DeliveryID: lost.DeliveryID, LeaseToken: lost.LeaseToken, Status: monitehooks.DeliverySucceeded, UpdatedAt: now,
			})
			if !errors.Is(err, monitehooks.ErrLeaseLost) {
				t.Errorf("RecordAttempt with the dead process's token: err = %v; want ErrLeaseLost", err)
			}
		})
	}
}
