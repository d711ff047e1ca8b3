package memstore_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/memstore"
)

var benchBase = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// benchObject is a 250-byte JSON object snapshot.
var benchObject = func() []byte {
	b := []byte(`{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","name":"`)
	for len(b) < 248 {
		b = append(b, 'x')
	}
	return append(b, `"}`...)
}()

func benchEvent() monitehooks.Event {
	return monitehooks.Event{
		PartnerID:  "partner-1",
		EntityID:   "5f0e3f3c-2b1a-4c9d-8e7f-6a5b4c3d2e1f",
		ObjectType: "entity",
		ObjectID:   "3fa85f64-5717-4562-b3fc-2c963f66afa6",
		Type:       "updated",
		Object:     benchObject,
		CreatedAt:  benchBase,
	}
}

func benchSubs(tb testing.TB, s *memstore.Store, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		sub, err := s.CreateSubscription(context.Background(), monitehooks.Subscription{PartnerID: "partner-1", ObjectType: "entity"})
		if err != nil {
			tb.Fatal(err)
		}
		ids[i] = sub.ID
	}
	return ids
}

// BenchmarkCreateEvent stores events with one subscription each.
func BenchmarkCreateEvent(b *testing.B) {
	ctx := context.Background()
	s := memstore.New()
	subs := benchSubs(b, s, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: benchEvent(), SubscriptionIDs: subs, Due: benchBase}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateEventParallel stores events with one subscription each
// from every P at once.
func BenchmarkCreateEventParallel(b *testing.B) {
	ctx := context.Background()
	s := memstore.New()
	subs := benchSubs(b, s, 1)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: benchEvent(), SubscriptionIDs: subs, Due: benchBase}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPendingDeliveryMemory measures the heap taken per pending
// delivery: 10,000 events with a 250-byte object, each to 10
// subscriptions.
func BenchmarkPendingDeliveryMemory(b *testing.B) {
	const events, fanOut = 10_000, 10
	ctx := context.Background()
	var perDelivery float64
	for b.Loop() {
		s := memstore.New()
		subs := benchSubs(b, s, fanOut)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range events {
			if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: benchEvent(), SubscriptionIDs: subs, Due: benchBase}); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(s)
		perDelivery = float64(after.HeapAlloc-before.HeapAlloc) / (events * fanOut)
	}
	b.ReportMetric(perDelivery, "B/delivery")
}

// BenchmarkClaimWithRefusedBacklog claims and releases one delivery while
// a subscription that Allow refuses has an older backlog: the cost does not
// grow with the backlog.
func BenchmarkClaimWithRefusedBacklog(b *testing.B) {
	for _, backlog := range []int{0, 100_000} {
		b.Run("backlog="+strconv.Itoa(backlog), func(b *testing.B) {
			ctx := context.Background()
			s := memstore.New()
			subs := benchSubs(b, s, 2)
			refused, allowed := subs[0], subs[1]
			old := monitehooks.CreateEventParams{Event: benchEvent(), SubscriptionIDs: []string{refused}, Due: benchBase.Add(-time.Hour)}
			for range backlog {
				if _, err := s.CreateEvent(ctx, old); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: benchEvent(), SubscriptionIDs: []string{allowed}, Due: benchBase}); err != nil {
				b.Fatal(err)
			}
			p := monitehooks.ClaimParams{
				Now: benchBase, Limit: 1, Lease: time.Minute,
				Allow: func(id string) bool { return id != refused },
			}
			b.ReportAllocs()
			for b.Loop() {
				res, err := s.ClaimDeliveries(ctx, p)
				if err != nil || len(res.Claims) != 1 {
					b.Fatalf("claimed %d, %v; want 1", len(res.Claims), err)
				}
				c := res.Claims[0]
				if err := s.ReleaseDelivery(ctx, monitehooks.ReleaseParams{DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkClaimRecord claims ten deliveries from a backlog of 10,000 over
// 100 subscriptions and records a retry for each, per operation.
func BenchmarkClaimRecord(b *testing.B) {
	ctx := context.Background()
	s := memstore.New()
	subs := benchSubs(b, s, 100)
	for range 100 {
		if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: benchEvent(), SubscriptionIDs: subs, Due: benchBase}); err != nil {
			b.Fatal(err)
		}
	}
	now := benchBase
	b.ReportAllocs()
	for b.Loop() {
		res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 10, Lease: time.Minute})
		if err != nil || len(res.Claims) != 10 {
			b.Fatalf("claimed %d, %v; want 10", len(res.Claims), err)
		}
		now = now.Add(time.Millisecond)
		for _, c := range res.Claims {
			err := s.RecordAttempt(ctx, monitehooks.RecordAttemptParams{
				DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken,
				Status: monitehooks.DeliveryPending, NextAttemptAt: now, UpdatedAt: now,
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
