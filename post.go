package monitehooks

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/monitehooks/monitehooks/internal/h1"
)

// userAgent is the User-Agent of every delivery.
const userAgent = "monitehooks/" + Version

// post sends the delivery in w, its body and signature, to target, and
// reads the start of the answer's body into w.answer. It returns the
// status, the Retry-After delay of a 429 or 503 answer, and the error of a
// request that got no answer.
func (e *Emitter) post(w *workerState, target, eventID string) (status int, retryAfter time.Duration, err error) {
	w.answer = w.answer[:0]
	if e.h1 != nil {
		status, retryAfter, err = e.postH1(w, target, eventID)
		if !errors.Is(err, h1.ErrUnsupportedURL) {
			return status, retryAfter, err
		}
		// A URL the h1 client does not take goes through the transport.
	}
	return e.postTransport(w, target, eventID)
}

// postH1 is post by the h1 client. It returns h1.ErrUnsupportedURL,
// having sent nothing, for a URL the client does not take.
func (e *Emitter) postH1(w *workerState, target, eventID string) (status int, retryAfter time.Duration, err error) {
	req := &w.req
	req.URL, req.Body, req.Deadline = target, w.body, time.Now().Add(e.timeout)
	req.Header.Reset()
	req.Header.Add("User-Agent", userAgent)
	req.Header.Add("Content-Type", "application/json")
	req.Header.AddBytes(SignatureHeader, w.sig)
	req.Header.Add(WebhookIDHeader, eventID) // refused, as net/http refuses it, if it would split the request
	w.resp.Body = w.answer
	err = e.h1.Post(e.baseCtx, req, &w.resp)
	w.answer, req.Body = w.resp.Body, nil // w.body's memory stays the worker's to let go
	switch {
	case errors.Is(err, h1.ErrUnsupportedURL):
		return 0, 0, err
	case err != nil:
		return 0, 0, requestError(target, err, !time.Now().Before(req.Deadline))
	}
	if asksToWait(w.resp.Status) {
		retryAfter = e.retryAfter(w.resp.RetryAfter())
	}
	return w.resp.Status, retryAfter, nil
}

// postTransport is post by the transport.
func (e *Emitter) postTransport(w *workerState, target, eventID string) (status int, retryAfter time.Duration, err error) {
	ctx := w.deadline.begin(e.timeout)
	defer w.deadline.end()
	// The transport gets a copy of the body: net/http's may still be
	// writing it after the answer came, when w.body already holds the
	// worker's next delivery.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(bytes.Clone(w.body)))
	if err != nil {
		return 0, 0, &invalidURLError{err}
	}
	if e.proxy != nil {
		if req, err = e.throughProxy(req); err != nil {
			return 0, 0, requestError(target, err, false)
		}
	}
	values := []string{"application/json", userAgent, string(w.sig), eventID}
	req.Header = http.Header{
		"Content-Type":  values[0:1:1],
		"User-Agent":    values[1:2:2],
		SignatureHeader: values[2:3:3],
		WebhookIDHeader: values[3:4:4],
	}
	// The transport directly, not an http.Client: redirects are not
	// followed, and the registry refuses URLs with credentials, so a
	// client would only add work to every attempt. What else a client
	// does for a caller like this one is done here.
	resp, err := e.transport.RoundTrip(req)
	if err != nil {
		// Some transports (HTTP/2's among them) answer ctx.Err(),
		// context.Canceled, rather than the cause.
		return 0, 0, requestError(target, err, context.Cause(ctx) == errAttemptTimeout)
	}
	if resp == nil {
		return 0, 0, fmt.Errorf("monitehooks: transport %T returned no response and no error", e.transport)
	}
	if resp.Body == nil {
		if resp.ContentLength > 0 {
			return 0, 0, fmt.Errorf("monitehooks: transport %T returned a response with a length of %d and no body", e.transport, resp.ContentLength)
		}
		resp.Body = http.NoBody
	}
	defer resp.Body.Close()
	// The deadline cuts the body off too: net/http stops reading at it,
	// but not from the connection it hands over with a 101, and another
	// transport's body may not either.
	stop := context.AfterFunc(ctx, func() { resp.Body.Close() })
	defer stop()
	// Read what we keep, and a little more so that a short body is drained
	// and the connection reused; a larger body closes the connection.
	n, _ := io.ReadFull(resp.Body, w.answer[:cap(w.answer)])
	w.answer = w.answer[:n]
	if asksToWait(resp.StatusCode) {
		retryAfter = e.retryAfter(resp.Header.Get("Retry-After"))
	}
	return resp.StatusCode, retryAfter, nil
}

// throughProxy readies a request for the fallback transport when a proxy
// is configured. If the proxy takes the request, its host is checked as
// the h1 client checks it, and its context names the proxy's address,
// which fallbackDialer then dials without the guard.
func (e *Emitter) throughProxy(req *http.Request) (*http.Request, error) {
	p, err := e.proxy(req)
	switch {
	case err != nil:
		return nil, &h1.ProxyError{Err: err}
	case p == nil:
		return req, nil
	}
	if err := e.guard.checkHost(req.URL.Hostname()); err != nil {
		return nil, err
	}
	return req.WithContext(context.WithValue(req.Context(), proxyAddrKey{}, proxyAddr(p))), nil
}

// proxyAddrKey is the context key under which throughProxy puts the
// address of a request's proxy.
type proxyAddrKey struct{}

// fallbackDialer returns the fallback transport's dial function: dial,
// which applies the guard, but for the address of the request's proxy,
// which dialProxy dials.
func fallbackDialer(dial, dialProxy func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if p, _ := ctx.Value(proxyAddrKey{}).(string); p != "" && p == addr {
			return dialProxy(ctx, network, addr)
		}
		return dial(ctx, network, addr)
	}
}

// proxyAddr returns the host:port net/http's Transport dials for the
// proxy p.
func proxyAddr(p *url.URL) string {
	port := p.Port()
	switch {
	case port != "":
	case p.Scheme == "http":
		port = "80"
	case p.Scheme == "https":
		port = "443"
	case p.Scheme == "socks5", p.Scheme == "socks5h":
		port = "1080"
	}
	return net.JoinHostPort(p.Hostname(), port)
}

// proxyConnectResponse is the fallback transport's OnProxyConnectResponse:
// a proxy's refusal to open a tunnel is a *h1.ProxyError, as the h1
// client has it, rather than net/http's bare status text.
func proxyConnectResponse(_ context.Context, proxyURL *url.URL, _ *http.Request, resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	return &h1.ProxyError{Proxy: proxyAddr(proxyURL), StatusCode: resp.StatusCode, Err: fmt.Errorf("CONNECT answered %s", resp.Status)}
}

// asksToWait reports whether an answer of status may say in its
// Retry-After header when to come back.
func asksToWait(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// retryAfter returns the delay a Retry-After header's value asks for, or 0.
func (e *Emitter) retryAfter(value string) time.Duration {
	d, _ := parseRetryAfter(value, e.now())
	return d
}

// requestError is the error of a request to target that got no answer, as
// http.Client words it; timedOut reports that the attempt ran out of time.
func requestError(target string, err error, timedOut bool) error {
	var tlsErr tls.RecordHeaderError
	switch {
	case timedOut:
		err = errAttemptTimeout
	case errors.As(err, &tlsErr) && string(tlsErr.RecordHeader[:]) == "HTTP/":
		err = http.ErrSchemeMismatch // an https URL served in plain HTTP
	}
	return &url.Error{Op: "Post", URL: target, Err: err}
}

// errAttemptTimeout is the cause an attempt's context is canceled with when
// the attempt runs out of time.
var errAttemptTimeout = fmt.Errorf("monitehooks: attempt timed out: %w", context.DeadlineExceeded)

// deadline bounds one worker's attempts, one at a time, with a timer made
// once: begin arms it and returns the context for the attempt, and end
// disarms it. When the timer fires, it cancels that context with
// errAttemptTimeout, and end makes a new one for the next attempt. A
// context with a deadline per attempt would cost, on every attempt, a
// context, a timer, and a map of children in the context for the
// transport's own child context.
type deadline struct {
	parent context.Context
	timer  *time.Timer
	fired  chan struct{} // the timer's function has canceled ctx
	ctx    context.Context
	mu     sync.Mutex // guards cancel, which the timer's function calls
	cancel context.CancelCauseFunc
}

func newDeadline(parent context.Context) *deadline {
	d := &deadline{parent: parent, fired: make(chan struct{}, 1)}
	d.ctx, d.cancel = context.WithCancelCause(parent)
	d.timer = time.AfterFunc(time.Hour, d.expire)
	d.timer.Stop()
	return d
}

func (d *deadline) expire() {
	d.mu.Lock()
	d.cancel(errAttemptTimeout)
	d.mu.Unlock()
	d.fired <- struct{}{}
}

// begin arms the timer and returns the context for an attempt.
func (d *deadline) begin(timeout time.Duration) context.Context {
	d.timer.Reset(timeout)
	return d.ctx
}

// end disarms the timer after an attempt.
func (d *deadline) end() {
	if d.timer.Stop() {
		return
	}
	// The timer fired: its function has started, and has canceled ctx
	// once it says so. The next attempt needs a context of its own.
	<-d.fired
	d.mu.Lock()
	d.ctx, d.cancel = context.WithCancelCause(d.parent)
	d.mu.Unlock()
}

// close releases the context; the timer is disarmed after every attempt.
func (d *deadline) close() {
	d.mu.Lock()
	d.cancel(context.Canceled)
	d.mu.Unlock()
}

// invalidURLError marks a URL that no request can be made to.
type invalidURLError struct{ err error }

func (e *invalidURLError) Error() string { return e.err.Error() }
func (e *invalidURLError) Unwrap() error { return e.err }
