package monitehooks_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// TestRetryWakesDispatcher: a retry recorded by a worker that goes on to
// other work is attempted when due by an idle worker, although the
// dispatcher was asleep until its poll interval, an hour away. It runs on
// the real clock, with a retry 100 ms after the failure.
func TestRetryWakesDispatcher(t *testing.T) {
	t.Parallel()
	b := setupBreaker(t, &monitehooks.EmitterConfig{
		Now:          time.Now,
		Workers:      3,
		PollInterval: time.Hour,
		RetryPolicy:  &monitehooks.Schedule{Delays: []time.Duration{0, 100 * time.Millisecond}},
	}, false)
	release := make(chan struct{})
	failing := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			<-release
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	// Busy until the emitter is closed, when the test ends, before the
	// receiver is.
	busy := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, _ int) { <-r.Context().Done() })
	t.Cleanup(func() { b.em.Close() })
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: failing.URL})
	busySub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: busy.URL})

	b.emit(t, monitehooks.Event{})
	failing.next(t)
	// Stored behind the emitter's back, so that nothing wakes it: the
	// worker making the first attempt claims it after recording its
	// retry, and stays busy with it.
	ev := monitehooks.Event{PartnerID: "partner-a", ObjectType: "role", Type: "created", ObjectID: "o", CreatedAt: time.Now()}
	if _, err := b.store.CreateEvent(t.Context(), monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: []string{busySub.ID}, Due: time.Now()}); err != nil {
		t.Fatalf("CreateEvent: %v", err)
	}
	close(release)
	first := wait(t, b.attempts, "the first attempt")
	retry := wait(t, b.attempts, "the retry")
	if late := retry.Attempt.At.Sub(first.NextAttemptAt); late > time.Second {
		t.Errorf("retry started %v after it was due; want at most 1s", late)
	}
}
