package sqlstore_test

import (
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
)

// benchStores are the stores the benchmarks run on, each made inside its
// sub-benchmark, so that PostgreSQL's absence skips only its own.
var benchStores = []struct {
	name string
	open func(testing.TB) *sqlstore.Store
}{
	{"SQLite", func(tb testing.TB) *sqlstore.Store { return newSQLiteStore(tb) }},
	{"Postgres", func(tb testing.TB) *sqlstore.Store { return newPostgresStore(tb) }},
}

// BenchmarkCreateEvent stores events of 250 bytes fanned out to three
// subscriptions, one transaction each.
func BenchmarkCreateEvent(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			ctx := b.Context()
			var subs []string
			for range 3 {
				sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity"})
				if err != nil {
					b.Fatal(err)
				}
				subs = append(subs, sub.ID)
			}
			object := make([]byte, 250)
			for i := range object {
				object[i] = 'x'
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
					Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", Object: object, CreatedAt: now},
					SubscriptionIDs: subs, Due: now,
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCreateEventParallel is BenchmarkCreateEvent from 16
// goroutines at once, as many emitting requests would: commits then
// share the disk's flushes.
func BenchmarkCreateEventParallel(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			ctx := b.Context()
			var subs []string
			for range 3 {
				sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity"})
				if err != nil {
					b.Fatal(err)
				}
				subs = append(subs, sub.ID)
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			b.SetParallelism(8) // 8 per core: 16 on two cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
						Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
						SubscriptionIDs: subs, Due: now,
					}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkClaimRecord claims deliveries ten at a time from a backlog
// over 20 subscriptions and records each a success: the work of a
// delivery apart from its request. It reports the time per delivery.
func BenchmarkClaimRecord(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			ctx := b.Context()
			var subs []string
			for range 20 {
				sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity"})
				if err != nil {
					b.Fatal(err)
				}
				subs = append(subs, sub.ID)
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			for range b.N/len(subs) + 1 {
				if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
					Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
					SubscriptionIDs: subs, Due: now,
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for done := 0; done < b.N; {
				res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 10, Lease: time.Minute})
				if err != nil || len(res.Claims) == 0 {
					b.Fatalf("claim: %d claims, %v", len(res.Claims), err)
				}
				for _, c := range res.Claims {
					if err := s.RecordAttempt(ctx, monitehooks.RecordAttemptParams{
						DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken, Status: monitehooks.DeliverySucceeded,
						Attempt: &monitehooks.Attempt{At: now, StatusCode: 200}, UpdatedAt: now,
					}); err != nil {
						b.Fatal(err)
					}
					done++
				}
			}
		})
	}
}
