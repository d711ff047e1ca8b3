package memstore

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// timedWalker times each walk of the walker it wraps: one step of a
// list, all of it under the read lock.
type timedWalker struct {
	w     walker
	steps *[]time.Duration
}

func (t timedWalker) walk(from *ikey, incl, desc bool, budget int, visit func(ikey, uint32) bool) (ikey, bool) {
	start := time.Now()
	last, more := t.w.walk(from, incl, desc, budget, visit)
	*t.steps = append(*t.steps, time.Since(start))
	return last, more
}

// BenchmarkListStep pages through 2,000,000 deliveries (1,000,000 events
// to 2 subscriptions, one in four delivered) in the ways a list can go,
// and reports how long one step holds the read lock, which is what a
// writer waits for at most: mean_step_us, p99_step_us, p999_step_us and
// max_step_us (the goal is at most 1000). A step ends after listStep
// items, or at the end of a page. The walks that filter item by item, and
// the one whose filter matches nothing, pass the most items.
//
// The control case times a loop of pure computation as long as a step: on
// a machine shared with other work, its tail (the operating system taking
// the CPU away, the collector stopping the world) is what the steps' tail
// is made of too.
func BenchmarkListStep(b *testing.B) {
	ctx := context.Background()
	s := New()
	subs := createSubs(b, s, "p", 2)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range 1_000_000 {
		now = now.Add(time.Millisecond)
		ev := monitehooks.Event{PartnerID: "p", ObjectType: []monitehooks.ObjectType{"entity", "payable"}[i%2],
			Type: []monitehooks.EventType{"created", "updated", "updated"}[i%3], ObjectID: "3fa85f64-5717-4562-b3fc-2c963f66afa6", CreatedAt: now}
		if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: subs, Due: now}); err != nil {
			b.Fatal(err)
		}
		if i%2 == 0 {
			res, _ := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 1, Lease: time.Minute})
			for _, c := range res.Claims {
				if err := s.RecordAttempt(ctx, monitehooks.RecordAttemptParams{DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken,
					Attempt: &monitehooks.Attempt{At: now, StatusCode: 200}, Status: monitehooks.DeliverySucceeded, UpdatedAt: now}); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	cases := []struct {
		name string
		p    monitehooks.ListParams
	}{
		{"created", monitehooks.ListParams{}},
		{"updated_desc", monitehooks.ListParams{Sort: monitehooks.SortUpdatedAt, Order: monitehooks.OrderDesc}},
		{"subscription", monitehooks.ListParams{SubscriptionID: subs[1]}},
		{"event_action", monitehooks.ListParams{ObjectType: "payable", EventType: "created"}},
		{"event_type_walk", monitehooks.ListParams{EventType: "created"}},
		{"status_walk", monitehooks.ListParams{Status: monitehooks.DeliveryPending}},
		{"nothing_matches", monitehooks.ListParams{Status: monitehooks.DeliveryFailed}},
	}
	read := func(dn uint32) (deliveryFields, id) {
		d := s.deliveries.at(dn)
		return s.deliveryFieldsLocked(d), d.id
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var steps []time.Duration
			p := tc.p
			p.Limit = 100
			for b.Loop() {
				q, err := s.resolveList(p, &s.deliveryIDs)
				if err != nil {
					b.Fatal(err)
				}
				w, r, f := s.deliveriesIndex("p", &q)
				_, next, _, err := seekPage(ctx, s, &q, timedWalker{w, &steps}, r, f.match(s), read, (*deliveryFields).view)
				if err != nil {
					b.Fatal(err)
				}
				if p = (monitehooks.ListParams{Cursor: next}); next == "" {
					p = tc.p
					p.Limit = 100
				}
			}
			reportSteps(b, steps)
			b.ReportMetric(float64(len(steps))/float64(b.N), "steps/page")
		})
	}
	b.Run("control", func(b *testing.B) {
		var steps []time.Duration
		sum := uint64(0)
		for b.Loop() {
			start := time.Now()
			for i := range uint64(8_000) { // about as long as a step
				sum += i * i
			}
			steps = append(steps, time.Since(start))
		}
		reportSteps(b, steps)
		if sum == 1 {
			b.Log(sum)
		}
	})
}

// reportSteps reports the mean and tail of the step times.
func reportSteps(b *testing.B, steps []time.Duration) {
	var total time.Duration
	for _, d := range steps {
		total += d
	}
	slices.Sort(steps)
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	b.ReportMetric(us(total)/float64(len(steps)), "mean_step_us")
	b.ReportMetric(us(steps[len(steps)*99/100]), "p99_step_us")
	b.ReportMetric(us(steps[len(steps)*999/1000]), "p999_step_us")
	b.ReportMetric(us(steps[len(steps)-1]), "max_step_us")
}
