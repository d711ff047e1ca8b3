package h1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// keepBody is how much of an answer's body the tests keep, as much as the
// emitter keeps.
const keepBody = 64 << 10

// testClient returns a client that dials anywhere.
func testClient(maxIdleHost int, tlsConfig *tls.Config) *Client {
	return NewClient(&Config{TLSConfig: tlsConfig, MaxIdle: 8, MaxIdlePerHost: maxIdleHost, IdleTimeout: time.Minute})
}

// connCounter counts the connections a test server accepts.
type connCounter struct{ n atomic.Int32 }

func (c *connCounter) hook(_ net.Conn, s http.ConnState) {
	if s == http.StateNew {
		c.n.Add(1)
	}
}

// post makes one request with c to url, with the body {}, and returns the
// answer.
func post(t *testing.T, c *Client, url string) (*Response, error) {
	t.Helper()
	return postBody(t, c, url, []byte("{}"))
}

// mustPost makes one request with c to url and fails the test unless it
// is answered with the status want.
func mustPost(t *testing.T, c *Client, url string, want int) {
	t.Helper()
	if r, err := post(t, c, url); err != nil || r.Status != want {
		t.Fatalf("post to %s = %v, %v; want %d", url, r, err, want)
	}
}

// postBody makes one request with c to url, with body, and returns the
// answer.
func postBody(t *testing.T, c *Client, url string, body []byte) (*Response, error) {
	t.Helper()
	req := &Request{URL: url, Body: body, Deadline: time.Now().Add(time.Minute)}
	r := &Response{Body: make([]byte, 0, keepBody)}
	return r, c.Post(context.Background(), req, r)
}

func TestClientKeepsConnectionsAlive(t *testing.T) {
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
	c := testClient(2, nil)
	defer c.Close()
	for range 3 {
		r, err := post(t, c, srv.URL+"/hook")
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != 503 || string(r.Body) != "busy" || r.RetryAfter() != "7" {
			t.Errorf("answer = %d %q, Retry-After %q; want 503 \"busy\", 7", r.Status, r.Body, r.RetryAfter())
		}
	}
	if n := conns.n.Load(); n != 1 {
		t.Errorf("%d connections for 3 requests one after another; want 1", n)
	}
}

func TestClientTLS(t *testing.T) {
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
	c := testClient(2, &tls.Config{RootCAs: roots})
	defer c.Close()
	for range 2 {
		if r, err := post(t, c, srv.URL); err != nil || r.Status != 200 {
			t.Fatalf("post = %v, %v; want 200", r, err)
		}
	}
	if n := conns.n.Load(); n != 1 {
		t.Errorf("%d connections for 2 requests; want 1", n)
	}
	// Without the test's root, the certificate is refused.
	plain := testClient(2, nil)
	defer plain.Close()
	_, err := post(t, plain, srv.URL)
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); !ok {
		t.Errorf("post with the system's roots = %v; want a certificate verification error", err)
	}
}

// rawServer serves each connection it accepts with handle, given the
// connection's number from 1, until the test ends; handle may block on
// t.Context(). It returns the server's URL and its count of connections.
func rawServer(t testing.TB, tlsConfig *tls.Config, handle func(n int32, conn net.Conn, br *bufio.Reader)) (string, *atomic.Int32) {
	t.Helper()
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
			if tlsConfig != nil {
				conn = tls.Server(conn, tlsConfig)
			}
			n := conns.Add(1)
			wg.Go(func() {
				defer conn.Close()
				handle(n, conn, bufio.NewReader(conn))
			})
		}
	})
	scheme := "http://"
	if tlsConfig != nil {
		scheme = "https://"
	}
	return scheme + ln.Addr().String(), &conns
}

// answer reads a request from br and answers it with status and no body;
// it reports whether there was a request.
func answer(conn net.Conn, br *bufio.Reader, status int) bool {
	req, err := http.ReadRequest(br)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, req.Body)
	fmt.Fprintf(conn, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", status, http.StatusText(status))
	return true
}

// idleConn returns c's one idle connection to url.
func idleConn(t *testing.T, c *Client, url string) *persistConn {
	t.Helper()
	tgt, _ := parseTarget(url)
	c.mu.Lock()
	defer c.mu.Unlock()
	if conns := c.idle[tgt.direct.key]; len(conns) == 1 {
		return conns[0]
	}
	t.Fatalf("%d idle connections to %s; want 1", len(c.idle[tgt.direct.key]), url)
	return nil
}

// waitUntil waits, with a deadline, until cond holds; cond looks at a
// socket, so there is no channel to wait on.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

func TestClientReplacesAConnectionClosedWhileIdle(t *testing.T) {
	url, conns := rawServer(t, nil, func(_ int32, conn net.Conn, br *bufio.Reader) {
		answer(conn, br, 200) // then close, as a server whose idle timeout ran out
	})
	c := testClient(2, nil)
	defer c.Close()
	for i := range 3 {
		if r, err := post(t, c, url); err != nil || r.Status != 200 {
			t.Fatalf("request %d: %v, %v; want 200", i, r, err)
		}
		idle := idleConn(t, c, url)
		waitUntil(t, "the server's close reaches the socket", func() bool { return !quietOpenNow(idle.raw) })
	}
	if n := conns.Load(); n != 3 {
		t.Errorf("%d connections; want 3, one per request", n)
	}
}

// TestClientDoesNotResendAWrittenRequest checks that a request written
// in full on a reused connection that then ends without an answer is not
// sent again: the server may have acted on it.
func TestClientDoesNotResendAWrittenRequest(t *testing.T) {
	var requests atomic.Int32
	url, conns := rawServer(t, nil, func(n int32, conn net.Conn, br *bufio.Reader) {
		if n == 1 {
			requests.Add(1)
			answer(conn, br, 200)
		}
		if req, err := http.ReadRequest(br); err == nil { // then no answer
			io.Copy(io.Discard, req.Body)
			requests.Add(1)
		}
	})
	c := testClient(2, nil)
	defer c.Close()
	mustPost(t, c, url, 200)
	if r, err := post(t, c, url); err == nil {
		t.Errorf("post answered by a close = %d; want an error", r.Status)
	}
	if n, m := requests.Load(), conns.Load(); n != 2 || m != 1 {
		t.Errorf("the server got %d requests on %d connections; want 2 on 1", n, m)
	}
}

// TestClientResendsAnUnsentRequest checks that a request that could not
// be written on a reused connection goes again on a new one, whether it
// was written before the answer was read or, being large, while.
func TestClientResendsAnUnsentRequest(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		requests.Add(1)
	}))
	defer srv.Close()
	tgt, _ := parseTarget(srv.URL)
	for _, tc := range []struct {
		name string
		conn func() net.Conn
		body []byte
	}{
		{
			// Its far end goes away as the request starts.
			"small", func() net.Conn {
				mine, theirs := net.Pipe()
				go func() {
					theirs.Read(make([]byte, 1))
					theirs.Close()
				}()
				return mine
			}, []byte("{}"),
		},
		{
			// Reading ends at once; writing ends only when closed.
			"large", func() net.Conn { return &stuckConn{closed: make(chan struct{})} }, bytes.Repeat([]byte("x"), 2*writeAhead),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requests.Store(0)
			c := testClient(2, nil)
			defer c.Close()
			conn := tc.conn()
			broken := &persistConn{key: tgt.direct.key, conn: conn, raw: conn, idleSince: time.Now()}
			broken.br = bufio.NewReaderSize(broken, 4<<10)
			c.idle[tgt.direct.key], c.nIdle = []*persistConn{broken}, 1
			if r, err := postBody(t, c, srv.URL, tc.body); err != nil || r.Status != 200 || requests.Load() != 1 {
				t.Errorf("post over a broken idle connection = %v, %v, %d requests at the server; want 200 over a new one", r, err, requests.Load())
			}
		})
	}
}

// stuckConn is a connection whose reads end at once and whose writes
// block until it is closed, and then fail.
type stuckConn struct {
	net.Conn // nil: only the methods below are called
	closed   chan struct{}
	once     sync.Once
}

func (c *stuckConn) Read([]byte) (int, error) { return 0, io.EOF }
func (c *stuckConn) Write([]byte) (int, error) {
	<-c.closed
	return 0, net.ErrClosed
}
func (c *stuckConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}
func (c *stuckConn) SetDeadline(time.Time) error     { return nil }
func (c *stuckConn) SetReadDeadline(time.Time) error { return nil }

func TestClientDoesNotRetryANewConnection(t *testing.T) {
	url, conns := rawServer(t, nil, func(int32, net.Conn, *bufio.Reader) {}) // closes at once
	c := testClient(2, nil)
	defer c.Close()
	if _, err := post(t, c, url); err == nil {
		t.Fatal("post to a server that closes at once succeeded")
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections; want 1: a new connection's failure is the answer", n)
	}
}

// TestClientChecksIdleConnections checks that an idle connection the
// server wrote to unasked is not used again: what it wrote would be taken
// for the next request's answer.
func TestClientChecksIdleConnections(t *testing.T) {
	speak := make(chan struct{}) // closed when the first connection is to speak unasked
	url, conns := rawServer(t, nil, func(n int32, conn net.Conn, br *bufio.Reader) {
		if n == 1 {
			answer(conn, br, 200)
			select {
			case <-speak:
			case <-t.Context().Done():
				return
			}
			io.WriteString(conn, "HTTP/1.1 299 Stray\r\nContent-Length: 0\r\n\r\n")
			<-t.Context().Done()
			return
		}
		for answer(conn, br, 500) {
		}
	})
	c := testClient(2, nil)
	defer c.Close()
	mustPost(t, c, url, 200)
	idle := idleConn(t, c, url)
	close(speak)
	waitUntil(t, "the stray answer reaches the socket", func() bool { return !quietOpenNow(idle.raw) })
	mustPost(t, c, url, 500)
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections; want 2: the one written to unasked is not reused", n)
	}
}

// batchConn holds what is written to it while hold is set, and writes it
// all at once on flush: TLS records written one by one then arrive
// together.
type batchConn struct {
	net.Conn
	hold bool
	buf  []byte
}

func (c *batchConn) Write(p []byte) (int, error) {
	if c.hold {
		c.buf = append(c.buf, p...)
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *batchConn) flush() error {
	c.hold = false
	_, err := c.Conn.Write(c.buf)
	return err
}

// TestClientChecksIdleTLSConnections checks the same over TLS, where a
// stray answer may already have been read from the socket with the answer
// before it, and wait in tls.Conn while the socket is quiet.
func TestClientChecksIdleTLSConnections(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS()
	srv.Close() // for its certificate only
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	url, conns := rawServer(t, nil, func(n int32, conn net.Conn, _ *bufio.Reader) {
		bc := &batchConn{Conn: conn}
		tc := tls.Server(bc, srv.TLS)
		br := bufio.NewReader(tc)
		if n == 1 {
			if _, err := http.ReadRequest(br); err != nil {
				return
			}
			bc.hold = true // the answer and a stray one, as two records in one write
			io.WriteString(tc, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
			io.WriteString(tc, "HTTP/1.1 299 Stray\r\nContent-Length: 0\r\n\r\n")
			bc.flush()
			<-t.Context().Done()
			return
		}
		for answer(tc, br, 500) {
		}
	})
	url = strings.Replace(url, "http://", "https://", 1)
	c := testClient(2, &tls.Config{RootCAs: roots})
	defer c.Close()
	mustPost(t, c, url, 200)
	idle := idleConn(t, c, url)
	waitUntil(t, "the idle connection shows the stray answer", func() bool { return !idle.quiet(0) })
	mustPost(t, c, url, 500)
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections; want 2: the one written to unasked is not reused", n)
	}
}

// TestClientReusesAfterADeadline checks that a connection whose last
// exchange's deadline has passed can still be reused.
func TestClientReusesAfterADeadline(t *testing.T) {
	url, conns := rawServer(t, nil, func(_ int32, conn net.Conn, br *bufio.Reader) {
		for answer(conn, br, 200) {
		}
	})
	c := testClient(2, nil)
	defer c.Close()
	mustPost(t, c, url, 200)
	idleConn(t, c, url).conn.SetDeadline(time.Unix(1, 0)) // as if long past
	mustPost(t, c, url, 200)
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections; want 1", n)
	}
}

// TestClientEarlyAnswer checks that an answer a server gives before it
// reads a large request, and then stops reading, is the exchange's answer.
func TestClientEarlyAnswer(t *testing.T) {
	url, _ := rawServer(t, nil, func(_ int32, conn net.Conn, br *bufio.Reader) {
		if _, err := http.ReadRequest(br); err != nil { // the head only
			return
		}
		io.WriteString(conn, "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 0\r\n\r\n")
		<-t.Context().Done() // and read no more
	})
	c := testClient(2, nil)
	defer c.Close()
	r, err := postBody(t, c, url, bytes.Repeat([]byte("x"), 64<<20))
	if err != nil || r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("post of 64 MiB = %v, %v; want 413", r, err)
	}
	if n := c.nIdle; n != 0 {
		t.Errorf("%d idle connections; want 0: one answered mid-request is closed", n)
	}
}

func TestClientPool(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	c := testClient(1, nil)
	defer c.Close()
	tgt, _ := parseTarget(srv.URL)
	ctx, deadline := context.Background(), time.Now().Add(time.Minute)
	pc1, reused1, err1 := c.get(ctx, &tgt.direct, deadline)
	pc2, reused2, err2 := c.get(ctx, &tgt.direct, deadline)
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
	pc3, reused3, _ := c.get(ctx, &tgt.direct, deadline)
	if pc3 != pc1 || !reused3 {
		t.Errorf("get after release = a new connection; want the idle one back")
	}
	c.release(pc3, false) // not to be kept: closed
	if _, err := pc1.conn.Write([]byte("x")); !errors.Is(err, net.ErrClosed) || c.nIdle != 0 {
		t.Errorf("a connection released without keep: Write = %v, %d idle; want it closed, 0 idle", err, c.nIdle)
	}

	// Idle connections are closed once idle for longer than the timeout,
	// by PruneIdle at most once per half of it.
	pc4, _, _ := c.get(ctx, &tgt.direct, deadline)
	c.release(pc4, true)
	later := time.Now().Add(c.idleTimeout + time.Second) // pc4 is stale then
	c.PruneIdle(later)
	if _, err := pc4.conn.Write([]byte("x")); !errors.Is(err, net.ErrClosed) || c.nIdle != 0 || len(c.idle) != 0 {
		t.Errorf("after pruning: Write = %v, %d idle, %d keys; want closed, 0, 0", err, c.nIdle, len(c.idle))
	}
	stale, _, _ := c.get(ctx, &tgt.direct, deadline)
	c.release(stale, true)
	stale.idleSince = later.Add(-2 * c.idleTimeout)
	if c.PruneIdle(later.Add(c.idleTimeout/2 - time.Second)); c.nIdle != 1 {
		t.Errorf("%d idle after PruneIdle looked again too soon; want 1 left for later", c.nIdle)
	}
	if c.PruneIdle(later.Add(c.idleTimeout / 2)); c.nIdle != 0 {
		t.Errorf("%d idle after PruneIdle looked again in time; want 0", c.nIdle)
	}
	now := time.Now()
	// And get skips one idle for too long.
	pc5, _, _ := c.get(ctx, &tgt.direct, deadline)
	c.release(pc5, true)
	c.idle[tgt.direct.key][0].idleSince = now.Add(-2 * c.idleTimeout)
	if pc6, reused, _ := c.get(ctx, &tgt.direct, deadline); reused || pc6 == pc5 {
		t.Errorf("get with a stale idle connection reused it")
	}
	if _, err := pc5.conn.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("the stale connection: Write = %v; want it closed", err)
	}
}

func TestClientCloseAllEndsAttempts(t *testing.T) {
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
	c := testClient(2, nil)
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
	c.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("the exchange in flight succeeded after Close; want an error")
		}
	case <-time.After(time.Minute):
		t.Fatal("Close did not end the exchange in flight")
	}
	if _, err := post(t, c, srv.URL); !errors.Is(err, net.ErrClosed) {
		t.Errorf("post after Close = %v; want net.ErrClosed", err)
	}
}

// quietOpenNow is quietOpen's answer, which these tests on unix know.
func quietOpenNow(c net.Conn) bool {
	quiet, _ := quietOpen(c)
	return quiet
}

// blindConn hides its connection's socket, as on a system where
// quietOpen cannot look at it.
type blindConn struct{ net.Conn }

// TestClientBlindReuse checks what the client does with connections it
// cannot look at: it reuses one idle for less than blindReuse, and
// replaces one idle for longer, which the server may have closed.
func TestClientBlindReuse(t *testing.T) {
	url, conns := rawServer(t, nil, func(_ int32, conn net.Conn, br *bufio.Reader) {
		for answer(conn, br, 200) {
		}
	})
	d := &net.Dialer{}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		return blindConn{conn}, err
	}
	c := NewClient(&Config{Dial: dial, MaxIdle: 8, MaxIdlePerHost: 2, IdleTimeout: time.Minute})
	defer c.Close()
	for range 2 {
		mustPost(t, c, url, 200)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for two posts in a row; want 1", n)
	}
	idleConn(t, c, url).idleSince = time.Now().Add(-blindReuse)
	mustPost(t, c, url, 200)
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections after one idle for %v; want 2", n, blindReuse)
	}
}

// TestPostRefuses checks the requests Post refuses before sending
// anything.
func TestPostRefuses(t *testing.T) {
	c := testClient(2, nil)
	defer c.Close()
	resp := &Response{Status: 200, Body: []byte("stale")}
	for _, url := range []string{"https://bücher.example/", "ftp://example.com/", "http://user@example.com/"} {
		req := &Request{URL: url, Deadline: time.Now().Add(time.Minute)}
		if err := c.Post(context.Background(), req, resp); !errors.Is(err, ErrUnsupportedURL) {
			t.Errorf("Post to %s = %v; want ErrUnsupportedURL", url, err)
		}
		if resp.Status != 0 || len(resp.Body) != 0 {
			t.Errorf("after a refused Post: status %d, body %q; want none", resp.Status, resp.Body)
		}
	}
	if err := c.Post(context.Background(), &Request{URL: "http://example.com/"}, resp); !errors.Is(err, ErrNoDeadline) {
		t.Errorf("Post without a deadline = %v; want ErrNoDeadline", err)
	}
}

// TestPostAllocs checks that a Post to a URL posted to before, over a
// kept-alive connection, allocates nothing but what the look at the idle
// connection's socket costs. It is not parallel: testing.AllocsPerRun
// refuses to run in a parallel test.
func TestPostAllocs(t *testing.T) {
	answer := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	var size atomic.Int64 // of each request: the server reads it without parsing it
	url, _ := rawServer(t, nil, func(_ int32, conn net.Conn, _ *bufio.Reader) {
		buf := make([]byte, size.Load())
		for {
			if _, err := io.ReadFull(conn, buf); err != nil {
				return
			}
			if _, err := conn.Write(answer); err != nil {
				return
			}
		}
	})
	c := testClient(2, nil)
	defer c.Close()
	req := &Request{URL: url, Body: []byte(`{"id":"1"}`), Deadline: time.Now().Add(time.Minute)}
	resp := &Response{Body: make([]byte, 0, keepBody)}
	sig := []byte("t=1,v1=00")
	fill := func() {
		req.Header.Reset()
		req.Header.Add("Content-Type", "application/json")
		req.Header.AddBytes("Signature", sig)
	}
	post := func() {
		fill()
		if err := c.Post(context.Background(), req, resp); err != nil || resp.Status != 200 || string(resp.Body) != "ok" {
			t.Fatalf("Post = %d %q, %v; want 200 ok", resp.Status, resp.Body, err)
		}
	}
	fill()
	tgt, _ := req.parse()
	req.write(tgt.direct.head)
	size.Store(int64(len(req.wire)))
	post() // connects, and takes the URL apart
	raw := idleConn(t, c, url).raw
	look := testing.AllocsPerRun(100, func() { quietOpen(raw) })
	n := testing.AllocsPerRun(100, post)
	t.Logf("Post: %v allocations; the look at the socket: %v", n, look)
	if n > look {
		t.Errorf("Post: %v allocations; want at most the %v of the look at the socket", n, look)
	}
}

// BenchmarkPost posts a delivery's size of body to a server that answers
// at once, through a Client and through net/http's Transport, both reusing
// connections. The server's own work (it reads each request with
// http.ReadRequest) counts on both sides.
func BenchmarkPost(b *testing.B) {
	url, _ := rawServer(b, nil, func(_ int32, conn net.Conn, br *bufio.Reader) {
		for answer(conn, br, 200) {
		}
	})
	body := []byte(strings.Repeat("x", 584)) // a delivery's size
	b.Run("client=h1", func(b *testing.B) {
		c := testClient(2, nil)
		defer c.Close()
		req := &Request{URL: url, Body: body}
		resp := &Response{Body: make([]byte, 0, keepBody)}
		b.ReportAllocs()
		for b.Loop() {
			req.Header.Reset()
			req.Header.Add("Content-Type", "application/json")
			req.Deadline = time.Now().Add(time.Minute)
			if err := c.Post(context.Background(), req, resp); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("client=net/http", func(b *testing.B) {
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		buf := make([]byte, keepBody)
		b.ReportAllocs()
		for b.Loop() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			resp, err := tr.RoundTrip(req)
			if err != nil {
				b.Fatal(err)
			}
			io.ReadFull(resp.Body, buf)
			resp.Body.Close()
			cancel()
		}
	})
}
