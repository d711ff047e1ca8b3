// Package proxytest runs a forward HTTP proxy on 127.0.0.1 for tests: it
// takes requests with their target in full (http URLs) and opens tunnels
// with CONNECT (https URLs), records what it was asked, and reaches
// targets by names only it resolves, as a proxy at the edge of a network
// does.
package proxytest

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"
)

// Config configures a Server. The zero value (or nil) proxies everything
// to the address named.
type Config struct {
	// Hosts maps a target's host:port, as a request names it, to the
	// address the proxy connects to instead: names only the proxy
	// resolves. A target not in it is connected to as named.
	Hosts map[string]string
	// Auth, when set, is the Proxy-Authorization value every request must
	// carry; one without it is answered 407.
	Auth string
	// RefuseConnect, when set, is the status every CONNECT is answered
	// with, its connection then closed.
	RefuseConnect int
	// TLS, when set, makes the proxy speak TLS to its clients: an https
	// proxy.
	TLS *tls.Config
}

// Request is what the proxy was asked.
type Request struct {
	// Method is CONNECT, or the method of a request to pass on.
	Method string
	// Target is the request line's target: host:port for CONNECT, the
	// URL in full otherwise.
	Target string
	// Host is the Host header.
	Host string
	// ProxyAuthorization is the Proxy-Authorization header.
	ProxyAuthorization string
}

// Server is a running proxy. Its methods are safe for concurrent use.
type Server struct {
	// URL is the proxy's URL, such as http://127.0.0.1:port.
	URL string

	cfg  Config
	ln   net.Listener
	tr   *http.Transport // to targets in plain HTTP
	wg   sync.WaitGroup
	mu   sync.Mutex // guards the fields below
	reqs []Request
	conn int                   // connections accepted
	open map[net.Conn]struct{} // closed by Close
}

// NewServer starts a proxy configured by cfg, which may be nil, and
// closes it when the test ends.
func NewServer(tb testing.TB, cfg *Config) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("proxytest: %v", err)
	}
	s := &Server{ln: ln, open: make(map[net.Conn]struct{})}
	if cfg != nil {
		s.cfg = *cfg
	}
	s.tr = &http.Transport{DialContext: s.dial}
	s.URL = "http://" + ln.Addr().String()
	if s.cfg.TLS != nil {
		s.URL = "https://" + ln.Addr().String()
	}
	s.wg.Go(s.serve)
	tb.Cleanup(s.Close)
	return s
}

// Requests returns what the proxy was asked, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.reqs)
}

// Conns returns how many connections the proxy accepted.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

// Close stops the proxy and closes its connections. It may be called
// more than once.
func (s *Server) Close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.open {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	s.tr.CloseIdleConnections()
}

func (s *Server) serve() {
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		if s.cfg.TLS != nil {
			conn = tls.Server(conn, s.cfg.TLS)
		}
		s.mu.Lock()
		s.conn++
		s.open[conn] = struct{}{}
		s.mu.Unlock()
		s.wg.Go(func() {
			defer func() {
				conn.Close()
				s.mu.Lock()
				delete(s.open, conn)
				s.mu.Unlock()
			}()
			s.handle(conn)
		})
	}
}

// dial connects to a target, by Hosts.
func (s *Server) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if to, ok := s.cfg.Hosts[addr]; ok {
		addr = to
	}
	var d net.Dialer
	return d.DialContext(ctx, network, addr)
}

// handle serves the requests on one client connection.
func (s *Server) handle(conn net.Conn) {
	br := bufio.NewReader(conn)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, Request{Method: req.Method, Target: req.RequestURI, Host: req.Host, ProxyAuthorization: req.Header.Get("Proxy-Authorization")})
		s.mu.Unlock()
		switch {
		case s.cfg.Auth != "" && req.Header.Get("Proxy-Authorization") != s.cfg.Auth:
			io.Copy(io.Discard, req.Body)
			io.WriteString(conn, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
		case req.Method == http.MethodConnect:
			s.tunnel(conn, br, req)
			return
		default:
			if !s.pass(conn, req) {
				return
			}
		}
	}
}

// tunnel answers a CONNECT, and then copies bytes both ways.
func (s *Server) tunnel(conn net.Conn, br *bufio.Reader, req *http.Request) {
	if s.cfg.RefuseConnect != 0 {
		fmt.Fprintf(conn, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", s.cfg.RefuseConnect, http.StatusText(s.cfg.RefuseConnect))
		return
	}
	up, err := s.dial(req.Context(), "tcp", req.RequestURI)
	if err != nil {
		io.WriteString(conn, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	s.mu.Lock()
	s.open[up] = struct{}{}
	s.mu.Unlock()
	defer func() {
		up.Close()
		s.mu.Lock()
		delete(s.open, up)
		s.mu.Unlock()
	}()
	io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{})
	go func() {
		io.Copy(conn, up)
		conn.Close() // ends the copy below
		close(done)
	}()
	io.Copy(up, br) // what the client sends, the buffered start first
	up.Close()
	<-done
}

// pass passes a request with its target in full on to the target and
// its answer back, and reports whether the connection may go on.
func (s *Server) pass(conn net.Conn, req *http.Request) bool {
	req.RequestURI = ""
	req.Header.Del("Proxy-Authorization")
	resp, err := s.tr.RoundTrip(req)
	if err != nil {
		io.WriteString(conn, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return false
	}
	defer resp.Body.Close()
	return resp.Write(conn) == nil && !resp.Close
}
