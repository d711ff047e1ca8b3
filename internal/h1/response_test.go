package h1

import (
	"bufio"
	"bytes"
	"context"
	"io"
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
// http.ReadResponse, skipping up to five informational answers, keeping
// up to max bytes of the body. chunked reports a chunked body. ok is false
// for an answer the two are allowed to see differently: a status line
// that net/http takes but that is not HTTP/1.x with a three-digit code,
// which readResponse refuses.
func readWithNetHTTP(data []byte, max int) (_ outcome, chunked, ok bool) {
	rd := bytes.NewReader(data)
	br := bufio.NewReaderSize(rd, 64)
	req, _ := http.NewRequest(http.MethodPost, "http://example.com/", nil)
	for n1xx := 0; ; n1xx++ {
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			return outcome{err: true}, false, true
		}
		code := resp.Status
		if resp.ProtoMajor != 1 || len(code) < 3 || strings.Trim(code[:3], "0123456789") != "" {
			return outcome{}, false, false
		}
		if resp.StatusCode >= 100 && resp.StatusCode <= 199 && resp.StatusCode != 101 {
			if n1xx == max1xx {
				return outcome{err: true}, false, true
			}
			continue
		}
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
