package storetest

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

func concurrencyTests() []test {
	return []test{
		{"ClaimsNeverShareADelivery", testConcurrentClaims},
		{"CreateClaimRecordTogether", testConcurrentPipeline},
	}
}

func testConcurrentClaims(t *testing.T, b *bundle) {
	const events, fanOut, workers = 40, 8, 8
	subs := b.subIDs(partnerA, fanOut)
	for i := range events {
		b.emit(partnerA, subs, at(time.Duration(i)*time.Millisecond))
	}

	var (
		mu      sync.Mutex
		claimed = make(map[string]int)
		wg      sync.WaitGroup
		errs    = make(chan error, workers)
	)
	for range workers {
		wg.Go(func() {
			for {
				res, err := b.s.ClaimDeliveries(b.ctx, monitehooks.ClaimParams{Now: at(time.Hour), Limit: 3, Lease: time.Hour})
				if err != nil {
					errs <- err
					return
				}
				if len(res.Claims) == 0 {
					return
				}
				mu.Lock()
				for _, c := range res.Claims {
					claimed[c.DeliveryID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("ClaimDeliveries: %v", err)
	}
	if len(claimed) != events*fanOut {
		t.Errorf("claimed %d distinct deliveries; want %d", len(claimed), events*fanOut)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("delivery %s claimed %d times while its lease held", id, n)
		}
	}
}

func testConcurrentPipeline(t *testing.T, b *bundle) {
	const producers, perProducer, fanOut, workers = 4, 25, 2, 4
	const total = producers * perProducer * fanOut
	subs := b.subIDs(partnerA, fanOut)
	now := at(time.Hour)

	var (
		wg       sync.WaitGroup
		produced sync.WaitGroup
		recorded atomic.Int64
		failures = make(chan string, producers+workers+1)
	)
	fail := func(what string, err error) {
		select {
		case failures <- what + ": " + err.Error():
		default:
		}
	}
	for range producers {
		produced.Add(1)
		wg.Go(func() {
			defer produced.Done()
			for i := range perProducer {
				p := monitehooks.CreateEventParams{Event: newEvent(partnerA), SubscriptionIDs: subs, Due: at(time.Duration(i) * time.Millisecond)}
				if _, err := b.s.CreateEvent(b.ctx, p); err != nil {
					fail("CreateEvent", err)
					return
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { produced.Wait(); close(done) }()
	for range workers {
		wg.Go(func() {
			for idle := 0; recorded.Load() < total; {
				res, err := b.s.ClaimDeliveries(b.ctx, monitehooks.ClaimParams{Now: now, Limit: 4, Lease: time.Hour})
				if err != nil {
					fail("ClaimDeliveries", err)
					return
				}
				for _, c := range res.Claims {
					a := attemptAt(now, 200)
					err := b.s.RecordAttempt(b.ctx, monitehooks.RecordAttemptParams{
						DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken, Attempt: &a,
						Status: monitehooks.DeliverySucceeded, UpdatedAt: now,
					})
					if err != nil {
						fail("RecordAttempt", err)
						return
					}
					recorded.Add(1)
				}
				if len(res.Claims) > 0 {
					idle = 0
					continue
				}
				select {
				case <-done:
					// Everything is stored; an empty claim now means the
					// other workers hold the rest.
					if idle++; idle > 100000 {
						fail("workers", errors.New("no delivery claimable, yet not all recorded"))
						return
					}
				default:
				}
				runtime.Gosched()
			}
		})
	}
	// A reader alongside.
	wg.Go(func() {
		for range 20 {
			if _, err := b.s.ListDeliveries(b.ctx, partnerA, monitehooks.ListParams{Limit: 10}); err != nil {
				fail("ListDeliveries", err)
				return
			}
			if _, err := b.s.CountDeliveries(b.ctx); err != nil {
				fail("CountDeliveries", err)
				return
			}
		}
	})
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	if got, err := b.s.CountDeliveries(b.ctx); err != nil || got != (monitehooks.DeliveryCounts{Succeeded: total}) {
		t.Errorf("CountDeliveries = %+v, %v; want %d succeeded", got, err, total)
	}
}
