package monitehooks_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// TestRetention drives the emitter's retention on a clock the test moves:
// a delivered event is kept while its retention has not passed since it
// was delivered, and is gone at the first sweep after, so within the
// retention plus a quarter of it; a delivery still pending, its event and
// the subscriptions are kept however old.
func TestRetention(t *testing.T) {
	t.Parallel()
	const retention = 2 * time.Second
	b := setupEmitter(t, &monitehooks.EmitterConfig{
		Retention: retention, PollInterval: 5 * time.Millisecond,
		RetryPolicy: &monitehooks.Schedule{Delays: []time.Duration{0, time.Hour}},
	})
	sweeps := make(chan time.Time, 1000)
	monitehooks.OnPrune(b.em, func(now time.Time, _ monitehooks.DeleteExpiredResult) { sweeps <- now })
	// waitSweep waits for a sweep at or after at, on the test's clock.
	waitSweep := func(at time.Time) {
		t.Helper()
		for {
			if now := wait(t, sweeps, "a sweep of retention"); !now.Before(at) {
				return
			}
		}
	}
	ok, failing := newReceiver(t, nil), newReceiver(t, status(http.StatusInternalServerError))
	okSub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: ok.URL})
	failingSub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: failing.URL})
	ctx := context.Background()

	delivered := b.emit(t, monitehooks.Event{ObjectType: "entity", Type: "created"})
	if d := wait(t, b.done, "the delivery"); d.Status != monitehooks.DeliverySucceeded {
		t.Fatalf("delivery %s; want succeeded", d.Status)
	}
	pending := b.emit(t, monitehooks.Event{ObjectType: "role", Type: "created"})
	for {
		a := wait(t, b.attempts, "the failing attempt")
		if a.SubscriptionID != failingSub.ID {
			continue
		}
		if a.Status != monitehooks.DeliveryPending {
			t.Fatalf("failing delivery %s after its first attempt; want pending", a.Status)
		}
		break
	}
	finished := b.clock.Now() // the clock has not moved: the delivery finished now

	// Just before the retention has passed, a sweep keeps everything.
	b.clock.Advance(retention - time.Millisecond)
	waitSweep(finished.Add(retention - time.Millisecond))
	if _, err := b.store.GetEvent(ctx, "partner-a", delivered.ID); err != nil {
		t.Fatalf("GetEvent just before the retention passed: %v", err)
	}

	// Within the retention plus a quarter of it, it is gone.
	b.clock.Advance(retention/4 + time.Millisecond)
	waitSweep(finished.Add(retention + retention/4))
	if _, err := b.store.GetEvent(ctx, "partner-a", delivered.ID); !errors.Is(err, monitehooks.ErrEventNotFound) {
		t.Errorf("GetEvent %v after it was delivered = %v; want ErrEventNotFound", retention+retention/4, err)
	}
	page, err := b.store.ListDeliveries(ctx, "partner-a", monitehooks.ListParams{SubscriptionID: okSub.ID})
	if err != nil || len(page.Data) != 0 {
		t.Errorf("ListDeliveries of the delivered subscription = %d, %v; want none", len(page.Data), err)
	}
	if _, err := b.store.GetEvent(ctx, "partner-a", pending.ID); err != nil {
		t.Errorf("GetEvent of the event with a pending delivery: %v; want it kept", err)
	}
	for _, sub := range []string{okSub.ID, failingSub.ID} {
		if _, err := b.reg.Get(ctx, "partner-a", sub); err != nil {
			t.Errorf("subscription %s after retention: %v", sub, err)
		}
	}
	if c, err := b.store.CountDeliveries(ctx); err != nil || c != (monitehooks.DeliveryCounts{Pending: 1}) {
		t.Errorf("CountDeliveries = %+v, %v; want the pending one only", c, err)
	}
}

// TestRetentionKeepAll checks that a negative Retention keeps everything
// and starts no goroutine for it.
func TestRetentionKeepAll(t *testing.T) {
	t.Parallel()
	withRetention := setupEmitter(t, &monitehooks.EmitterConfig{Workers: 2})
	keepAll := setupEmitter(t, &monitehooks.EmitterConfig{Workers: 2, Retention: -1})
	if got, want := monitehooks.EmitterGoroutines(keepAll.em), monitehooks.EmitterGoroutines(withRetention.em)-1; got != want {
		t.Errorf("goroutines with Retention -1 = %d; want %d, one fewer than with the default", got, want)
	}
	rc := newReceiver(t, nil)
	keepAll.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	ev := keepAll.emit(t, monitehooks.Event{})
	wait(t, keepAll.done, "the delivery")
	keepAll.clock.Advance(10 * monitehooks.DefaultRetention)
	keepAll.em.Wake()
	if err := keepAll.em.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := keepAll.store.GetEvent(context.Background(), "partner-a", ev.ID); err != nil {
		t.Errorf("GetEvent with Retention -1, long after: %v; want it kept", err)
	}
}

// TestPruneInterval checks how often retention sweeps: a quarter of the
// retention, at most a minute, at least 100 ms.
func TestPruneInterval(t *testing.T) {
	for _, tc := range []struct{ retention, want time.Duration }{
		{2 * time.Second, 500 * time.Millisecond},
		{monitehooks.DefaultRetention, time.Minute},
		{4 * time.Minute, time.Minute},
		{time.Minute, 15 * time.Second},
		{time.Millisecond, 100 * time.Millisecond},
	} {
		if got := monitehooks.PruneInterval(tc.retention); got != tc.want {
			t.Errorf("pruneInterval(%v) = %v; want %v", tc.retention, got, tc.want)
		}
	}
}
