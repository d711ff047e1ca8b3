package h1

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
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
	"HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nHTTP/1.1 200 OK\r\n\r\n",
	strings.Repeat("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", 6) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	strings.Repeat("HTTP/1.1 102 Processing\r\n\r\n", 100) + "HTTP/1.1 204 No Content\r\n\r\n",
	"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nRetry-After: 5\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 429 Too Many Requests\r\nRetry-After: \r\n 120\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n  \r\n\r\nok",
	"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\t\r\n\r\nok",
	"HTTP/1.1 503 Busy\r\nRetry-After: 120\r\n \r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n \r\n\r\n0\r\n\r\n",
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
	"HTTP/1.1 100 Continue\r\nContent-Length: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 103 Early Hints\r\nTransfer-Encoding: gzip\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
	"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
	"",
	"garbage",
}

// outcome is what an answer comes to: its status, the start of its body
// and Retry-After, and whether its connection may be reused, with how many
// bytes of the input it then took; or an error.
type outcome struct {
	err        bool
	status     int
	body       string
	retryAfter string
	keep       bool
	consumed   int // when keep is set
}

// readWithUs reads an answer with readResponse, keeping up to max bytes of
// its body.
func readWithUs(data []byte, max int) outcome {
	rd := bytes.NewReader(data)
	br := bufio.NewReaderSize(rd, 64)
	r := &Response{Body: make([]byte, 0, max)}
	keep, err := readResponse(br, r)
	if err != nil {
		return outcome{err: true}
	}
	o := outcome{status: r.Status, body: string(r.Body), retryAfter: r.RetryAfter(), keep: keep}
	if keep {
		o.consumed = len(data) - rd.Len() - br.Buffered()
	}
	return o
}

// readWithNetHTTP reads an answer as net/http's Transport would: with
// http.ReadResponse, skipping any number of informational answers, with
// all their heads and the final answer's read under one limit, keeping up
// to max bytes of the body. chunked reports a chunked body. ok is false
// for an answer the two are allowed to see differently: a status line
// that net/http takes but that is not HTTP/1.x with a three-digit code,
// which readResponse refuses.
func readWithNetHTTP(data []byte, max int) (_ outcome, chunked, ok bool) {
	rd := bytes.NewReader(data)
	lim := &readLimit{r: rd, n: maxHeaderBytes}
	br := bufio.NewReaderSize(lim, 64)
	req, _ := http.NewRequest(http.MethodPost, "http://example.com/", nil)
	for {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return outcome{err: true}, false, true
		}
		code := resp.Status
		if resp.ProtoMajor != 1 || len(code) < 3 || strings.Trim(code[:3], "0123456789") != "" {
			return outcome{}, false, false
		}
		if resp.StatusCode >= 100 && resp.StatusCode <= 199 && resp.StatusCode != 101 {
			continue
		}
		lim.n = math.MaxInt64 // the body is not limited
		body, complete := readUpTo(resp.Body, max)
		// net/http hands a 101's connection to the caller, and closes one
		// whose body it did not read to the end.
		keep := resp.StatusCode != 101 && complete && !resp.Close && br.Buffered() == 0
		o := outcome{status: resp.StatusCode, body: string(body), retryAfter: resp.Header.Get("Retry-After"), keep: keep}
		if keep {
			o.consumed = len(data) - rd.Len() - br.Buffered()
		}
		return o, slices.Contains(resp.TransferEncoding, "chunked"), true
	}
}

// readLimit is how net/http's Transport limits the heads of an exchange
// (its persistConn.Read, in transport.go): it counts the bytes its
// reader takes from the connection, from the first interim answer to the
// final answer's head, and fails a read once n are taken. Those may
// include a buffer's length of the body: near the limit, within that
// length, Transport and readResponse, which counts the heads' bytes only,
// may disagree. No fuzzed input comes near 10 MiB; TestInterimAnswers
// tests the limit itself.
type readLimit struct {
	r io.Reader
	n int64
}

func (l *readLimit) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errors.New("read limit exhausted")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
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
	for _, max := range []int{0, 3, keepBody} {
		want, chunked, ok := readWithNetHTTP(data, max)
		if !ok {
			return
		}
		got := readWithUs(data, max)
		if want.keep && !got.keep && chunked {
			// readResponse does not read trailers: it closes the
			// connection of a chunked answer that has any.
			want.keep, want.consumed = false, 0
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

// TestReadResponseTrims checks that a Response does not keep the memory an
// answer with huge headers made it grow.
func TestReadResponseTrims(t *testing.T) {
	huge := strings.Repeat("1", 4<<20)
	data := "HTTP/1.1 503 Busy\r\nRetry-After: " + huge + "\r\nContent-Length: " + huge + "\r\n\r\n"
	r := &Response{Body: make([]byte, 0, keepBody)}
	readResponse(bufio.NewReader(strings.NewReader(data)), r)
	for name, b := range map[string][]byte{"scratch": r.scratch, "val": r.h.val, "retryAfter": r.h.retryAfter, "contentLength": r.h.contentLength} {
		if cap(b) > keepScratch {
			t.Errorf("%s keeps %d bytes; want at most %d", name, cap(b), keepScratch)
		}
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

// TestInterimAnswers checks that any number of informational answers may
// come before the answer, with the heads of all of them under one limit,
// as net/http's Transport has it: the same server, read by both, comes to
// the same.
func TestInterimAnswers(t *testing.T) {
	hints := "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
	padded := "HTTP/1.1 102 Processing\r\nX-Pad: " + strings.Repeat("p", 4<<20) + "\r\n\r\n" // 4 MiB
	for _, tc := range []struct {
		name    string
		interim string
		wantErr error
	}{
		{"6 interim answers", strings.Repeat(hints, 6), nil},
		{"100 interim answers", strings.Repeat("HTTP/1.1 102 Processing\r\n\r\n", 100), nil},
		{"interim heads of 8 MiB together", strings.Repeat(padded, 2), nil},
		{"interim heads past 10 MiB together", strings.Repeat(padded, 3), errResponseHeaderTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, _ := rawServer(t, nil, func(_ int32, conn net.Conn, br *bufio.Reader) {
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					if _, err := io.WriteString(conn, tc.interim+"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"); err != nil {
						return // the client gave up reading
					}
				}
			})
			c := testClient(2, nil)
			defer c.Close()
			r, err := post(t, c, url)
			switch {
			case tc.wantErr != nil && !errors.Is(err, tc.wantErr):
				t.Errorf("post = %v; want %v", err, tc.wantErr)
			case tc.wantErr == nil && (err != nil || r.Status != 200 || string(r.Body) != "ok"):
				t.Errorf("post = %d %q, %v; want 200 ok", r.Status, r.Body, err)
			}

			tr := &http.Transport{}
			defer tr.CloseIdleConnections()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader("{}"))
			resp, terr := tr.RoundTrip(req)
			if terr == nil {
				resp.Body.Close()
			}
			if (terr == nil) != (err == nil) {
				t.Errorf("net/http's Transport: %v; the client: %v; want both to succeed or both to fail", terr, err)
			}
		})
	}
}

// TestSwitchingProtocolsCloses checks that a 101 is the answer, after any
// interim answers, and that the client then closes its connection: what
// follows is no longer HTTP/1.1.
func TestSwitchingProtocolsCloses(t *testing.T) {
	next := make(chan error, 1) // what the server reads after its 101
	url, _ := rawServer(t, nil, func(_ int32, conn net.Conn, br *bufio.Reader) {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		io.Copy(io.Discard, req.Body)
		io.WriteString(conn, "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: x\r\n\r\n")
		_, err = br.ReadByte()
		next <- err
	})
	c := testClient(2, nil)
	defer c.Close()
	if r, err := post(t, c, url); err != nil || r.Status != http.StatusSwitchingProtocols {
		t.Fatalf("post = %v, %v; want 101", r, err)
	}
	select {
	case err := <-next:
		if err != io.EOF {
			t.Errorf("after the 101 the server read %v; want io.EOF, the client's close", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the client kept the connection of a 101 open")
	}
	if n := c.nIdle; n != 0 {
		t.Errorf("%d idle connections; want 0", n)
	}
}
