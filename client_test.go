package monitehooks

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// readResponseCases seed FuzzReadResponse and run in TestReadResponse.
var readResponseCases = []string{
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 204 No Content\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
	"HTTP/1.1 200 OK\r\n\r\nuntil the end",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n3;x=y\r\n!!!\r\n0\r\nTrailer: t\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 100\r\n\r\n2\r\nok\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!",
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length:  2 \r\n\r\nok",
	"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\nok",
	"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok",
	"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
	"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 429 Too Many Requests\r\nRetry-After: \r\n 120\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n",
	"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
	"HTTP/1.1 999 Whatever\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 20 OK\r\n\r\n",
	"HTTP/1.1 2000 OK\r\n\r\n",
	"HTTP/1.1  200 OK\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1\r\n\r\n",
	"HTTP/1.1 200 OK\r\n Folded: x\r\n\r\n",
	"HTTP/1.1 200 OK\r\nNo colon\r\n\r\n",
	"HTTP/1.1 200 OK\r\nBad\x01Name: x\r\n\r\n",
	"HTTP/1.1 200 OK\r\nName: bad\x01value\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
	"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
	"HTTP/1.1 200 OK\r\nConnection: Keep-Alive, CLOSE\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nok",
	"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n",
	"",
	"garbage",
}

// outcome is what an answer comes to: its status, the start of its body
// and Retry-After, and whether its connection may be reused; or an error.
type outcome struct {
	err        bool
	status     int
	body       string
	retryAfter string
	keep       bool
}

// readWithUs reads an answer with readResponse, keeping up to max bytes of
// its body.
func readWithUs(data []byte, max int) outcome {
	br := bufio.NewReaderSize(bytes.NewReader(data), 64)
	r := &h1Response{body: make([]byte, 0, max)}
	keep, err := readResponse(br, r)
	if err != nil {
		return outcome{err: true}
	}
	return outcome{status: r.status, body: string(r.body), retryAfter: r.retryAfter(), keep: keep}
}

// readWithNetHTTP reads an answer as net/http's Transport would: with
// http.ReadResponse, skipping up to five informational answers, keeping
// up to max bytes of the body. ok is false for an answer the two are
// allowed to see differently: a status line that net/http takes but that
// is not HTTP/1.x with a three-digit code, which readResponse refuses.
func readWithNetHTTP(data []byte, max int) (_ outcome, ok bool) {
	br := bufio.NewReaderSize(bytes.NewReader(data), 64)
	req, _ := http.NewRequest(http.MethodPost, "http://example.com/", nil)
	for n1xx := 0; ; n1xx++ {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return outcome{err: true}, true
		}
		code := resp.Status
		if resp.ProtoMajor != 1 || len(code) < 3 || strings.Trim(code[:3], "0123456789") != "" {
			return outcome{}, false
		}
		if resp.StatusCode >= 100 && resp.StatusCode <= 199 && resp.StatusCode != 101 {
			if n1xx == h1Max1xx {
				return outcome{err: true}, true
			}
			continue
		}
		body, complete := readUpTo(resp.Body, max)
		// net/http hands a 101's connection to the caller, and closes one
		// whose body it did not read to the end.
		keep := resp.StatusCode != 101 && complete && !resp.Close && br.Buffered() == 0
		return outcome{status: resp.StatusCode, body: string(body), retryAfter: resp.Header.Get("Retry-After"), keep: keep}, true
	}
}

// readUpTo reads up to max bytes of body. complete reports that body
// ended there: it said io.EOF, not another error, before more than max
// bytes.
func readUpTo(body io.Reader, max int) (_ []byte, complete bool) {
	buf := make([]byte, max+1)
	n := 0
	for {
		k, err := body.Read(buf[n:])
		n += k
		switch {
		case n > max:
			return buf[:max], false
		case err == io.EOF:
			return buf[:n], true
		case err != nil:
			return buf[:n], false
		}
	}
}

func checkReadResponse(t *testing.T, data []byte) {
	t.Helper()
	for _, max := range []int{0, 3, MaxResponseRead} {
		want, ok := readWithNetHTTP(data, max)
		if !ok {
			return
		}
		got := readWithUs(data, max)
		if want.keep && !got.keep && strings.Contains(strings.ToLower(string(data)), "chunked") {
			// readResponse does not read trailers: it closes the
			// connection of a chunked answer that has any.
			want.keep = false
		}
		if got != want {
			t.Fatalf("readResponse(%q), keeping %d bytes = %+v; net/http reads %+v", data, max, got, want)
		}
	}
}

// TestReadResponse checks readResponse against net/http on answers that
// mark the edges of HTTP/1.1's framing.
func TestReadResponse(t *testing.T) {
	for _, c := range readResponseCases {
		checkReadResponse(t, []byte(c))
	}
}

// FuzzReadResponse holds readResponse to net/http's reading of the same
// bytes.
func FuzzReadResponse(f *testing.F) {
	for _, c := range readResponseCases {
		f.Add([]byte(c))
	}
	f.Fuzz(checkReadResponse)
}

func TestH1Target(t *testing.T) {
	for _, tc := range []struct {
		url                         string
		key, addr, serverName, head string
	}{
		{"http://example.com/hooks?a=1&b=%20", "http://example.com:80", "example.com:80", "", "POST /hooks?a=1&b=%20 HTTP/1.1\r\nHost: example.com\r\n"},
		{"https://example.com", "https://example.com:443", "example.com:443", "example.com", "POST / HTTP/1.1\r\nHost: example.com\r\n"},
		{"https://Example.COM:8443/a%2Fb", "https://Example.COM:8443", "Example.COM:8443", "Example.COM", "POST /a%2Fb HTTP/1.1\r\nHost: Example.COM:8443\r\n"},
		{"http://[::1]:9000/x", "http://[::1]:9000", "[::1]:9000", "", "POST /x HTTP/1.1\r\nHost: [::1]:9000\r\n"},
		{"https://127.0.0.1/", "https://127.0.0.1:443", "127.0.0.1:443", "127.0.0.1", "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"},
	} {
		got, ok := newH1Target(tc.url)
		if !ok {
			t.Errorf("newH1Target(%q) refused it", tc.url)
			continue
		}
		want := &h1Target{url: tc.url, key: tc.key, addr: tc.addr, serverName: tc.serverName, head: []byte(tc.head)}
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(h1Target{})); diff != "" {
			t.Errorf("newH1Target(%q) (-want +got):\n%s", tc.url, diff)
		}
	}
	// What the h1 client leaves to net/http, or to nobody.
	for _, u := range []string{"https://bücher.example/", "https://xn--bcher-kva.example\u00a0/", "ftp://example.com/", "http:opaque", "http://user@example.com/", "http:///path", "://"} {
		if got, ok := newH1Target(u); ok {
			t.Errorf("newH1Target(%q) = %+v; want it refused", u, got)
		}
	}
}

// testH1Client returns an h1 client that dials anywhere.
func testH1Client(maxIdleHost int, tlsConfig *tls.Config) *h1Client {
	d := &net.Dialer{}
	return newH1Client(d.DialContext, tlsConfig, 8, maxIdleHost, time.Minute)
}

// connCounter counts the connections a test server accepts.
type connCounter struct{ n atomic.Int32 }

func (c *connCounter) hook(_ net.Conn, s http.ConnState) {
	if s == http.StateNew {
		c.n.Add(1)
	}
}

// post makes one request with c to url and returns the answer.
func post(t *testing.T, c *h1Client, url string) (*h1Response, error) {
	t.Helper()
	target, ok := newH1Target(url)
	if !ok {
		t.Fatalf("newH1Target(%q) refused it", url)
	}
	req := append(append([]byte(nil), target.head...), "Content-Length: 2\r\n\r\n{}"...)
	r := &h1Response{body: make([]byte, 0, MaxResponseRead)}
	return r, c.do(context.Background(), target, req, time.Now().Add(time.Minute), r)
}

func TestH1ClientKeepsConnectionsAlive(t *testing.T) {
	var conns connCounter
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if b, _ := io.ReadAll(r.Body); string(b) != "{}" {
			t.Errorf("body = %q; want {}", b)
		}
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "busy")
	}))
	srv.Config.ConnState = conns.hook
	srv.Start()
	defer srv.Close()
	c := testH1Client(2, nil)
	defer c.closeAll()
	for range 3 {
		r, err := post(t, c, srv.URL+"/hook")
		if err != nil {
			t.Fatal(err)
		}
		if r.status != 503 || string(r.body) != "busy" || r.retryAfter() != "7" {
			t.Errorf("answer = %d %q, Retry-After %q; want 503 \"busy\", 7", r.status, r.body, r.retryAfter())
		}
	}
	if n := conns.n.Load(); n != 1 {
		t.Errorf("%d connections for 3 requests one after another; want 1", n)
	}
}

func TestH1ClientTLS(t *testing.T) {
	var conns connCounter
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || r.ProtoMajor != 1 {
			t.Errorf("request over %s, TLS %v; want HTTP/1.1 over TLS", r.Proto, r.TLS != nil)
		}
	}))
	srv.Config.ConnState = conns.hook
	srv.StartTLS()
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	c := testH1Client(2, &tls.Config{RootCAs: roots})
	defer c.closeAll()
	for range 2 {
		if r, err := post(t, c, srv.URL); err != nil || r.status != 200 {
			t.Fatalf("post = %v, %v; want 200", r, err)
		}
	}
	if n := conns.n.Load(); n != 1 {
		t.Errorf("%d connections for 2 requests; want 1", n)
	}
	// Without the test's root, the certificate is refused.
	plain := testH1Client(2, nil)
	defer plain.closeAll()
	_, err := post(t, plain, srv.URL)
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); !ok {
		t.Errorf("post with the system's roots = %v; want a certificate verification error", err)
	}
}

// oneShotServer answers the first request of each connection 200 and
// closes the connection without a word, as a server whose keep-alive
// timeout ran out does. It returns its URL and a count of connections.
func oneShotServer(t *testing.T) (string, *atomic.Int32) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int32
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			wg.Go(func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
			})
		}
	})
	return "http://" + ln.Addr().String(), &conns
}

func TestH1ClientRetriesAConnectionClosedWhileIdle(t *testing.T) {
	url, conns := oneShotServer(t)
	c := testH1Client(2, nil)
	defer c.closeAll()
	for i := range 3 {
		if r, err := post(t, c, url); err != nil || r.status != 200 {
			t.Fatalf("request %d: %v, %v; want 200", i, r, err)
		}
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections; want 3, one per request", n)
	}
}

func TestH1ClientDoesNotRetryANewConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns atomic.Int32
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			conn.Close() // no answer at all
		}
	}()
	c := testH1Client(2, nil)
	defer c.closeAll()
	if _, err := post(t, c, "http://"+ln.Addr().String()); err == nil {
		t.Fatal("post to a server that closes at once succeeded")
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections; want 1: a new connection's failure is the answer", n)
	}
}

func TestH1ClientPool(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	c := testH1Client(1, nil)
	defer c.closeAll()
	target, _ := newH1Target(srv.URL)
	ctx, deadline := context.Background(), time.Now().Add(time.Minute)
	pc1, reused1, err1 := c.get(ctx, target, deadline)
	pc2, reused2, err2 := c.get(ctx, target, deadline)
	if err1 != nil || err2 != nil || reused1 || reused2 || pc1 == pc2 {
		t.Fatalf("two gets with none idle = %v %v %v, %v %v %v; want two new connections", pc1, reused1, err1, pc2, reused2, err2)
	}
	c.release(pc1, true)
	c.release(pc2, true) // past the one idle connection per host
	if c.nIdle != 1 || len(c.active) != 0 {
		t.Errorf("after releasing both: %d idle, %d active; want 1, 0", c.nIdle, len(c.active))
	}
	if _, err := pc2.conn.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the connection past the idle cap: Write = %v; want it closed", err)
	}
	pc3, reused3, _ := c.get(ctx, target, deadline)
	if pc3 != pc1 || !reused3 {
		t.Errorf("get after release = a new connection; want the idle one back")
	}
	c.release(pc3, false) // not to be kept: closed
	if _, err := pc1.conn.Write([]byte("x")); !errors.Is(err, net.ErrClosed) || c.nIdle != 0 {
		t.Errorf("a connection released without keep: Write = %v, %d idle; want it closed, 0 idle", err, c.nIdle)
	}

	// Idle connections are closed once idle for longer than the timeout.
	pc4, _, _ := c.get(ctx, target, deadline)
	c.release(pc4, true)
	now := time.Now()
	c.pruneIdle(now) // too soon after the client started: looks at nothing
	if c.nIdle != 1 {
		t.Fatalf("%d idle; want 1", c.nIdle)
	}
	c.pruneIdle(now.Add(c.idleTimeout + time.Second))
	if _, err := pc4.conn.Write([]byte("x")); !errors.Is(err, net.ErrClosed) || c.nIdle != 0 || len(c.idle) != 0 {
		t.Errorf("after pruning: Write = %v, %d idle, %d keys; want closed, 0, 0", err, c.nIdle, len(c.idle))
	}
	// And get skips one idle for too long.
	pc5, _, _ := c.get(ctx, target, deadline)
	c.release(pc5, true)
	c.idle[target.key][0].idleSince = now.Add(-2 * c.idleTimeout)
	if pc6, reused, _ := c.get(ctx, target, deadline); reused || pc6 == pc5 {
		t.Errorf("get with a stale idle connection reused it")
	}
	if _, err := pc5.conn.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the stale connection: Write = %v; want it closed", err)
	}
}

func TestH1ClientCloseAllEndsAttempts(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := testH1Client(2, nil)
	done := make(chan error, 1)
	go func() {
		_, err := post(t, c, srv.URL)
		done <- err
	}()
	select {
	case <-arrived:
	case <-time.After(time.Minute):
		t.Fatal("the request never arrived")
	}
	c.closeAll()
	select {
	case err := <-done:
		if err == nil {
			t.Error("the attempt in flight succeeded after closeAll; want an error")
		}
	case <-time.After(time.Minute):
		t.Fatal("closeAll did not end the attempt in flight")
	}
	if _, err := post(t, c, srv.URL); !errors.Is(err, net.ErrClosed) {
		t.Errorf("post after closeAll = %v; want net.ErrClosed", err)
	}
}

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestSendChoosesTheClient checks that send gives the h1 client what it
// takes, net/http's Transport the rest, and refuses a header value that
// would split the request.
func TestSendChoosesTheClient(t *testing.T) {
	var viaH1 atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		viaH1.Add(1)
		if r.Header.Get(WebhookIDHeader) != "ev-1" || r.Header.Get(SignatureHeader) != "t=1,v1=00" {
			t.Errorf("headers = %v; want the event ID and the signature", r.Header)
		}
	}))
	defer srv.Close()
	var viaTransport []string
	e := &Emitter{
		h1: testH1Client(2, nil),
		transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			viaTransport = append(viaTransport, r.URL.Host)
			return &http.Response{StatusCode: http.StatusAccepted, Body: http.NoBody}, nil
		}),
		timeout: time.Minute, now: time.Now, baseCtx: context.Background(),
	}
	defer e.h1.closeAll()
	w := newWorkerState(e)
	defer w.deadline.close()
	w.body, w.sig = []byte("{}"), []byte("t=1,v1=00")

	if status, _, err := e.send(w, srv.URL+"/hook", "ev-1"); err != nil || status != 200 || viaH1.Load() != 1 {
		t.Errorf("send to %s = %d, %v with %d requests at the server; want 200 by the h1 client", srv.URL, status, err, viaH1.Load())
	}
	if status, _, err := e.send(w, "http://bücher.example/hook", "ev-1"); err != nil || status != 202 || !slices.Equal(viaTransport, []string{"bücher.example"}) {
		t.Errorf("send to a Unicode host = %d, %v, transport saw %q; want 202 by the transport", status, err, viaTransport)
	}
	_, _, err := e.send(w, srv.URL+"/hook", "ev-1\r\nX-Injected: 1")
	if err == nil || !strings.Contains(err.Error(), "invalid Webhook-Id header value") || viaH1.Load() != 1 {
		t.Errorf("send with a CRLF in the event ID = %v, %d requests at the server; want an invalid header error and no request", err, viaH1.Load())
	}
}

// TestH1ClientChecksLongIdleConnections checks that a connection idle for
// h1CheckAfter or longer is not used when its server wrote to it unasked,
// as a server that sends 408 before closing an idle connection does.
func TestH1ClientChecksLongIdleConnections(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns atomic.Int32
	speak := make(chan struct{}) // closed when the first connection is to speak unasked
	var wg sync.WaitGroup
	defer wg.Wait()
	defer ln.Close()
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			n := conns.Add(1)
			wg.Go(func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
					if n == 1 {
						<-speak
						io.WriteString(conn, "HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")
					}
				}
			})
		}
	})
	url := "http://" + ln.Addr().String()
	c := testH1Client(2, nil)
	defer c.closeAll()
	if r, err := post(t, c, url); err != nil || r.status != 200 {
		t.Fatalf("first post = %v, %v; want 200", r, err)
	}
	// The connection is idle now. Have the server speak, wait until the
	// socket has its 408, then make the connection look long idle.
	target, _ := newH1Target(url)
	if len(c.idle[target.key]) != 1 {
		t.Fatalf("%d idle connections after the first post; want 1", len(c.idle[target.key]))
	}
	idle := c.idle[target.key][0]
	close(speak)
	for deadline := time.Now().Add(time.Minute); quietOpen(idle.raw); {
		if time.Now().After(deadline) {
			t.Fatal("the server's unasked 408 never arrived")
		}
		runtime.Gosched()
	}
	idle.idleSince = time.Now().Add(-h1CheckAfter)
	if r, err := post(t, c, url); err != nil || r.status != 200 {
		t.Fatalf("post after the unasked answer = %v, %v; want 200", r, err)
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections; want 2: the one written to unasked is not reused", n)
	}
}
