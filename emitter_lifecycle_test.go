package monitehooks_test

// The emitter over time: auto-disable, a slow endpoint beside others,
// shutdown, replay, and deliveries whose subscription went away.

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

func TestAutoDisable(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, &monitehooks.EmitterConfig{
		DisableAfter: time.Hour,
		RetryPolicy:  &monitehooks.Schedule{Delays: []time.Duration{0}},
	})
	rc := newReceiver(t, status(500))
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emit(t, monitehooks.Event{})
	wait(t, b.done, "the first delivery")
	if s, _ := b.reg.Get(context.Background(), "partner-a", sub.ID); !s.FailingSince.Equal(b.clock.Now()) {
		t.Errorf("FailingSince = %v; want %v", s.FailingSince, b.clock.Now())
	}
	b.clock.Advance(59 * time.Minute)
	b.emit(t, monitehooks.Event{})
	wait(t, b.done, "the second delivery")
	if s, _ := b.reg.Get(context.Background(), "partner-a", sub.ID); s.Status != monitehooks.StatusEnabled {
		t.Fatalf("disabled after 59m of failures; want DisableAfter 1h")
	}
	b.clock.Advance(time.Minute)
	b.emit(t, monitehooks.Event{})
	wait(t, b.done, "the third delivery")
	if got := wait(t, b.disabled, "auto-disable"); got != sub.ID+" failing" {
		t.Errorf("disabled = %q; want %q", got, sub.ID+" failing")
	}

	// Enabling clears the failure record; a success keeps it clear.
	rc.setRespond(nil)
	if _, err := b.reg.Enable(context.Background(), "partner-a", sub.ID); err != nil {
		t.Fatal(err)
	}
	b.emit(t, monitehooks.Event{})
	wait(t, b.done, "a delivery after enabling")
	if s, _ := b.reg.Get(context.Background(), "partner-a", sub.ID); !s.FailingSince.IsZero() || s.Status != monitehooks.StatusEnabled {
		t.Errorf("after a success: status %s, FailingSince %v; want enabled, zero", s.Status, s.FailingSince)
	}
}

func TestSlowEndpointDoesNotStarveOthers(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, &monitehooks.EmitterConfig{Workers: 4, PerSubscription: 2})
	release := make(chan struct{})
	slow := newReceiver(t, func(http.ResponseWriter, *http.Request, int) { <-release })
	fast := newReceiver(t, nil)
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: slow.URL})
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: fast.URL})
	for range 10 {
		b.emit(t, monitehooks.Event{})
	}
	slow.next(t)
	slow.next(t) // both of the slow endpoint's slots are taken
	for range 20 {
		b.emit(t, monitehooks.Event{ObjectType: "role", Type: "created"})
	}
	for i := range 20 {
		if info := wait(t, b.done, "a fast delivery"); info.Status != monitehooks.DeliverySucceeded {
			t.Fatalf("fast delivery %d = %s; want succeeded", i, info.Status)
		}
	}
	select {
	case <-slow.got:
		t.Errorf("the slow endpoint got a third concurrent request; want at most PerSubscription = 2")
	default:
	}
	close(release)
	for range 10 {
		wait(t, b.done, "a slow delivery")
	}
}

func TestShutdown(t *testing.T) {
	t.Parallel()
	t.Run("finishes attempts in flight", func(t *testing.T) {
		t.Parallel()
		b := setupEmitter(t, nil)
		release := make(chan struct{})
		rc := newReceiver(t, func(http.ResponseWriter, *http.Request, int) { <-release })
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
		b.emit(t, monitehooks.Event{})
		rc.next(t)
		errc := make(chan error, 1)
		go func() { errc <- b.em.Shutdown(context.Background()) }()
		// Intake stops at once, while the attempt is still in flight.
		for {
			_, err := b.em.Emit(context.Background(), monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "created", ObjectID: "o"})
			if errors.Is(err, monitehooks.ErrEmitterClosed) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			runtime.Gosched()
		}
		close(release)
		if err := wait(t, errc, "Shutdown"); err != nil {
			t.Errorf("Shutdown() = %v; want nil", err)
		}
		if info := wait(t, b.done, "the in-flight delivery"); info.Status != monitehooks.DeliverySucceeded {
			t.Errorf("in-flight delivery = %s; want succeeded", info.Status)
		}
		assertNoGoroutines(t, b.em)
	})
	t.Run("deadline cancels and keeps pending", func(t *testing.T) {
		t.Parallel()
		b := setupEmitter(t, nil)
		rc := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, _ int) { <-r.Context().Done() })
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
		b.emit(t, monitehooks.Event{})
		rc.next(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := b.em.Shutdown(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("Shutdown(canceled) = %v; want context.Canceled", err)
		}
		counts, _ := b.store.CountDeliveries(context.Background())
		if counts != (monitehooks.DeliveryCounts{Pending: 1}) {
			t.Errorf("counts = %+v; want the canceled delivery pending", counts)
		}
		page, _ := b.store.ListDeliveries(context.Background(), "partner-a", monitehooks.ListParams{})
		if len(page.Data) != 1 || len(page.Data[0].Attempts) != 1 || page.Data[0].Attempts[0].ErrorClass != monitehooks.ErrorCanceled {
			t.Errorf("deliveries = %+v; want one with its canceled attempt recorded", page.Data)
		}
		// Due at once, not leased: a new emitter on the store delivers it.
		rc.setRespond(nil)
		em2, err := monitehooks.NewEmitter(b.store, b.reg, &monitehooks.EmitterConfig{Now: b.clock.Now, AllowPrivateNetworks: true})
		if err != nil {
			t.Fatal(err)
		}
		rc.next(t)
		if err := em2.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		assertNoGoroutines(t, b.em)
		assertNoGoroutines(t, em2)
		counts, _ = b.store.CountDeliveries(context.Background())
		if counts != (monitehooks.DeliveryCounts{Succeeded: 1}) {
			t.Errorf("counts = %+v; want the delivery succeeded by the second emitter", counts)
		}
	})
	t.Run("close is idempotent", func(t *testing.T) {
		t.Parallel()
		b := setupEmitter(t, nil)
		for range 3 {
			if err := b.em.Close(); err != nil {
				t.Errorf("Close() = %v; want nil", err)
			}
		}
		if err := b.em.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown after Close = %v; want nil", err)
		}
		assertNoGoroutines(t, b.em)
		if _, err := b.em.Emit(context.Background(), monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: "o"}); !errors.Is(err, monitehooks.ErrEmitterClosed) {
			t.Errorf("Emit after Close = %v; want ErrEmitterClosed", err)
		}
	})
}

// assertNoGoroutines fails if any goroutine of the stopped emitter is
// still running.
func assertNoGoroutines(t *testing.T, em *monitehooks.Emitter) {
	t.Helper()
	if n := monitehooks.EmitterGoroutines(em); n != 0 {
		t.Errorf("%d goroutines of the stopped emitter still run; want 0", n)
	}
}

func TestReplay(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, &monitehooks.EmitterConfig{RetryPolicy: &monitehooks.Schedule{Delays: []time.Duration{0}}})
	rc := newReceiver(t, status(500))
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emit(t, monitehooks.Event{})
	b.emit(t, monitehooks.Event{})
	first := wait(t, b.done, "delivery 1")
	wait(t, b.done, "delivery 2")

	rc.setRespond(nil)
	n, err := b.em.RecoverFailed(context.Background(), "partner-a", sub.ID, b.clock.Now().Add(-time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("RecoverFailed = %d, %v; want 2", n, err)
	}
	for range 2 {
		if info := wait(t, b.done, "a recovered delivery"); info.Status != monitehooks.DeliverySucceeded || info.AttemptNumber != 2 {
			t.Errorf("recovered delivery = %s at attempt %d; want succeeded at 2", info.Status, info.AttemptNumber)
		}
	}

	d, err := b.em.Redeliver(context.Background(), "partner-a", first.DeliveryID)
	if err != nil || d.Status != monitehooks.DeliveryPending {
		t.Fatalf("Redeliver = %+v, %v; want pending", d, err)
	}
	if info := wait(t, b.done, "the redelivery"); info.DeliveryID != first.DeliveryID || info.AttemptNumber != 3 {
		t.Errorf("redelivery = %s attempt %d; want %s attempt 3", info.DeliveryID, info.AttemptNumber, first.DeliveryID)
	}
	if _, err := b.em.Redeliver(context.Background(), "partner-b", first.DeliveryID); !errors.Is(err, monitehooks.ErrDeliveryNotFound) {
		t.Errorf("Redeliver(another partner) = %v; want ErrDeliveryNotFound", err)
	}
	if _, err := b.em.RecoverFailed(context.Background(), "partner-b", sub.ID, time.Time{}); !errors.Is(err, monitehooks.ErrSubscriptionNotFound) {
		t.Errorf("RecoverFailed(another partner) = %v; want ErrSubscriptionNotFound", err)
	}
}

func TestDeletedSubscriptionFailsPending(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, &monitehooks.EmitterConfig{RetryPolicy: &monitehooks.Schedule{Delays: []time.Duration{0, time.Hour}}})
	rc := newReceiver(t, status(500))
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emit(t, monitehooks.Event{})
	wait(t, b.attempts, "the first attempt")
	if err := b.reg.Delete(context.Background(), "partner-a", sub.ID); err != nil {
		t.Fatal(err)
	}
	b.clock.Advance(time.Hour)
	b.em.Wake()
	info := wait(t, b.done, "the delivery to fail")
	if info.Status != monitehooks.DeliveryFailed || info.Attempt.ErrorClass != monitehooks.ErrorSubscriptionGone {
		t.Errorf("delivery = %s, class %q; want failed, %q", info.Status, info.Attempt.ErrorClass, monitehooks.ErrorSubscriptionGone)
	}
}
