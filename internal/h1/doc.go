// Package h1 is the emitter's HTTP/1.1 client: one made for the one
// request a delivery attempt makes, a POST of a body held in memory, of
// whose answer only the status, the Retry-After header and the start of
// the body matter.
//
//	c := h1.NewClient(&h1.Config{Dial: dial})
//	req := &h1.Request{URL: url, Body: body, Deadline: time.Now().Add(timeout)}
//	req.Header.Add("Content-Type", "application/json")
//	resp := &h1.Response{Body: make([]byte, 0, 4096)}
//	err := c.Post(ctx, req, resp) // resp.Status, resp.RetryAfter(), resp.Body
//
// # Why it exists
//
// For speed. net/http's Transport serves every kind of request, and pays
// for it on each one with two goroutines per connection that hand every
// request and answer over channels, and a map for the headers of every
// answer. Here the goroutine that calls Post writes the request in one
// write and reads the answer itself, on a connection it holds for the
// exchange, and keeps only the headers it needs; a caller that reuses its
// Request and Response allocates nothing per Post but what the look at an
// idle connection's socket costs (see below). With it the emitter
// delivers more per second than a bare loop of net/http's client posting
// the same body; through net/http's Transport it delivered about 0.8 as
// many (BenchmarkDeliveryThroughput in the root package, and
// BENCHMARKS.md).
//
// # Limits
//
// It speaks HTTP/1.1 only, over TCP or TLS (offering only HTTP/1.1 by
// ALPN), with keep-alive connections pooled per scheme, host and port. It
// follows no redirect. It goes through a forward proxy when Config.Proxy
// names one, http or https: a request to an http URL goes to the proxy
// with the URL in full, one to an https URL through a tunnel that CONNECT
// opens. A URL it does not take, such as one whose host is not ASCII and
// needs IDNA, or a proxy it does not speak to (SOCKS), fails with
// ErrUnsupportedURL before anything is sent, for the caller to send
// through net/http instead.
//
// It frames an answer's body by net/http's rules, in net/http's order:
// informational (1xx) answers skipped, any number of them; a 101 taken as
// the answer, and its connection closed; Transfer-Encoding chunked or
// none; Content-Length values that must agree; a body to the end of the
// connection otherwise; no body for 1xx, 204 and 304; and it refuses what
// net/textproto refuses in a header. FuzzReadResponse holds the parser to
// http.ReadResponse on the same bytes. The status lines and headers of an
// exchange, those of its interim answers included, may take up to 10 MiB
// together, as net/http's Transport allows by default. Trailers are not
// read: the connection of a chunked answer that has any is closed, as is
// one whose body is longer than what the Response keeps.
//
// A server may close an idle connection, or write to it unasked (a 408
// before closing, or a stray answer), and what it wrote would be taken for
// the answer to the next request. net/http learns of both from a goroutine
// that reads every idle connection; here Post looks before it reuses one:
// the connection must be quiet, open with nothing to read, which on unix
// costs one non-blocking peek at the socket. Where the socket cannot be
// looked at, a connection is reused only within a second of its last
// answer. A request that then cannot be written on a reused connection is
// sent again on a new one; a request that was written is never sent
// again.
//
// # Errors
//
// The text of an exchange's errors starts with "monitehooks:", not "h1:":
// the emitter records it in its delivery log as its own, and its users
// read it there.
package h1
