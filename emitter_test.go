package monitehooks_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
)

// waitTimeout bounds every wait on a channel in these tests: only a
// broken test waits that long, so it is generous enough for the slowest
// machine under load, and for an attempt that waits out mixedTimeout.
const waitTimeout = 30 * time.Second

// mixedTimeout is the attempt timeout of tests in which an attempt to a
// hanging endpoint must time out while others must not: it must be
// generous, since load can slow those others, and the hanging attempts
// then take that long. Tests with only hanging attempts use a short one:
// a timeout cannot fire early.
const mixedTimeout = 10 * time.Second

// request is one request a test receiver got.
type request struct {
	Header http.Header
	Body   []byte
}

// receiver is a local endpoint that records requests and answers with
// the handler's status (200 when nil).
type receiver struct {
	*httptest.Server
	got chan request
	n   atomic.Int64

	mu      sync.Mutex                                          // guards respond
	respond func(w http.ResponseWriter, r *http.Request, n int) // n counts from 1
}

func (rc *receiver) setRespond(f func(w http.ResponseWriter, r *http.Request, n int)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.respond = f
}

func newReceiver(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, n int)) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan request, 1000), respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.got <- request{Header: r.Header.Clone(), Body: body}
		n := int(rc.n.Add(1))
		rc.mu.Lock()
		respond := rc.respond
		rc.mu.Unlock()
		if respond != nil {
			respond(w, r, n)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) next(t *testing.T) request {
	t.Helper()
	select {
	case r := <-rc.got:
		return r
	case <-time.After(waitTimeout):
		t.Fatalf("no request reached %s within %v", rc.URL, waitTimeout)
		return request{}
	}
}

func status(code int) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(code) }
}

// emitterBundle is one emitter under test with everything around it.
type emitterBundle struct {
	*registryBundle
	em       *monitehooks.Emitter
	attempts chan monitehooks.DeliveryInfo
	done     chan monitehooks.DeliveryInfo
	disabled chan string
}

func setupEmitter(t *testing.T, cfg *monitehooks.EmitterConfig) *emitterBundle {
	t.Helper()
	b := &emitterBundle{
		registryBundle: setupRegistry(t, &monitehooks.RegistryConfig{AllowInsecureURLs: true}),
		attempts:       make(chan monitehooks.DeliveryInfo, 1000),
		done:           make(chan monitehooks.DeliveryInfo, 1000),
		disabled:       make(chan string, 100),
	}
	if cfg == nil {
		cfg = &monitehooks.EmitterConfig{}
	}
	cfg.Now = b.clock.Now
	if cfg.RetryPolicy == nil {
		cfg.RetryPolicy = &monitehooks.Schedule{Delays: []time.Duration{0, time.Minute, 5 * time.Minute}}
	}
	if cfg.AllowedNetworks == nil && !cfg.AllowPrivateNetworks {
		cfg.AllowPrivateNetworks = true
	}
	cfg.Observer = &monitehooks.Observer{
		AttemptDone:          func(i monitehooks.DeliveryInfo) { b.attempts <- i },
		DeliveryDone:         func(i monitehooks.DeliveryInfo) { b.done <- i },
		SubscriptionDisabled: func(_, id, reason string) { b.disabled <- id + " " + reason },
	}
	em, err := monitehooks.NewEmitter(b.store, b.reg, cfg)
	if err != nil {
		t.Fatalf("NewEmitter: %v", err)
	}
	t.Cleanup(func() { em.Close() })
	b.em = em
	return b
}

func (b *emitterBundle) emit(t *testing.T, ev monitehooks.Event) monitehooks.Event {
	t.Helper()
	if ev.PartnerID == "" {
		ev.PartnerID = "partner-a"
	}
	if ev.ObjectType == "" {
		ev.ObjectType, ev.Type = "entity", "updated"
	}
	if ev.ObjectID == "" {
		ev.ObjectID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	}
	got, err := b.em.Emit(context.Background(), ev)
	if err != nil {
		t.Fatalf("Emit: %v", err)
	}
	return got
}

func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out after %v waiting for %s", waitTimeout, what)
		var zero T
		return zero
	}
}

func TestEmitDeliversBothFormats(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, nil)
	rc := newReceiver(t, nil)
	settings := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL + "/s", Name: "My webhook", APIFormat: monitehooks.FormatSettings})
	subs := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL + "/n", APIVersion: "2025-01-01"})
	ev := b.emit(t, monitehooks.Event{
		ObjectType: "entity", Type: "created", ObjectID: "obj-1", EntityID: "ent-1",
		Object: []byte(`{"name":"Acme","vat":{"id":"x"}}`),
	})

	bodies := map[string]map[string]any{}
	for range 2 {
		r := rc.next(t)
		var body map[string]any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatalf("body %s: %v", r.Body, err)
		}
		subID := body["webhook_subscription_id"].(string)
		bodies[subID] = body
		secret := map[string]string{settings.ID: settings.CurrentSecret(), subs.ID: subs.CurrentSecret()}[subID]
		err := monitehooks.Verify(r.Header.Get(monitehooks.SignatureHeader), r.Body, monitehooks.VerifyParams{
			Secrets: []string{secret}, Now: b.clock.Now,
		})
		if err != nil {
			t.Errorf("Verify(delivery to %s) = %v; want nil", subID, err)
		}
		wantHeaders := map[string]string{
			"Content-Type": "application/json", "User-Agent": "monitehooks/" + monitehooks.Version,
			monitehooks.WebhookIDHeader: ev.ID,
		}
		for k, v := range wantHeaders {
			if got := r.Header.Get(k); got != v {
				t.Errorf("header %s = %q; want %q", k, got, v)
			}
		}
	}
	created := ev.CreatedAt.UTC().Format(time.RFC3339Nano)
	want := map[string]map[string]any{
		settings.ID: {
			"id": ev.ID, "object_id": "obj-1", "object_type": "entity", "action": "create", "name": "My webhook",
			"entity_id": "ent-1", "webhook_subscription_id": settings.ID, "created_at": created,
		},
		subs.ID: {
			"id": ev.ID, "created_at": created, "action": "entity.created", "api_version": "2025-01-01",
			"description": "entity_created", "entity_id": "ent-1",
			"object":      map[string]any{"id": "obj-1", "name": "Acme", "vat": map[string]any{"id": "x"}},
			"object_type": "entity", "webhook_subscription_id": subs.ID,
		},
	}
	if diff := cmp.Diff(want, bodies); diff != "" {
		t.Errorf("payloads mismatch (-want +got):\n%s", diff)
	}
	for range 2 {
		if info := wait(t, b.done, "delivery done"); info.Status != monitehooks.DeliverySucceeded {
			t.Errorf("delivery %s status = %s; want succeeded", info.DeliveryID, info.Status)
		}
	}
}

func TestEmitUnnamedSettingsPayload(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, nil)
	rc := newReceiver(t, nil)
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: rc.URL, APIFormat: monitehooks.FormatSettings})
	b.emit(t, monitehooks.Event{ObjectType: "role", Type: "deleted", ObjectID: `o"1`})
	var body map[string]any
	if err := json.Unmarshal(rc.next(t).Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["name"] != "role deleted" || body["action"] != "delete" || body["object_id"] != `o"1` {
		t.Errorf("body = %v; want name %q, action %q, object_id %q", body, "role deleted", "delete", `o"1`)
	}
	if _, ok := body["entity_id"]; ok {
		t.Errorf("body has entity_id %v; want it omitted when the event has none", body["entity_id"])
	}
}

func TestSubscriptionsPayloadWithoutEntity(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, nil)
	rc := newReceiver(t, nil)
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: rc.URL})
	b.emit(t, monitehooks.Event{ObjectType: "role", Type: "created", ObjectID: "r-1"})
	body := rc.next(t).Body
	if !strings.Contains(string(body), `"entity_id":null,"object":{"id":"r-1"}`) {
		t.Errorf("body = %s; want entity_id null and object {\"id\":\"r-1\"}", body)
	}
}

func TestEmitValidation(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, nil)
	tests := []struct {
		name string
		ev   monitehooks.Event
		want []string // fields named
	}{
		{"empty", monitehooks.Event{}, []string{"partner_id", "object_type", "object_id"}},
		{"unknown object type", monitehooks.Event{PartnerID: "p", ObjectType: "payable", Type: "created", ObjectID: "o"}, []string{"object_type"}},
		{"unknown event type", monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "deleted", ObjectID: "o"}, []string{"event_type"}},
		{"missing event type", monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o"}, []string{"event_type"}},
		{"object not JSON", monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: "o", Object: []byte(`{"a":`)}, []string{"object"}},
		{"object an array", monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: "o", Object: []byte(`[1]`)}, []string{"object"}},
		{"object not UTF-8", monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: "o", Object: []byte("{\"n\":\"\xff\"}")}, []string{"object"}},
		{"object with another id", monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: "o", Object: []byte(`{"id":"other"}`)}, []string{"object"}},
		{"object with a numeric id", monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: "1", Object: []byte(`{"id":1}`)}, []string{"object"}},
		{"year 10000", monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: "o", CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}, []string{"created_at"}},
		{"year 10000 in UTC", monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: "o", CreatedAt: time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("EST", -5*3600))}, []string{"created_at"}},
		{"year 0 in UTC", monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: "o", CreatedAt: time.Date(1, 1, 1, 1, 0, 0, 0, time.FixedZone("CET+2", 2*3600))}, []string{"created_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := b.em.Emit(context.Background(), tt.ev)
			var verr *monitehooks.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("Emit() error = %v; want *ValidationError", err)
			}
			var got []string
			for _, f := range verr.Fields {
				got = append(got, f.Field)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fields named (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("object with its own id", func(t *testing.T) {
		t.Parallel()
		_, err := b.em.Emit(context.Background(), monitehooks.Event{PartnerID: "q", ObjectType: "entity", Type: "created", ObjectID: "o", Object: []byte(`{"id":"o","a":1}`)})
		if err != nil {
			t.Errorf("Emit(object with id = object_id) = %v; want nil", err)
		}
	})
	page, err := b.store.ListEvents(context.Background(), "p", monitehooks.ListParams{})
	if err != nil || len(page.Data) != 0 {
		t.Errorf("ListEvents after invalid emits = %v, %v; want none stored", page.Data, err)
	}
}

// claimHookStore runs a hook once, the next time the dispatcher's claim
// has read the store (a claim for more than one delivery: workers claim
// one at a time).
type claimHookStore struct {
	monitehooks.Store
	mu   sync.Mutex // guards hook
	hook func()
}

func (s *claimHookStore) ClaimDeliveries(ctx context.Context, p monitehooks.ClaimParams) (monitehooks.ClaimResult, error) {
	res, err := s.Store.ClaimDeliveries(ctx, p)
	s.mu.Lock()
	hook := s.hook
	if p.Limit > 1 {
		s.hook = nil
	}
	s.mu.Unlock()
	if hook != nil && p.Limit > 1 {
		hook()
	}
	return res, err
}

// TestEmitWakesAwakeDispatcher emits just after the dispatcher's claim
// read the store, while it is awake: Emit must still wake it, or the
// delivery waits for the poll interval (an hour here).
func TestEmitWakesAwakeDispatcher(t *testing.T) {
	t.Parallel()
	rb := setupRegistry(t, &monitehooks.RegistryConfig{AllowInsecureURLs: true})
	store := &claimHookStore{Store: rb.store}
	done := make(chan monitehooks.DeliveryInfo, 1)
	em, err := monitehooks.NewEmitter(store, rb.reg, &monitehooks.EmitterConfig{
		PollInterval: time.Hour, Workers: 4, Now: rb.clock.Now, AllowPrivateNetworks: true,
		Observer: &monitehooks.Observer{DeliveryDone: func(i monitehooks.DeliveryInfo) { done <- i }},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { em.Close() })
	rc := newReceiver(t, nil)
	rb.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})

	store.mu.Lock()
	store.hook = func() {
		if _, err := em.Emit(context.Background(), monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "created", ObjectID: "o"}); err != nil {
			t.Error(err)
		}
	}
	store.mu.Unlock()
	em.Wake() // the dispatcher claims, and the hook emits behind its back
	wait(t, done, "the delivery emitted during a claim (a lost wake-up leaves it for the hour-long poll)")
}

func TestRetrySchedule(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, nil) // schedule 0, 1m, 5m
	rc := newReceiver(t, status(http.StatusInternalServerError))
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	start := b.clock.Now()
	b.emit(t, monitehooks.Event{})

	type step struct {
		Attempt int
		At      time.Time
		Status  monitehooks.DeliveryStatus
		Next    time.Time
	}
	var got []step
	for _, advance := range []time.Duration{0, time.Minute, 5 * time.Minute} {
		b.clock.Advance(advance)
		b.em.Wake()
		info := wait(t, b.attempts, "an attempt")
		got = append(got, step{info.AttemptNumber, info.Attempt.At, info.Status, info.NextAttemptAt})
		if info.Attempt.StatusCode != 500 || info.Attempt.ErrorClass != monitehooks.ErrorStatus {
			t.Errorf("attempt %d = %+v; want status 500, class %q", info.AttemptNumber, info.Attempt, monitehooks.ErrorStatus)
		}
	}
	want := []step{
		{1, start, monitehooks.DeliveryPending, start.Add(time.Minute)},
		{2, start.Add(time.Minute), monitehooks.DeliveryPending, start.Add(6 * time.Minute)},
		{3, start.Add(6 * time.Minute), monitehooks.DeliveryFailed, time.Time{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	page, err := b.store.ListDeliveries(context.Background(), "partner-a", monitehooks.ListParams{SubscriptionID: sub.ID})
	if err != nil || len(page.Data) != 1 {
		t.Fatalf("ListDeliveries = %v, %v; want one", page.Data, err)
	}
	if d := page.Data[0]; d.Status != monitehooks.DeliveryFailed || len(d.Attempts) != 3 {
		t.Errorf("delivery = %s with %d attempts; want failed with 3", d.Status, len(d.Attempts))
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 3, 11, 6, 49, 55, 0, time.UTC) // the test clock's start
	tests := []struct {
		name       string
		code       int
		retryAfter string
		wantDelay  time.Duration
	}{
		{"seconds above schedule", 503, "120", 120 * time.Second},
		{"seconds below schedule", 429, "5", time.Minute},
		{"http date", 429, base.Add(10 * time.Minute).Format(http.TimeFormat), 10 * time.Minute},
		{"capped", 503, "86400", 30 * time.Minute},
		{"garbage ignored", 503, "soon", time.Minute},
		{"ignored on 500", 500, "600", time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupEmitter(t, &monitehooks.EmitterConfig{MaxRetryAfter: 30 * time.Minute})
			rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Retry-After", tt.retryAfter)
				w.WriteHeader(tt.code)
			})
			b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
			b.emit(t, monitehooks.Event{})
			info := wait(t, b.attempts, "the first attempt")
			if got := info.NextAttemptAt.Sub(info.Attempt.At); got != tt.wantDelay {
				t.Errorf("next attempt in %v; want %v", got, tt.wantDelay)
			}
		})
	}
}

func TestGoneDisablesSubscription(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, nil)
	rc := newReceiver(t, status(http.StatusGone))
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emit(t, monitehooks.Event{})
	info := wait(t, b.done, "the delivery to fail")
	if info.Status != monitehooks.DeliveryFailed || info.AttemptNumber != 1 {
		t.Errorf("delivery = %s after %d attempts; want failed after 1", info.Status, info.AttemptNumber)
	}
	// Disabled before the failure is told: whoever hears of it finds the
	// subscription disabled.
	if s, _ := b.reg.Get(context.Background(), "partner-a", sub.ID); s.Status != monitehooks.StatusDisabled {
		t.Errorf("when the failed delivery was reported, status = %s; want disabled", s.Status)
	}
	if got := wait(t, b.disabled, "the subscription to be disabled"); got != sub.ID+" gone" {
		t.Errorf("disabled = %q; want %q", got, sub.ID+" gone")
	}
	if s, _ := b.reg.Get(context.Background(), "partner-a", sub.ID); s.Status != monitehooks.StatusDisabled {
		t.Errorf("status = %s; want disabled", s.Status)
	}
	ev := b.emit(t, monitehooks.Event{})
	page, _ := b.store.ListDeliveries(context.Background(), "partner-a", monitehooks.ListParams{EventID: ev.ID})
	if len(page.Data) != 0 {
		t.Errorf("an event after 410 got %d deliveries; want 0", len(page.Data))
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, nil)
	target := newReceiver(t, nil)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	})
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emit(t, monitehooks.Event{})
	info := wait(t, b.attempts, "the attempt")
	if info.Attempt.StatusCode != 307 || info.Attempt.ErrorClass != monitehooks.ErrorStatus || info.Status != monitehooks.DeliveryPending {
		t.Errorf("attempt = %+v, delivery %s; want a failed 307, retried", info.Attempt, info.Status)
	}
	select {
	case r := <-target.got:
		t.Errorf("the redirect was followed: target got %s", r.Body)
	default:
	}
}

func TestTimeoutAndReset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler func(http.ResponseWriter, *http.Request, int)
		timeout time.Duration // short only where it is to fire
		want    monitehooks.ErrorClass
	}{
		{"hang", func(_ http.ResponseWriter, r *http.Request, _ int) { <-r.Context().Done() }, 100 * time.Millisecond, monitehooks.ErrorTimeout},
		{"reset", func(w http.ResponseWriter, _ *http.Request, _ int) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
		}, time.Minute, monitehooks.ErrorConnection},
		{"huge body", func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.WriteHeader(500)
			w.Write([]byte(strings.Repeat("é", 100_000)))
		}, time.Minute, monitehooks.ErrorStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupEmitter(t, &monitehooks.EmitterConfig{AttemptTimeout: tt.timeout})
			rc := newReceiver(t, tt.handler)
			b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
			b.emit(t, monitehooks.Event{})
			info := wait(t, b.attempts, "the attempt")
			if info.Attempt.ErrorClass != tt.want || info.Status != monitehooks.DeliveryPending {
				t.Errorf("attempt class = %q (%s), delivery %s; want %q, pending", info.Attempt.ErrorClass, info.Attempt.Error, info.Status, tt.want)
			}
			if len(info.Attempt.Response) > monitehooks.MaxResponseExcerpt {
				t.Errorf("response excerpt is %d bytes; want at most %d", len(info.Attempt.Response), monitehooks.MaxResponseExcerpt)
			}
		})
	}
}

// TestTimeoutThenNextAttempt checks that after an attempt runs out of
// time, the same worker's next attempt runs under a fresh deadline rather
// than the spent one. It sends through net/http's Transport, whose
// requests the worker's deadline bounds (the own client's each carry a
// deadline of their own).
func TestTimeoutThenNextAttempt(t *testing.T) {
	t.Parallel()
	const timeout = 100 * time.Millisecond
	b := setupEmitter(t, &monitehooks.EmitterConfig{
		Workers: 1, AttemptTimeout: timeout, Transport: &http.Transport{},
		// Under load a plain attempt may run out of time too: it is made
		// again at once.
		RetryPolicy: &monitehooks.Schedule{Delays: make([]time.Duration, 50)},
	})
	hang := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			<-r.Context().Done()
		}
	})
	ok := newReceiver(t, nil)
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: hang.URL})
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: ok.URL})
	b.emit(t, monitehooks.Event{})
	if info := wait(t, b.attempts, "the attempt to the hanging endpoint"); info.Attempt.ErrorClass != monitehooks.ErrorTimeout {
		t.Fatalf("attempt class = %q (%s); want %q", info.Attempt.ErrorClass, info.Attempt.Error, monitehooks.ErrorTimeout)
	}
	for range 3 {
		b.emit(t, monitehooks.Event{ObjectType: "role", Type: "created"})
	}
	// Each on the one worker, after the timeout: the hanging endpoint's
	// second attempt and the three others. A spent deadline would fail
	// them at once, a genuine timeout only once its time is up.
	for succeeded := 0; succeeded < 4; {
		switch a := wait(t, b.attempts, "the next attempt").Attempt; {
		case a.ErrorClass == "":
			succeeded++
		case a.ErrorClass == monitehooks.ErrorTimeout && a.Duration >= timeout:
		default:
			t.Fatalf("next attempt = %+v; want a success, or a timeout after %v, not a spent deadline", a, timeout)
		}
	}
}

// TestTimeoutOverHTTP2 checks that an attempt that runs out of time over
// HTTP/2, whose transport reports context.Canceled rather than the
// context's cause, is still classed a timeout.
func TestTimeoutOverHTTP2(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	b := setupEmitter(t, &monitehooks.EmitterConfig{AttemptTimeout: 100 * time.Millisecond, Transport: srv.Client().Transport})
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: srv.URL})
	b.emit(t, monitehooks.Event{})
	info := wait(t, b.attempts, "the attempt")
	if info.Attempt.ErrorClass != monitehooks.ErrorTimeout || !strings.Contains(info.Attempt.Error, "timed out") {
		t.Errorf("attempt class = %q (%s); want %q", info.Attempt.ErrorClass, info.Attempt.Error, monitehooks.ErrorTimeout)
	}
}

// roundTripFunc is a RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTransportAnswers checks what the emitter makes of a transport's
// answers that an http.Client would have mended: a response without a
// body, with or without a length.
func TestTransportAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		resp       *http.Response
		wantStatus monitehooks.DeliveryStatus
		wantClass  monitehooks.ErrorClass
	}{
		{"no body", &http.Response{StatusCode: 200, Header: http.Header{}}, monitehooks.DeliverySucceeded, ""},
		{"no body but a length", &http.Response{StatusCode: 200, Header: http.Header{}, ContentLength: 5}, monitehooks.DeliveryPending, monitehooks.ErrorConnection},
		{"no response", nil, monitehooks.DeliveryPending, monitehooks.ErrorConnection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			transport := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				r.Body.Close()
				return tt.resp, nil
			})
			b := setupEmitter(t, &monitehooks.EmitterConfig{Transport: transport})
			b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: "https://example.com/"})
			b.emit(t, monitehooks.Event{})
			info := wait(t, b.attempts, "the attempt")
			if info.Status != tt.wantStatus || info.Attempt.ErrorClass != tt.wantClass {
				t.Errorf("attempt = %q (%s), delivery %s; want %q, %s", info.Attempt.ErrorClass, info.Attempt.Error, info.Status, tt.wantClass, tt.wantStatus)
			}
		})
	}
}

// TestUpgradeAnswer checks that an endpoint that answers 101 Switching
// Protocols and then says nothing holds no worker past the attempt's
// timeout: the own client takes the 101 as the answer and closes the
// connection at once, and net/http's Transport, which hands the
// connection over with such an answer, has it closed at the timeout.
func TestUpgradeAnswer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	quit := make(chan struct{})
	closed := make(chan error, 100) // what the endpoint reads after its 101
	t.Cleanup(func() { close(quit); ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
				stop := context.AfterFunc(t.Context(), func() { conn.Close() })
				defer stop()
				_, err = br.ReadByte() // and not a word more, until the client closes
				select {
				case closed <- err:
				case <-quit:
				}
			})
		}
	})
	url := "http://" + ln.Addr().String() + "/hook"
	want101 := func(t *testing.T, a monitehooks.Attempt) {
		t.Helper()
		if a.StatusCode != http.StatusSwitchingProtocols || a.ErrorClass != monitehooks.ErrorStatus {
			t.Errorf("attempt = %d %q (%s); want 101, %q", a.StatusCode, a.ErrorClass, a.Error, monitehooks.ErrorStatus)
		}
	}
	shutdown := func(t *testing.T, em *monitehooks.Emitter) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := em.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown = %v; want nil", err)
		}
	}

	t.Run("own client", func(t *testing.T) {
		// No timeout is needed to end the attempt.
		b := setupEmitter(t, &monitehooks.EmitterConfig{AttemptTimeout: time.Minute})
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: url})
		b.emit(t, monitehooks.Event{})
		want101(t, wait(t, b.attempts, "the attempt").Attempt)
		if err := wait(t, closed, "the client's close"); err != io.EOF {
			t.Errorf("after the 101 the endpoint read %v; want io.EOF, the client's close", err)
		}
		shutdown(t, b.em)
	})

	t.Run("net/http", func(t *testing.T) {
		// The timeout ends the attempt, once the 101 came; under load it
		// may end one before, which is then made again at once.
		const timeout = 100 * time.Millisecond
		b := setupEmitter(t, &monitehooks.EmitterConfig{
			AttemptTimeout: timeout, Transport: &http.Transport{},
			RetryPolicy: &monitehooks.Schedule{Delays: make([]time.Duration, 50)},
		})
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: url})
		b.emit(t, monitehooks.Event{})
		for {
			info := wait(t, b.attempts, "an attempt")
			a := info.Attempt
			if a.StatusCode != 0 {
				want101(t, a)
				if a.Duration < timeout {
					t.Errorf("the attempt took %v; want the timeout, %v, the body being endless", a.Duration, timeout)
				}
				break
			}
			if a.ErrorClass != monitehooks.ErrorTimeout || a.Duration < timeout || info.Status != monitehooks.DeliveryPending {
				t.Fatalf("attempt = %+v, delivery %s; want a 101, or a timeout after %v made again", a, info.Status, timeout)
			}
		}
		shutdown(t, b.em)
	})
}

// TestHTTPSToPlainHTTP checks that an https URL served by a plain HTTP
// server fails as a connection error that says so, as http.Client words it.
func TestHTTPSToPlainHTTP(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	b := setupEmitter(t, nil)
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: strings.Replace(rc.URL, "http://", "https://", 1)})
	b.emit(t, monitehooks.Event{})
	info := wait(t, b.attempts, "the attempt")
	if info.Attempt.ErrorClass != monitehooks.ErrorConnection || !strings.Contains(info.Attempt.Error, "HTTP response to HTTPS client") {
		t.Errorf("attempt class = %q (%s); want %q saying the server answered in plain HTTP", info.Attempt.ErrorClass, info.Attempt.Error, monitehooks.ErrorConnection)
	}
}

// TestAllowedNetworksCopied checks that the SSRF guard keeps its own copy
// of EmitterConfig.AllowedNetworks: the caller may reuse the slice.
func TestAllowedNetworksCopied(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	allowed := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	b := setupEmitter(t, &monitehooks.EmitterConfig{AllowedNetworks: allowed})
	allowed[0] = netip.MustParsePrefix("192.0.2.0/24")
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emit(t, monitehooks.Event{})
	if info := wait(t, b.attempts, "the attempt"); info.Status != monitehooks.DeliverySucceeded {
		t.Errorf("attempt = %q (%s); want a success to the network allowed at NewEmitter", info.Attempt.ErrorClass, info.Attempt.Error)
	}
}

func TestSSRFGuard(t *testing.T) {
	t.Parallel()
	t.Run("blocked by default", func(t *testing.T) {
		t.Parallel()
		rc := newReceiver(t, nil)
		b := setupEmitter(t, &monitehooks.EmitterConfig{AllowedNetworks: []netip.Prefix{}})
		for _, host := range []string{rc.URL, strings.Replace(rc.URL, "127.0.0.1", "localhost", 1)} {
			b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: host})
		}
		b.emit(t, monitehooks.Event{})
		for range 2 {
			info := wait(t, b.attempts, "the attempt")
			if info.Attempt.ErrorClass != monitehooks.ErrorBlocked {
				t.Errorf("attempt to %s class = %q (%s); want %q", info.Attempt.URL, info.Attempt.ErrorClass, info.Attempt.Error, monitehooks.ErrorBlocked)
			}
		}
		select {
		case <-rc.got:
			t.Errorf("a blocked delivery reached the receiver")
		default:
		}
	})
	t.Run("allowed network", func(t *testing.T) {
		t.Parallel()
		rc := newReceiver(t, nil)
		b := setupEmitter(t, &monitehooks.EmitterConfig{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: rc.URL})
		b.emit(t, monitehooks.Event{ObjectType: "role", Type: "created"})
		if info := wait(t, b.done, "the delivery"); info.Status != monitehooks.DeliverySucceeded {
			t.Errorf("delivery = %s (%s); want succeeded", info.Status, info.Attempt.Error)
		}
	})
}

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

func TestRotationSignsWithEveryLiveSecret(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, nil)
	rc := newReceiver(t, nil)
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	old := sub.CurrentSecret()
	rotated, err := b.reg.RegenerateSecret(context.Background(), "partner-a", sub.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	b.emit(t, monitehooks.Event{})
	r := rc.next(t)
	header := r.Header.Get(monitehooks.SignatureHeader)
	if got := strings.Count(header, "v1="); got != 2 {
		t.Errorf("header %q has %d signatures; want 2", header, got)
	}
	for _, secret := range []string{old, rotated.CurrentSecret()} {
		if err := monitehooks.Verify(header, r.Body, monitehooks.VerifyParams{Secrets: []string{secret}, Now: b.clock.Now}); err != nil {
			t.Errorf("Verify with one live secret = %v; want nil", err)
		}
	}
}

// TestAccounting emits to endpoints that fail now and then and checks that
// every event ends delivered or failed with its attempts, none lost.
func TestAccounting(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, &monitehooks.EmitterConfig{
		Workers: 8, PerSubscription: 4,
		RetryPolicy: &monitehooks.Schedule{Delays: []time.Duration{0, 0, 0}},
	})
	// Each flaky endpoint fails the first attempt of every delivery.
	flaky := func() func(http.ResponseWriter, *http.Request, int) {
		var mu sync.Mutex
		seen := map[string]bool{}
		return func(w http.ResponseWriter, r *http.Request, _ int) {
			mu.Lock()
			defer mu.Unlock()
			if id := r.Header.Get(monitehooks.WebhookIDHeader); !seen[id] {
				seen[id] = true
				w.WriteHeader(503)
			}
		}
	}
	const events = 60
	for range 3 {
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: newReceiver(t, flaky()).URL})
	}
	broken := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: newReceiver(t, status(500)).URL})
	for range events {
		b.emit(t, monitehooks.Event{})
	}
	for range events * 4 {
		wait(t, b.done, "every delivery to finish")
	}
	counts, err := b.store.CountDeliveries(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := (monitehooks.DeliveryCounts{Succeeded: events * 3, Failed: events}); counts != want {
		t.Errorf("counts = %+v; want %+v", counts, want)
	}
	page, err := b.store.ListDeliveries(context.Background(), "partner-a", monitehooks.ListParams{SubscriptionID: broken.ID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range page.Data {
		if d.Status != monitehooks.DeliveryFailed || len(d.Attempts) != 3 {
			t.Errorf("delivery to the broken endpoint: %s with %d attempts; want failed with 3", d.Status, len(d.Attempts))
		}
	}
}

func TestNewEmitterConfigErrors(t *testing.T) {
	t.Parallel()
	b := setupRegistry(t, nil)
	tests := []struct {
		name string
		cfg  monitehooks.EmitterConfig
		want string
	}{
		{"negative workers", monitehooks.EmitterConfig{Workers: -1}, "Workers"},
		{"cap above workers", monitehooks.EmitterConfig{Workers: 2, PerSubscription: 3}, "PerSubscription"},
		{"negative timeout", monitehooks.EmitterConfig{AttemptTimeout: -time.Second}, "AttemptTimeout"},
		{"bad prefix", monitehooks.EmitterConfig{AllowedNetworks: []netip.Prefix{{}}}, "AllowedNetworks"},
		{"no attempt", monitehooks.EmitterConfig{RetryPolicy: &monitehooks.Schedule{}}, "RetryPolicy"},
		{"TLS with a transport", monitehooks.EmitterConfig{Transport: &http.Transport{}, TLSConfig: &tls.Config{}}, "TLSConfig"},
		{"proxy with a transport", monitehooks.EmitterConfig{Transport: &http.Transport{}, Proxy: http.ProxyFromEnvironment}, "Proxy"},
	}
	for _, tt := range tests {
		_, err := monitehooks.NewEmitter(b.store, b.reg, &tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: NewEmitter error = %v; want one naming %s", tt.name, err, tt.want)
		}
	}
	if _, err := monitehooks.NewEmitter(nil, b.reg, nil); err == nil {
		t.Errorf("NewEmitter(nil store) = nil error")
	}
	if _, err := monitehooks.NewEmitter(b.store, nil, nil); err == nil {
		t.Errorf("NewEmitter(nil registry) = nil error")
	}
}

// TestEmitAllocs keeps Emit, with memstore, free of allocations of its
// own for a valid event with an object (the goal allows 4). It is
// not parallel: testing.AllocsPerRun refuses to run in a parallel test.
func TestEmitAllocs(t *testing.T) {
	if raceEnabled() {
		t.Skip("the race detector changes allocation counts")
	}
	b := setupEmitter(t, &monitehooks.EmitterConfig{RetryPolicy: &monitehooks.Schedule{Delays: []time.Duration{time.Hour}}})
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: "https://example.com/"})
	ev := monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "updated",
		ObjectID: "3fa85f64-5717-4562-b3fc-2c963f66afa6", Object: []byte(`{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","name":"Acme"}`)}
	ctx := context.Background()
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := b.em.Emit(ctx, ev); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Emit: %v allocations; want 0", allocs)
	}
	if counts, err := b.store.CountDeliveries(ctx); err != nil || counts.Pending < 1000 {
		t.Errorf("pending deliveries = %d, %v; want a delivery per Emit", counts.Pending, err)
	}
}

// TestLongErrorCut checks that an attempt's error keeps the URL whole and
// at most MaxResponseExcerpt bytes of a cause whose text is far longer
// (net/http can quote an endpoint's header line of a megabyte), and is
// still classified by the cause.
func TestLongErrorCut(t *testing.T) {
	t.Parallel()
	url := "https://example.com/" + strings.Repeat("p", 1500)
	transport := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r.Body.Close()
		return nil, longTimeout{}
	})
	b := setupEmitter(t, &monitehooks.EmitterConfig{Transport: transport})
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: url})
	b.emit(t, monitehooks.Event{})
	info := wait(t, b.attempts, "the attempt")
	// 11 + 506·2 = 1023 bytes: the cut falls inside a two-byte "é".
	want := "Post " + strconv.Quote(url) + ": timed out: " + strings.Repeat("é", 506)
	if info.Attempt.Error != want || info.Attempt.ErrorClass != monitehooks.ErrorTimeout {
		t.Errorf("attempt = %q, error of %d bytes; want %q, %d bytes with the URL and the start of the cause",
			info.Attempt.ErrorClass, len(info.Attempt.Error), monitehooks.ErrorTimeout, len(want))
	}
}

// longTimeout is a timeout whose text is 1 MiB long.
type longTimeout struct{}

func (longTimeout) Error() string   { return "timed out: " + strings.Repeat("é", 1<<19) }
func (longTimeout) Timeout() bool   { return true }
func (longTimeout) Temporary() bool { return false }
