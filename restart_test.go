package monitehooks_test

// Restarts and crashes: an emitter stopped mid-stream, and a worker that
// dies holding a lease, lose nothing (the accounting of accounting_test.go).

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// TestRestartMidStream stops an emitter while attempts hang in flight and
// retries wait, then starts another on the same store and registry: the
// second finishes everything and nothing is lost.
func TestRestartMidStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		stop func(t *testing.T, em *monitehooks.Emitter)
	}{
		{"shutdown past its deadline", func(t *testing.T, em *monitehooks.Emitter) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if err := em.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown() = %v; want context.DeadlineExceeded", err)
			}
		}},
		{"shutdown canceled", func(t *testing.T, em *monitehooks.Emitter) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := em.Shutdown(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("Shutdown() = %v; want context.Canceled", err)
			}
		}},
		{"close", func(t *testing.T, em *monitehooks.Emitter) {
			if err := em.Close(); err != nil {
				t.Errorf("Close() = %v; want nil", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const events = 8
			ctx := context.Background()
			policy := &monitehooks.Schedule{Delays: faultSchedule}
			// No breaker: the flaky endpoint's first attempts are all
			// made, where five failures would hold the others.
			b := setupEmitter(t, &monitehooks.EmitterConfig{RetryPolicy: policy, AttemptTimeout: time.Minute, BreakerThreshold: -1})
			hanging := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, _ int) { hang(r) })
			healthy := newReceiver(t, nil)
			flaky := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, n int) {
				if n <= events {
					w.WriteHeader(http.StatusInternalServerError)
				}
			})
			var lg ledger
			for _, rc := range []*receiver{hanging, healthy, flaky} {
				lg.subs = append(lg.subs, b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL}).ID)
			}
			hangingSub := lg.subs[0]
			for range events {
				lg.events = append(lg.events, b.emit(t, monitehooks.Event{}).ID)
			}
			seen := tally{}
			for range events {
				seen.add(t, hanging.next(t)) // every hanging delivery is in flight
			}
			for range 2 * events {
				wait(t, b.attempts, "the healthy and flaky endpoints' attempts")
			}

			tt.stop(t, b.em)
			assertNoGoroutines(t, b.em)
			if _, err := b.em.Emit(ctx, monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "created", ObjectID: "o"}); !errors.Is(err, monitehooks.ErrEmitterClosed) {
				t.Errorf("Emit after stopping = %v; want ErrEmitterClosed", err)
			}
			counts, err := b.store.CountDeliveries(ctx)
			if want := (monitehooks.DeliveryCounts{Pending: 2 * events, Succeeded: events}); err != nil || counts != want {
				t.Errorf("counts after stopping = %+v, %v; want %+v", counts, err, want)
			}
			// The canceled attempts are recorded as such, and due at once.
			for _, d := range listDeliveries(t, b.store) {
				if d.SubscriptionID != hangingSub {
					continue
				}
				if d.Status != monitehooks.DeliveryPending || len(d.Attempts) != 1 ||
					d.Attempts[0].ErrorClass != monitehooks.ErrorCanceled || d.NextAttemptAt.After(b.clock.Now()) {
					t.Errorf("canceled delivery %s: %s, attempts %+v, due %v; want pending, one canceled attempt, due now",
						d.ID, d.Status, d.Attempts, d.NextAttemptAt)
				}
			}

			hanging.setRespond(nil)
			em2, err := monitehooks.NewEmitter(b.store, b.reg, &monitehooks.EmitterConfig{
				Now: b.clock.Now, RetryPolicy: policy, AllowPrivateNetworks: true,
				Observer: &monitehooks.Observer{AttemptDone: func(i monitehooks.DeliveryInfo) { b.attempts <- i }},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { em2.Close() })
			for range events / 2 {
				ev, err := em2.Emit(ctx, monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "updated", ObjectID: "o"})
				if err != nil {
					t.Fatalf("Emit to the second emitter: %v", err)
				}
				lg.events = append(lg.events, ev.ID)
			}
			runSchedule(t, b, em2, nil)
			if err := em2.Shutdown(ctx); err != nil {
				t.Errorf("second Shutdown() = %v; want nil", err)
			}
			assertNoGoroutines(t, em2)
			assertNoGoroutines(t, b.em)

			seen.drain(t, hanging, healthy, flaky)
			deliveries := checkAccounting(t, b.store, lg, seen)
			counts, err = b.store.CountDeliveries(ctx)
			if want := (monitehooks.DeliveryCounts{Succeeded: len(lg.events) * len(lg.subs)}); err != nil || counts != want {
				t.Errorf("final counts = %+v, %v; want %+v", counts, err, want)
			}
			for _, ev := range lg.events[:events] {
				k := deliveryKey{ev, hangingSub}
				if d := deliveries[k]; len(d.Attempts) != 2 || seen[k] != 2 {
					t.Errorf("delivery of event %s to the hanging endpoint: %d attempts recorded, received %d times; want 2 recorded (one canceled), received twice", ev, len(d.Attempts), seen[k])
				}
			}
		})
	}
}

// TestLeaseExpiry has a worker claim a delivery and crash, never recording
// or releasing it: the delivery waits out the lease, then a running
// emitter delivers it, and the crashed worker's token is worthless.
func TestLeaseExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// An hour's poll: the emitter looks for due deliveries only when
	// woken, or at the end of a lease it knows of.
	b := setupEmitter(t, &monitehooks.EmitterConfig{PollInterval: time.Hour})
	rc := newReceiver(t, nil)
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	start := b.clock.Now()

	// Another process stores an event due in a minute and, a minute on,
	// claims its delivery with a 30s lease, then crashes. The emitter
	// cannot claim it first: its clock has not reached the due time.
	ev, err := b.store.CreateEvent(ctx, monitehooks.CreateEventParams{
		Event:           monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "updated", ObjectID: "o-crashed", CreatedAt: start},
		SubscriptionIDs: []string{sub.ID},
		Due:             start.Add(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	const lease = 30 * time.Second
	crashed, err := b.store.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: start.Add(time.Minute), Limit: 10, Lease: lease})
	if err != nil || len(crashed.Claims) != 1 {
		t.Fatalf("ClaimDeliveries = %+v, %v; want one claim", crashed, err)
	}
	claim := crashed.Claims[0]

	b.clock.Advance(time.Minute)
	b.em.Wake()
	other := b.emit(t, monitehooks.Event{ObjectID: "o-other"})
	if info := wait(t, b.done, "another delivery"); info.EventID != other.ID || info.Status != monitehooks.DeliverySucceeded {
		t.Errorf("delivery done = event %s, %s; want event %s succeeded while the crashed claim holds", info.EventID, info.Status, other.ID)
	}
	b.clock.Advance(lease - time.Second)
	b.em.Wake()
	// A second before the lease ends nobody can claim the delivery.
	res, err := b.store.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: b.clock.Now(), Limit: 10, Lease: time.Minute})
	if err != nil || len(res.Claims) != 0 || !res.NextDue.Equal(start.Add(time.Minute+lease)) {
		t.Errorf("ClaimDeliveries during the lease = %+v, %v; want no claim, next due at the lease's end %v", res, err, start.Add(time.Minute+lease))
	}

	b.clock.Advance(time.Second)
	b.em.Wake()
	info := wait(t, b.done, "the crashed worker's delivery")
	if info.DeliveryID != claim.DeliveryID || info.Status != monitehooks.DeliverySucceeded || info.AttemptNumber != 1 {
		t.Errorf("delivery done = %s, %s at attempt %d; want %s succeeded at 1", info.DeliveryID, info.Status, info.AttemptNumber, claim.DeliveryID)
	}

	// The crashed worker's token no longer holds the delivery.
	late := monitehooks.RecordAttemptParams{
		DeliveryID: claim.DeliveryID, LeaseToken: claim.LeaseToken, Status: monitehooks.DeliveryFailed,
		Attempt:   &monitehooks.Attempt{At: b.clock.Now(), ErrorClass: monitehooks.ErrorTimeout, Error: "late"},
		UpdatedAt: b.clock.Now(),
	}
	if err := b.store.RecordAttempt(ctx, late); !errors.Is(err, monitehooks.ErrLeaseLost) {
		t.Errorf("RecordAttempt(stale token) = %v; want ErrLeaseLost", err)
	}
	if err := b.store.ReleaseDelivery(ctx, monitehooks.ReleaseParams{DeliveryID: claim.DeliveryID, LeaseToken: claim.LeaseToken}); !errors.Is(err, monitehooks.ErrLeaseLost) {
		t.Errorf("ReleaseDelivery(stale token) = %v; want ErrLeaseLost", err)
	}

	if err := b.em.Close(); err != nil {
		t.Errorf("Close() = %v; want nil", err)
	}
	assertNoGoroutines(t, b.em)
	seen := tally{}
	seen.drain(t, rc)
	deliveries := checkAccounting(t, b.store, ledger{events: []string{ev.ID, other.ID}, subs: []string{sub.ID}}, seen)
	k := deliveryKey{ev.ID, sub.ID}
	if d := deliveries[k]; d.Status != monitehooks.DeliverySucceeded || len(d.Attempts) != 1 || seen[k] != 1 {
		t.Errorf("the crashed worker's delivery: %s, %d attempts, received %d times; want succeeded, 1, once", d.Status, len(d.Attempts), seen[k])
	}
}
