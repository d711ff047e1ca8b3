package monitehooks_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// laneBundle is an emitter with two failing endpoints, one lane place
// held at most hold, and a healthy endpoint. The failing endpoints answer
// their first request at once and the later ones once release is closed,
// or, if hang, once the emitter closes; started hears of every later one.
type laneBundle struct {
	*breakerBundle
	healthy *receiver
	release chan struct{}
	started chan struct{}
}

func setupLane(t *testing.T, hold time.Duration, hang bool) *laneBundle {
	t.Helper()
	b := &laneBundle{
		breakerBundle: setupBreaker(t, &monitehooks.EmitterConfig{
			Workers:          8,
			PerSubscription:  1,
			BreakerThreshold: 100, // failing, never held
			PollInterval:     time.Hour,
			RetryPolicy:      &monitehooks.Schedule{Delays: []time.Duration{0, time.Hour}},
		}, false),
		release: make(chan struct{}),
		started: make(chan struct{}, 10),
	}
	monitehooks.SetLane(b.em, 1, hold)
	if !hang {
		// Endpoints that answer at once: a failure that load makes take
		// longer than laneHold must not count as slow.
		monitehooks.SetLaneSlow(b.em, time.Hour)
	}
	for range 2 {
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n > 1 {
				b.started <- struct{}{}
				if hang {
					<-r.Context().Done()
				} else {
					<-b.release
				}
			}
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: rc.URL})
	}
	b.healthy = newReceiver(t, nil)
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: b.healthy.URL})
	t.Cleanup(func() { b.em.Close() }) // before the receivers close

	// Both endpoints fail their first request: their next attempts are
	// attempts to failing subscriptions.
	b.emit(t, monitehooks.Event{ObjectType: "role", Type: "created"})
	for range 2 {
		if a := wait(t, b.attempts, "a first attempt"); a.Status != monitehooks.DeliveryPending {
			t.Fatalf("first attempt: %s; want pending", a.Status)
		}
	}
	b.emit(t, monitehooks.Event{ObjectType: "role", Type: "created"})
	return b
}

// TestLaneAdmitsOneAtATime: attempts to endpoints whose last attempt
// failed wait for a place in the lane, and a healthy endpoint's
// deliveries do not.
func TestLaneAdmitsOneAtATime(t *testing.T) {
	t.Parallel()
	b := setupLane(t, time.Hour, false)
	wait(t, b.started, "an attempt to a failing endpoint")
	// The claim that admitted it found the other one due, as did the
	// claim of the healthy delivery.
	b.emit(t, monitehooks.Event{})
	b.healthy.next(t)
	if n := monitehooks.FailingAttempts(b.em); n != 1 {
		t.Errorf("%d attempts to failing endpoints admitted at once; want 1, the lane's one place", n)
	}
	select {
	case <-b.started:
		t.Error("a second attempt to a failing endpoint started while the first held the lane")
	default:
	}
	// The first one's end gives its place to the other.
	close(b.release)
	wait(t, b.started, "the other attempt to a failing endpoint")
	for range 3 { // the two failing ones and the healthy one
		wait(t, b.attempts, "an attempt to end")
	}
	// A worker gives its place back after the observer hears of its
	// attempt: once the workers have stopped, every place is back.
	b.em.Close()
	if n := monitehooks.FailingAttempts(b.em); n != 0 {
		t.Errorf("%d attempts to failing endpoints still counted after they ended; want 0", n)
	}
}

// TestLaneHoldEnds: an attempt that waits on the network keeps its place
// in the lane for the hold only, so that a hanging endpoint does not keep
// the others' attempts from starting. The emitter's poll is an hour: the
// claim that found the lane full wakes it when the place frees up.
func TestLaneHoldEnds(t *testing.T) {
	t.Parallel()
	b := setupLane(t, 20*time.Millisecond, true)
	wait(t, b.started, "an attempt to a failing endpoint")
	wait(t, b.started, "the other attempt, once the first has held the lane for 20ms")
	if n := monitehooks.FailingAttempts(b.em); n != 2 {
		t.Errorf("%d attempts to failing endpoints counted; want 2, both hanging", n)
	}
}

// TestLaneSkipsSlowFailures: an endpoint whose last failure took longer
// than laneHold (10 ms) makes its attempts wait on the network, not on
// the CPU: they take no place in the lane, whose one place here would
// otherwise be held for an hour.
func TestLaneSkipsSlowFailures(t *testing.T) {
	t.Parallel()
	b := setupBreaker(t, &monitehooks.EmitterConfig{
		Workers:          8,
		PerSubscription:  1,
		BreakerThreshold: 100, // failing, never held
		PollInterval:     time.Hour,
		RetryPolicy:      &monitehooks.Schedule{Delays: []time.Duration{0, time.Hour}},
	}, false)
	monitehooks.SetLane(b.em, 1, time.Hour)
	started := make(chan struct{}, 10)
	for range 2 {
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				<-time.After(50 * time.Millisecond) // a slow failure; load only makes it slower
			} else {
				started <- struct{}{}
				<-r.Context().Done()
			}
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: rc.URL})
	}
	t.Cleanup(func() { b.em.Close() }) // before the receivers close
	b.emit(t, monitehooks.Event{ObjectType: "role", Type: "created"})
	for range 2 {
		wait(t, b.attempts, "a slow first failure")
	}
	b.emit(t, monitehooks.Event{ObjectType: "role", Type: "created"})
	wait(t, started, "an attempt to a slowly failing endpoint")
	wait(t, started, "the other one, at once: no place in the lane to wait for")
	if n := monitehooks.FailingAttempts(b.em); n != 2 {
		t.Errorf("%d attempts counted in the failing budget; want 2", n)
	}
}
