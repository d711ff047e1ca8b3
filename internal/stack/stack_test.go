package stack_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
	"github.com/monitehooks/monitehooks/internal/stack"
	"github.com/monitehooks/monitehooks/memstore"
)

const (
	token   = "test-token"
	partner = "partner-1"
)

// testBundle is a stack and what its observer hears.
type testBundle struct {
	st *stack.Stack
	// done receives every delivery that succeeds or fails for good.
	done chan monitehooks.DeliveryInfo
}

// setup starts a stack with token for partner, one attempt per delivery
// and an observer feeding done; edit may change the config before New.
func setup(t *testing.T, edit func(*stack.Config)) *testBundle {
	t.Helper()
	auth, err := httpapi.StaticTokens(map[string]string{token: partner})
	if err != nil {
		t.Fatalf("StaticTokens: %v", err)
	}
	b := &testBundle{done: make(chan monitehooks.DeliveryInfo, 10)}
	cfg := &stack.Config{
		Authenticator:  auth,
		RetryPolicy:    &monitehooks.Schedule{Delays: []time.Duration{0}},
		AttemptTimeout: 5 * time.Second,
		Observer: &monitehooks.Observer{DeliveryDone: func(d monitehooks.DeliveryInfo) {
			select {
			case b.done <- d:
			default:
			}
		}},
	}
	if edit != nil {
		edit(cfg)
	}
	st, err := stack.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { st.Emitter.Close() })
	b.st = st
	return b
}

// do serves a request through h with the token, unless tok is "".
func do(t *testing.T, h http.Handler, tok, method, target, body string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// wait returns the next delivery done, or fails the test after 10s.
func (b *testBundle) wait(t *testing.T) monitehooks.DeliveryInfo {
	t.Helper()
	select {
	case d := <-b.done:
		return d
	case <-time.After(10 * time.Second):
		t.Fatal("no delivery done after 10s")
		return monitehooks.DeliveryInfo{}
	}
}

func TestNewNeedsAuthenticator(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		cfg  *stack.Config
	}{
		{"nil", nil},
		{"zero", &stack.Config{}},
	} {
		st, err := stack.New(context.Background(), tt.cfg)
		if err == nil || !strings.Contains(err.Error(), "Authenticator") {
			t.Errorf("%s: New = %v, %v; want an error naming Authenticator", tt.name, st, err)
		}
	}
}

// TestHandlerRoutes checks where Handler and API serve what: the API
// under /v1 only, a JSON 404 elsewhere, and ServeMux's redirect of /v1.
func TestHandlerRoutes(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	const notFound = `{"error":{"message":"not found; the API is served under /v1/"}}` + "\n"
	tests := []struct {
		name     string
		h        http.Handler
		tok      string
		target   string
		wantCode int
		wantBody string // checked when not ""
		wantLoc  string // checked when not ""
	}{
		{"openapi", b.st.Handler, "", "/v1/openapi.json", 200, "", ""},
		{"list", b.st.Handler, token, "/v1/webhook_subscriptions", 200, "", ""},
		{"list without token", b.st.Handler, "", "/v1/webhook_subscriptions", 401, "", ""},
		{"root", b.st.Handler, "", "/", 404, notFound, ""},
		{"API path at root", b.st.Handler, token, "/webhook_subscriptions", 404, notFound, ""},
		{"prefix without slash", b.st.Handler, "", "/v1", http.StatusTemporaryRedirect, "", "/v1/"}, // ServeMux's redirect
		{"bare API", b.st.API, "", "/openapi.json", 200, "", ""},
		{"bare API under prefix", b.st.API, "", "/v1/openapi.json", 404, "", ""},
	}
	for _, tt := range tests {
		w := do(t, tt.h, tt.tok, "GET", tt.target, "")
		if w.Code != tt.wantCode {
			t.Errorf("%s: GET %s: Code = %d; want %d\n%s", tt.name, tt.target, w.Code, tt.wantCode, w.Body)
		}
		if tt.wantBody != "" {
			if diff := cmp.Diff(tt.wantBody, w.Body.String()); diff != "" {
				t.Errorf("%s: GET %s: body (-want +got):\n%s", tt.name, tt.target, diff)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s: GET %s: Content-Type = %q; want application/json", tt.name, tt.target, ct)
			}
		}
		if got := w.Header().Get("Location"); tt.wantLoc != "" && got != tt.wantLoc {
			t.Errorf("%s: GET %s: Location = %q; want %q", tt.name, tt.target, got, tt.wantLoc)
		}
	}
}

// TestDelivers follows an event from POST /v1/events to a receiver on
// loopback over http, as the CLI and the harness allow, on the clock,
// store and observer the config names.
func TestDelivers(t *testing.T) {
	t.Parallel()
	got := make(chan string, 1)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		select {
		case got <- string(b):
		default:
		}
	}))
	t.Cleanup(rcv.Close)
	store := memstore.New()
	now := time.Date(2026, 3, 11, 6, 49, 55, 0, time.UTC)
	b := setup(t, func(c *stack.Config) {
		c.Store = store
		c.Now = func() time.Time { return now }
		c.AllowInsecureURLs = true
		c.AllowPrivateNetworks = true
	})
	if b.st.Store != monitehooks.Store(store) {
		t.Errorf("Store = %v; want the config's", b.st.Store)
	}

	w := do(t, b.st.Handler, token, "POST", "/v1/webhook_subscriptions",
		`{"object_type":"entity","url":"`+rcv.URL+`/hook"}`)
	if w.Code != 201 {
		t.Fatalf("POST /v1/webhook_subscriptions: Code = %d; want 201\n%s", w.Code, w.Body)
	}
	w = do(t, b.st.Handler, token, "POST", "/v1/events",
		`{"object_type":"entity","event_type":"created","object_id":"o-1"}`)
	if w.Code != 201 {
		t.Fatalf("POST /v1/events: Code = %d; want 201\n%s", w.Code, w.Body)
	}
	var ev struct {
		CreatedAt string `json:"created_at"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &ev); err != nil {
		t.Fatalf("POST /v1/events: %v\n%s", err, w.Body)
	}
	if at, err := time.Parse(time.RFC3339Nano, ev.CreatedAt); err != nil || !at.Equal(now) {
		t.Errorf("created_at = %q; want the config's clock, %v", ev.CreatedAt, now)
	}

	if d := b.wait(t); d.Status != monitehooks.DeliverySucceeded || d.PartnerID != partner {
		t.Errorf("delivery done = %+v; want succeeded for %s", d, partner)
	}
	if body := <-got; !strings.Contains(body, `"o-1"`) {
		t.Errorf("receiver got %s; want the event's object ID", body)
	}
	counts, err := store.CountDeliveries(context.Background())
	if err != nil || counts.Succeeded != 1 {
		t.Errorf("config's store counts %+v, %v; want 1 succeeded", counts, err)
	}
}

// TestSafeDefaults checks that the zero config refuses http:// URLs and
// keeps the SSRF guard on, each on its own.
func TestSafeDefaults(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	if _, ok := b.st.Store.(*memstore.Store); !ok {
		t.Errorf("Store = %T; want *memstore.Store by default", b.st.Store)
	}
	w := do(t, b.st.Handler, token, "POST", "/v1/webhook_subscriptions",
		`{"object_type":"entity","url":"http://127.0.0.1:1/hook"}`)
	if w.Code != 422 {
		t.Errorf("POST an http:// URL: Code = %d; want 422\n%s", w.Code, w.Body)
	}

	b = setup(t, func(c *stack.Config) { c.AllowInsecureURLs = true })
	sub, err := b.st.Registry.Create(context.Background(), monitehooks.SubscriptionParams{
		PartnerID: partner, ObjectType: "entity", URL: "http://127.0.0.1:1/hook",
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := b.st.Emitter.Emit(context.Background(), monitehooks.Event{
		PartnerID: partner, ObjectType: "entity", Type: "created", ObjectID: "o-1",
	}); err != nil {
		t.Fatalf("Emit: %v", err)
	}
	if d := b.wait(t); d.SubscriptionID != sub.ID || d.Attempt.ErrorClass != monitehooks.ErrorBlocked {
		t.Errorf("delivery to loopback = %+v; want ErrorClass %q: the guard is on", d, monitehooks.ErrorBlocked)
	}
}
