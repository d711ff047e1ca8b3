package h1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// Client is an HTTP/1.1 client for one kind of exchange: a POST of a body
// held in memory, of whose answer only the status, the Retry-After header
// and the start of the body matter. It keeps connections alive, pooled per
// scheme, host and port.
//
// A Client is safe for concurrent use. A Request and a Response serve one
// Post at a time.
type Client struct {
	dial         func(ctx context.Context, network, addr string) (net.Conn, error)
	dialProxyTCP func(ctx context.Context, network, addr string) (net.Conn, error)
	proxy        func(*http.Request) (*url.URL, error)
	checkProxied func(host string) error
	tlsConfig    *tls.Config // cloned for each connection, with its ServerName
	maxIdle      int         // idle connections kept in all
	maxIdleHost  int         // idle connections kept per target key
	idleTimeout  time.Duration

	lastPrune atomic.Int64 // when PruneIdle last looked, in Unix nanoseconds

	mu     sync.Mutex                // guards the fields below
	idle   map[string][]*persistConn // by target key, the most recently used last
	nIdle  int
	active map[*persistConn]struct{} // connections in an exchange: Close closes them too
	closed bool
}

// Config configures a Client: pass it to NewClient, or nil for the
// defaults.
type Config struct {
	// Dial opens the TCP connection to a host:port; the client adds TLS
	// for https URLs. Defaults to the DialContext of a zero net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSConfig configures TLS for https URLs, and to https proxies. The
	// client uses a clone, offering HTTP/1.1 only by ALPN, with a session
	// cache if it has none, and sets ServerName to each URL's host.
	// Defaults to the zero tls.Config: the system's roots.
	TLSConfig *tls.Config
	// Proxy returns the URL of the proxy to send a request through, or
	// nil for none, as http.Transport's Proxy does: it is asked for each
	// Post, with a request that holds the URL, and http.ProxyFromEnvironment
	// and http.ProxyURL fit. The client speaks to http and https proxies:
	// a request to an http URL goes to the proxy with its URL in full,
	// and one to an https URL through a tunnel that CONNECT opens, then
	// TLS to the target. Credentials in the proxy's URL go in a
	// Proxy-Authorization header. Post fails with ErrUnsupportedURL,
	// having sent nothing, for a SOCKS proxy, and with a *ProxyError for
	// other schemes. Defaults to nil: no proxy.
	Proxy func(*http.Request) (*url.URL, error)
	// DialProxy opens the TCP connection to a proxy. Defaults to Dial.
	DialProxy func(ctx context.Context, network, addr string) (net.Conn, error)
	// CheckProxied is called with the host of a request's URL, without
	// brackets or port, before the request goes through a proxy: the
	// proxy, not Dial, connects to that host. An error fails the Post,
	// which sends nothing. Defaults to nil: no check.
	CheckProxied func(host string) error
	// MaxIdle bounds the idle connections kept in all. Defaults to
	// DefaultMaxIdle.
	MaxIdle int
	// MaxIdlePerHost bounds the idle connections kept per scheme, host and
	// port. Defaults to DefaultMaxIdlePerHost.
	MaxIdlePerHost int
	// IdleTimeout is how long a connection may stay idle and still be
	// reused. Defaults to DefaultIdleTimeout.
	IdleTimeout time.Duration
}

// Defaults of Config, as net/http's DefaultTransport has them.
const (
	DefaultMaxIdle        = 100
	DefaultMaxIdlePerHost = 2
	DefaultIdleTimeout    = 90 * time.Second
)

// NewClient returns a Client configured by cfg; nil means the defaults.
func NewClient(cfg *Config) *Client {
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if c.Dial == nil {
		c.Dial = (&net.Dialer{}).DialContext
	}
	if c.DialProxy == nil {
		c.DialProxy = c.Dial
	}
	if c.MaxIdle == 0 {
		c.MaxIdle = DefaultMaxIdle
	}
	if c.MaxIdlePerHost == 0 {
		c.MaxIdlePerHost = DefaultMaxIdlePerHost
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	tlsConfig := c.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{}
	}
	tlsConfig = tlsConfig.Clone()
	tlsConfig.NextProtos = []string{"http/1.1"}
	if tlsConfig.ClientSessionCache == nil {
		tlsConfig.ClientSessionCache = tls.NewLRUClientSessionCache(0)
	}
	return &Client{
		dial:         c.Dial,
		dialProxyTCP: c.DialProxy,
		proxy:        c.Proxy,
		checkProxied: c.CheckProxied,
		tlsConfig:    tlsConfig,
		maxIdle:      c.MaxIdle,
		maxIdleHost:  c.MaxIdlePerHost,
		idleTimeout:  c.IdleTimeout,
		idle:         make(map[string][]*persistConn),
		active:       make(map[*persistConn]struct{}),
	}
}

var (
	// ErrUnsupportedURL is the error of Post, which sent nothing, for a
	// URL the client does not take: one with another scheme than http or
	// https, with user info, without a host, or with a host that is not
	// ASCII (net/http applies IDNA to it); or for a proxy it does not
	// speak to (SOCKS). The caller may send the request another way.
	ErrUnsupportedURL = errors.New("h1: unsupported URL")
	// ErrNoDeadline is the error of Post, which sent nothing, for a
	// Request without a Deadline.
	ErrNoDeadline = errors.New("h1: request without a deadline")
)

// Post sends req and reads its answer into resp: the status, the first
// Retry-After header and the start of the body. Any answer, whatever its
// status, is a success; an error means there was none. A Post of the
// Request that last posted to the same URL, over a kept-alive connection,
// allocates nothing but what the look at the connection's socket costs.
//
// req.Deadline ends the exchange, from connecting to reading the answer.
// ctx ends the connecting only: Close ends the exchanges in flight. A
// request that could not be written on a connection reused from the pool
// is sent again on a new one; one that was written is never sent again,
// as net/http does for a POST, since the server may have acted on it.
func (c *Client) Post(ctx context.Context, req *Request, resp *Response) error {
	resp.Status, resp.Body = 0, resp.Body[:0]
	if req.Deadline.IsZero() {
		return ErrNoDeadline
	}
	t, err := req.parse()
	if err != nil {
		return err
	}
	rt, err := c.route(t)
	if err != nil {
		return err
	}
	req.write(rt.head)
	defer req.trim()
	deadline := req.Deadline
	pc, reused, err := c.get(ctx, rt, deadline)
	if err != nil {
		return err
	}
	keep, err := pc.roundTrip(req.wire, deadline, resp)
	if _, unsent := err.(*unsentError); unsent && reused && ctx.Err() == nil && time.Now().Before(deadline) {
		// The server closed the idle connection after quiet looked: the
		// request never reached it, so it goes again on a new connection.
		c.release(pc, false)
		if pc, err = c.connect(ctx, rt, deadline); err != nil {
			return err
		}
		keep, err = pc.roundTrip(req.wire, deadline, resp)
	}
	c.release(pc, keep && err == nil)
	return err
}

// get returns an idle connection of rt's key, or a new one. reused
// reports which.
func (c *Client) get(ctx context.Context, rt *route, deadline time.Time) (pc *persistConn, reused bool, err error) {
	for {
		now := time.Now()
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, false, net.ErrClosed
		}
		pc = nil
		if conns := c.idle[rt.key]; len(conns) > 0 {
			pc = conns[len(conns)-1]
			conns[len(conns)-1] = nil
			c.idle[rt.key] = conns[:len(conns)-1]
			c.nIdle--
			c.active[pc] = struct{}{}
		}
		c.mu.Unlock()
		if pc == nil {
			pc, err = c.connect(ctx, rt, deadline)
			return pc, false, err
		}
		if idle := now.Sub(pc.idleSince); idle < c.idleTimeout && pc.quiet(idle) {
			return pc, true, nil
		}
		c.release(pc, false)
	}
}

// connect opens a new connection by the route rt, counted as active.
func (c *Client) connect(ctx context.Context, rt *route, deadline time.Time) (*persistConn, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	var conn, raw net.Conn
	var err error
	if rt.proxied {
		conn, raw, err = c.dialProxy(ctx, rt, deadline)
	} else {
		conn, err = c.dial(ctx, "tcp", rt.addr)
		raw = conn
	}
	if err != nil {
		return nil, err
	}
	if rt.serverName != "" {
		cfg := c.tlsConfig.Clone()
		cfg.ServerName = rt.serverName
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		conn = tc
	}
	pc := &persistConn{key: rt.key, conn: conn, raw: raw}
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

// release ends an exchange's use of pc: it goes back to the pool if keep is
// set and there is room, and is closed otherwise.
func (c *Client) release(pc *persistConn, keep bool) {
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

// PruneIdle closes the connections idle for longer than the idle timeout.
// It looks at most once per half of that timeout, so it may be called
// often.
func (c *Client) PruneIdle(now time.Time) {
	last := c.lastPrune.Load()
	if now.UnixNano()-last < int64(c.idleTimeout/2) || !c.lastPrune.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	var stale []*persistConn
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

// CloseIdle closes the idle connections.
func (c *Client) CloseIdle() {
	c.mu.Lock()
	idle := c.idle
	c.idle, c.nIdle = make(map[string][]*persistConn), 0
	c.mu.Unlock()
	for _, conns := range idle {
		for _, pc := range conns {
			pc.conn.Close()
		}
	}
}

// Close closes every connection, ending the exchanges in flight: they
// and every later Post fail. Close may be called more than once.
func (c *Client) Close() {
	c.mu.Lock()
	c.closed = true
	active := c.active
	c.active = make(map[*persistConn]struct{})
	c.mu.Unlock()
	for pc := range active {
		pc.conn.Close()
	}
	c.CloseIdle()
}
