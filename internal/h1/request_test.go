package h1

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestRequestWire checks the bytes of a request: the request line, Host,
// the fields in the order they were added, Content-Length and the body.
func TestRequestWire(t *testing.T) {
	req := &Request{URL: "http://example.com:8080/hooks?x=1", Body: []byte(`{"a":1}`)}
	req.Header.Add("User-Agent", "test/1")
	req.Header.AddBytes("Signature", []byte("t=1,v1=00"))
	tgt, err := req.parse()
	if err != nil {
		t.Fatal(err)
	}
	req.write(tgt.direct.head)
	want := "POST /hooks?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: test/1\r\nSignature: t=1,v1=00\r\nContent-Length: 7\r\n\r\n{\"a\":1}"
	if got := string(req.wire); got != want {
		t.Errorf("request = %q; want %q", got, want)
	}
	// Reset empties the header for the next request.
	req.Header.Reset()
	req.Body = nil
	req.write(tgt.direct.head)
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

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		url                         string
		key, addr, serverName, head string
	}{
		{"http://example.com/hooks?a=1&b=%20", "http://example.com:80", "example.com:80", "", "POST /hooks?a=1&b=%20 HTTP/1.1\r\nHost: example.com\r\n"},
		{"https://example.com", "https://example.com:443", "example.com:443", "example.com", "POST / HTTP/1.1\r\nHost: example.com\r\n"},
		{"https://Example.COM:8443/a%2Fb", "https://Example.COM:8443", "Example.COM:8443", "Example.COM", "POST /a%2Fb HTTP/1.1\r\nHost: Example.COM:8443\r\n"},
		{"http://[::1]:9000/x", "http://[::1]:9000", "[::1]:9000", "", "POST /x HTTP/1.1\r\nHost: [::1]:9000\r\n"},
		{"https://127.0.0.1/", "https://127.0.0.1:443", "127.0.0.1:443", "127.0.0.1", "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"},
		{"http://example.com:/x", "http://example.com:80", "example.com:80", "", "POST /x HTTP/1.1\r\nHost: example.com\r\n"},
	} {
		got, ok := parseTarget(tc.url)
		if !ok {
			t.Errorf("parseTarget(%q) refused it", tc.url)
			continue
		}
		want := route{key: tc.key, addr: tc.addr, serverName: tc.serverName, head: []byte(tc.head)}
		if diff := cmp.Diff(want, got.direct, cmp.AllowUnexported(route{})); diff != "" {
			t.Errorf("parseTarget(%q) (-want +got):\n%s", tc.url, diff)
		}
	}
	// What the client leaves to net/http, or to nobody.
	for _, u := range []string{"https://bücher.example/", "https://xn--bcher-kva.example\u00a0/", "ftp://example.com/", "http:opaque", "http://user@example.com/", "http:///path", "://"} {
		if got, ok := parseTarget(u); ok {
			t.Errorf("parseTarget(%q) = %+v; want it refused", u, got)
		}
	}
}
