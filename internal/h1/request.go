package h1

import (
	"fmt"
	"net"
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

// write makes the request's bytes in r.wire, and returns its target.
func (r *Request) write() (*target, error) {
	if r.target == nil || r.target.url != r.URL {
		r.target, _ = parseTarget(r.URL)
	}
	if r.target == nil {
		return nil, ErrUnsupportedURL
	}
	if r.Header.err != nil {
		return nil, r.Header.err
	}
	r.wire = append(r.wire[:0], r.target.head...)
	r.wire = append(r.wire, r.Header.wire...)
	r.wire = append(r.wire, "Content-Length: "...)
	r.wire = strconv.AppendInt(r.wire, int64(len(r.Body)), 10)
	r.wire = append(r.wire, "\r\n\r\n"...)
	r.wire = append(r.wire, r.Body...)
	return r.target, nil
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
	url        string // as the Request has it
	key        string // scheme://host:port: connections to one key serve any of its targets
	addr       string // host:port to dial
	serverName string // for TLS; empty for plain HTTP
	head       []byte // the request line and the Host header
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
	t := &target{url: raw}
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
