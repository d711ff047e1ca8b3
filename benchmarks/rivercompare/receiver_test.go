package rivercompare

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// receiver is the one local endpoint both sides post to. It reads each
// request's body and answers 200, and counts the answers: a batch waits
// for the count to reach its target. The count never resets, so a
// duplicate delivery shows as a total above what was sent.
type receiver struct {
	srv     *httptest.Server
	answers tally       // requests answered
	gotBody atomic.Bool // first is set
	// arrivals, when not nil, receives the time each request arrived,
	// unless it is full.
	arrivals chan time.Time

	// record makes the receiver keep each request's Webhook-Id and
	// check its signature against secrets: for the smoke tests, not the
	// benchmark.
	record  bool
	mu      sync.Mutex // guards secrets, ids, bad and first
	secrets []string
	ids     map[string]int // Webhook-Id → requests that carried it
	bad     []string       // why requests were refused
	first   []byte         // the first body received
}

// newReceiver starts a receiver, closed when tb ends.
func newReceiver(tb testing.TB, record bool) *receiver {
	r := &receiver{answers: newTally(), record: record, ids: make(map[string]int)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	tb.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	if r.arrivals != nil {
		select {
		case r.arrivals <- time.Now():
		default:
		}
	}
	if r.record || !r.gotBody.Load() {
		r.inspect(req)
	} else {
		io.Copy(io.Discard, req.Body)
	}
	r.answers.add()
}

// inspect reads the request, keeps its body if it is the first, and, when
// recording, keeps its Webhook-Id and checks its signature.
func (r *receiver) inspect(req *http.Request) {
	body, err := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.bad = append(r.bad, "reading body: "+err.Error())
		return
	}
	if r.first == nil {
		r.first = body
		r.gotBody.Store(true)
	}
	if !r.record {
		return
	}
	r.ids[req.Header.Get(monitehooks.WebhookIDHeader)]++
	err = monitehooks.Verify(req.Header.Get(monitehooks.SignatureHeader), body, monitehooks.VerifyParams{Secrets: r.secrets})
	switch {
	case err != nil:
		r.bad = append(r.bad, "signature: "+err.Error())
	case req.Header.Get("Content-Type") != "application/json":
		r.bad = append(r.bad, "Content-Type "+req.Header.Get("Content-Type"))
	}
}

// setSecrets sets the secrets a recording receiver verifies with.
func (r *receiver) setSecrets(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = secrets
}

// firstBody returns the first body received, or nil.
func (r *receiver) firstBody() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.first
}

// wait blocks until the receiver has answered total requests since it
// started, failing tb after timeout, a guard against a hang only.
func (r *receiver) wait(tb testing.TB, total int64, timeout time.Duration) {
	tb.Helper()
	r.answers.wait(tb, "receiver's answers", total, timeout)
}

// total returns the number of requests answered.
func (r *receiver) total() int64 { return r.answers.n.Load() }
