package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
	"github.com/monitehooks/monitehooks/memstore"
)

// TestEmitBacklogFull: an event that would take the emitter past its
// MaxPending is refused with 503 and a message, and nothing is stored.
func TestEmitBacklogFull(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	store := memstore.New()
	reg, err := monitehooks.NewRegistry(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The first attempt is due in an hour, so deliveries stay pending.
	em, err := monitehooks.NewEmitter(store, reg, &monitehooks.EmitterConfig{
		RetryPolicy: &monitehooks.Schedule{Delays: []time.Duration{time.Hour}},
		MaxPending:  1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { em.Close() })
	if _, err := reg.Create(ctx, monitehooks.SubscriptionParams{
		PartnerID: partnerA, ObjectType: "entity", URL: "https://example.com/h", APIFormat: monitehooks.FormatSubscriptions,
	}); err != nil {
		t.Fatal(err)
	}
	auth, err := httpapi.StaticTokens(map[string]string{tokenA: partnerA})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(&httpapi.Config{Registry: reg, Store: store, Emitter: em, Authenticator: auth})
	if err != nil {
		t.Fatal(err)
	}
	post := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/events", strings.NewReader(`{"object_type":"entity","event_type":"created"}`))
		req.Header.Set("Authorization", "Bearer "+tokenA)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := post(); rec.Code != http.StatusCreated {
		t.Fatalf("first POST /events: Code = %d; want 201 (%s)", rec.Code, rec.Body)
	}
	rec := post()
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("second POST /events: Code = %d; want 503 (%s)", rec.Code, rec.Body)
	}
	want := `{"error":{"message":"too many deliveries are pending; emit again once some are delivered"}}`
	if diff := cmp.Diff(want, strings.TrimSpace(rec.Body.String())); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
	page, err := store.ListEvents(ctx, partnerA, monitehooks.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 {
		t.Errorf("events stored = %d; want 1: the refused one is not stored", len(page.Data))
	}
}
