package monitehooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
)

// faultSchedule is the retry schedule of the fault tests: five attempts a
// minute apart, without jitter, so that moving the test clock a minute
// makes every retry due at once.
var faultSchedule = []time.Duration{0, time.Minute, time.Minute, time.Minute, time.Minute}

// faultEvents is how many events each fault test emits.
const faultEvents = 5

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

// resetConn drops the request's connection with a TCP reset.
func resetConn(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0) // send RST, not FIN
	}
	conn.Close()
}

// hang holds the answer until the sender gives up.
func hang(r *http.Request) { <-r.Context().Done() }

// faultEndpoint is a faulty subscription's endpoint.
type faultEndpoint struct {
	rc  *receiver // records what reaches the endpoint
	url string    // to subscribe
	// before, when not nil, runs before each retry step; repoint changes
	// the subscription's URL.
	before func(step int, repoint func(url string))
}

// refusedThenBack is an endpoint on a port where nothing listens, so that
// connecting is refused, until retry step 2, when the receiver comes back
// on that same port.
func refusedThenBack(t *testing.T) faultEndpoint {
	t.Helper()
	rc := newReceiver(t, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return faultEndpoint{rc: rc, url: "http://" + addr + "/hook", before: func(step int, repoint func(string)) {
		if step != 2 {
			return
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			// Another socket took the port meanwhile (rare): the endpoint
			// comes back at the receiver's own address instead.
			t.Logf("listening on %s again: %v; moving the subscription to %s", addr, err, rc.URL)
			repoint(rc.URL + "/hook")
			return
		}
		// Serve the receiver's own handler, which records, on the old port.
		srv := httptest.NewUnstartedServer(rc.Config.Handler)
		srv.Listener.Close()
		srv.Listener = ln
		srv.Start()
		t.Cleanup(srv.Close)
	}}
}

// faultCase is a row of the fault matrix: how two of the three
// subscriptions' endpoints misbehave (the third is healthy), and what that
// must come to.
type faultCase struct {
	name string
	// respond answers each faulty endpoint's n-th request (n from 1).
	respond func(w http.ResponseWriter, r *http.Request, n int)
	// endpoint, when not nil, makes each faulty endpoint instead.
	endpoint func(t *testing.T) faultEndpoint
	// timeout is the attempt timeout. Defaults to a minute: attempts end
	// by themselves, and a timeout that fired under load would change the
	// outcome.
	timeout time.Duration
	// want is the final state of every faulty delivery.
	want monitehooks.DeliveryStatus
	// wantFailures lists the distinct kinds (failureKind) of the faulty
	// deliveries' failed attempts, sorted.
	wantFailures []string
	// wantAttempts is how many attempts each faulty subscription gets in
	// all: the fault scripts count requests, so this is exact however the
	// requests interleave.
	wantAttempts int
	// check, when not nil, checks each attempt of a faulty delivery.
	check func(t *testing.T, a monitehooks.Attempt)
}

// faultCases is the fault matrix. With faultEvents = 5 deliveries per
// faulty subscription, each retry step attempts every delivery still
// pending at once, so "fails its first k requests" means the first
// ceil(k/5) steps see failures.
func faultCases() []faultCase {
	const chunk = 64 << 10
	body64K := strings.Repeat("x", chunk)
	chunkBytes := []byte(body64K)
	invalidUTF8 := "\xff\xfe not UTF-8 \xc3\x28 \xed\xa0\x80 end"
	headerMiB := strings.Repeat("h", 1<<20)
	wantBody := func(want string) func(*testing.T, monitehooks.Attempt) {
		return func(t *testing.T, a monitehooks.Attempt) {
			t.Helper()
			if a.StatusCode != 0 && a.Response != want {
				t.Errorf("attempt response excerpt = %.40q… (%d bytes); want %.40q… (%d bytes)", a.Response, len(a.Response), want, len(want))
			}
		}
	}
	return []faultCase{
		{
			name: "down then back (503 for the first 7 requests)",
			respond: func(w http.ResponseWriter, _ *http.Request, n int) {
				if n <= 7 {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			},
			want: monitehooks.DeliverySucceeded, wantFailures: []string{"status 503"},
			wantAttempts: 5 + 5 + 2, // step 0: 5 fail; step 1: 2 fail, 3 succeed; step 2: 2 succeed
		},
		{
			name:     "connection refused then back on the same port",
			endpoint: refusedThenBack,
			want:     monitehooks.DeliverySucceeded, wantFailures: []string{"connection 0"},
			wantAttempts: 5 + 5 + 5,
		},
		{
			name: "flapping (500 and 200 in turn)",
			respond: func(w http.ResponseWriter, _ *http.Request, n int) {
				if n%2 == 1 {
					w.WriteHeader(http.StatusInternalServerError)
				}
			},
			want: monitehooks.DeliverySucceeded, wantFailures: []string{"status 500"},
			wantAttempts: 5 + 3 + 1 + 1, // requests 1-5: 3 odd; 6-8: 1; 9; 10
		},
		{
			name: "resetting connections then back",
			respond: func(w http.ResponseWriter, _ *http.Request, n int) {
				if n <= 7 {
					resetConn(w)
				}
			},
			want: monitehooks.DeliverySucceeded, wantFailures: []string{"connection 0"},
			wantAttempts: 5 + 5 + 2,
		},
		{
			name:    "resetting every connection",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) { resetConn(w) },
			want:    monitehooks.DeliveryFailed, wantFailures: []string{"connection 0"},
			wantAttempts: 5 * len(faultSchedule),
		},
		{
			// The other endpoints' answers must come within the same
			// timeout: under -race on two cores plain 200 answers have
			// taken 300ms, and load makes it more.
			name: "hanging until the attempt timeout, then back",
			respond: func(_ http.ResponseWriter, r *http.Request, n int) {
				if n <= 3 {
					hang(r)
				}
			},
			timeout: mixedTimeout,
			want:    monitehooks.DeliverySucceeded, wantFailures: []string{"timeout 0"},
			wantAttempts: 5 + 3,
			check: func(t *testing.T, a monitehooks.Attempt) {
				if a.ErrorClass == monitehooks.ErrorTimeout && a.Duration < mixedTimeout {
					t.Errorf("a timed-out attempt took %v; want at least the attempt timeout, %v", a.Duration, mixedTimeout)
				}
			},
		},
		{
			name: "slow answers below the timeout",
			respond: func(_ http.ResponseWriter, r *http.Request, _ int) {
				// The endpoint's latency, not a wait for an event.
				latency := time.NewTimer(200 * time.Millisecond)
				defer latency.Stop()
				select {
				case <-latency.C:
				case <-r.Context().Done():
				}
			},
			want: monitehooks.DeliverySucceeded, wantAttempts: 5,
			check: func(t *testing.T, a monitehooks.Attempt) {
				if a.Duration < 200*time.Millisecond {
					t.Errorf("an attempt at a 200ms endpoint took %v", a.Duration)
				}
			},
		},
		{
			name: "non-JSON answers",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Content-Type", "text/html")
				w.Write([]byte("<html><body>OK {not json</body></html>"))
			},
			want: monitehooks.DeliverySucceeded, wantAttempts: 5,
			check: wantBody("<html><body>OK {not json</body></html>"),
		},
		{
			name: "invalid UTF-8 answers",
			respond: func(w http.ResponseWriter, _ *http.Request, n int) {
				if n <= 5 {
					w.WriteHeader(http.StatusInternalServerError)
				}
				w.Write([]byte(invalidUTF8))
			},
			want: monitehooks.DeliverySucceeded, wantFailures: []string{"status 500"},
			wantAttempts: 5 + 5,
			check:        wantBody(strings.ToValidUTF8(invalidUTF8, "\uFFFD")),
		},
		{
			name: "10 MiB answers",
			respond: func(w http.ResponseWriter, _ *http.Request, n int) {
				if n <= 5 {
					w.WriteHeader(http.StatusInternalServerError)
				}
				for range (10 << 20) / chunk {
					if _, err := w.Write(chunkBytes); err != nil {
						return // the emitter stopped reading
					}
				}
			},
			want: monitehooks.DeliverySucceeded, wantFailures: []string{"status 500"},
			wantAttempts: 5 + 5,
			check:        wantBody(body64K[:monitehooks.MaxResponseExcerpt]),
		},
		{
			// A body that never ends after 128 KiB: an emitter reading
			// more than MaxResponseRead would wait for the timeout.
			name: "a body that stalls past 64 KiB",
			respond: func(w http.ResponseWriter, r *http.Request, _ int) {
				w.Write([]byte(body64K + body64K))
				http.NewResponseController(w).Flush()
				hang(r)
			},
			want: monitehooks.DeliverySucceeded, wantAttempts: 5,
			check: wantBody(body64K[:monitehooks.MaxResponseExcerpt]),
		},
		{
			name: "huge headers (1 MiB)",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) {
				for i := range 64 {
					w.Header().Set(fmt.Sprintf("X-Huge-%d", i), headerMiB[:16<<10])
				}
			},
			want: monitehooks.DeliverySucceeded, wantAttempts: 5,
		},
		{
			// The transport refuses response headers over 10 MiB.
			name: "headers past the transport's 10 MiB limit, then back",
			respond: func(w http.ResponseWriter, _ *http.Request, n int) {
				if n <= 2 {
					for i := range 11 {
						w.Header().Set(fmt.Sprintf("X-Huge-%d", i), headerMiB)
					}
				}
			},
			want: monitehooks.DeliverySucceeded, wantFailures: []string{"connection 0"},
			wantAttempts: 5 + 2,
		},
		{
			name:    "299 is a success",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(299) },
			want:    monitehooks.DeliverySucceeded, wantAttempts: 5,
		},
		{
			// A followed redirect would come back to this receiver: the
			// accounting would count more requests than attempts.
			name: "300 is a failure, never followed",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Location", "/elsewhere")
				w.WriteHeader(http.StatusMultipleChoices)
			},
			want: monitehooks.DeliveryFailed, wantFailures: []string{"status 300"},
			wantAttempts: 5 * len(faultSchedule),
		},
		{
			name: "418 then back",
			respond: func(w http.ResponseWriter, _ *http.Request, n int) {
				if n <= 5 {
					w.WriteHeader(http.StatusTeapot)
				}
			},
			want: monitehooks.DeliverySucceeded, wantFailures: []string{"status 418"},
			wantAttempts: 5 + 5,
		},
		{
			name:    "599 always",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) { w.WriteHeader(599) },
			want:    monitehooks.DeliveryFailed, wantFailures: []string{"status 599"},
			wantAttempts: 5 * len(faultSchedule),
		},
	}
}

// TestFaults runs each row of the fault matrix against a fresh emitter:
// faultEvents events, each to two faulty subscriptions and a healthy one,
// stepping the test clock through faultSchedule until every delivery has
// settled, then checks the accounting and the emitter's goroutines.
func TestFaults(t *testing.T) {
	t.Parallel()
	for i, tt := range faultCases() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			timeout := tt.timeout
			if timeout == 0 {
				timeout = time.Minute
			}
			b := setupEmitter(t, &monitehooks.EmitterConfig{
				AttemptTimeout: timeout,
				RetryPolicy:    &monitehooks.Schedule{Delays: faultSchedule},
				// Every delivery is to follow the schedule: no breaker
				// holds any (breaker_test.go tests it).
				BreakerThreshold: -1,
			})
			healthy := newReceiver(t, nil)
			var (
				lg        ledger
				receivers = []*receiver{healthy}
				faulty    = map[string]bool{} // subscription IDs
				befores   []func(step int)
			)
			for range 2 {
				ep := faultEndpoint{}
				if tt.endpoint != nil {
					ep = tt.endpoint(t)
				} else {
					ep.rc = newReceiver(t, tt.respond)
					ep.url = ep.rc.URL + "/hook"
				}
				sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: ep.url})
				lg.subs = append(lg.subs, sub.ID)
				faulty[sub.ID] = true
				receivers = append(receivers, ep.rc)
				if ep.before != nil {
					repoint := func(url string) {
						if _, err := b.reg.Update(context.Background(), "partner-a", sub.ID, monitehooks.SubscriptionUpdate{URL: &url}); err != nil {
							t.Fatalf("Update(URL): %v", err)
						}
					}
					befores = append(befores, func(step int) { ep.before(step, repoint) })
				}
			}
			sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: healthy.URL, APIFormat: monitehooks.FormatSettings})
			lg.subs = append(lg.subs, sub.ID)
			// A subscription no event matches gets no delivery.
			b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: healthy.URL})

			for range faultEvents {
				lg.events = append(lg.events, b.emit(t, monitehooks.Event{}).ID)
			}
			runSchedule(t, b, b.em, func(step int) {
				for _, f := range befores {
					f(step)
				}
			})

			// Stop it, both ways in turn; nothing is in flight.
			if i%2 == 0 {
				if err := b.em.Shutdown(context.Background()); err != nil {
					t.Errorf("Shutdown() = %v; want nil", err)
				}
			} else if err := b.em.Close(); err != nil {
				t.Errorf("Close() = %v; want nil", err)
			}
			assertNoGoroutines(t, b.em)

			seen := tally{}
			seen.drain(t, receivers...)
			deliveries := checkAccounting(t, b.store, lg, seen)
			var failures []string
			attempts := map[string]int{}
			for k, d := range deliveries {
				if !faulty[k.subID] {
					if d.Status != monitehooks.DeliverySucceeded || len(d.Attempts) != 1 {
						t.Errorf("healthy delivery %s: %s after %d attempts; want succeeded after 1", d.ID, d.Status, len(d.Attempts))
					}
					continue
				}
				if d.Status != tt.want {
					t.Errorf("faulty delivery %s: %s after %d attempts; want %s", d.ID, d.Status, len(d.Attempts), tt.want)
				}
				if d.Status == monitehooks.DeliveryFailed && len(d.Attempts) != len(faultSchedule) {
					t.Errorf("faulty delivery %s failed after %d attempts; want the schedule's %d", d.ID, len(d.Attempts), len(faultSchedule))
				}
				attempts[k.subID] += len(d.Attempts)
				for _, a := range d.Attempts {
					if a.ErrorClass != "" && !slices.Contains(failures, failureKind(a)) {
						failures = append(failures, failureKind(a))
					}
					if tt.check != nil {
						tt.check(t, a)
					}
				}
			}
			slices.Sort(failures)
			if diff := cmp.Diff(tt.wantFailures, failures); diff != "" {
				t.Errorf("kinds of failed attempts (-want +got):\n%s", diff)
			}
			for sub := range faulty {
				if attempts[sub] != tt.wantAttempts {
					t.Errorf("subscription %s got %d attempts; want %d", sub, attempts[sub], tt.wantAttempts)
				}
			}
		})
	}
}

// TestRestartMidStream stops an emitter while attempts hang in flight and
// retries wait, then starts another on the same store and registry: the
// second finishes everything and nothing is lost.
func TestRestartMidStream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		stop func(t *testing.T, em *monitehooks.Emitter)
	}{
		{"shutdown past its deadline", func(t *testing.T, em *monitehooks.Emitter) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if err := em.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Shutdown() = %v; want context.DeadlineExceeded", err)
			}
		}},
		{"shutdown canceled", func(t *testing.T, em *monitehooks.Emitter) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			if err := em.Shutdown(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("Shutdown() = %v; want context.Canceled", err)
			}
		}},
		{"close", func(t *testing.T, em *monitehooks.Emitter) {
			if err := em.Close(); err != nil {
				t.Errorf("Close() = %v; want nil", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const events = 8
			ctx := context.Background()
			policy := &monitehooks.Schedule{Delays: faultSchedule}
			b := setupEmitter(t, &monitehooks.EmitterConfig{RetryPolicy: policy, AttemptTimeout: time.Minute})
			hanging := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, _ int) { hang(r) })
			healthy := newReceiver(t, nil)
			flaky := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, n int) {
				if n <= events {
					w.WriteHeader(http.StatusInternalServerError)
				}
			})
			var lg ledger
			for _, rc := range []*receiver{hanging, healthy, flaky} {
				lg.subs = append(lg.subs, b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL}).ID)
			}
			hangingSub := lg.subs[0]
			for range events {
				lg.events = append(lg.events, b.emit(t, monitehooks.Event{}).ID)
			}
			seen := tally{}
			for range events {
				seen.add(t, hanging.next(t)) // every hanging delivery is in flight
			}
			for range 2 * events {
				wait(t, b.attempts, "the healthy and flaky endpoints' attempts")
			}

			tt.stop(t, b.em)
			assertNoGoroutines(t, b.em)
			if _, err := b.em.Emit(ctx, monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "created", ObjectID: "o"}); !errors.Is(err, monitehooks.ErrEmitterClosed) {
				t.Errorf("Emit after stopping = %v; want ErrEmitterClosed", err)
			}
			counts, err := b.store.CountDeliveries(ctx)
			if want := (monitehooks.DeliveryCounts{Pending: 2 * events, Succeeded: events}); err != nil || counts != want {
				t.Errorf("counts after stopping = %+v, %v; want %+v", counts, err, want)
			}
			// The canceled attempts are recorded as such, and due at once.
			for _, d := range listDeliveries(t, b.store) {
				if d.SubscriptionID != hangingSub {
					continue
				}
				if d.Status != monitehooks.DeliveryPending || len(d.Attempts) != 1 ||
					d.Attempts[0].ErrorClass != monitehooks.ErrorCanceled || d.NextAttemptAt.After(b.clock.Now()) {
					t.Errorf("canceled delivery %s: %s, attempts %+v, due %v; want pending, one canceled attempt, due now",
						d.ID, d.Status, d.Attempts, d.NextAttemptAt)
				}
			}

			hanging.setRespond(nil)
			em2, err := monitehooks.NewEmitter(b.store, b.reg, &monitehooks.EmitterConfig{
				Now: b.clock.Now, RetryPolicy: policy, AllowPrivateNetworks: true,
				Observer: &monitehooks.Observer{AttemptDone: func(i monitehooks.DeliveryInfo) { b.attempts <- i }},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { em2.Close() })
			for range events / 2 {
				ev, err := em2.Emit(ctx, monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "updated", ObjectID: "o"})
				if err != nil {
					t.Fatalf("Emit to the second emitter: %v", err)
				}
				lg.events = append(lg.events, ev.ID)
			}
			runSchedule(t, b, em2, nil)
			if err := em2.Shutdown(ctx); err != nil {
				t.Errorf("second Shutdown() = %v; want nil", err)
			}
			assertNoGoroutines(t, em2)
			assertNoGoroutines(t, b.em)

			seen.drain(t, hanging, healthy, flaky)
			deliveries := checkAccounting(t, b.store, lg, seen)
			counts, err = b.store.CountDeliveries(ctx)
			if want := (monitehooks.DeliveryCounts{Succeeded: len(lg.events) * len(lg.subs)}); err != nil || counts != want {
				t.Errorf("final counts = %+v, %v; want %+v", counts, err, want)
			}
			for _, ev := range lg.events[:events] {
				k := deliveryKey{ev, hangingSub}
				if d := deliveries[k]; len(d.Attempts) != 2 || seen[k] != 2 {
					t.Errorf("delivery of event %s to the hanging endpoint: %d attempts recorded, received %d times; want 2 recorded (one canceled), received twice", ev, len(d.Attempts), seen[k])
				}
			}
		})
	}
}

// TestLeaseExpiry has a worker claim a delivery and crash, never recording
// or releasing it: the delivery waits out the lease, then a running
// emitter delivers it, and the crashed worker's token is worthless.
func TestLeaseExpiry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// An hour's poll: the emitter looks for due deliveries only when
	// woken, or at the end of a lease it knows of.
	b := setupEmitter(t, &monitehooks.EmitterConfig{PollInterval: time.Hour})
	rc := newReceiver(t, nil)
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	start := b.clock.Now()

	// Another process stores an event due in a minute and, a minute on,
	// claims its delivery with a 30s lease, then crashes. The emitter
	// cannot claim it first: its clock has not reached the due time.
	ev, err := b.store.CreateEvent(ctx, monitehooks.CreateEventParams{
		Event:           monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "updated", ObjectID: "o-crashed", CreatedAt: start},
		SubscriptionIDs: []string{sub.ID},
		Due:             start.Add(time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	const lease = 30 * time.Second
	crashed, err := b.store.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: start.Add(time.Minute), Limit: 10, Lease: lease})
	if err != nil || len(crashed.Claims) != 1 {
		t.Fatalf("ClaimDeliveries = %+v, %v; want one claim", crashed, err)
	}
	claim := crashed.Claims[0]

	b.clock.Advance(time.Minute)
	b.em.Wake()
	other := b.emit(t, monitehooks.Event{ObjectID: "o-other"})
	if info := wait(t, b.done, "another delivery"); info.EventID != other.ID || info.Status != monitehooks.DeliverySucceeded {
		t.Errorf("delivery done = event %s, %s; want event %s succeeded while the crashed claim holds", info.EventID, info.Status, other.ID)
	}
	b.clock.Advance(lease - time.Second)
	b.em.Wake()
	// A second before the lease ends nobody can claim the delivery.
	res, err := b.store.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: b.clock.Now(), Limit: 10, Lease: time.Minute})
	if err != nil || len(res.Claims) != 0 || !res.NextDue.Equal(start.Add(time.Minute+lease)) {
		t.Errorf("ClaimDeliveries during the lease = %+v, %v; want no claim, next due at the lease's end %v", res, err, start.Add(time.Minute+lease))
	}

	b.clock.Advance(time.Second)
	b.em.Wake()
	info := wait(t, b.done, "the crashed worker's delivery")
	if info.DeliveryID != claim.DeliveryID || info.Status != monitehooks.DeliverySucceeded || info.AttemptNumber != 1 {
		t.Errorf("delivery done = %s, %s at attempt %d; want %s succeeded at 1", info.DeliveryID, info.Status, info.AttemptNumber, claim.DeliveryID)
	}

	// The crashed worker's token no longer holds the delivery.
	late := monitehooks.RecordAttemptParams{
		DeliveryID: claim.DeliveryID, LeaseToken: claim.LeaseToken, Status: monitehooks.DeliveryFailed,
		Attempt:   &monitehooks.Attempt{At: b.clock.Now(), ErrorClass: monitehooks.ErrorTimeout, Error: "late"},
		UpdatedAt: b.clock.Now(),
	}
	if err := b.store.RecordAttempt(ctx, late); !errors.Is(err, monitehooks.ErrLeaseLost) {
		t.Errorf("RecordAttempt(stale token) = %v; want ErrLeaseLost", err)
	}
	if err := b.store.ReleaseDelivery(ctx, monitehooks.ReleaseParams{DeliveryID: claim.DeliveryID, LeaseToken: claim.LeaseToken}); !errors.Is(err, monitehooks.ErrLeaseLost) {
		t.Errorf("ReleaseDelivery(stale token) = %v; want ErrLeaseLost", err)
	}

	if err := b.em.Close(); err != nil {
		t.Errorf("Close() = %v; want nil", err)
	}
	assertNoGoroutines(t, b.em)
	seen := tally{}
	seen.drain(t, rc)
	deliveries := checkAccounting(t, b.store, ledger{events: []string{ev.ID, other.ID}, subs: []string{sub.ID}}, seen)
	k := deliveryKey{ev.ID, sub.ID}
	if d := deliveries[k]; d.Status != monitehooks.DeliverySucceeded || len(d.Attempts) != 1 || seen[k] != 1 {
		t.Errorf("the crashed worker's delivery: %s, %d attempts, received %d times; want succeeded, 1, once", d.Status, len(d.Attempts), seen[k])
	}
}
