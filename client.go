package monitehooks

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// h1Client is the emitter's default way to send deliveries: an HTTP/1.1
// client made for the one request an attempt makes, a POST of a body held
// in memory, of whose answer only the status, the Retry-After header and
// the start of the body matter.
//
// It exists for speed. net/http's Transport serves every kind of request,
// and pays for it on each one with two goroutines per connection that hand
// every request and response over channels, and a map for the headers of
// every response. Here the worker that makes the attempt writes the request
// and reads the answer itself, on a connection it holds for the attempt,
// and keeps only the headers it needs. With it the emitter delivers more
// per second than a bare loop of net/http's client posting the same body
// (see BenchmarkDeliveryThroughput and BENCHMARKS.md); through net/http's
// Transport it delivered about 0.8 as many.
//
// It speaks HTTP/1.1 only, over TCP or TLS, with keep-alive connections
// pooled per scheme, host and port. Targets it does not take (a host name
// that is not ASCII, which needs IDNA) go to net/http's Transport
// instead; so does everything when EmitterConfig.Transport is set.
type h1Client struct {
	dial        func(ctx context.Context, network, addr string) (net.Conn, error)
	tlsConfig   *tls.Config // cloned for each connection, with its ServerName
	maxIdle     int         // idle connections kept in all
	maxIdleHost int         // idle connections kept per target key
	idleTimeout time.Duration

	lastPrune atomic.Int64 // when pruneIdle last looked, in Unix nanoseconds

	mu     sync.Mutex           // guards the fields below
	idle   map[string][]*h1Conn // by target key, the most recently used last
	nIdle  int
	active map[*h1Conn]struct{} // connections in an attempt: closeAll closes them too
	closed bool
}

// h1Conn is one connection of an h1Client.
type h1Conn struct {
	key       string
	conn      net.Conn // the connection requests go over
	raw       net.Conn // the TCP connection under it
	br        *bufio.Reader
	read      int64 // bytes br has read from conn
	idleSince time.Time
}

// Read reads from the connection for br, counting.
func (pc *h1Conn) Read(p []byte) (int, error) {
	n, err := pc.conn.Read(p)
	pc.read += int64(n)
	return n, err
}

// h1BlindReuse is how long a connection whose socket quietOpen cannot look
// at may stay idle and still be reused. Servers close idle connections
// after seconds, not sooner.
const h1BlindReuse = time.Second

// quiet reports whether a connection idle for so long may take a request:
// it is open and nothing waits to be read on it. A server may close an idle
// connection, or write to it unasked (a 408 before closing, or worse, a
// stray answer): what it wrote would be taken for the answer to the next
// request. net/http learns of both from a goroutine that reads every idle
// connection; here a look before each reuse tells, at the cost of a system
// call.
func (pc *h1Conn) quiet(idle time.Duration) bool {
	if pc.br.Buffered() > 0 {
		return false
	}
	pc.conn.SetDeadline(time.Time{}) // the last attempt's has passed, and would fail the look
	// Where there is no look at the socket, it is reused only soon after
	// its last answer, before a server would close it for idleness.
	if quiet, known := quietOpen(pc.raw); known && !quiet || !known && idle >= h1BlindReuse {
		return false
	}
	if pc.conn == pc.raw {
		return true
	}
	// TLS may have read records from the socket that wait in tls.Conn: a
	// read with a deadline already past returns them, and times out
	// otherwise without a system call.
	pc.conn.SetReadDeadline(time.Unix(1, 0))
	_, err := pc.br.Peek(1)
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// h1Target is a delivery URL taken apart for an h1Client.
type h1Target struct {
	url        string // as the subscription has it
	key        string // scheme://host:port: connections to one key serve any of its targets
	addr       string // host:port to dial
	serverName string // for TLS; empty for plain HTTP
	head       []byte // the request line and the Host header
}

// h1Response is what an h1Client reads of an answer. A worker keeps one
// for all its attempts.
type h1Response struct {
	status  int
	body    []byte // the start of the body, at most its capacity
	h       h1Headers
	scratch []byte // working space for long header lines
}

// retryAfter returns the value of the answer's first Retry-After header.
func (r *h1Response) retryAfter() string { return string(r.h.retryAfter) }

// trim lets go of working space that an answer with huge headers grew:
// they are rare, and no worker should keep megabytes for them.
func (r *h1Response) trim() {
	dropLarger(h1KeepScratch, &r.scratch, &r.h.val, &r.h.retryAfter, &r.h.contentLength)
}

const (
	// h1MaxHeaderBytes bounds the status line and headers of an answer,
	// and of each 1xx answer before it, as net/http's Transport bounds
	// them by default.
	h1MaxHeaderBytes = 10 << 20
	// h1KeepScratch is the most working space for long header lines a
	// worker keeps from one answer to the next.
	h1KeepScratch = 64 << 10
	// h1Max1xx bounds the informational answers before the final one,
	// as net/http's Transport does.
	h1Max1xx = 5
)

// errResponseHeaderTooLarge is the error of an answer whose headers exceed
// h1MaxHeaderBytes.
var errResponseHeaderTooLarge = fmt.Errorf("monitehooks: response headers exceed %d bytes", h1MaxHeaderBytes)

func newH1Client(dial func(ctx context.Context, network, addr string) (net.Conn, error), tlsConfig *tls.Config, maxIdle, maxIdleHost int, idleTimeout time.Duration) *h1Client {
	if tlsConfig == nil {
		tlsConfig = &tls.Config{}
	}
	tlsConfig = tlsConfig.Clone()
	tlsConfig.NextProtos = []string{"http/1.1"}
	if tlsConfig.ClientSessionCache == nil {
		tlsConfig.ClientSessionCache = tls.NewLRUClientSessionCache(0)
	}
	return &h1Client{
		dial: dial, tlsConfig: tlsConfig,
		maxIdle: maxIdle, maxIdleHost: maxIdleHost, idleTimeout: idleTimeout,
		idle:   make(map[string][]*h1Conn),
		active: make(map[*h1Conn]struct{}),
	}
}

// newH1Target takes raw apart, or returns false for a URL the client does
// not take.
func newH1Target(raw string) (*h1Target, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return nil, false
	}
	for i := range len(u.Host) {
		if c := u.Host[i]; c <= ' ' || c >= 0x7f {
			return nil, false // a host in Unicode: net/http applies IDNA
		}
	}
	t := &h1Target{url: raw}
	host, port := u.Hostname(), u.Port()
	switch u.Scheme {
	case "http":
		if port == "" {
			port = "80"
		}
	case "https":
		if port == "" {
			port = "443"
		}
		t.serverName = host
	default:
		return nil, false
	}
	t.addr = net.JoinHostPort(host, port)
	t.key = u.Scheme + "://" + t.addr
	// An empty port ("host:") is dropped, as net/http does (RFC 3986,
	// section 6.2.3).
	t.head = fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), strings.TrimSuffix(u.Host, ":"))
	return t, true
}

// unsentError is the error of a request that could not be written in
// full, and got no byte of an answer: the server cannot have taken it.
type unsentError struct{ err error }

func (e *unsentError) Error() string { return e.err.Error() }
func (e *unsentError) Unwrap() error { return e.err }

// do sends req, a whole request for t, and reads the answer into r. ctx
// ends the attempt early (the emitter closing); deadline ends it on time.
func (c *h1Client) do(ctx context.Context, t *h1Target, req []byte, deadline time.Time, r *h1Response) error {
	pc, reused, err := c.get(ctx, t, deadline)
	if err != nil {
		return err
	}
	keep, err := pc.roundTrip(req, deadline, r)
	if _, unsent := err.(*unsentError); unsent && reused && ctx.Err() == nil && time.Now().Before(deadline) {
		// The server closed the idle connection after quiet looked: the
		// request never reached it, so it goes again on a new connection.
		// A request that was written is never sent again: the attempt
		// fails, and is recorded, as net/http does for a POST.
		c.release(pc, false)
		if pc, err = c.connect(ctx, t, deadline); err != nil {
			return err
		}
		keep, err = pc.roundTrip(req, deadline, r)
	}
	c.release(pc, keep && err == nil)
	return err
}

// get returns an idle connection to t's key, or a new one. reused reports
// which.
func (c *h1Client) get(ctx context.Context, t *h1Target, deadline time.Time) (pc *h1Conn, reused bool, err error) {
	for {
		now := time.Now()
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, false, net.ErrClosed
		}
		pc = nil
		if conns := c.idle[t.key]; len(conns) > 0 {
			pc = conns[len(conns)-1]
			conns[len(conns)-1] = nil
			c.idle[t.key] = conns[:len(conns)-1]
			c.nIdle--
			c.active[pc] = struct{}{}
		}
		c.mu.Unlock()
		if pc == nil {
			pc, err = c.connect(ctx, t, deadline)
			return pc, false, err
		}
		if idle := now.Sub(pc.idleSince); idle < c.idleTimeout && pc.quiet(idle) {
			return pc, true, nil
		}
		c.release(pc, false)
	}
}

// connect opens a new connection to t, counted as active.
func (c *h1Client) connect(ctx context.Context, t *h1Target, deadline time.Time) (*h1Conn, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	conn, err := c.dial(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	raw := conn
	if t.serverName != "" {
		cfg := c.tlsConfig.Clone()
		cfg.ServerName = t.serverName
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		conn = tc
	}
	pc := &h1Conn{key: t.key, conn: conn, raw: raw}
	pc.br = bufio.NewReaderSize(pc, 4<<10)
	c.mu.Lock()
	closed := c.closed
	if !closed {
		c.active[pc] = struct{}{}
	}
	c.mu.Unlock()
	if closed {
		conn.Close()
		return nil, net.ErrClosed
	}
	return pc, nil
}

// release ends an attempt's use of pc: it goes back to the pool if keep is
// set and there is room, and is closed otherwise.
func (c *h1Client) release(pc *h1Conn, keep bool) {
	now := time.Now()
	c.mu.Lock()
	delete(c.active, pc)
	keep = keep && !c.closed && c.nIdle < c.maxIdle && len(c.idle[pc.key]) < c.maxIdleHost
	if keep {
		pc.idleSince = now
		c.idle[pc.key] = append(c.idle[pc.key], pc)
		c.nIdle++
	}
	c.mu.Unlock()
	if !keep {
		pc.conn.Close()
	}
}

// pruneIdle closes the connections idle for longer than the idle timeout.
// It looks at most once per half of that timeout, so it may be called
// often.
func (c *h1Client) pruneIdle(now time.Time) {
	last := c.lastPrune.Load()
	if now.UnixNano()-last < int64(c.idleTimeout/2) || !c.lastPrune.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	var stale []*h1Conn
	c.mu.Lock()
	for key, conns := range c.idle {
		kept := conns[:0]
		for _, pc := range conns {
			if now.Sub(pc.idleSince) < c.idleTimeout {
				kept = append(kept, pc)
			} else {
				stale = append(stale, pc)
			}
		}
		clear(conns[len(kept):])
		c.nIdle -= len(conns) - len(kept)
		if len(kept) == 0 {
			delete(c.idle, key)
		} else {
			c.idle[key] = kept
		}
	}
	c.mu.Unlock()
	for _, pc := range stale {
		pc.conn.Close()
	}
}

// closeIdle closes the idle connections.
func (c *h1Client) closeIdle() {
	c.mu.Lock()
	idle := c.idle
	c.idle, c.nIdle = make(map[string][]*h1Conn), 0
	c.mu.Unlock()
	for _, conns := range idle {
		for _, pc := range conns {
			pc.conn.Close()
		}
	}
}

// closeAll closes every connection, ending the attempts in flight, and
// every one made later.
func (c *h1Client) closeAll() {
	c.mu.Lock()
	c.closed = true
	active := c.active
	c.active = make(map[*h1Conn]struct{})
	c.mu.Unlock()
	for pc := range active {
		pc.conn.Close()
	}
	c.closeIdle()
}

// h1WriteAhead is the size of request the client writes in full before it
// reads the answer. A larger one is written while the answer is read, since
// a server may answer (413, say) before it reads it all, and stop reading.
const h1WriteAhead = 64 << 10

// roundTrip writes req and reads the answer into r. keep reports whether
// the connection may serve another request.
func (pc *h1Conn) roundTrip(req []byte, deadline time.Time, r *h1Response) (keep bool, err error) {
	if err := pc.conn.SetDeadline(deadline); err != nil {
		return false, err
	}
	read := pc.read
	var werr error
	if len(req) <= h1WriteAhead {
		_, werr = pc.conn.Write(req)
		keep, err = readResponse(pc.br, r)
	} else {
		written := make(chan error, 1)
		go func() {
			_, err := pc.conn.Write(req)
			written <- err
		}()
		keep, err = readResponse(pc.br, r)
		select {
		case werr = <-written:
		default:
			// Answered before the request was all written: the connection
			// can carry no other request. Closing it ends the write.
			pc.conn.Close()
			werr = <-written
			keep = false
		}
	}
	switch {
	case werr == nil:
		return keep, err
	case err == nil:
		return false, nil // an answer, early: it stands
	case pc.read == read:
		return false, &unsentError{werr}
	default:
		return false, werr
	}
}

// readResponse reads an answer to a POST from br into r, skipping
// informational (1xx) answers before it. It follows net/http's rules for
// framing the body, and keeps up to cap(r.body) bytes of it. An error
// while reading the body is not returned: the status stands, and the
// connection is not kept. keep reports whether the connection may serve
// another request.
func readResponse(br *bufio.Reader, r *h1Response) (keep bool, err error) {
	defer r.trim()
	r.status, r.body = 0, r.body[:0]
	h := &r.h
	var length int64
	var closeAfter bool
	for n1xx := 0; ; n1xx++ {
		budget := h1MaxHeaderBytes // for each answer, as net/http counts
		var minor int
		r.status, minor, err = readStatusLine(br, r, &budget)
		if err != nil {
			return false, err
		}
		h.reset(minor == 0)
		if err := h.read(br, r, &budget); err != nil {
			return false, err
		}
		// A 1xx answer's framing headers are checked too, as net/http does.
		if length, closeAfter, err = h.framing(r.status); err != nil {
			return false, err
		}
		if r.status < 100 || r.status > 199 || r.status == 101 {
			break
		}
		if n1xx == h1Max1xx {
			return false, errors.New("monitehooks: too many 1xx informational responses")
		}
	}
	body := r.body[:cap(r.body)]
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
	r.body = body[:n]
	return complete && !closeAfter && br.Buffered() == 0, nil
}

// readStatusLine reads "HTTP/1.x code reason" and returns the code and x.
func readStatusLine(br *bufio.Reader, r *h1Response, budget *int) (status, minor int, err error) {
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
func readLine(br *bufio.Reader, r *h1Response, budget *int) ([]byte, error) {
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

// h1Headers is what an answer's headers say that matters here. Its
// buffers are kept from one answer to the next.
type h1Headers struct {
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

// Kinds of the headers h1Headers reads.
const (
	hdrOther = iota
	hdrContentLength
	hdrTransferEncoding
	hdrConnection
	hdrRetryAfter
)

// reset readies h for another answer, keeping its buffers.
func (h *h1Headers) reset(http10 bool) {
	*h = h1Headers{contentLength: h.contentLength[:0], retryAfter: h.retryAfter[:0], val: h.val[:0], http10: http10}
}

// read reads header lines up to the empty line that ends them. It refuses
// what net/textproto refuses: a first line that starts with a space or a
// tab, a line without a colon, a name of other than token characters and
// spaces, and a control character in a value. A line that starts with a
// space or a tab continues the one before, as one value joined by a
// space.
func (h *h1Headers) read(br *bufio.Reader, r *h1Response, budget *int) error {
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
func (h *h1Headers) finish() {
	v := h.val
	switch h.cur {
	case hdrContentLength:
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
func (h *h1Headers) framing(status int) (length int64, closeAfter bool, err error) {
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
func asciiEqualFold(b []byte, s string) bool {
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

// quoteStart quotes b for an error message, cut to its first 80 bytes: an
// attempt's error is kept in the delivery log, and a line may be
// megabytes long.
func quoteStart(b []byte) string {
	const limit = 80
	if len(b) > limit {
		return strconv.Quote(string(b[:limit])) + "…"
	}
	return strconv.Quote(string(b))
}
