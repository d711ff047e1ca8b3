package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
	"github.com/monitehooks/monitehooks/webhooktest"
)

// failedDelivery makes a subscription whose requests fail through prefix,
// emits an event to it and waits for the delivery to fail for good. It
// returns the subscription's and the delivery's IDs.
func (b *testBundle) failedDelivery(tb testing.TB, prefix string) (sub, delivery string) {
	tb.Helper()
	sub = str(b.createSub(tb, prefix, `{"object_type":"entity","url":"https://example.com/fail"}`)["id"])
	ev := str(b.must(tb, 201, "POST", "/events", `{"object_type":"entity","event_type":"created"}`).object(tb)["id"])
	b.waitDone(tb, 1)
	ids := b.must(tb, 200, "GET", "/webhook_deliveries?event_id="+ev, "").ids(tb)
	if len(ids) != 1 {
		tb.Fatalf("event %s has %d deliveries; want 1", ev, len(ids))
	}
	return sub, ids[0]
}

// notUUIDs are path IDs that are not UUIDs; each answers 404.
var notUUIDs = []string{"not-a-uuid", "00000000-0000-4000-8000-00000000000", "00000000-0000-4000-8000-000000000000x", "%20"}

func TestGetDelivery(t *testing.T) {
	b := setup(t)
	_, id := b.failedDelivery(t, "/webhook_subscriptions")
	got := b.must(t, 200, "GET", "/webhook_deliveries/"+id, "").object(t)

	attempts, _ := got["attempts"].([]any)
	if len(attempts) != 1 {
		t.Fatalf("attempts = %v; want one", got["attempts"])
	}
	a := attempts[0].(map[string]any)
	if _, err := time.Parse(time.RFC3339Nano, str(a["attempted_at"])); err != nil {
		t.Errorf("attempted_at = %v; want an RFC 3339 time", a["attempted_at"])
	}
	delete(a, "attempted_at")
	if diff := cmp.Diff(map[string]any{
		"duration_ms": 0.0, "status_code": 500.0, "error": "status: HTTP 500 Internal Server Error", "response": "boom",
	}, a); diff != "" {
		t.Errorf("attempt mismatch (-want +got):\n%s", diff)
	}

	// The rest is the row, as the list shows it.
	delete(got, "attempts")
	list := b.must(t, 200, "GET", "/webhook_deliveries", "").list(t)
	if diff := cmp.Diff(list[0], any(got)); diff != "" {
		t.Errorf("GET /webhook_deliveries/{id} and the list's row differ (-list +get):\n%s", diff)
	}
	if got["status"] != "failed" || got["next_attempt_at"] != nil || got["last_error"] != nil {
		t.Errorf("row = %v; want failed, no next attempt, no last_error (the request got an answer)", got)
	}

	for _, bad := range append(notUUIDs, "00000000-0000-4000-8000-000000000000") {
		b.must(t, 404, "GET", "/webhook_deliveries/"+bad, "")
	}
	b.must(t, 404, "GET", "/webhook_deliveries/"+id, "", withToken(tokenB))
}

func TestRedeliver(t *testing.T) {
	b := setup(t)
	_, id := b.failedDelivery(t, "/webhook_subscriptions")

	row := b.must(t, 200, "POST", "/webhook_deliveries/"+id+"/redeliver", "").object(t)
	if row["id"] != id || row["status"] != "pending" || row["next_attempt_at"] == nil || row["requests_made_count"] != 1.0 {
		t.Errorf("redeliver answered %v; want the row, pending, due, with its one request", row)
	}
	b.waitDone(t, 1)
	d, err := b.store.GetDelivery(context.Background(), partnerA, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Attempts) != 2 || d.Status != monitehooks.DeliveryFailed {
		t.Errorf("after redelivery: %d attempts, %s; want 2 attempts, failed again", len(d.Attempts), d.Status)
	}

	for _, bad := range append(notUUIDs, "00000000-0000-4000-8000-000000000000") {
		b.must(t, 404, "POST", "/webhook_deliveries/"+bad+"/redeliver", "")
	}
	b.must(t, 404, "POST", "/webhook_deliveries/"+id+"/redeliver", "", withToken(tokenB))
	b.must(t, 405, "GET", "/webhook_deliveries/"+id+"/redeliver", "")
}

// Without an Emitter in the Config, redeliver and recover requeue in the
// store, due at Config.Now, and the emitter delivering from that store
// picks them up when it polls.
func TestRequeueWithoutEmitter(t *testing.T) {
	b := setup(t)
	sub, id := b.failedDelivery(t, "/webhook_settings")
	auth, err := httpapi.StaticTokens(map[string]string{tokenA: partnerA, tokenB: partnerB})
	if err != nil {
		t.Fatal(err)
	}
	h, err := httpapi.New(&httpapi.Config{Registry: b.reg, Store: b.store, Authenticator: auth, Now: b.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	api := *b
	api.h = h // the same store, registry and emitter; an API without the emitter
	api.must(t, 405, "POST", "/events", `{"object_type":"entity","event_type":"created"}`)

	row := api.must(t, 200, "POST", "/webhook_deliveries/"+id+"/redeliver", "").object(t)
	if row["status"] != "pending" {
		t.Errorf("redeliver answered %v; want pending", row)
	}
	b.waitDone(t, 1) // the emitter polls at least every second
	got := api.must(t, 200, "POST", "/webhook_settings/"+sub+"/recover", `{"since":"2000-01-01T00:00:00Z"}`).object(t)
	if diff := cmp.Diff(map[string]any{"requeued": 1.0}, got); diff != "" {
		t.Errorf("recover answer (-want +got):\n%s", diff)
	}
	b.waitDone(t, 1)
	d, err := b.store.GetDelivery(context.Background(), partnerA, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Attempts) != 3 {
		t.Errorf("after a redelivery and a recovery: %d attempts; want 3", len(d.Attempts))
	}
}

func TestRecover(t *testing.T) {
	for _, prefix := range generations {
		t.Run(strings.TrimPrefix(prefix, "/"), func(t *testing.T) {
			b := setup(t)
			sub, old := b.failedDelivery(t, prefix)
			ev := str(b.must(t, 201, "POST", "/events", `{"object_type":"entity","event_type":"updated"}`).object(t)["id"])
			b.waitDone(t, 1)
			recent := b.must(t, 200, "GET", "/webhook_deliveries?event_id="+ev, "").ids(t)[0]
			oldRow := b.must(t, 200, "GET", "/webhook_deliveries/"+old, "").object(t)
			recentRow := b.must(t, 200, "GET", "/webhook_deliveries/"+recent, "").object(t)
			if oldRow["created_at"] == recentRow["created_at"] {
				t.Fatalf("both deliveries were created at %v", oldRow["created_at"])
			}

			target := prefix + "/" + sub + "/recover"
			since, _ := json.Marshal(recentRow["created_at"])
			got := b.must(t, 200, "POST", target, `{"since":`+string(since)+`}`).object(t)
			if diff := cmp.Diff(map[string]any{"requeued": 1.0}, got); diff != "" {
				t.Errorf("recover answer (-want +got):\n%s", diff)
			}
			if st := b.must(t, 200, "GET", "/webhook_deliveries/"+old, "").object(t)["status"]; st != "failed" {
				t.Errorf("the delivery created before since is %v; want failed still", st)
			}
			b.waitDone(t, 1)
			// It failed again, so it is recovered again.
			got = b.must(t, 200, "POST", target, `{"since":`+string(since)+`}`).object(t)
			if diff := cmp.Diff(map[string]any{"requeued": 1.0}, got); diff != "" {
				t.Errorf("second recover answer (-want +got):\n%s", diff)
			}
			b.waitDone(t, 1)

			bad := []struct {
				name, body string
				code       int
				loc        []any
				typ        string
			}{
				{"empty body", ``, 422, []any{"body"}, "missing"},
				{"null body", `null`, 422, []any{"body"}, "missing"},
				{"not an object", `[]`, 422, []any{"body"}, "model_attributes_type"},
				{"no since", `{}`, 422, []any{"body", "since"}, "missing"},
				{"null since", `{"since":null}`, 422, []any{"body", "since"}, "missing"},
				{"since not a string", `{"since":17}`, 422, []any{"body", "since"}, "string_type"},
				{"since not a time", `{"since":"yesterday"}`, 422, []any{"body", "since"}, "datetime_parsing"},
				{"since without an offset", `{"since":"2026-03-11T06:49:55"}`, 422, []any{"body", "since"}, "datetime_parsing"},
				{"since past 9999", `{"since":"9999-12-31T23:00:00-05:00"}`, 422, []any{"body", "since"}, "datetime_parsing"},
				{"unknown field", `{"since":"2026-03-11T06:49:55Z","until":"2026-03-12T00:00:00Z"}`, 422, []any{"body", "until"}, "extra_forbidden"},
				{"malformed JSON", `{"since":`, 400, nil, ""},
			}
			for _, tt := range bad {
				res := b.must(t, tt.code, "POST", target, tt.body)
				if tt.code != 422 {
					continue
				}
				detail := res.object(t)["detail"].([]any)[0].(map[string]any)
				if diff := cmp.Diff(map[string]any{"loc": tt.loc, "type": tt.typ}, map[string]any{"loc": detail["loc"], "type": detail["type"]}); diff != "" {
					t.Errorf("%s: 422 detail (-want +got):\n%s", tt.name, diff)
				}
			}
			b.must(t, 415, "POST", target, `{"since":"2026-03-11T06:49:55Z"}`, withHeader("Content-Type", "text/plain"))

			body := `{"since":"2000-01-01T00:00:00Z"}`
			for _, id := range append(notUUIDs, "00000000-0000-4000-8000-000000000000") {
				b.must(t, 404, "POST", prefix+"/"+id+"/recover", body)
			}
			// Another partner's subscription is not found, even with a bad
			// body: the ID is looked at first.
			b.must(t, 404, "POST", target, body, withToken(tokenB))
			b.must(t, 404, "POST", target, `{"until":1}`, withToken(tokenB))
		})
	}
}

// A delivery sent again through the API reaches the receiver with the same
// Webhook-Id, the event's ID, as its first attempt.
func TestRedeliverSameWebhookID(t *testing.T) {
	t.Parallel()
	s := webhooktest.NewServer(t, &webhooktest.ServerConfig{RetrySchedule: []time.Duration{0}})
	r := s.NewReceiver(t)
	r.Script(webhooktest.Status(500))
	sub := s.Subscribe(t, monitehooks.SubscriptionParams{PartnerID: s.PartnerID, ObjectType: "entity", URL: r.URL})
	r.SetSecrets(sub.CurrentSecret())
	ev := s.Emit(t, monitehooks.Event{PartnerID: s.PartnerID, ObjectType: "entity", Type: "created", ObjectID: "o-1"})
	s.Settle(t)
	ds := s.Deliveries(t, s.PartnerID)
	if len(ds) != 1 || ds[0].Status != monitehooks.DeliveryFailed {
		t.Fatalf("deliveries = %+v; want one, failed", ds)
	}

	code, body := s.Do(t, "POST", "/webhook_deliveries/"+ds[0].ID+"/redeliver", "")
	if code != http.StatusOK {
		t.Fatalf("redeliver: Code = %d; want 200\n%s", code, body)
	}
	reqs := r.WaitFor(t, 2)
	for i, req := range reqs {
		if req.WebhookID() != ev.ID {
			t.Errorf("request %d: Webhook-Id = %q; want the event's ID %q", i+1, req.WebhookID(), ev.ID)
		}
		if !req.Verified() {
			t.Errorf("request %d: signature does not verify: %v", i+1, req.SignatureErr)
		}
	}
	if a, b := reqs[0].JSON()["id"], reqs[1].JSON()["id"]; a != b || a != ev.ID {
		t.Errorf("payload ids = %v, %v; want %s twice", a, b, ev.ID)
	}
	s.Settle(t)
	code, body = s.Do(t, "GET", "/webhook_deliveries/"+ds[0].ID, "")
	var got struct {
		Status   string `json:"status"`
		Attempts []struct {
			StatusCode *int `json:"status_code"`
		} `json:"attempts"`
	}
	if err := json.Unmarshal(body, &got); code != 200 || err != nil {
		t.Fatalf("GET the delivery: %d %v\n%s", code, err, body)
	}
	if got.Status != "succeeded" || len(got.Attempts) != 2 || *got.Attempts[0].StatusCode != 500 || *got.Attempts[1].StatusCode != 200 {
		t.Errorf("after redelivery: %s", body)
	}
}
