package webhooktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
)

// DefaultWait is how long the Wait methods block before failing the test.
const DefaultWait = 10 * time.Second

// Request is one request a [Receiver] got.
type Request struct {
	// ReceivedAt is when the request arrived, by the receiver's clock.
	ReceivedAt time.Time
	// Method, Path and Header are the request's.
	Method string
	Path   string
	Header http.Header
	// Body is the raw body, exactly as received.
	Body []byte
	// SignatureErr is the result of verifying the Monite-Signature header
	// against the receiver's secrets: nil when it verified. It is
	// ErrNoSecrets when the receiver had no secrets to verify with.
	SignatureErr error
}

// Verified reports whether the request's signature verified.
func (r Request) Verified() bool { return r.SignatureErr == nil }

// WebhookID returns the request's Webhook-Id header: the event ID.
func (r Request) WebhookID() string { return r.Header.Get(monitehooks.WebhookIDHeader) }

// JSON decodes the body into a generic value (map[string]any for a JSON
// object), or returns nil when it is not JSON.
func (r Request) JSON() map[string]any {
	var v map[string]any
	if json.Unmarshal(r.Body, &v) != nil {
		return nil
	}
	return v
}

// ErrNoSecrets is the SignatureErr of requests a receiver without secrets
// got.
var ErrNoSecrets = errors.New("webhooktest: the receiver has no secrets to verify with")

// Response is one scripted answer of a [Receiver]. The zero Response
// answers 200 OK with an empty body.
type Response struct {
	// Status is the status code, a final one from 200 to 599. Zero means
	// 200.
	Status int
	// Header is added to the answer.
	Header http.Header
	// Body is the answer's body.
	Body string
	// Delay holds the answer back this long, or until the request is
	// canceled.
	Delay time.Duration
	// Hang holds the answer back until the request is canceled (the
	// sender's timeout) or the receiver closes.
	Hang bool
	// Reset drops the connection without an answer.
	Reset bool
}

// Status returns a Response with the status code.
func Status(code int) Response { return Response{Status: code} }

// Gone returns a 410 Gone Response: Monite's senders disable the
// subscription.
func Gone() Response { return Response{Status: http.StatusGone} }

// RetryAfter returns a Response with the status code (429 or 503) and a
// Retry-After header of the given seconds.
func RetryAfter(code int, seconds int) Response {
	return Response{Status: code, Header: http.Header{"Retry-After": {strconv.Itoa(seconds)}}}
}

// Redirect returns a 307 Response to url.
func Redirect(url string) Response {
	return Response{Status: http.StatusTemporaryRedirect, Header: http.Header{"Location": {url}}}
}

// Hang returns a Response that never answers: the request hangs until the
// sender gives up.
func Hang() Response { return Response{Hang: true} }

// Reset returns a Response that drops the connection.
func Reset() Response { return Response{Reset: true} }

// Receiver is a webhook endpoint for tests, modelled on
// [httptest.Server]: it starts listening on construction, records every
// request, verifies signatures against the secrets it is given, and answers
// from a script, then 200 OK. Its methods are safe for concurrent use.
type Receiver struct {
	// URL is the receiver's base URL, http://127.0.0.1:port.
	URL string

	srv *httptest.Server
	now func() time.Time

	mu       sync.Mutex // guards the fields below
	secrets  []string
	script   []Response
	requests []Request
	arrived  chan struct{} // closed and replaced on each request
	closed   chan struct{} // closed by Close: ends hanging answers
	isClosed bool
}

// NewReceiver starts a receiver and registers its Close with tb.Cleanup.
// Secrets to verify with may be given now or later with SetSecrets.
func NewReceiver(tb testing.TB, secrets ...string) *Receiver {
	tb.Helper()
	r := newReceiver(secrets...)
	tb.Cleanup(r.Close)
	return r
}

// newReceiver is NewReceiver without a testing.TB, for testscript.
func newReceiver(secrets ...string) *Receiver {
	r := &Receiver{
		now:     time.Now,
		secrets: append([]string(nil), secrets...),
		arrived: make(chan struct{}),
		closed:  make(chan struct{}),
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	return r
}

// SetSecrets replaces the secrets requests are verified with.
func (r *Receiver) SetSecrets(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.secrets = append([]string(nil), secrets...)
}

// SetClock sets the clock that stamps requests and checks signature
// timestamps. Defaults to time.Now.
func (r *Receiver) SetClock(now func() time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.now = now
}

// Script queues answers for the next requests, in order, after any still
// queued. Once the script runs out the receiver answers 200 OK. It panics,
// as net/http does, on a Status that is neither zero nor a final status
// from 200 to 599: an informational 1xx would be followed by a 200, so the
// sender would never see it as the answer.
func (r *Receiver) Script(responses ...Response) {
	for i, resp := range responses {
		if resp.Status != 0 && !finalStatus(resp.Status) {
			panic(fmt.Sprintf("webhooktest: Script: response %d: status %d is not a final HTTP status, from 200 to 599", i, resp.Status))
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.script = append(r.script, responses...)
}

// Requests returns a copy of the requests received so far, oldest first.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Request, len(r.requests))
	for i, req := range r.requests {
		out[i] = req.clone()
	}
	return out
}

// Len returns how many requests were received.
func (r *Receiver) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests)
}

// WaitFor blocks until at least n requests have arrived and returns the
// first n. It fails the test if they do not arrive within DefaultWait.
func (r *Receiver) WaitFor(tb testing.TB, n int) []Request {
	tb.Helper()
	reqs := r.WaitForFunc(tb, fmt.Sprintf("%d requests", n), func(reqs []Request) bool { return len(reqs) >= n })
	return reqs[:min(n, len(reqs))]
}

// WaitForEvent blocks until a request for the event (its Webhook-Id)
// arrives and returns it, failing the test after DefaultWait.
func (r *Receiver) WaitForEvent(tb testing.TB, eventID string) Request {
	tb.Helper()
	var found Request
	r.WaitForFunc(tb, "a request for event "+eventID, func(reqs []Request) bool {
		for _, req := range reqs {
			if req.WebhookID() == eventID {
				found = req
				return true
			}
		}
		return false
	})
	return found
}

// WaitForFunc blocks until done, called with the requests so far after
// each arrival, returns true; it returns those requests. It fails the test
// naming what if that does not happen within DefaultWait.
func (r *Receiver) WaitForFunc(tb testing.TB, what string, done func([]Request) bool) []Request {
	tb.Helper()
	reqs, err := r.wait(what, done)
	if err != nil {
		tb.Fatalf("%v", err)
	}
	return reqs
}

// wait is WaitForFunc answering an error instead of failing a test.
func (r *Receiver) wait(what string, done func([]Request) bool) ([]Request, error) {
	deadline := time.NewTimer(DefaultWait)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		arrived := r.arrived
		r.mu.Unlock()
		reqs := r.Requests()
		if done(reqs) {
			return reqs, nil
		}
		select {
		case <-arrived:
		case <-deadline.C:
			return reqs, fmt.Errorf("webhooktest: waited %v for %s; the receiver got %d requests", DefaultWait, what, len(reqs))
		}
	}
}

// AssertAllVerified fails the test for each request whose signature did
// not verify.
func (r *Receiver) AssertAllVerified(tb testing.TB) {
	tb.Helper()
	for i, req := range r.Requests() {
		if req.SignatureErr != nil {
			tb.Errorf("webhooktest: request %d (%s %s) signature: %v", i, req.Method, req.Path, req.SignatureErr)
		}
	}
}

// AssertBodies compares the JSON bodies received so far with want, each
// decoded into a generic value, and fails the test with a diff
// (-want +got). opts are go-cmp options, such as
// cmpopts.IgnoreMapEntries to ignore IDs and times.
func (r *Receiver) AssertBodies(tb testing.TB, want []map[string]any, opts ...cmp.Option) {
	tb.Helper()
	got := []map[string]any{}
	for _, req := range r.Requests() {
		got = append(got, req.JSON())
	}
	if diff := cmp.Diff(want, got, opts...); diff != "" {
		tb.Errorf("webhooktest: bodies mismatch (-want +got):\n%s", diff)
	}
}

// Close shuts the receiver down, ending hanging answers. It may be called
// more than once.
func (r *Receiver) Close() {
	r.mu.Lock()
	if !r.isClosed {
		r.isClosed = true
		close(r.closed)
	}
	r.mu.Unlock()
	r.srv.Close()
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 16<<20))
	r.mu.Lock()
	now := r.now
	secrets := r.secrets
	var resp Response
	if len(r.script) > 0 {
		resp = r.script[0]
		r.script = r.script[1:]
	}
	r.mu.Unlock()

	rec := Request{
		ReceivedAt: now(),
		Method:     req.Method,
		Path:       req.URL.Path,
		Header:     req.Header.Clone(),
		Body:       body,
	}
	if len(secrets) == 0 {
		rec.SignatureErr = ErrNoSecrets
	} else {
		rec.SignatureErr = monitehooks.Verify(req.Header.Get(monitehooks.SignatureHeader), body,
			monitehooks.VerifyParams{Secrets: secrets, Now: now})
	}
	r.mu.Lock()
	r.requests = append(r.requests, rec)
	close(r.arrived)
	r.arrived = make(chan struct{})
	r.mu.Unlock()

	respond(w, req, resp, r.closed)
}

// respond writes a scripted answer.
func respond(w http.ResponseWriter, req *http.Request, resp Response, closed <-chan struct{}) {
	switch {
	case resp.Reset:
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			if tcp, ok := conn.(*net.TCPConn); ok {
				tcp.SetLinger(0) // send RST, not FIN
			}
			conn.Close()
		}
		return
	case resp.Hang:
		select {
		case <-req.Context().Done():
		case <-closed:
		}
		return
	case resp.Delay > 0:
		t := time.NewTimer(resp.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-req.Context().Done():
			return
		case <-closed:
			return
		}
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	io.WriteString(w, resp.Body)
}

// finalStatus reports whether code is a final HTTP status, one that ends
// an exchange: 200 to 599.
func finalStatus(code int) bool { return code >= 200 && code <= 599 }

func (r Request) clone() Request {
	r.Header = r.Header.Clone()
	r.Body = append([]byte(nil), r.Body...)
	return r
}
