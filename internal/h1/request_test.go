package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestRequestWire checks the bytes of a request: the request line, Host,
// the fields in the order they were added, Content-Length and the body.
func TestRequestWire(t *testing.T) {
	req := &Request{URL: "http://example.com:8080/hooks?x=1", Body: []byte(`{"a":1}`)}
	req.Header.Add("User-Agent", "test/1")
	req.Header.AddBytes("Signature", []byte("t=1,v1=00"))
	if _, err := req.write(); err != nil {
		t.Fatal(err)
	}
	want := "POST /hooks?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: test/1\r\nSignature: t=1,v1=00\r\nContent-Length: 7\r\n\r\n{\"a\":1}"
	if got := string(req.wire); got != want {
		t.Errorf("request = %q; want %q", got, want)
	}
	// Reset empties the header for the next request.
	req.Header.Reset()
	req.Body = nil
	req.write()
	want = "POST /hooks?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nContent-Length: 0\r\n\r\n"
	if got := string(req.wire); got != want {
		t.Errorf("request after Reset = %q; want %q", got, want)
	}
}

// TestHeaderRefuses checks that a field that would break the request
// fails Post with an error saying why, and sends nothing; a field added
// after it changes nothing, and Reset forgets it.
func TestHeaderRefuses(t *testing.T) {
	var requests atomic.Int32
	url, _ := rawServer(t, nil, func(_ int32, conn net.Conn, br *bufio.Reader) {
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			requests.Add(1)
			if req.Header.Get("Later") != "" {
				t.Errorf("request with %v; want none of the fields after a refused one", req.Header)
			}
			io.Copy(io.Discard, req.Body)
			io.WriteString(conn, "HTTP/1.1 204 No Content\r\n\r\n")
		}
	})
	c := testClient(2, nil)
	defer c.Close()
	for _, tt := range []struct {
		name, value string
		wantErr     string
	}{
		{"Id", "1\r\nX-Injected: 1", `monitehooks: invalid Id header value "1\r\nX-Injected: 1"`},
		{"Id", "1\x00", `monitehooks: invalid Id header value "1\x00"`},
		{"Bad Name", "1", `monitehooks: invalid header field name "Bad Name"`},
		{"", "1", `monitehooks: invalid header field name ""`},
		{"Na:me", "1", `monitehooks: invalid header field name "Na:me"`},
		{"content-length", "5", `monitehooks: invalid header field name "content-length"`},
		{"Host", "elsewhere", `monitehooks: invalid header field name "Host"`},
		{"Transfer-Encoding", "chunked", `monitehooks: invalid header field name "Transfer-Encoding"`},
	} {
		req := &Request{URL: url, Deadline: time.Now().Add(time.Minute)}
		req.Header.Add("Ok", "fine\twith a tab")
		req.Header.Add(tt.name, tt.value)
		req.Header.Add("Later", "1")
		err := c.Post(context.Background(), req, &Response{})
		if err == nil || err.Error() != tt.wantErr {
			t.Errorf("Post with %q: %q = %v; want %s", tt.name, tt.value, err, tt.wantErr)
		}
		req.Header.Reset()
		if err := c.Post(context.Background(), req, &Response{}); err != nil {
			t.Errorf("Post after Reset = %v; want the field forgotten", err)
		}
	}
	if n := requests.Load(); n != 8 {
		t.Errorf("the server got %d requests; want 8, none with a refused field", n)
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

// TestRequestTrims checks that a Request does not keep the memory a large
// body made it grow, and keeps the memory of a small one.
func TestRequestTrims(t *testing.T) {
	url, _ := rawServer(t, nil, func(_ int32, conn net.Conn, br *bufio.Reader) {
		for answer(conn, br, 200) {
		}
	})
	c := testClient(2, nil)
	defer c.Close()
	req := &Request{URL: url, Body: make([]byte, 2*maxKeptRequest), Deadline: time.Now().Add(time.Minute)}
	if err := c.Post(context.Background(), req, &Response{}); err != nil || req.wire != nil {
		t.Errorf("Post of %d bytes = %v, keeping %d bytes; want none kept", len(req.Body), err, cap(req.wire))
	}
	req.Body = []byte("{}")
	if err := c.Post(context.Background(), req, &Response{}); err != nil || req.wire == nil {
		t.Errorf("Post of %d bytes = %v, keeping %d bytes; want them kept", len(req.Body), err, cap(req.wire))
	}
}

// TestResponseBody checks that Post keeps up to cap(Body) bytes of the
// body, into Body's memory.
func TestResponseBody(t *testing.T) {
	url, _ := rawServer(t, nil, func(_ int32, conn net.Conn, br *bufio.Reader) {
		if req, err := http.ReadRequest(br); err == nil {
			io.Copy(io.Discard, req.Body)
			io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789")
		}
	})
	c := testClient(2, nil)
	defer c.Close()
	mem := make([]byte, 0, 4)
	resp := &Response{Body: mem}
	if err := c.Post(context.Background(), &Request{URL: url, Deadline: time.Now().Add(time.Minute)}, resp); err != nil {
		t.Fatal(err)
	}
	if string(resp.Body) != "0123" || &resp.Body[:1][0] != &mem[:1][0] {
		t.Errorf("body = %q; want %q, in the memory given", resp.Body, "0123")
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
	req.write()
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
