package monitehooks_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
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
