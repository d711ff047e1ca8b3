package memstore_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/memstore"
)

// soakParams shape a soak: events stored one a millisecond on a clock
// the soak moves, each to fanout subscriptions, delivered at once (one
// delivery in eight fails first and succeeds at its retry a second
// later), with retention run every pruneEvery events as the emitter runs
// it: batches of 1000 until less than a batch is left.
type soakParams struct {
	events, fanout int
	retention      time.Duration
	pruneEvery     int
	// measureAt is the number of events after which the soak measures
	// the heap the first time; it measures again at the end.
	measureAt int
}

// soakStore runs the soak and returns the live heap after collection at
// measureAt and at the end, and the deliveries left.
func soakStore(tb testing.TB, p soakParams) (early, end uint64, left monitehooks.DeliveryCounts) {
	ctx := context.Background()
	s := memstore.New()
	subs := benchSubs(tb, s, p.fanout)
	now := benchBase
	ev := benchEvent()
	record := func(c monitehooks.Claim, fail bool) {
		a := monitehooks.Attempt{At: now, Duration: 40 * time.Millisecond, URL: "https://example.com/hooks", StatusCode: 200, Response: `{"ok":true}`}
		st, next := monitehooks.DeliverySucceeded, time.Time{}
		if fail {
			a.StatusCode, a.ErrorClass, a.Error, a.Response = 503, monitehooks.ErrorStatus, "endpoint answered 503", `{"error":"busy"}`
			st, next = monitehooks.DeliveryPending, now.Add(time.Second)
		}
		if err := s.RecordAttempt(ctx, monitehooks.RecordAttemptParams{
			DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken, Attempt: &a, Status: st, NextAttemptAt: next, UpdatedAt: now,
		}); err != nil {
			tb.Fatal(err)
		}
	}
	claims := 0
	for i := range p.events {
		now = now.Add(time.Millisecond)
		ev.CreatedAt = now
		ev.ObjectID = fmt.Sprintf("obj-%08d", i)
		if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: subs, Due: now}); err != nil {
			tb.Fatal(err)
		}
		res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 4 * p.fanout, Lease: time.Minute})
		if err != nil {
			tb.Fatal(err)
		}
		for _, c := range res.Claims {
			claims++
			record(c, c.Attempts == 0 && claims%8 == 0)
		}
		if (i+1)%p.pruneEvery == 0 {
			for {
				res, err := s.DeleteExpired(ctx, monitehooks.DeleteExpiredParams{Before: now.Add(-p.retention), Limit: 1000})
				if err != nil {
					tb.Fatal(err)
				}
				if res.Deliveries < 1000 && res.Events < 1000 {
					break
				}
			}
		}
		if i+1 == p.measureAt {
			early = liveHeap()
		}
	}
	end = liveHeap()
	left, _ = s.CountDeliveries(ctx)
	runtime.KeepAlive(s)
	return early, end, left
}

// liveHeap returns the bytes of live heap objects, the least of three
// readings after collection (noise only adds).
func liveHeap() uint64 {
	least := uint64(0)
	for i := range 3 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if i == 0 || ms.HeapAlloc < least {
			least = ms.HeapAlloc
		}
	}
	return least
}

// TestSoakRetention stores 50,000 events, fan-out 2, with retention of
// 2 seconds on a clock moving a millisecond an event, so that about 2,000
// events are kept at any time, and checks that the live heap at the end
// is within 20% of what it was a tenth of the way through: retention gives
// the memory of what it deletes back, and nothing grows with the events
// that went. It does not call t.Parallel, so that it measures the heap
// alone.
func TestSoakRetention(t *testing.T) {
	if testing.Short() {
		t.Skip("a soak")
	}
	const events = 50_000
	early, end, left := soakStore(t, soakParams{
		events: events, fanout: 2, retention: 2 * time.Second, pruneEvery: 250, measureAt: events / 10,
	})
	ratio := float64(end) / float64(early)
	t.Logf("live heap %.1f MiB after %d events, %.1f MiB after %d: ratio %.2f; %+v left",
		float64(early)/(1<<20), events/10, float64(end)/(1<<20), events, ratio, left)
	if ratio > 1.2 {
		t.Errorf("live heap at the end / a tenth of the way = %.2f; want at most 1.2", ratio)
	}
	if total := left.Pending + left.Succeeded + left.Failed; total > 2*2*1100 {
		t.Errorf("%d deliveries left; want about the last 2 seconds' (2 × 2000)", total)
	}
}

// BenchmarkSoakRetention stores 1,000,000 events, fan-out 2, with
// retention of 10 seconds on a clock moving a millisecond an event (so
// 10,000 events are kept), and reports heap_ratio: the live heap at the
// end over the live heap after 100,000 events. Flat is 1; the goal is at
// most 1.2. One op is the whole soak.
func BenchmarkSoakRetention(b *testing.B) {
	var early, end uint64
	for b.Loop() {
		early, end, _ = soakStore(b, soakParams{
			events: 1_000_000, fanout: 2, retention: 10 * time.Second, pruneEvery: 1000, measureAt: 100_000,
		})
	}
	b.ReportMetric(float64(end)/float64(early), "heap_ratio")
	b.ReportMetric(float64(end)/(1<<20), "end_MiB")
}
