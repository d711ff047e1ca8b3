package h1

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http/httputil"
	"strconv"
)

// Response is what a Client reads of an answer. Reuse one from one Post
// to the next: it keeps its working space.
type Response struct {
	// Status is the status code of the answer, after any informational
	// (1xx) ones but a 101, which ends the exchange: its connection is
	// closed.
	Status int
	// Body holds the start of the answer's body, read into its memory: up
	// to cap(Body) bytes, which the caller chooses before Post. A longer
	// body is not read to its end, and its connection is closed.
	Body []byte

	h       headers
	scratch []byte // working space for long header lines
}

// RetryAfter returns the value of the answer's first Retry-After header,
// or "".
func (r *Response) RetryAfter() string { return string(r.h.retryAfter) }

// trim lets go of working space that an answer with huge headers grew:
// they are rare, and no caller should keep megabytes for them.
func (r *Response) trim() {
	dropLarger(keepScratch, &r.scratch, &r.h.val, &r.h.retryAfter, &r.h.contentLength)
}

const (
	// maxHeaderBytes bounds the status lines and headers of an exchange:
	// those of the answer and of every informational (1xx) answer before
	// it, together, as net/http's Transport bounds them by default. It
	// is the one bound on interim answers: there may be any number of
	// them (a server may send 102 Processing every few seconds while it
	// works), but not an endless stream.
	maxHeaderBytes = 10 << 20
	// keepScratch is the most working space for long header lines a
	// Response keeps from one answer to the next.
	keepScratch = 64 << 10
)

// errResponseHeaderTooLarge is the error of an exchange whose status lines
// and headers, interim answers' included, exceed maxHeaderBytes.
var errResponseHeaderTooLarge = fmt.Errorf("monitehooks: response headers exceed %d bytes", maxHeaderBytes)

// readResponse reads an answer to a POST from br into r, skipping
// informational (1xx) answers before it, with one budget of
// maxHeaderBytes for the heads of all of them. It follows net/http's rules for
// framing the body, and keeps up to cap(r.Body) bytes of it. An error
// while reading the body is not returned: the status stands, and the
// connection is not kept. keep reports whether the connection may serve
// another request.
func readResponse(br *bufio.Reader, r *Response) (keep bool, err error) {
	defer r.trim()
	r.Status, r.Body = 0, r.Body[:0]
	h := &r.h
	var length int64
	var closeAfter bool
	budget := maxHeaderBytes // for the whole exchange, as net/http counts
	for {
		var minor int
		r.Status, minor, err = readStatusLine(br, r, &budget)
		if err != nil {
			return false, err
		}
		h.reset(minor == 0)
		if err := h.read(br, r, &budget); err != nil {
			return false, err
		}
		// A 1xx answer's framing headers are checked too, as net/http does.
		if length, closeAfter, err = h.framing(r.Status); err != nil {
			return false, err
		}
		if r.Status < 100 || r.Status > 199 || r.Status == 101 {
			break // a 101 is final: framing closes its connection
		}
	}
	body := r.Body[:cap(r.Body)]
	n := 0
	complete := false
	switch {
	case length == 0:
		complete = true
	case length > 0:
		if length <= int64(len(body)) {
			body = body[:length]
		}
		n, err = io.ReadFull(br, body)
		complete = err == nil && int64(n) == length
	case h.chunked:
		cr := httputil.NewChunkedReader(br)
		n, err = io.ReadFull(cr, body)
		if err == nil { // the body fills what we keep: does it end there?
			var one [1]byte
			if k, e := cr.Read(one[:]); k == 0 && e == io.EOF {
				err = io.EOF
			}
		}
		if err == io.ErrUnexpectedEOF || err == io.EOF {
			// The body ended within what we keep. Without trailers the
			// answer ends with a CRLF; an answer with trailers is read no
			// further, and its connection closed.
			if b, _ := br.Peek(2); string(b) == "\r\n" {
				br.Discard(2)
				complete = true
			}
		}
	default: // until the server closes the connection
		n, _ = io.ReadFull(br, body)
	}
	r.Body = body[:n]
	return complete && !closeAfter && br.Buffered() == 0, nil
}

// readStatusLine reads "HTTP/1.x code reason" and returns the code and x.
func readStatusLine(br *bufio.Reader, r *Response, budget *int) (status, minor int, err error) {
	line, err := readLine(br, r, budget)
	if err != nil {
		return 0, 0, err
	}
	proto, rest, ok := bytes.Cut(line, []byte(" "))
	if !ok || len(proto) != len("HTTP/1.1") || !bytes.HasPrefix(proto, []byte("HTTP/1.")) || proto[7] < '0' || proto[7] > '9' {
		return 0, 0, fmt.Errorf("monitehooks: malformed HTTP response %s", quoteStart(line))
	}
	code, _, _ := bytes.Cut(bytes.TrimLeft(rest, " "), []byte(" "))
	if len(code) != 3 || !isDigit(code[0]) || !isDigit(code[1]) || !isDigit(code[2]) {
		return 0, 0, fmt.Errorf("monitehooks: malformed HTTP status code %s", quoteStart(code))
	}
	return int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0'), int(proto[7] - '0'), nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// readLine reads a line of the answer's head without its line ending. The
// line is valid until the next read from br. Every line counts against
// budget.
func readLine(br *bufio.Reader, r *Response, budget *int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		// A line longer than br's buffer: gather it in scratch.
		r.scratch = append(r.scratch[:0], line...)
		for err == bufio.ErrBufferFull && len(r.scratch) <= *budget {
			line, err = br.ReadSlice('\n')
			r.scratch = append(r.scratch, line...)
		}
		line = r.scratch
	}
	if *budget -= len(line); *budget < 0 {
		return nil, errResponseHeaderTooLarge
	}
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, nil
}

// headers is what an answer's headers say that matters here. Its
// buffers are kept from one answer to the next.
type headers struct {
	contentLength []byte // the first Content-Length
	nLength       int    // how many Content-Length headers
	lengthsDiffer bool
	chunked       bool
	nEncodings    int  // how many Transfer-Encoding headers
	badEncoding   bool // one that is not "chunked"
	close         bool // Connection: close
	keepAlive     bool // Connection: keep-alive
	http10        bool // the answer is HTTP/1.0
	retryAfter    []byte
	nRetryAfter   int

	// The header being read, if it is one of the above: its kind and its
	// value so far, which continuation lines may extend.
	cur int
	val []byte
}

// Kinds of the headers headers reads.
const (
	hdrOther = iota
	hdrContentLength
	hdrTransferEncoding
	hdrConnection
	hdrRetryAfter
)

// reset readies h for another answer, keeping its buffers.
func (h *headers) reset(http10 bool) {
	*h = headers{contentLength: h.contentLength[:0], retryAfter: h.retryAfter[:0], val: h.val[:0], http10: http10}
}

// read reads header lines up to the empty line that ends them. It refuses
// what net/textproto refuses: a first line that starts with a space or a
// tab, a line without a colon, a name of other than token characters and
// spaces, and a control character in a value. A line that starts with a
// space or a tab continues the one before, as one value joined by a
// space.
func (h *headers) read(br *bufio.Reader, r *Response, budget *int) error {
	for first := true; ; first = false {
		line, err := readLine(br, r, budget)
		if err != nil {
			return err
		}
		if len(line) > 0 && (line[0] == ' ' || line[0] == '\t') {
			if first {
				return fmt.Errorf("monitehooks: malformed MIME header initial line %s", quoteStart(line))
			}
			if !validHeaderValue(line) {
				return fmt.Errorf("monitehooks: malformed MIME header line %s", quoteStart(line))
			}
			if h.cur != hdrOther {
				if len(h.val) > 0 { // net/textproto trims the joined value's start
					h.val = append(h.val, ' ')
				}
				h.val = append(h.val, trimOWS(line)...)
			}
			continue
		}
		h.finish()
		if len(line) == 0 {
			return nil
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !validHeaderName(name) || !validHeaderValue(value) {
			return fmt.Errorf("monitehooks: malformed MIME header line %s", quoteStart(line))
		}
		switch {
		case asciiEqualFold(name, "Content-Length"):
			h.cur = hdrContentLength
		case asciiEqualFold(name, "Transfer-Encoding"):
			h.cur = hdrTransferEncoding
		case asciiEqualFold(name, "Connection"):
			h.cur = hdrConnection
		case asciiEqualFold(name, "Retry-After"):
			h.cur = hdrRetryAfter
		default:
			continue
		}
		h.val = append(h.val[:0], trimOWS(value)...)
	}
}

// finish takes in the header being read, now that its value is whole.
func (h *headers) finish() {
	v := h.val
	switch h.cur {
	case hdrContentLength:
		// A value folded onto a line of spaces ends in one: net/http trims
		// it off a Content-Length, and so do we.
		v = trimOWS(v)
		if h.nLength == 0 {
			h.contentLength = append(h.contentLength[:0], v...)
		} else if !bytes.Equal(h.contentLength, v) {
			h.lengthsDiffer = true
		}
		h.nLength++
	case hdrTransferEncoding:
		h.nEncodings++
		h.chunked = asciiEqualFold(v, "chunked")
		h.badEncoding = h.badEncoding || !h.chunked
	case hdrConnection:
		for tok := range bytes.SplitSeq(v, []byte(",")) {
			tok = trimOWS(tok)
			h.close = h.close || asciiEqualFold(tok, "close")
			h.keepAlive = h.keepAlive || asciiEqualFold(tok, "keep-alive")
		}
	case hdrRetryAfter:
		if h.nRetryAfter == 0 {
			h.retryAfter = append(h.retryAfter[:0], v...)
		}
		h.nRetryAfter++
	}
	h.cur = hdrOther
}

// framing returns the body's length (-1 when it is chunked or runs to the
// end of the connection) and whether the connection closes after it, by
// net/http's rules, in net/http's order: a bad Transfer-Encoding or
// Content-Length is an error whatever the status.
func (h *headers) framing(status int) (length int64, closeAfter bool, err error) {
	closeAfter = h.close || h.http10 && !h.keepAlive
	if h.http10 {
		h.chunked = false // HTTP/1.0 has no Transfer-Encoding
	} else if h.nEncodings > 1 || h.badEncoding {
		return 0, false, errors.New("monitehooks: response has an unsupported Transfer-Encoding")
	}
	if h.lengthsDiffer {
		return 0, false, errors.New("monitehooks: response has several Content-Length headers that differ")
	}
	if h.nLength > 0 {
		n, err := strconv.ParseUint(string(h.contentLength), 10, 63)
		if err != nil {
			return 0, false, fmt.Errorf("monitehooks: response has a bad Content-Length %s", quoteStart(h.contentLength))
		}
		length = int64(n)
	}
	switch {
	case status/100 == 1 || status == 204 || status == 304:
		return 0, closeAfter || status == 101, nil
	case h.chunked:
		return -1, closeAfter, nil
	case h.nLength > 0:
		return length, closeAfter, nil
	default:
		return -1, true, nil
	}
}

// trimOWS trims the spaces and tabs around b.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// asciiEqualFold reports whether b and s are equal ignoring ASCII case.
func asciiEqualFold[T string | []byte](b T, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// validHeaderName reports whether b is a header name net/textproto
// accepts: token characters (RFC 9110, section 5.6.2), and spaces, which
// it lets through but then matches no known name.
func validHeaderName(b []byte) bool {
	for _, c := range b {
		if c != ' ' && (c >= 0x7f || c <= ' ' || bytes.IndexByte([]byte(`"(),/:;<=>?@[\]{}`), c) >= 0) {
			return false
		}
	}
	return len(b) > 0
}

// validHeaderValue reports whether b holds no control character but tab.
func validHeaderValue[T string | []byte](b T) bool {
	for i := range len(b) {
		c := b[i]
		if c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// quoteStart quotes b for an error message, cut to its first 80 bytes: a
// caller may keep the error (the emitter keeps it in its delivery log),
// and a line may be megabytes long.
func quoteStart(b []byte) string {
	const limit = 80
	if len(b) > limit {
		return strconv.Quote(string(b[:limit])) + "…"
	}
	return strconv.Quote(string(b))
}

// dropLarger lets go of each buffer whose capacity is over max.
func dropLarger(max int, bufs ...*[]byte) {
	for _, b := range bufs {
		if cap(*b) > max {
			*b = nil
		}
	}
}
