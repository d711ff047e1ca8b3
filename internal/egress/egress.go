// Package egress turns what a command line names about the emitter's way
// out to the internet into EmitterConfig fields: PEM files into a
// tls.Config (EmitterConfig.TLSConfig), and a proxy's URL into a Proxy
// function (EmitterConfig.Proxy).
package egress

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
)

// TLSParams names the PEM files of the emitter's TLS configuration.
// Each may be empty.
type TLSParams struct {
	// CAFile holds certificates of roots to trust besides the system's,
	// such as a private CA's.
	CAFile string
	// CertFile and KeyFile hold the client certificate, with its chain,
	// and its key, for endpoints that require one. Both or neither.
	CertFile, KeyFile string
}

// TLSConfig returns the TLS configuration p names, for
// EmitterConfig.TLSConfig: the system's roots and those of CAFile, and
// the client certificate of CertFile and KeyFile; TLS 1.2 at least. It
// returns nil, the emitter's defaults, when p names no file.
func TLSConfig(p TLSParams) (*tls.Config, error) {
	if p == (TLSParams{}) {
		return nil, nil
	}
	if (p.CertFile == "") != (p.KeyFile == "") {
		return nil, errors.New("monitehooks: a client certificate needs both a certificate file and a key file")
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if p.CAFile != "" {
		pem, err := os.ReadFile(p.CAFile)
		if err != nil {
			return nil, fmt.Errorf("monitehooks: reading CA file: %w", err)
		}
		roots, err := x509.SystemCertPool()
		if err != nil {
			roots = x509.NewCertPool() // a system without a pool we can read
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("monitehooks: CA file %s holds no PEM certificate", p.CAFile)
		}
		cfg.RootCAs = roots
	}
	if p.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(p.CertFile, p.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("monitehooks: loading client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Proxy returns the Proxy function s names, for EmitterConfig.Proxy: nil,
// no proxy, for ""; http.ProxyFromEnvironment for "env" (HTTP_PROXY,
// HTTPS_PROXY, NO_PROXY); and otherwise the proxy at the URL s, with its
// scheme (http, https, socks5 or socks5h), host and optional
// credentials, for every delivery.
func Proxy(s string) (func(*http.Request) (*url.URL, error), error) {
	switch s {
	case "":
		return nil, nil
	case "env":
		return http.ProxyFromEnvironment, nil
	}
	u, err := url.Parse(s)
	if err != nil {
		// Not url.Parse's error, which quotes s, credentials and all.
		return nil, errors.New("monitehooks: the proxy URL is not a valid URL")
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("monitehooks: proxy URL %s: scheme must be http, https, socks5 or socks5h", u.Redacted())
	}
	if u.Hostname() == "" || u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("monitehooks: proxy URL %s: must be scheme://[user:password@]host[:port]", u.Redacted())
	}
	return http.ProxyURL(u), nil
}
