package h1

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// ProxyError is the error of a Post that its proxy failed: Config.Proxy
// returned an error, the proxy could not be reached, or it did not open a
// tunnel to the target.
type ProxyError struct {
	// Proxy is the proxy's host:port, without credentials; "" when
	// Config.Proxy failed.
	Proxy string
	// StatusCode is the proxy's answer to CONNECT, 0 when it gave none.
	StatusCode int
	// Err is what went wrong.
	Err error
}

// Error implements error.
func (e *ProxyError) Error() string {
	if e.Proxy == "" {
		return "monitehooks: proxy: " + e.Err.Error()
	}
	return "monitehooks: proxy " + e.Proxy + ": " + e.Err.Error()
}

// Unwrap returns e.Err.
func (e *ProxyError) Unwrap() error { return e.Err }

// route returns the way to t: through the proxy Config.Proxy names for
// it, or straight.
func (c *Client) route(t *target) (*route, error) {
	if c.proxy == nil {
		return &t.direct, nil
	}
	if t.proxyReq == nil {
		u := *t.u // the Proxy function's to look at, not ours
		t.proxyReq = &http.Request{
			Method: http.MethodPost, URL: &u, Host: u.Host, Header: make(http.Header),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		}
	}
	p, err := c.proxy(t.proxyReq)
	if err != nil {
		return nil, &ProxyError{Err: err}
	}
	if p == nil {
		return &t.direct, nil
	}
	if t.via == nil || *p != t.viaURL {
		r, err := proxyRoute(t, p)
		if err != nil {
			return nil, err
		}
		t.via, t.viaURL = r, *p
	}
	if c.checkProxied != nil {
		if err := c.checkProxied(t.host); err != nil {
			return nil, err
		}
	}
	return t.via, nil
}

// proxyRoute returns the route to t through the proxy p: in plain HTTP,
// the request with its target in full, as a proxy takes it; in TLS, a
// tunnel that CONNECT opens.
func proxyRoute(t *target, p *url.URL) (*route, error) {
	var port string
	switch p.Scheme {
	case "http":
		port = "80"
	case "https":
		port = "443"
	case "socks5", "socks5h":
		return nil, ErrUnsupportedURL // net/http speaks SOCKS
	default:
		return nil, &ProxyError{Err: fmt.Errorf("monitehooks: unsupported proxy scheme %q", p.Scheme)}
	}
	host := p.Hostname()
	if host == "" {
		return nil, &ProxyError{Err: errors.New("monitehooks: proxy URL without a host")}
	}
	if p.Port() != "" {
		port = p.Port()
	}
	r := &route{addr: net.JoinHostPort(host, port), proxied: true, serverName: t.direct.serverName}
	if p.Scheme == "https" {
		r.proxyName = host
	}
	var auth string
	if p.User != nil {
		password, _ := p.User.Password()
		auth = "Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(p.User.Username()+":"+password)) + "\r\n"
	}
	proxy := p.Scheme + "://" + r.addr
	if t.u.Scheme == "http" {
		// The proxy takes requests to any http target on one connection:
		// each names its target in full, and carries the credentials.
		r.key = "http via " + proxy
		r.head = fmt.Appendf(nil, "POST http://%s%s HTTP/1.1\r\nHost: %s\r\n%s", hostHeader(t.u), t.u.RequestURI(), hostHeader(t.u), auth)
		return r, nil
	}
	// A tunnel is to one target, opened with the credentials of its
	// CONNECT: other credentials need another.
	r.key = t.direct.key + " via " + proxy + " " + auth
	r.connect = fmt.Appendf(nil, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", t.direct.addr, t.direct.addr, auth)
	r.head = t.direct.head
	return r, nil
}

// dialProxy connects to rt's proxy, with TLS to an https proxy, and opens
// a tunnel through it to an https target. raw is the TCP connection under
// conn.
func (c *Client) dialProxy(ctx context.Context, rt *route, deadline time.Time) (conn, raw net.Conn, err error) {
	raw, err = c.dialProxyTCP(ctx, "tcp", rt.addr)
	if err != nil {
		return nil, nil, &ProxyError{Proxy: rt.addr, Err: err}
	}
	conn = raw
	if rt.proxyName != "" {
		cfg := c.tlsConfig.Clone()
		cfg.ServerName = rt.proxyName
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, nil, &ProxyError{Proxy: rt.addr, Err: err}
		}
		conn = tc
	}
	if rt.connect != nil {
		if err := openTunnel(ctx, conn, rt, deadline); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	return conn, raw, nil
}

// openTunnel sends rt's CONNECT on conn and reads the proxy's answer: any
// 2xx opens the tunnel (RFC 9110, section 9.3.6).
func openTunnel(ctx context.Context, conn net.Conn, rt *route, deadline time.Time) error {
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	fail := func(status int, err error) error {
		return &ProxyError{Proxy: rt.addr, StatusCode: status, Err: err}
	}
	if _, err := conn.Write(rt.connect); err != nil {
		return fail(0, err)
	}
	// The target speaks only when spoken to, in TLS: whatever the proxy
	// sends past its answer is an error.
	br := bufio.NewReaderSize(conn, 1<<10)
	var r Response
	budget := maxHeaderBytes
	status, minor, err := readStatusLine(br, &r, &budget)
	if err == nil {
		r.h.reset(minor == 0)
		err = r.h.read(br, &r, &budget)
	}
	switch {
	case err != nil:
		return fail(0, err)
	case status < 200 || status > 299:
		return fail(status, fmt.Errorf("CONNECT answered %d %s", status, http.StatusText(status)))
	case br.Buffered() > 0:
		return fail(status, errors.New("data after the answer to CONNECT"))
	}
	return nil
}
