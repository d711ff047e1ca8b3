package monitehooks_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
)

// faultSchedule is the retry schedule of the fault tests: five attempts a
// minute apart, without jitter, so that moving the test clock a minute
// makes every retry due at once.
var faultSchedule = []time.Duration{0, time.Minute, time.Minute, time.Minute, time.Minute}

// faultEvents is how many events each fault test emits.
const faultEvents = 5

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
