package memstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/memstore"
)

// bigStore is a store of 1,000,000 events of one partner, each to 2
// subscriptions: 2,000,000 deliveries, one in four of them delivered, an
// event a millisecond, of two object types and two event types. It is
// built once, for the benchmarks that use it (about 10 s).
var bigStore = sync.OnceValues(func() (*memstore.Store, []string) {
	const events = 1_000_000
	ctx := context.Background()
	s := memstore.New()
	subs := make([]string, 2)
	for i := range subs {
		sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "partner-1", ObjectType: "entity"})
		if err != nil {
			panic(err)
		}
		subs[i] = sub.ID
	}
	ev := benchEvent()
	ev.Object = nil
	now := benchBase
	for i := range events {
		now = now.Add(time.Millisecond)
		ev.CreatedAt = now
		ev.ObjectType = []monitehooks.ObjectType{"entity", "payable"}[i%2]
		ev.Type = []monitehooks.EventType{"created", "updated", "updated"}[i%3]
		if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: subs, Due: now}); err != nil {
			panic(err)
		}
		if i%2 == 0 {
			res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 1, Lease: time.Minute})
			if err != nil {
				panic(err)
			}
			for _, c := range res.Claims {
				err := s.RecordAttempt(ctx, monitehooks.RecordAttemptParams{
					DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken,
					Attempt: &monitehooks.Attempt{At: now, StatusCode: 200},
					Status:  monitehooks.DeliverySucceeded, UpdatedAt: now,
				})
				if err != nil {
					panic(err)
				}
			}
		}
	}
	return s, subs
})

// listCases are the lists the benchmarks page through: each index, and
// filters that the index answers or that a walk checks item by item.
func listCases(subs []string) []struct {
	name string
	p    monitehooks.ListParams
} {
	return []struct {
		name string
		p    monitehooks.ListParams
	}{
		{"created", monitehooks.ListParams{}},
		{"created_desc", monitehooks.ListParams{Order: monitehooks.OrderDesc}},
		{"updated", monitehooks.ListParams{Sort: monitehooks.SortUpdatedAt}},
		{"subscription", monitehooks.ListParams{SubscriptionID: subs[1]}},
		{"subscription_updated", monitehooks.ListParams{SubscriptionID: subs[1], Sort: monitehooks.SortUpdatedAt}},
		{"object_type", monitehooks.ListParams{ObjectType: "payable"}},
		{"event_action", monitehooks.ListParams{ObjectType: "payable", EventType: "created"}},
		{"created_bounds", monitehooks.ListParams{CreatedGTE: benchBase.Add(500 * time.Second), CreatedLT: benchBase.Add(600 * time.Second)}},
		{"event_type_walk", monitehooks.ListParams{EventType: "created"}},            // checked on each item
		{"status_walk", monitehooks.ListParams{Status: monitehooks.DeliveryPending}}, // checked on each item
	}
}

// tokensInto returns the tokens of pages spread along the list: the
// benchmark asks for them in turn.
func tokensInto(b *testing.B, s *memstore.Store, p monitehooks.ListParams) []string {
	ctx := context.Background()
	tokens := []string{""}
	// Pages of 100 from the start, and Prev tokens from the end, to
	// reach deep into the list without walking all of it.
	page, err := s.ListDeliveries(ctx, "partner-1", p)
	if err != nil {
		b.Fatal(err)
	}
	for range 3 {
		if page.Next == "" {
			break
		}
		tokens = append(tokens, page.Next)
		if page, err = s.ListDeliveries(ctx, "partner-1", monitehooks.ListParams{Cursor: page.Next}); err != nil {
			b.Fatal(err)
		}
	}
	rev := p
	if rev.Order == monitehooks.OrderDesc {
		rev.Order = monitehooks.OrderAsc
	} else {
		rev.Order = monitehooks.OrderDesc
	}
	if page, err = s.ListDeliveries(ctx, "partner-1", rev); err == nil && page.Next != "" {
		tokens = append(tokens, page.Next) // a token at the far end, in the other order
	}
	return tokens
}

// BenchmarkListDeliveries asks for one page of 100 deliveries of
// 2,000,000 (bigStore), per op, in turn from the start, a few pages in
// and the far end, and reports ns/page.
func BenchmarkListDeliveries(b *testing.B) {
	s, subs := bigStore()
	ctx := context.Background()
	for _, tc := range listCases(subs) {
		b.Run(tc.name, func(b *testing.B) {
			p := tc.p
			p.Limit = 100
			tokens := tokensInto(b, s, p)
			i := 0
			start := time.Now()
			for b.Loop() {
				q := p
				if tok := tokens[i%len(tokens)]; tok != "" {
					q = monitehooks.ListParams{Cursor: tok}
				}
				i++
				page, err := s.ListDeliveries(ctx, "partner-1", q)
				if err != nil || len(page.Data) == 0 {
					b.Fatalf("%+v: %d items, %v", q, len(page.Data), err)
				}
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(i), "ns/page")
		})
	}
}
