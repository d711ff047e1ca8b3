package memstore_test

import (
	"context"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
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

// BenchmarkCreateWhileListing stores events, one op each, alone
// ("alone") and while another goroutine pages through the 2,000,000
// deliveries of bigStore without pause ("listing"), in every way
// listCases names plus a status filter that matches nothing (a walk of
// the whole list). It reports how long one CreateEvent took: p99, p999
// and worst (worst_create_wait_us; the goal is at most 1000). What
// "listing" adds over "alone" is the wait for the lists' read lock; the
// tail of "alone" is the machine's (the operating system, the collector).
func BenchmarkCreateWhileListing(b *testing.B) {
	s, subs := bigStore()
	ctx := context.Background()
	other, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "partner-2", ObjectType: "entity"})
	if err != nil {
		b.Fatal(err)
	}
	cases := listCases(subs)
	cases = append(cases, struct {
		name string
		p    monitehooks.ListParams
	}{"nothing_matches", monitehooks.ListParams{Status: monitehooks.DeliveryFailed}})
	for _, listing := range []bool{false, true} {
		name := "alone"
		if listing {
			name = "listing"
		}
		b.Run(name, func(b *testing.B) {
			stop := make(chan struct{})
			var pages atomic.Int64
			listed := make(chan struct{})
			go func() {
				defer close(listed)
				for i := 0; listing; i++ {
					p := cases[i%len(cases)].p
					p.Limit = 100
					for range 3 { // a page and the two after it
						select {
						case <-stop:
							return
						default:
						}
						page, err := s.ListDeliveries(ctx, "partner-1", p)
						if err != nil {
							panic(err)
						}
						pages.Add(1)
						if page.Next == "" {
							break
						}
						p = monitehooks.ListParams{Cursor: page.Next}
					}
				}
			}()
			ev := benchEvent()
			ev.PartnerID = "partner-2"
			waits := make([]time.Duration, 0, 1<<20)
			// The collector is off while the benchmark measures: with
			// 2,000,000 deliveries in the heap, a collection's assists and
			// pauses cost a CreateEvent milliseconds now and then, lists or
			// not, and would hide the wait for the lists' read lock.
			runtime.GC()
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			for b.Loop() {
				start := time.Now()
				if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: []string{other.ID}, Due: benchBase}); err != nil {
					b.Fatal(err)
				}
				waits = append(waits, time.Since(start))
			}
			close(stop)
			<-listed
			slices.Sort(waits)
			us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
			b.ReportMetric(us(waits[len(waits)*99/100]), "p99_create_wait_us")
			b.ReportMetric(us(waits[len(waits)*999/1000]), "p999_create_wait_us")
			b.ReportMetric(us(waits[len(waits)-1]), "worst_create_wait_us")
			b.ReportMetric(float64(pages.Load()), "pages_listed")
		})
	}
}
