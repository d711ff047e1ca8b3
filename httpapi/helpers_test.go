package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
	"github.com/monitehooks/monitehooks/memstore"
)

// Partners and their tokens.
const (
	partnerA = "partner-a"
	partnerB = "partner-b"
	tokenA   = "token-a"
	tokenB   = "token-b"
)

// testClock is a clock that moves on by a second at every reading, so
// that everything the tests create has its own time.
type testClock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
	return c.now
}

// fakeEndpoints answers the emitter's requests without a network: a URL
// path starting with /fail gets 500 "boom", anything else 200 "ok".
type fakeEndpoints struct{}

func (fakeEndpoints) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
	}
	code, body := http.StatusOK, "ok"
	if strings.HasPrefix(r.URL.Path, "/fail") {
		code, body = http.StatusInternalServerError, "boom"
	}
	return &http.Response{
		StatusCode: code,
		Status:     http.StatusText(code),
		Header:     http.Header{"Content-Type": {"text/plain"}},
		Body:       io.NopCloser(strings.NewReader(body)),
		Request:    r,
	}, nil
}

type testBundle struct {
	clock *testClock
	store *memstore.Store
	reg   *monitehooks.Registry
	em    *monitehooks.Emitter
	h     http.Handler
	// done receives every delivery that succeeds or fails for good.
	done chan monitehooks.DeliveryInfo
}

// setup returns a fresh API with POST /events enabled, partners A and B
// and an emitter that makes one attempt per delivery through
// fakeEndpoints.
func setup(t *testing.T) *testBundle {
	t.Helper()
	t.Parallel()
	return newBundle(t, nil)
}

// newBundle is setup without t.Parallel, for fuzz targets; edit may
// change the config before New.
func newBundle(tb testing.TB, edit func(*httpapi.Config)) *testBundle {
	tb.Helper()
	b := &testBundle{
		clock: &testClock{now: time.Date(2026, 3, 11, 6, 49, 55, 0, time.UTC)},
		store: memstore.New(),
		done:  make(chan monitehooks.DeliveryInfo, 1000),
	}
	ctx := context.Background()
	reg, err := monitehooks.NewRegistry(ctx, b.store, &monitehooks.RegistryConfig{Now: b.clock.Now})
	if err != nil {
		tb.Fatalf("NewRegistry: %v", err)
	}
	b.reg = reg
	em, err := monitehooks.NewEmitter(b.store, reg, &monitehooks.EmitterConfig{
		Now:         b.clock.Now,
		RetryPolicy: &monitehooks.Schedule{Delays: []time.Duration{0}},
		Transport:   fakeEndpoints{},
		Observer: &monitehooks.Observer{DeliveryDone: func(i monitehooks.DeliveryInfo) {
			select {
			case b.done <- i:
			default:
			}
		}},
	})
	if err != nil {
		tb.Fatalf("NewEmitter: %v", err)
	}
	tb.Cleanup(func() { em.Close() })
	b.em = em
	auth, err := httpapi.StaticTokens(map[string]string{tokenA: partnerA, tokenB: partnerB})
	if err != nil {
		tb.Fatalf("StaticTokens: %v", err)
	}
	cfg := &httpapi.Config{
		Registry:      reg,
		Store:         b.store,
		Emitter:       em,
		Authenticator: auth,
	}
	if edit != nil {
		edit(cfg)
	}
	h, err := httpapi.New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	b.h = h
	return b
}

// reqOpt changes a request before it is served.
type reqOpt func(*http.Request)

func withToken(token string) reqOpt {
	return func(r *http.Request) {
		if token == "" {
			r.Header.Del("Authorization")
			return
		}
		r.Header.Set("Authorization", "Bearer "+token)
	}
}

func withHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

// response is a served answer.
type response struct {
	code   int
	header http.Header
	raw    []byte
	body   any // the decoded JSON; nil when the body is empty
}

// serve sends a request to h as partner A, unless an option says
// otherwise. A non-empty body is sent as application/json.
func serve(tb testing.TB, h http.Handler, method, target, body string, opts ...reqOpt) response {
	tb.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+tokenA)
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(r)
	}
	return record(tb, h, r)
}

func record(tb testing.TB, h http.Handler, r *http.Request) response {
	tb.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := response{code: w.Code, header: w.Result().Header, raw: w.Body.Bytes()}
	if len(res.raw) > 0 {
		dec := json.NewDecoder(bytes.NewReader(res.raw))
		if err := dec.Decode(&res.body); err != nil {
			tb.Fatalf("%s %s answered %d with a body that is not JSON: %v\n%s", r.Method, r.URL, w.Code, err, res.raw)
		}
	}
	return res
}

func (b *testBundle) serve(tb testing.TB, method, target, body string, opts ...reqOpt) response {
	tb.Helper()
	return serve(tb, b.h, method, target, body, opts...)
}

// must serves a request and fails the test unless it answers want.
func (b *testBundle) must(tb testing.TB, want int, method, target, body string, opts ...reqOpt) response {
	tb.Helper()
	res := b.serve(tb, method, target, body, opts...)
	if res.code != want {
		tb.Fatalf("%s %s: Code = %d; want %d\n%s", method, target, res.code, want, res.raw)
	}
	return res
}

// createSub creates a subscription through the prefix as partner A (or
// the token given) and returns its resource.
func (b *testBundle) createSub(tb testing.TB, prefix, body string, opts ...reqOpt) map[string]any {
	tb.Helper()
	want := http.StatusCreated
	if prefix == "/webhook_settings" {
		want = http.StatusOK
	}
	return b.must(tb, want, "POST", prefix, body, opts...).object(tb)
}

// object returns the body as a JSON object.
func (r response) object(tb testing.TB) map[string]any {
	tb.Helper()
	m, ok := r.body.(map[string]any)
	if !ok {
		tb.Fatalf("body is not a JSON object: %s", r.raw)
	}
	return m
}

// list returns the data of a list answer.
func (r response) list(tb testing.TB) []any {
	tb.Helper()
	data, ok := r.object(tb)["data"].([]any)
	if !ok {
		tb.Fatalf("body has no data list: %s", r.raw)
	}
	return data
}

// ids returns the "id" of each item of a list answer.
func (r response) ids(tb testing.TB) []string {
	tb.Helper()
	out := []string{}
	for _, item := range r.list(tb) {
		out = append(out, str(item.(map[string]any)["id"]))
	}
	return out
}

func str(v any) string { s, _ := v.(string); return s }

// scrub replaces the values that change from run to run with stable
// words, after checking their form: "<uuid>", "<time>" and "<secret>".
func scrub(tb testing.TB, v any) any {
	tb.Helper()
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			s, isStr := x.(string)
			switch {
			case isStr && (k == "id" || k == "event_id" || k == "object_id"):
				if _, err := uuid.Parse(s); err != nil {
					tb.Errorf("%s = %q; want a UUID", k, s)
				}
				out[k] = "<uuid>"
			case isStr && (k == "created_at" || k == "updated_at"):
				if _, err := time.Parse(time.RFC3339Nano, s); err != nil || !strings.HasSuffix(s, "Z") {
					tb.Errorf("%s = %q; want an RFC 3339 time in UTC", k, s)
				}
				out[k] = "<time>"
			case isStr && k == "secret":
				if !strings.HasPrefix(s, "whsec_") {
					tb.Errorf("secret = %q; want whsec_…", s)
				}
				out[k] = "<secret>"
			default:
				out[k] = scrub(tb, x)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = scrub(tb, x)
		}
		return out
	default:
		return v
	}
}

// waitDone waits for n deliveries to finish.
func (b *testBundle) waitDone(tb testing.TB, n int) []monitehooks.DeliveryInfo {
	tb.Helper()
	var out []monitehooks.DeliveryInfo
	deadline := time.After(10 * time.Second)
	for len(out) < n {
		select {
		case i := <-b.done:
			out = append(out, i)
		case <-deadline:
			tb.Fatalf("waited 10s for %d deliveries to finish; %d did", n, len(out))
		}
	}
	return out
}

// generations are the two API prefixes.
var generations = []string{"/webhook_settings", "/webhook_subscriptions"}
