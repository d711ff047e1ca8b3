package httpapi_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
)

func TestDeliveries(t *testing.T) {
	b := setup(t)
	ok := str(b.createSub(t, "/webhook_settings", `{"object_type":"entity","url":"https://example.com/ok"}`)["id"])
	b.createSub(t, "/webhook_subscriptions", `{"object_type":"entity","url":"https://example.com/fail","event_types":["updated"]}`)
	roles := str(b.createSub(t, "/webhook_subscriptions", `{"object_type":"role","url":"https://example.com/roles"}`)["id"])
	created := str(b.must(t, 201, "POST", "/events", `{"object_type":"entity","event_type":"created"}`).object(t)["id"])
	updated := str(b.must(t, 201, "POST", "/events", `{"object_type":"entity","event_type":"updated"}`).object(t)["id"])
	role := str(b.must(t, 201, "POST", "/events", `{"object_type":"role","event_type":"deleted"}`).object(t)["id"])
	b.waitDone(t, 4) // created→ok; updated→ok, failing; deleted→roles

	// A delivery that has made no request yet, to a subscription that is
	// then deleted, and one to a live subscription.
	ev := monitehooks.Event{PartnerID: partnerA, ObjectType: "payment", ObjectID: "o", Type: "created", CreatedAt: b.clock.Now()}
	due := b.clock.Now().Add(24 * time.Hour)
	ev, err := b.store.CreateEvent(context.Background(), monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: []string{roles, ok}, Due: due})
	if err != nil {
		t.Fatal(err)
	}
	b.must(t, 204, "DELETE", "/webhook_subscriptions/"+roles, "")

	rows := map[string]any{}
	res := b.must(t, 200, "GET", "/webhook_deliveries", "")
	for _, it := range res.list(t) {
		m := it.(map[string]any)
		if _, dup := rows[str(m["event_id"])+" "+str(m["url"])]; dup {
			t.Errorf("two rows for event %s to %v", m["event_id"], m["url"])
		}
		if _, ok := m["id"].(string); !ok {
			t.Errorf("row without an id: %v", m)
		}
		for _, k := range []string{"created_at", "updated_at"} {
			if _, err := time.Parse(time.RFC3339Nano, str(m[k])); err != nil {
				t.Errorf("row %s = %v; want an RFC 3339 time", k, m[k])
			}
		}
		delete(m, "id")
		delete(m, "created_at")
		delete(m, "updated_at")
		rows[str(m["event_id"])+" "+str(m["url"])] = m
	}
	row := func(event, url string, count float64, response, code any, ok bool) map[string]any {
		var u any
		if url != "" {
			u = url
		}
		status, next := "failed", any(nil)
		switch {
		case ok:
			status = "succeeded"
		case count == 0:
			status, next = "pending", due.Format(time.RFC3339Nano)
		}
		return map[string]any{"event_id": event, "requests_made_count": count, "response": response,
			"response_status_code": code, "url": u, "was_successful": ok,
			"status": status, "next_attempt_at": next, "last_error": nil}
	}
	want := map[string]any{
		created + " https://example.com/ok":   row(created, "https://example.com/ok", 1, "ok", 200.0, true),
		updated + " https://example.com/ok":   row(updated, "https://example.com/ok", 1, "ok", 200.0, true),
		updated + " https://example.com/fail": row(updated, "https://example.com/fail", 1, "boom", 500.0, false),
		role + " https://example.com/roles":   row(role, "https://example.com/roles", 1, "ok", 200.0, true),
		ev.ID + " https://example.com/ok":     row(ev.ID, "https://example.com/ok", 0, nil, nil, false),
		ev.ID + " ":                           row(ev.ID, "", 0, nil, nil, false),
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("deliveries mismatch (-want +got):\n%s", diff)
	}

	eventsOf := func(query string) []string {
		t.Helper()
		var out []string
		for _, it := range b.must(t, 200, "GET", "/webhook_deliveries?"+query, "").list(t) {
			out = append(out, str(it.(map[string]any)["event_id"]))
		}
		return out
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"event_id=" + updated, []string{updated, updated}},
		{"event_id=" + url.QueryEscape("{"+updated+"}"), []string{updated, updated}},
		{"event_id=not-a-uuid", nil},
		{"event_action=created", []string{created, ev.ID, ev.ID}},
		{"event_action=entity.created", []string{created}},
		{"event_action=role.deleted", []string{role}},
		{"event_action=role.deleted&object_type=entity", nil},
		{"event_action=deleted&object_type=role", []string{role}},
		{"object_type=payment", []string{ev.ID, ev.ID}},
		{"object_type=entity&limit=1", []string{created}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, eventsOf(tt.query)); diff != "" {
			t.Errorf("GET /webhook_deliveries?%s event IDs mismatch (-want +got):\n%s", tt.query, diff)
		}
	}
}

func TestDeliveryRow(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 11, 6, 49, 55, 0, time.UTC)
	next := at.Add(time.Hour)
	const times = `"created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z"`
	live := func(string) (string, bool) { return "https://example.com/now", true }
	gone := func(string) (string, bool) { return "", false }
	tests := []struct {
		name   string
		d      monitehooks.Delivery
		subURL func(string) (string, bool)
		want   string
	}{
		{"pending, no attempt", monitehooks.Delivery{ID: "d", EventID: "e", Status: monitehooks.DeliveryPending, NextAttemptAt: next}, live,
			`{"id":"d","event_id":"e","requests_made_count":0,"response":null,"response_status_code":null,"url":"https://example.com/now","was_successful":false,` +
				times + `,"status":"pending","next_attempt_at":"2026-03-11T07:49:55Z","last_error":null}`},
		{"no attempt, subscription gone", monitehooks.Delivery{ID: "d", EventID: "e", Status: monitehooks.DeliveryFailed, NextAttemptAt: next}, gone,
			`{"id":"d","event_id":"e","requests_made_count":0,"response":null,"response_status_code":null,"url":null,"was_successful":false,` +
				times + `,"status":"failed","next_attempt_at":null,"last_error":null}`},
		{"only a subscription-gone attempt", monitehooks.Delivery{ID: "d", EventID: "e", Status: monitehooks.DeliveryFailed,
			Attempts: []monitehooks.Attempt{{At: at, ErrorClass: monitehooks.ErrorSubscriptionGone, Error: "subscription disabled"}}}, live,
			`{"id":"d","event_id":"e","requests_made_count":0,"response":null,"response_status_code":null,"url":"https://example.com/now","was_successful":false,` +
				times + `,"status":"failed","next_attempt_at":null,"last_error":"subscription_unavailable: subscription disabled"}`},
		{"timeout then success", monitehooks.Delivery{ID: "d", EventID: "e", Status: monitehooks.DeliverySucceeded,
			Attempts: []monitehooks.Attempt{
				{At: at, URL: "https://example.com/a", ErrorClass: monitehooks.ErrorTimeout},
				{At: at, URL: "https://example.com/b", StatusCode: 204, Response: ""},
			}}, gone,
			`{"id":"d","event_id":"e","requests_made_count":2,"response":"","response_status_code":204,"url":"https://example.com/b","was_successful":true,` +
				times + `,"status":"succeeded","next_attempt_at":null,"last_error":null}`},
		{"failure then subscription gone", monitehooks.Delivery{ID: "d", EventID: "e", Status: monitehooks.DeliveryFailed,
			Attempts: []monitehooks.Attempt{
				{At: at, URL: "https://example.com/a", StatusCode: 503, Response: "busy", ErrorClass: monitehooks.ErrorStatus},
				{At: at, ErrorClass: monitehooks.ErrorSubscriptionGone},
			}}, live,
			`{"id":"d","event_id":"e","requests_made_count":1,"response":"busy","response_status_code":503,"url":"https://example.com/a","was_successful":false,` +
				times + `,"status":"failed","next_attempt_at":null,"last_error":"subscription_unavailable"}`},
		{"got an answer", monitehooks.Delivery{ID: "d", EventID: "e", Status: monitehooks.DeliveryPending, NextAttemptAt: next,
			Attempts: []monitehooks.Attempt{{At: at, URL: "https://example.com/a", StatusCode: 500, Response: "boom",
				ErrorClass: monitehooks.ErrorStatus, Error: "HTTP 500 Internal Server Error"}}}, live,
			`{"id":"d","event_id":"e","requests_made_count":1,"response":"boom","response_status_code":500,"url":"https://example.com/a","was_successful":false,` +
				times + `,"status":"pending","next_attempt_at":"2026-03-11T07:49:55Z","last_error":null}`},
		{"no answer", monitehooks.Delivery{ID: "d", EventID: "e", Status: monitehooks.DeliveryPending, NextAttemptAt: next,
			Attempts: []monitehooks.Attempt{{At: at, URL: "https://example.com/a", ErrorClass: monitehooks.ErrorConnection, Error: "dial tcp 127.0.0.1:1: connection refused"}}}, live,
			`{"id":"d","event_id":"e","requests_made_count":1,"response":"","response_status_code":null,"url":"https://example.com/a","was_successful":false,` +
				times + `,"status":"pending","next_attempt_at":"2026-03-11T07:49:55Z","last_error":"connection: dial tcp 127.0.0.1:1: connection refused"}`},
		{"refused by the SSRF guard", monitehooks.Delivery{ID: "d", EventID: "e", Status: monitehooks.DeliveryFailed,
			Attempts: []monitehooks.Attempt{{At: at, URL: "https://example.com/a", ErrorClass: monitehooks.ErrorBlocked, Error: "10.0.0.1 is a private address"}}}, live,
			`{"id":"d","event_id":"e","requests_made_count":1,"response":"","response_status_code":null,"url":"https://example.com/a","was_successful":false,` +
				times + `,"status":"failed","next_attempt_at":null,"last_error":"blocked: 10.0.0.1 is a private address"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, string(httpapi.DeliveryRowJSON(tt.d, tt.subURL))); diff != "" {
				t.Errorf("row mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
