package stack_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/internal/stack"
	"github.com/monitehooks/monitehooks/memstore"
)

// failingStore is a memstore whose GetSubscription answers err.
type failingStore struct {
	*memstore.Store
	err error
}

func (s *failingStore) GetSubscription(ctx context.Context, partnerID, id string) (monitehooks.Subscription, error) {
	return monitehooks.Subscription{}, s.err
}

// pingingStore is a memstore with a Ping that answers err.
type pingingStore struct {
	*memstore.Store
	err error
}

func (s *pingingStore) Ping(ctx context.Context) error { return s.err }

// stuckStore is a memstore whose GetSubscription answers only when its
// context ends.
type stuckStore struct{ *memstore.Store }

func (s *stuckStore) GetSubscription(ctx context.Context, partnerID, id string) (monitehooks.Subscription, error) {
	<-ctx.Done()
	return monitehooks.Subscription{}, ctx.Err()
}

func TestHealth(t *testing.T) {
	t.Parallel()
	down := errors.New("database is down")
	tests := []struct {
		name     string
		store    monitehooks.Store
		method   string
		wantCode int
		wantBody string
	}{
		{"memstore", memstore.New(), "GET", 200, `{"status":"ok"}` + "\n"},
		{"HEAD", memstore.New(), "HEAD", 200, ""},
		{"failing store", &failingStore{memstore.New(), down}, "GET", 503, `{"status":"unavailable","error":"database is down"}` + "\n"},
		{"not found is healthy", &failingStore{memstore.New(), monitehooks.ErrSubscriptionNotFound}, "GET", 200, `{"status":"ok"}` + "\n"},
		{"Ping ok", &pingingStore{memstore.New(), nil}, "GET", 200, `{"status":"ok"}` + "\n"},
		{"Ping failing", &pingingStore{memstore.New(), down}, "GET", 503, `{"status":"unavailable","error":"database is down"}` + "\n"},
		{"POST", memstore.New(), "POST", 405, `{"error":{"message":"method not allowed; /healthz answers GET"}}` + "\n"},
	}
	for _, tt := range tests {
		b := setup(t, func(c *stack.Config) { c.Store = tt.store })
		// No token: load balancers and orchestrators have none.
		w := do(t, b.st.Handler, "", tt.method, stack.HealthPath, "")
		if w.Code != tt.wantCode {
			t.Errorf("%s: %s %s: Code = %d; want %d", tt.name, tt.method, stack.HealthPath, w.Code, tt.wantCode)
		}
		if diff := cmp.Diff(tt.wantBody, w.Body.String()); diff != "" {
			t.Errorf("%s: %s %s: body (-want +got):\n%s", tt.name, tt.method, stack.HealthPath, diff)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type = %q; want application/json", tt.name, ct)
		}
	}
}

// TestHealthTimeout checks that a store that does not answer is
// unavailable once the timeout has passed, rather than holding the check.
func TestHealthTimeout(t *testing.T) {
	t.Parallel()
	h := stack.HealthHandler(&stuckStore{memstore.New()}, 10*time.Millisecond)
	w := do(t, h, "", "GET", stack.HealthPath, "")
	want := `{"status":"unavailable","error":"the store did not answer within 10ms: context deadline exceeded"}` + "\n"
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("Code = %d; want 503", w.Code)
	}
	if diff := cmp.Diff(want, w.Body.String()); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}
