package webhooktest_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/webhooktest"
)

func TestServerRetriesOnTheClock(t *testing.T) {
	t.Parallel()
	monite := webhooktest.NewServer(t, &webhooktest.ServerConfig{RetrySchedule: []time.Duration{0, time.Minute}})
	hook := webhooktest.NewReceiver(t)
	hook.Script(webhooktest.Status(500), webhooktest.Status(500))
	sub := monite.Subscribe(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: hook.URL})
	hook.SetSecrets(sub.CurrentSecret())
	start := monite.Clock.Now()

	monite.Emit(t, monitehooks.Event{ObjectType: "role", Type: "created"})
	monite.Settle(t)
	monite.Advance(59 * time.Second)
	monite.Settle(t)
	if n := hook.Len(); n != 1 {
		t.Fatalf("after 59s: %d requests; want 1 (the retry is due at 1m)", n)
	}
	monite.Advance(time.Second)
	monite.Settle(t)
	reqs := hook.WaitFor(t, 2)
	d := monite.Deliveries(t, monite.PartnerID)[0]
	got := []time.Time{d.Attempts[0].At, d.Attempts[1].At}
	if diff := cmp.Diff([]time.Time{start, start.Add(time.Minute)}, got); diff != "" {
		t.Errorf("attempt times (-want +got):\n%s", diff)
	}
	if d.Status != monitehooks.DeliveryFailed {
		t.Errorf("status = %s; want failed after the schedule's two attempts", d.Status)
	}
	if reqs[0].WebhookID() != reqs[1].WebhookID() {
		t.Errorf("Webhook-Id changed across retries: %q, %q", reqs[0].WebhookID(), reqs[1].WebhookID())
	}
	hook.AssertAllVerified(t)
}

func TestServerRESTAPI(t *testing.T) {
	t.Parallel()
	monite := webhooktest.NewServer(t, &webhooktest.ServerConfig{Catalog: monitehooks.MoniteCatalog})
	hook := webhooktest.NewReceiver(t)
	status, body := monite.Do(t, http.MethodPost, "/webhook_subscriptions", `{"object_type":"payable","url":"`+hook.URL+`"}`)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, body)
	}
	var sub struct{ Secret string }
	if err := json.Unmarshal(body, &sub); err != nil || sub.Secret == "" {
		t.Fatalf("create answered %s; want a secret", body)
	}
	hook.SetSecrets(sub.Secret)
	status, body = monite.Do(t, http.MethodPost, "/events", `{"object_type":"payable","event_type":"ocr_finished","object_id":"p-1"}`)
	if status != http.StatusCreated {
		t.Fatalf("POST /events: %d %s", status, body)
	}
	r := hook.WaitFor(t, 1)[0]
	if !r.Verified() || r.JSON()["action"] != "payable.ocr_finished" {
		t.Errorf("delivery: verified %v, body %s", r.Verified(), r.Body)
	}
	if status, _ := monite.Do(t, http.MethodGet, "/webhook_subscriptions", ""); status != http.StatusOK {
		t.Errorf("GET list: %d", status)
	}
}

// TestServerAdvanceDuringAttempt moves the clock far while an attempt
// hangs: the delivery must not be claimed and sent again behind the
// in-flight attempt's back, so every request the receiver gets is a
// recorded attempt.
func TestServerAdvanceDuringAttempt(t *testing.T) {
	t.Parallel()
	const timeout = 500 * time.Millisecond // for the hanging attempt to run out
	monite := webhooktest.NewServer(t, &webhooktest.ServerConfig{AttemptTimeout: timeout})
	hook := monite.NewReceiver(t)
	hook.Script(webhooktest.Hang())
	monite.Subscribe(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: hook.URL})
	monite.Emit(t, monitehooks.Event{ObjectType: "entity", Type: "created"})
	hook.WaitFor(t, 1) // the attempt hangs
	monite.Advance(2 * time.Hour)
	monite.Settle(t) // until the hanging attempt times out
	monite.Advance(webhooktest.FastSchedule[1])
	monite.Settle(t)

	d := monite.Deliveries(t, monite.PartnerID)[0]
	got := hook.Len()
	switch last := d.Attempts[len(d.Attempts)-1]; {
	case d.Status == monitehooks.DeliverySucceeded && got == len(d.Attempts):
	case d.Status == monitehooks.DeliveryPending && got <= len(d.Attempts) &&
		last.ErrorClass == monitehooks.ErrorTimeout && last.Duration >= timeout:
		// Load made the retry run out of time too, which may have been
		// before its request arrived; it was recorded all the same.
	default:
		t.Errorf("receiver got %d requests; the log has %d attempts, status %s; want them equal, succeeded", got, len(d.Attempts), d.Status)
	}
}

// TestServerReceiverOnServerClock: a receiver made by the server verifies
// signatures made after the test moved the clock past the tolerance.
func TestServerReceiverOnServerClock(t *testing.T) {
	t.Parallel()
	monite := webhooktest.NewServer(t, nil)
	hook := monite.NewReceiver(t)
	hook.Script(webhooktest.RetryAfter(http.StatusTooManyRequests, 600))
	sub := monite.Subscribe(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: hook.URL})
	hook.SetSecrets(sub.CurrentSecret())
	monite.Emit(t, monitehooks.Event{ObjectType: "entity", Type: "updated"})
	monite.Settle(t)
	monite.Advance(10 * time.Minute)
	monite.Settle(t)
	hook.WaitFor(t, 2)
	hook.AssertAllVerified(t)
}

// TestServerOrderUnderFrozenClock: events emitted at the same instant of
// the server's clock list in the order they were emitted.
func TestServerOrderUnderFrozenClock(t *testing.T) {
	t.Parallel()
	monite := webhooktest.NewServer(t, &webhooktest.ServerConfig{RetrySchedule: []time.Duration{time.Hour}})
	monite.Subscribe(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: "http://127.0.0.1:1/"})
	var want []string
	for range 20 {
		want = append(want, monite.Emit(t, monitehooks.Event{ObjectType: "entity", Type: "created"}).ID)
	}
	var got []string
	for _, d := range monite.Deliveries(t, monite.PartnerID) {
		got = append(got, d.EventID)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries' events in list order (-want +got):\n%s", diff)
	}
}
