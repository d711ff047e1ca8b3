package monitehooks_test

// The accounting the fault tests end in: every emitted event is delivered,
// still pending, or failed with its attempts, and each attempt is
// consistent with what the endpoint did.

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"unicode/utf8"

	"github.com/monitehooks/monitehooks"
)

// deliveryKey names a delivery by what it is for.
type deliveryKey struct{ eventID, subID string }

// tally counts the requests receivers got, per delivery: by the Webhook-Id
// header and the body's webhook_subscription_id.
type tally map[deliveryKey]int

// add counts one request.
func (tl tally) add(t *testing.T, r request) {
	t.Helper()
	var body struct {
		SubscriptionID string `json:"webhook_subscription_id"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Errorf("request body %.100q is not JSON: %v", r.Body, err)
	}
	tl[deliveryKey{r.Header.Get(monitehooks.WebhookIDHeader), body.SubscriptionID}]++
}

// drain counts the requests the receivers got that are not counted yet.
// Only the test reads the receivers' channels, so len is exact.
func (tl tally) drain(t *testing.T, rcs ...*receiver) {
	t.Helper()
	for _, rc := range rcs {
		for len(rc.got) > 0 {
			tl.add(t, <-rc.got)
		}
	}
}

// listDeliveries returns every delivery of partner-a, the partner of the
// emitter tests.
func listDeliveries(t *testing.T, store monitehooks.Store) []monitehooks.Delivery {
	t.Helper()
	var all []monitehooks.Delivery
	p := monitehooks.ListParams{Limit: monitehooks.MaxListLimit}
	for {
		page, err := store.ListDeliveries(context.Background(), "partner-a", p)
		if err != nil {
			t.Fatalf("ListDeliveries: %v", err)
		}
		all = append(all, page.Data...)
		if page.Next == "" {
			return all
		}
		p = monitehooks.ListParams{Cursor: page.Next}
	}
}

// settle waits until no delivery is due at the test clock's time: each has
// succeeded, failed, or waits for the clock to move. A delivery in flight
// is still due (its NextAttemptAt is not past), so settle returns only
// once no attempt runs. It reads b.attempts, where the observers of the
// emitters under test send every attempt.
func settle(t *testing.T, b *emitterBundle) {
	t.Helper()
	for {
		now, due := b.clock.Now(), 0
		for _, d := range listDeliveries(t, b.store) {
			if d.Status == monitehooks.DeliveryPending && !d.NextAttemptAt.After(now) {
				due++
			}
		}
		if due == 0 {
			return
		}
		wait(t, b.attempts, fmt.Sprintf("an attempt (%d deliveries due at %v)", due, now))
	}
}

// runSchedule steps the test clock through faultSchedule for em: it lets
// the attempts due now finish, then moves the clock to the next retry and
// wakes em, until no delivery is pending or the schedule is over. before,
// when not nil, runs before each retry step (1, 2, …) moves the clock.
func runSchedule(t *testing.T, b *emitterBundle, em *monitehooks.Emitter, before func(step int)) {
	t.Helper()
	for step, delay := range faultSchedule {
		if step > 0 {
			if before != nil {
				before(step)
			}
			b.clock.Advance(delay)
			em.Wake()
		}
		settle(t, b)
		counts, err := b.store.CountDeliveries(context.Background())
		if err != nil {
			t.Fatalf("CountDeliveries: %v", err)
		}
		if counts.Pending == 0 {
			return
		}
	}
}

// ledger is what a test emitted, for checkAccounting.
type ledger struct {
	events []string // IDs of the events emitted
	subs   []string // IDs of the subscriptions every event matches
	// unrecorded is how many requests per delivery may have reached its
	// receiver without an attempt being recorded. Emitters record even the
	// attempts they cancel when stopped, so it is 0 unless a test crashes
	// a claim on purpose.
	unrecorded int
}

// checkAccounting checks the invariants of delivery against the store and
// the requests the receivers got (seen), and returns the deliveries by
// key:
//
//   - every event × matching subscription has exactly one delivery, and
//     there is no other delivery;
//   - a delivery succeeded (its last attempt, and only that one, a
//     success), failed after at least one attempt (all failures), or is
//     pending with attempts left in the schedule (all failures);
//   - every attempt is consistent: no error class ⇔ a 2xx status, with no
//     error text; class "status" ⇔ a non-2xx status; any other class ⇔ no
//     status; the response excerpt is valid UTF-8 of at most 1 KiB;
//   - at least once: every succeeded delivery reached its receiver, and a
//     delivery reached it at most once per recorded attempt (plus
//     unrecorded), so only retried deliveries are received twice; no
//     request reached a receiver for a delivery that does not exist.
func checkAccounting(t *testing.T, store monitehooks.Store, lg ledger, seen tally) map[deliveryKey]monitehooks.Delivery {
	t.Helper()
	got := map[deliveryKey]monitehooks.Delivery{}
	for _, d := range listDeliveries(t, store) {
		k := deliveryKey{d.EventID, d.SubscriptionID}
		if _, dup := got[k]; dup {
			t.Errorf("event %s has two deliveries to subscription %s", d.EventID, d.SubscriptionID)
		}
		got[k] = d
	}
	want := map[deliveryKey]bool{}
	for _, ev := range lg.events {
		for _, sub := range lg.subs {
			want[deliveryKey{ev, sub}] = true
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("event %s has no delivery to subscription %s: lost", k.eventID, k.subID)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("delivery of event %s to subscription %s: not expected", k.eventID, k.subID)
		}
	}
	for k, n := range seen {
		if _, ok := got[k]; !ok {
			t.Errorf("a receiver got %d requests for event %s, subscription %q, which has no delivery", n, k.eventID, k.subID)
		}
	}

	for k, d := range got {
		last := len(d.Attempts) - 1
		for i, a := range d.Attempts {
			if msg := attemptInconsistency(a); msg != "" {
				t.Errorf("delivery %s attempt %d %+v: %s", d.ID, i+1, a, msg)
			}
			if a.ErrorClass == "" && (i != last || d.Status != monitehooks.DeliverySucceeded) {
				t.Errorf("delivery %s (%s): attempt %d of %d succeeded; want only the last attempt of a succeeded delivery to", d.ID, d.Status, i+1, len(d.Attempts))
			}
		}
		switch d.Status {
		case monitehooks.DeliverySucceeded:
			if last < 0 || d.Attempts[last].ErrorClass != "" {
				t.Errorf("delivery %s succeeded without a successful last attempt: %+v", d.ID, d.Attempts)
			}
		case monitehooks.DeliveryFailed:
			if last < 0 {
				t.Errorf("delivery %s failed without an attempt", d.ID)
			}
		case monitehooks.DeliveryPending:
			if len(d.Attempts) >= len(faultSchedule) {
				t.Errorf("delivery %s is pending after %d attempts; the schedule has %d", d.ID, len(d.Attempts), len(faultSchedule))
			}
		default:
			t.Errorf("delivery %s status = %q; want succeeded, failed or pending", d.ID, d.Status)
		}
		n := seen[k]
		if d.Status == monitehooks.DeliverySucceeded && n == 0 {
			t.Errorf("delivery %s succeeded, but its receiver never got event %s", d.ID, k.eventID)
		}
		if n > len(d.Attempts)+lg.unrecorded {
			t.Errorf("delivery %s reached its receiver %d times with %d attempts recorded (%d may be unrecorded)", d.ID, n, len(d.Attempts), lg.unrecorded)
		}
	}
	return got
}

// attemptInconsistency returns what is wrong with an attempt's record, or
// "".
func attemptInconsistency(a monitehooks.Attempt) string {
	is2xx := a.StatusCode >= 200 && a.StatusCode <= 299
	switch {
	case a.At.IsZero():
		return "no time"
	case a.ErrorClass == "" && (!is2xx || a.Error != ""):
		return "no error class, but not a 2xx answer"
	case a.ErrorClass == monitehooks.ErrorStatus && (a.StatusCode == 0 || is2xx):
		return `class "status" without a non-2xx status`
	case a.ErrorClass != "" && a.ErrorClass != monitehooks.ErrorStatus && a.StatusCode != 0:
		return "a status code with a class other than \"status\""
	case a.ErrorClass != "" && a.Error == "":
		return "an error class without an error"
	case len(a.Response) > monitehooks.MaxResponseExcerpt:
		return fmt.Sprintf("response excerpt of %d bytes", len(a.Response))
	case !utf8.ValidString(a.Response):
		return "response excerpt not valid UTF-8"
	}
	return ""
}

// failureKind names a failed attempt for the fault table: "status 503",
// "timeout 0".
func failureKind(a monitehooks.Attempt) string {
	return fmt.Sprintf("%s %d", a.ErrorClass, a.StatusCode)
}
