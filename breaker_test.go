package monitehooks_test

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// breakerBundle is an emitter under test whose observer also reports its
// circuit breakers, and whose logs are kept.
type breakerBundle struct {
	*emitterBundle
	t0             time.Time   // the test clock's time at the start
	opened, closed chan string // subscription IDs
	logs           *logRecorder
}

// setupBreaker sets up an emitter with cfg over memstore, or, when plain
// is set, over memstore seen as a plainStore, which is no Holder.
func setupBreaker(t *testing.T, cfg *monitehooks.EmitterConfig, plain bool) *breakerBundle {
	t.Helper()
	b := &breakerBundle{
		emitterBundle: &emitterBundle{
			registryBundle: setupRegistry(t, &monitehooks.RegistryConfig{AllowInsecureURLs: true}),
			attempts:       make(chan monitehooks.DeliveryInfo, 1000),
			done:           make(chan monitehooks.DeliveryInfo, 1000),
			disabled:       make(chan string, 100),
		},
		opened: make(chan string, 100),
		closed: make(chan string, 100),
		logs:   &logRecorder{},
	}
	b.t0 = b.clock.Now()
	if cfg.Now == nil {
		cfg.Now = b.clock.Now
	}
	cfg.AllowPrivateNetworks = true
	cfg.Logger = slog.New(b.logs)
	cfg.Observer = &monitehooks.Observer{
		AttemptDone:          func(i monitehooks.DeliveryInfo) { b.attempts <- i },
		DeliveryDone:         func(i monitehooks.DeliveryInfo) { b.done <- i },
		SubscriptionDisabled: func(_, id, reason string) { b.disabled <- id + " " + reason },
		BreakerOpened:        func(_, id string) { b.opened <- id },
		BreakerClosed:        func(_, id string) { b.closed <- id },
	}
	var store monitehooks.Store = b.store
	if plain {
		store = plainStore{store}
	}
	em, err := monitehooks.NewEmitter(store, b.reg, cfg)
	if err != nil {
		t.Fatalf("NewEmitter: %v", err)
	}
	t.Cleanup(func() { em.Close() })
	b.em = em
	return b
}

// storeKinds runs test against memstore, a Holder, and against a store
// that is not.
func storeKinds(t *testing.T, test func(t *testing.T, plain bool)) {
	for _, plain := range []bool{false, true} {
		name := "holder"
		if plain {
			name = "plain"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, plain)
		})
	}
}

// advance moves the test clock to t0 + d and wakes the emitter.
func (b *breakerBundle) advance(d time.Duration) {
	b.clock.Advance(b.t0.Add(d).Sub(b.clock.Now()))
	b.em.Wake()
}

// attemptsAt waits for n attempts and fails the test unless each was made
// at t0 + d.
func (b *breakerBundle) attemptsAt(t *testing.T, n int, d time.Duration) []monitehooks.DeliveryInfo {
	t.Helper()
	infos := make([]monitehooks.DeliveryInfo, n)
	for i := range infos {
		infos[i] = wait(t, b.attempts, "an attempt")
		if at := infos[i].Attempt.At.Sub(b.t0); at != d {
			t.Errorf("attempt %d of delivery %s made at t0+%v; want t0+%v", infos[i].AttemptNumber, infos[i].DeliveryID, at, d)
		}
	}
	return infos
}

// emitN emits n events of partner-a's entities.
func (b *breakerBundle) emitN(t *testing.T, n int) {
	t.Helper()
	for range n {
		b.emit(t, monitehooks.Event{})
	}
}

func TestBreakerHoldsUntilAnswer(t *testing.T) {
	t.Parallel()
	storeKinds(t, testBreakerHoldsUntilAnswer)
}

func testBreakerHoldsUntilAnswer(t *testing.T, plain bool) {
	b := setupBreaker(t, &monitehooks.EmitterConfig{
		BreakerThreshold: 3,
		PerSubscription:  1, // one attempt at a time, before the breaker opens too
		RetryPolicy:      &monitehooks.Schedule{Delays: []time.Duration{0, time.Minute, time.Minute, time.Minute}},
	}, plain)
	rc := newReceiver(t, status(http.StatusServiceUnavailable))
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emitN(t, 5)

	b.attemptsAt(t, 3, 0)
	if got := wait(t, b.opened, "the breaker to open"); got != sub.ID {
		t.Errorf("BreakerOpened(%s); want %s", got, sub.ID)
	}
	warns := b.logs.find(slog.LevelWarn, "monitehooks: endpoint failing; holding the subscription's deliveries")
	if len(warns) != 1 || warns[0]["subscription_id"] != sub.ID || warns[0]["failures"] != "3" {
		t.Errorf("warnings on opening: %v; want one for %s after 3 failures", warns, sub.ID)
	}

	// The endpoint is back, but nothing is tried before the failed
	// deliveries' retry is due, a minute on.
	rc.setRespond(nil)
	b.advance(59 * time.Second)
	b.advance(time.Minute)
	probe := b.attemptsAt(t, 1, time.Minute)[0]
	if probe.Status != monitehooks.DeliverySucceeded {
		t.Errorf("probe: %s; want succeeded", probe.Status)
	}
	if got := wait(t, b.closed, "the breaker to close"); got != sub.ID {
		t.Errorf("BreakerClosed(%s); want %s", got, sub.ID)
	}
	// Then the deliveries held drain, all at once.
	for _, a := range b.attemptsAt(t, 4, time.Minute) {
		if a.Status != monitehooks.DeliverySucceeded {
			t.Errorf("delivery %s after the breaker closed: %s; want succeeded", a.DeliveryID, a.Status)
		}
	}
	if n := rc.n.Load(); n != 8 {
		t.Errorf("the endpoint got %d requests; want 8 (3 failed, the probe, 4 held)", n)
	}
	if infos := b.logs.find(slog.LevelInfo, "monitehooks: endpoint answered; releasing the subscription's deliveries"); len(infos) != 1 {
		t.Errorf("INFO on closing logged %d times; want 1", len(infos))
	}
}

func TestBreakerProbesOnSchedule(t *testing.T) {
	t.Parallel()
	storeKinds(t, testBreakerProbesOnSchedule)
}

func testBreakerProbesOnSchedule(t *testing.T, plain bool) {
	b := setupBreaker(t, &monitehooks.EmitterConfig{
		BreakerThreshold: 2,
		RetryPolicy:      &monitehooks.Schedule{Delays: []time.Duration{0, time.Minute, 2 * time.Minute, 4 * time.Minute}},
	}, plain)
	rc := newReceiver(t, status(http.StatusInternalServerError))
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emitN(t, 4)

	// All four may be in flight at once: those that end after the
	// breaker opened are counted too.
	b.attemptsAt(t, 4, 0)
	wait(t, b.opened, "the breaker to open")

	// At the retries' time, one probe, to a delivery due then: it fails,
	// and the next probe waits for its retry, two minutes on.
	b.advance(time.Minute)
	if p := b.attemptsAt(t, 1, time.Minute)[0]; p.AttemptNumber != 2 || !p.NextAttemptAt.Equal(b.t0.Add(3*time.Minute)) {
		t.Errorf("probe: attempt %d, next at %v; want attempt 2, next at t0+3m", p.AttemptNumber, p.NextAttemptAt)
	}
	b.advance(2 * time.Minute)

	// A 404 is an answer: the endpoint is up. The breaker closes, and the
	// deliveries held are tried; their 404s do not open it again.
	rc.setRespond(status(http.StatusNotFound))
	b.advance(3 * time.Minute)
	b.attemptsAt(t, 1, 3*time.Minute)
	if got := wait(t, b.closed, "the breaker to close"); got != sub.ID {
		t.Errorf("BreakerClosed(%s); want %s", got, sub.ID)
	}
	b.attemptsAt(t, 3, 3*time.Minute)
	if n := rc.n.Load(); n != 9 {
		t.Errorf("the endpoint got %d requests; want 9 (4 failed, 2 probes, 3 held)", n)
	}
	select {
	case id := <-b.opened:
		t.Errorf("BreakerOpened(%s) after 404 answers; want none", id)
	default:
	}
}

func TestBreakerReleasesDeletedSubscription(t *testing.T) {
	t.Parallel()
	storeKinds(t, testBreakerReleasesDeletedSubscription)
}

func testBreakerReleasesDeletedSubscription(t *testing.T, plain bool) {
	b := setupBreaker(t, &monitehooks.EmitterConfig{
		BreakerThreshold: 1,
		PerSubscription:  1,
		RetryPolicy:      &monitehooks.Schedule{Delays: []time.Duration{0, time.Minute}},
	}, plain)
	rc := newReceiver(t, status(http.StatusBadGateway))
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emitN(t, 3)
	b.attemptsAt(t, 1, 0)
	wait(t, b.opened, "the breaker to open")

	if err := b.reg.Delete(context.Background(), "partner-a", sub.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	// The probe finds the subscription gone: the breaker lets go, and the
	// deliveries held fail without a request.
	b.advance(time.Minute)
	b.attemptsAt(t, 3, time.Minute)
	wait(t, b.closed, "the breaker to close")
	if n := rc.n.Load(); n != 1 {
		t.Errorf("the endpoint got %d requests; want 1", n)
	}
}

func TestBreakerOff(t *testing.T) {
	t.Parallel()
	b := setupBreaker(t, &monitehooks.EmitterConfig{
		BreakerThreshold: -1,
		PerSubscription:  1,
		RetryPolicy:      &monitehooks.Schedule{Delays: []time.Duration{0}},
	}, false)
	rc := newReceiver(t, status(http.StatusServiceUnavailable))
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emitN(t, 2*monitehooks.DefaultBreakerThreshold)
	b.attemptsAt(t, 2*monitehooks.DefaultBreakerThreshold, 0)
	select {
	case id := <-b.opened:
		t.Errorf("BreakerOpened(%s) with the breaker off", id)
	default:
	}
}

func TestBreakerVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a    monitehooks.Attempt
		want string
	}{
		{"2xx", monitehooks.Attempt{StatusCode: 204}, "alive"},
		{"3xx", monitehooks.Attempt{StatusCode: 302, ErrorClass: monitehooks.ErrorStatus}, "alive"},
		{"404", monitehooks.Attempt{StatusCode: 404, ErrorClass: monitehooks.ErrorStatus}, "alive"},
		{"429", monitehooks.Attempt{StatusCode: 429, ErrorClass: monitehooks.ErrorStatus}, "alive"},
		{"410", monitehooks.Attempt{StatusCode: 410, ErrorClass: monitehooks.ErrorStatus}, "forget"},
		{"500", monitehooks.Attempt{StatusCode: 500, ErrorClass: monitehooks.ErrorStatus}, "failed"},
		{"503", monitehooks.Attempt{StatusCode: 503, ErrorClass: monitehooks.ErrorStatus}, "failed"},
		{"timeout", monitehooks.Attempt{ErrorClass: monitehooks.ErrorTimeout}, "failed"},
		{"connection", monitehooks.Attempt{ErrorClass: monitehooks.ErrorConnection}, "failed"},
		{"dns", monitehooks.Attempt{ErrorClass: monitehooks.ErrorDNS}, "failed"},
		{"tls", monitehooks.Attempt{ErrorClass: monitehooks.ErrorTLS}, "failed"},
		{"blocked", monitehooks.Attempt{ErrorClass: monitehooks.ErrorBlocked}, "failed"},
		{"canceled", monitehooks.Attempt{ErrorClass: monitehooks.ErrorCanceled}, "none"},
		{"subscription gone", monitehooks.Attempt{ErrorClass: monitehooks.ErrorSubscriptionGone}, "forget"},
	}
	for _, tt := range tests {
		if got := monitehooks.BreakerVerdict(tt.a); got != tt.want {
			t.Errorf("%s: verdict %s; want %s", tt.name, got, tt.want)
		}
	}
}

func TestBreakerHoldReleasedOnClose(t *testing.T) {
	t.Parallel()
	b := setupBreaker(t, &monitehooks.EmitterConfig{
		BreakerThreshold: 1,
		PerSubscription:  1,
		RetryPolicy:      &monitehooks.Schedule{Delays: []time.Duration{0, time.Hour}},
	}, false)
	rc := newReceiver(t, status(http.StatusServiceUnavailable))
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emitN(t, 3)
	b.attemptsAt(t, 1, 0)
	wait(t, b.opened, "the breaker to open")
	b.em.Close()

	// The breaker ended with the emitter: the next one over the store
	// finds the deliveries it held due.
	res, err := b.store.ClaimDeliveries(t.Context(), monitehooks.ClaimParams{Now: b.clock.Now(), Limit: 10, Lease: time.Minute})
	if err != nil || len(res.Claims) != 2 {
		t.Errorf("claim after Close = %d claims, %v; want the 2 deliveries held", len(res.Claims), err)
	}
}

// TestFailingShareOfWorkers: endpoints that failed their last attempt
// hold at most half the workers, however many they are; the others are
// left to the endpoints that answer.
func TestFailingShareOfWorkers(t *testing.T) {
	t.Parallel()
	b := setupBreaker(t, &monitehooks.EmitterConfig{
		Workers:          4,
		PerSubscription:  1,
		BreakerThreshold: 100, // failing, never held
		RetryPolicy:      &monitehooks.Schedule{Delays: []time.Duration{0, time.Hour}},
	}, false)
	var hanging, most atomic.Int64
	hangs := make(chan struct{}, 4)
	for range 4 {
		// Each fails its first request at once, then hangs until the
		// emitter is closed.
		rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			now := hanging.Add(1)
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
			hangs <- struct{}{}
			<-r.Context().Done()
		})
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: rc.URL})
	}
	healthy := newReceiver(t, nil)
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: healthy.URL})
	t.Cleanup(func() { b.em.Close() }) // before the receivers close

	for range 2 {
		b.emit(t, monitehooks.Event{ObjectType: "role", Type: "created"})
	}
	for range 2 {
		wait(t, hangs, "a second attempt to a failing endpoint")
	}
	// With every worker hanging the healthy endpoint would get nothing.
	b.emit(t, monitehooks.Event{})
	healthy.next(t)
	if n := most.Load(); n > 2 {
		t.Errorf("%d attempts to failing endpoints ran at once; want at most 2, half the workers", n)
	}
}

// TestFailingShareCountsItsOwn: an attempt started before its
// subscription failed holds no place in the failing budget, and its end
// gives back none: the place of an attempt started after the failure,
// still running, stays taken.
func TestFailingShareCountsItsOwn(t *testing.T) {
	t.Parallel()
	b := setupBreaker(t, &monitehooks.EmitterConfig{
		Workers:          2, // a failing budget of 1
		PerSubscription:  2,
		BreakerThreshold: 100, // failing, never held
		RetryPolicy:      &monitehooks.Schedule{Delays: []time.Duration{0, time.Hour}},
	}, false)
	release := make(chan struct{})
	hanging := make(chan int, 10)
	failing := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case n == 1: // started with the second, before any failure
			<-release
		case n > 2: // started after the second failed
			hanging <- n
			<-r.Context().Done()
		}
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: failing.URL})
	healthy := newReceiver(t, nil)
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: healthy.URL})
	t.Cleanup(func() { b.em.Close() }) // before the receivers close

	for range 4 {
		b.emit(t, monitehooks.Event{ObjectType: "role", Type: "created"})
	}
	// The second request fails; its worker goes on to the third, under
	// the budget, which hangs.
	if n := wait(t, hanging, "an attempt under the failing budget"); n != 3 {
		t.Fatalf("request %d hangs; want the third", n)
	}
	b.emit(t, monitehooks.Event{})
	// The first request's end leaves its worker free: the fourth
	// delivery to the failing endpoint must wait for the third's place,
	// and the worker takes the healthy delivery.
	close(release)
	healthy.next(t)
	if n := monitehooks.FailingAttempts(b.em); n != 1 {
		t.Errorf("%d attempts counted in the failing budget; want 1, the third", n)
	}
}
