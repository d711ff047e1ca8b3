package cli_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// holdingReceiver is a webhook endpoint that can hold the requests it
// gets: while it holds, a request gets no answer until its connection
// closes (as when its sender dies), the receiver releases it, or the test
// ends. It answers 200 to the other requests, and to those it releases,
// once their signature verifies.
type holdingReceiver struct {
	url string
	// held gets, as each request starts being held, its Webhook-Id and
	// how many requests are held at once with it.
	held      chan heldRequest
	delivered chan string // the Webhook-Id of each request answered 200

	mu      sync.Mutex    // guards holding, open, release and secret
	holding bool          // requests are held
	open    int           // how many are held now
	release chan struct{} // closed to answer the held requests
	secret  string        // the subscription's, which signatures must verify with
}

// newHoldingReceiver starts a receiver that holds the requests it gets
// until told otherwise.
func newHoldingReceiver(t *testing.T) *holdingReceiver {
	t.Helper()
	h := &holdingReceiver{
		held: make(chan heldRequest, 1024), delivered: make(chan string, 1024),
		holding: true, release: make(chan struct{}),
	}
	testDone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return // the sender went away
		}
		id := r.Header.Get(monitehooks.WebhookIDHeader)
		if release := h.hold(id); release != nil {
			defer h.unhold()
			select {
			case <-r.Context().Done():
				return // its sender is gone: no answer reaches anyone
			case <-testDone:
				return
			case <-release:
			}
		}
		h.mu.Lock()
		secret := h.secret
		h.mu.Unlock()
		if err := monitehooks.Verify(r.Header.Get(monitehooks.SignatureHeader), body, monitehooks.VerifyParams{Secrets: []string{secret}}); err != nil {
			t.Errorf("the delivery of %s does not verify with the subscription's secret: %v", id, err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		h.delivered <- id
	}))
	t.Cleanup(func() {
		close(testDone)
		srv.Close()
	})
	h.url = srv.URL
	return h
}

// heldRequest is a request a holdingReceiver holds.
type heldRequest struct {
	id   string // its Webhook-Id
	open int    // how many requests are held with it, itself included
}

// hold returns nil when the receiver does not hold requests; else it
// counts one more request held, reports it, and returns the channel
// that releases it.
func (h *holdingReceiver) hold(id string) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.holding {
		return nil
	}
	h.open++
	h.held <- heldRequest{id: id, open: h.open}
	return h.release
}

// unhold counts one request held less.
func (h *holdingReceiver) unhold() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.open--
}

// setSecret sets the secret signatures must verify with.
func (h *holdingReceiver) setSecret(secret string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.secret = secret
}

// stopHolding answers the requests to come at once; those held stay
// held.
func (h *holdingReceiver) stopHolding() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.holding = false
}

// releaseHeld stops holding, and answers the requests held.
func (h *holdingReceiver) releaseHeld() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.holding {
		h.holding = false
		close(h.release)
	}
}

// waitHeld waits until the receiver holds n requests at once, and
// returns the Webhook-Id of the last one.
func (h *holdingReceiver) waitHeld(t *testing.T, n int, logs func() string) string {
	t.Helper()
	most := 0
	timeout := time.After(processWait)
	for {
		select {
		case r := <-h.held:
			if r.open >= n {
				return r.id
			}
			most = max(most, r.open)
		case <-timeout:
			t.Fatalf("the receiver held at most %d requests at once within %v; want %d; serve's logs:\n%s", most, processWait, n, logs())
		}
	}
}

// waitDelivered waits until the receiver has answered 200 to a request
// of each of the events, and returns how many requests of each it
// answered so.
func (h *holdingReceiver) waitDelivered(t *testing.T, events []string, logs func() string) map[string]int {
	t.Helper()
	got := make(map[string]int)
	missing := len(events)
	timeout := time.After(processWait)
	for missing > 0 {
		select {
		case id := <-h.delivered:
			got[id]++
			for _, ev := range events {
				if ev == id && got[id] == 1 {
					missing--
				}
			}
		case <-timeout:
			t.Fatalf("within %v the receiver got %v; want every one of %v; serve's logs:\n%s", processWait, got, events, logs())
		}
	}
	return got
}

// subscribeAndEmit subscribes the receiver to entity events through the
// API, gives it the secret, emits n events through the API, and returns
// the subscription's ID and the events' IDs.
func subscribeAndEmit(t *testing.T, api string, rcv *holdingReceiver, n int) (string, []string) {
	t.Helper()
	code, sub := apiRequest(t, "POST", api+"/webhook_subscriptions", devTokenForTests, `{"object_type":"entity","url":"`+rcv.url+`/hook"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /webhook_subscriptions = %d %v; want 201", code, sub)
	}
	rcv.setSecret(sub["secret"].(string))
	return sub["id"].(string), emit(t, api, n)
}

// emit emits n entity events through the API and returns their IDs.
func emit(t *testing.T, api string, n int) []string {
	t.Helper()
	var ids []string
	for i := range n {
		code, ev := apiRequest(t, "POST", api+"/events", devTokenForTests,
			fmt.Sprintf(`{"object_type":"entity","event_type":"updated","object_id":"obj-%d"}`, i))
		if code != http.StatusCreated {
			t.Fatalf("POST /events = %d %v; want 201", code, ev)
		}
		ids = append(ids, ev["id"].(string))
	}
	return ids
}

// durableStores are the stores a crash is tried on: an SQLite file, and
// a PostgreSQL database of the test's own.
var durableStores = []struct {
	name string
	url  func(t *testing.T) string
}{
	{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "monitehooks.db") }},
	{"postgres", newPostgresDatabase},
}

// TestServeSIGKILL kills serve with SIGKILL while its attempts are in
// flight, and checks that a serve started again on the same store
// delivers every event that was emitted, those in flight at the kill
// included, once their lease ends. Until the kill, the receiver holds
// every request it gets, so that none is answered: the first serve
// delivers nothing, and the second must deliver everything.
func TestServeSIGKILL(t *testing.T) {
	t.Parallel()
	for _, st := range durableStores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			store := st.url(t)
			// An attempt the receiver holds gives up after 5s and is
			// retried at once, ten times: 50s before a delivery could fail
			// for good, far longer than the kill takes on a loaded
			// machine. A lease ends 6s after its claim.
			args := []string{"--store", store, "--attempt-timeout", "5s", "--lease", "6s",
				"--retry-schedule", "0s,0s,0s,0s,0s,0s,0s,0s,0s,0s", "--log-level", "debug"}
			rcv := newHoldingReceiver(t)
			first := startServeProcess(t, args...)
			_, events := subscribeAndEmit(t, first.api, rcv, 3)
			inFlight := rcv.waitHeld(t, 1, func() string { return first.stderr(t) })
			first.kill(t)
			// The requests held stay unanswered: their connections are
			// closed, and the killed serve could not read an answer.
			rcv.stopHolding()

			second := startServeProcess(t, args...)
			got := rcv.waitDelivered(t, events, func() string { return first.stderr(t) + "\n-- the second serve:\n" + second.stderr(t) })
			if got[inFlight] == 0 {
				t.Errorf("the event %s whose attempt was in flight at the kill is not one of those emitted, %v", inFlight, events)
			}
			if code := second.stop(t); code != 0 {
				t.Errorf("the second serve after SIGINT = %d; want 0; stderr:\n%s", code, second.stderr(t))
			}
		})
	}
}

// TestServeSharedPostgres runs two serves on one PostgreSQL database,
// each with its own connections as two processes would have. A
// subscription made through one is seen through the other, the events
// emitted through either are delivered, and both deliver: the receiver
// holds requests until it holds more than one serve attempts at once for
// a subscription (monitehooks.DefaultPerSubscription).
func TestServeSharedPostgres(t *testing.T) {
	t.Parallel()
	store := newPostgresDatabase(t)
	args := []string{"--store", store, "--attempt-timeout", "30s", "--retry-schedule", "0s,0s,0s"}
	a, apiA := startServe(t, args...)
	b, apiB := startServe(t, args...)
	logs := func() string { return a.stderr.String() + "\n-- the second serve:\n" + b.stderr.String() }

	rcv := newHoldingReceiver(t)
	subID, events := subscribeAndEmit(t, apiA, rcv, monitehooks.DefaultPerSubscription)
	if code, sub := apiRequest(t, "GET", apiB+"/webhook_subscriptions/"+subID, devTokenForTests, ""); code != http.StatusOK {
		t.Errorf("GET /webhook_subscriptions/%s through the other serve = %d %v; want 200", subID, code, sub)
	}
	events = append(events, emit(t, apiB, monitehooks.DefaultPerSubscription)...)

	rcv.waitHeld(t, monitehooks.DefaultPerSubscription+1, logs)
	rcv.releaseHeld()
	rcv.waitDelivered(t, events, logs)
	for _, r := range []*running{a, b} {
		if code := r.stop(t); code != 0 {
			t.Errorf("serve after cancellation = %d; want 0", code)
		}
	}
}
