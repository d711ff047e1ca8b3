package h1

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Request is a POST for a Client to send. Reuse one from one Post to the
// next: it keeps the last URL taken apart and the memory of the last
// request's bytes, so that posting again to the same URL allocates
// nothing.
type Request struct {
	// URL is the http or https URL to post to. A URL the client does not
	// take makes Post fail with ErrUnsupportedURL.
	URL string
	// Header holds the fields sent besides Host and Content-Length, which
	// the client writes.
	Header Header
	// Body is the request's body, sent with its length.
	Body []byte
	// Deadline ends the exchange, from connecting to reading the answer.
	// Post refuses a Request without one.
	Deadline time.Time

	target *target // URL taken apart, while URL stays the same
	wire   []byte  // the request as written
}

// maxKeptRequest is the largest memory for a request's bytes a Request
// keeps from one Post to the next: what grew past it for a large body is
// let go.
const maxKeptRequest = 1 << 20

// parse returns the request's target, taken apart once while URL stays
// the same, or ErrUnsupportedURL.
func (r *Request) parse() (*target, error) {
	if r.target == nil || r.target.url != r.URL {
		r.target, _ = parseTarget(r.URL)
	}
	if r.target == nil {
		return nil, ErrUnsupportedURL
	}
	if r.Header.err != nil {
		return nil, r.Header.err
	}
	return r.target, nil
}

// write makes the request's bytes in r.wire: head (the request line and
// the fields the route needs), Header, Content-Length and Body.
func (r *Request) write(head []byte) {
	r.wire = append(r.wire[:0], head...)
	r.wire = append(r.wire, r.Header.wire...)
	r.wire = append(r.wire, "Content-Length: "...)
	r.wire = strconv.AppendInt(r.wire, int64(len(r.Body)), 10)
	r.wire = append(r.wire, "\r\n\r\n"...)
	r.wire = append(r.wire, r.Body...)
}

// trim lets go of the request's bytes if they grew past maxKeptRequest.
func (r *Request) trim() { dropLarger(maxKeptRequest, &r.wire) }

// Header is the header fields of a Request, in the order they were added,
// kept as they go on the wire. The zero Header has no fields.
type Header struct {
	wire []byte // "Name: value\r\n" for each field
	err  error  // why the first field refused was refused
}

// Reset empties h, keeping its memory.
func (h *Header) Reset() { h.wire, h.err = h.wire[:0], nil }

// Add adds the field name: value. It refuses, as net/http does, a name
// that is not a token and a value with a control character other than
// tab, and the fields the client writes itself: Host, Content-Length and
// Transfer-Encoding. A Post of a Request whose Header refused a field
// fails without sending anything, with an error that says why.
func (h *Header) Add(name, value string) { addField(h, name, value) }

// AddBytes is Add for a value held in bytes.
func (h *Header) AddBytes(name string, value []byte) { addField(h, name, value) }

func addField[T string | []byte](h *Header, name string, value T) {
	switch {
	case h.err != nil:
		return
	case !validToken(name) || asciiEqualFold(name, "Host") || asciiEqualFold(name, "Content-Length") || asciiEqualFold(name, "Transfer-Encoding"):
		h.err = fmt.Errorf("monitehooks: invalid header field name %q", name)
		return
	case !validHeaderValue(value):
		h.err = fmt.Errorf("monitehooks: invalid %s header value %q", name, value)
		return
	}
	h.wire = append(h.wire, name...)
	h.wire = append(h.wire, ": "...)
	h.wire = append(h.wire, value...)
	h.wire = append(h.wire, "\r\n"...)
}

// validToken reports whether s is a token (RFC 9110, section 5.6.2), as a
// header field's name must be.
func validToken(s string) bool {
	for i := range len(s) {
		if c := s[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return len(s) > 0
}

// target is a URL taken apart for a Client.
type target struct {
	url    string   // as the Request has it
	u      *url.URL // parsed
	host   string   // u's host, without brackets or port
	direct route    // to it, not through a proxy

	// Through a proxy: the request Config.Proxy is asked about, and the
	// route through the proxy it last answered.
	proxyReq *http.Request
	viaURL   url.URL
	via      *route
}

// route is a way to a target, straight or through a proxy: where to
// connect, what to say first, and the head of the request to send.
type route struct {
	key        string // scheme://host:port, and the proxy's: connections with one key serve any of its requests
	addr       string // host:port to dial: the target's, or the proxy's
	proxyName  string // for TLS to an https proxy; empty otherwise
	proxied    bool
	connect    []byte // the CONNECT request for a tunnel to an https target through a proxy
	serverName string // for TLS to the target; empty for plain HTTP
	head       []byte // the request line and the Host header, and Proxy-Authorization through a proxy in plain HTTP
}

// parseTarget takes raw apart, or returns false for a URL the client does
// not take.
func parseTarget(raw string) (*target, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return nil, false
	}
	for i := range len(u.Host) {
		if c := u.Host[i]; c <= ' ' || c >= 0x7f {
			return nil, false // a host in Unicode: net/http applies IDNA
		}
	}
	t := &target{url: raw, u: u, host: u.Hostname()}
	port := u.Port()
	switch u.Scheme {
	case "http":
		if port == "" {
			port = "80"
		}
	case "https":
		if port == "" {
			port = "443"
		}
		t.direct.serverName = t.host
	default:
		return nil, false
	}
	t.direct.addr = net.JoinHostPort(t.host, port)
	t.direct.key = u.Scheme + "://" + t.direct.addr
	t.direct.head = fmt.Appendf(nil, "POST %s HTTP/1.1\r\nHost: %s\r\n", u.RequestURI(), hostHeader(u))
	return t, true
}

// hostHeader returns the Host header of a request to u. An empty port
// ("host:") is dropped, as net/http does (RFC 3986, section 6.2.3).
func hostHeader(u *url.URL) string { return strings.TrimSuffix(u.Host, ":") }
