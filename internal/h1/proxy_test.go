package h1

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks/internal/proxytest"
	"github.com/monitehooks/monitehooks/internal/testca"
)

// proxyClient returns a client that sends every request through the proxy
// at proxyURL, and reports each host it was asked to check.
func proxyClient(t *testing.T, proxyURL string, tlsConfig *tls.Config, checked *[]string) *Client {
	t.Helper()
	u, err := url.Parse(proxyURL)
	if err != nil {
		t.Fatal(err)
	}
	c := NewClient(&Config{
		TLSConfig: tlsConfig, MaxIdle: 8, MaxIdlePerHost: 2,
		Proxy: http.ProxyURL(u),
		CheckProxied: func(host string) error {
			if checked != nil {
				*checked = append(*checked, host)
			}
			return nil
		},
	})
	t.Cleanup(c.Close)
	return c
}

// echoHandler answers each request with its Host and path.
func echoHandler(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	io.WriteString(w, r.Host+r.URL.RequestURI())
}

// TestProxyHTTP checks a request to an http URL through a proxy: it goes
// to the proxy with its URL in full and the proxy's credentials, for a
// target only the proxy can resolve, and the proxy's connection serves
// the next request.
func TestProxyHTTP(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer srv.Close()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("user:p@ss"))
	proxy := proxytest.NewServer(t, &proxytest.Config{
		Hosts: map[string]string{"hooks.internal:80": srv.Listener.Addr().String()},
		Auth:  auth,
	})
	var checked []string
	c := proxyClient(t, strings.Replace(proxy.URL, "http://", "http://user:p%40ss@", 1), nil, &checked)
	for range 2 {
		r, err := post(t, c, "http://hooks.internal/a?b=1")
		if err != nil || r.Status != 200 || string(r.Body) != "hooks.internal/a?b=1" {
			t.Fatalf("post through the proxy = %v, %v; want 200 hooks.internal/a?b=1", r, err)
		}
	}
	want := []proxytest.Request{
		{Method: "POST", Target: "http://hooks.internal/a?b=1", Host: "hooks.internal", ProxyAuthorization: auth},
		{Method: "POST", Target: "http://hooks.internal/a?b=1", Host: "hooks.internal", ProxyAuthorization: auth},
	}
	if diff := cmp.Diff(want, proxy.Requests()); diff != "" {
		t.Errorf("what the proxy was asked (-want +got):\n%s", diff)
	}
	if n := proxy.Conns(); n != 1 {
		t.Errorf("%d connections to the proxy for 2 requests; want 1", n)
	}
	if diff := cmp.Diff([]string{"hooks.internal", "hooks.internal"}, checked); diff != "" {
		t.Errorf("hosts checked (-want +got):\n%s", diff)
	}
}

// TestProxyConnect checks a request to an https URL through a proxy: a
// tunnel opened by CONNECT, with the proxy's credentials, then TLS to the
// target verified by the client's roots; the tunnel serves the next
// request. The proxy is reached in plain HTTP and in TLS.
func TestProxyConnect(t *testing.T) {
	ca := testca.New(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(echoHandler))
	srv.TLS = ca.ServerConfig(t, "hooks.internal")
	srv.StartTLS()
	defer srv.Close()
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("user:secret"))
	for _, tc := range []struct {
		name string
		tls  *tls.Config
	}{{"http proxy", nil}, {"https proxy", ca.ServerConfig(t, "127.0.0.1")}} {
		t.Run(tc.name, func(t *testing.T) {
			proxy := proxytest.NewServer(t, &proxytest.Config{
				Hosts: map[string]string{"hooks.internal:443": srv.Listener.Addr().String()},
				Auth:  auth,
				TLS:   tc.tls,
			})
			u := strings.Replace(proxy.URL, "://", "://user:secret@", 1)
			c := proxyClient(t, u, &tls.Config{RootCAs: ca.Pool()}, nil)
			for range 2 {
				r, err := post(t, c, "https://hooks.internal/a")
				if err != nil || r.Status != 200 || string(r.Body) != "hooks.internal/a" {
					t.Fatalf("post through the proxy = %v, %v; want 200 hooks.internal/a", r, err)
				}
			}
			want := []proxytest.Request{{Method: "CONNECT", Target: "hooks.internal:443", Host: "hooks.internal:443", ProxyAuthorization: auth}}
			if diff := cmp.Diff(want, proxy.Requests()); diff != "" {
				t.Errorf("what the proxy was asked (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProxyFailures checks what a proxy's failures come to: a
// *ProxyError that names the proxy, and its answer to CONNECT.
func TestProxyFailures(t *testing.T) {
	refusing := proxytest.NewServer(t, &proxytest.Config{RefuseConnect: http.StatusForbidden})
	asking := proxytest.NewServer(t, &proxytest.Config{Auth: "Basic x"})
	gone := proxytest.NewServer(t, nil)
	gone.Close()
	for _, tc := range []struct {
		name, proxy, url string
		wantStatus       int
	}{
		{"CONNECT refused", refusing.URL, "https://example.com/", http.StatusForbidden},
		{"CONNECT without credentials", asking.URL, "https://example.com/", http.StatusProxyAuthRequired},
		{"proxy unreachable", gone.URL, "http://example.com/", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := proxyClient(t, tc.proxy, nil, nil)
			_, err := post(t, c, tc.url)
			pe, ok := errors.AsType[*ProxyError](err)
			if !ok || pe.StatusCode != tc.wantStatus || pe.Proxy != strings.TrimPrefix(tc.proxy, "http://") {
				t.Errorf("post = %v; want a *ProxyError from %s with status %d", err, tc.proxy, tc.wantStatus)
			}
		})
	}
	// A proxy in plain HTTP answers for the target: its answer is the
	// answer.
	c := proxyClient(t, asking.URL, nil, nil)
	if r, err := post(t, c, "http://example.com/"); err != nil || r.Status != http.StatusProxyAuthRequired {
		t.Errorf("post through a proxy that wants credentials = %v, %v; want 407", r, err)
	}
}

// TestProxyChoice checks that Proxy decides for each request: no proxy,
// its error, a scheme the client does not speak; and that CheckProxied
// refuses before anything is sent.
func TestProxyChoice(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(echoHandler))
	defer srv.Close()
	proxy := proxytest.NewServer(t, nil)
	proxyURL, _ := url.Parse(proxy.URL)
	errRefused := errors.New("refused")
	c := NewClient(&Config{
		Proxy: func(r *http.Request) (*url.URL, error) {
			switch r.URL.Path {
			case "/direct":
				return nil, nil
			case "/fails":
				return nil, errRefused
			case "/socks":
				return &url.URL{Scheme: "socks5", Host: "127.0.0.1:1080"}, nil
			case "/ftp":
				return &url.URL{Scheme: "ftp", Host: "127.0.0.1:21"}, nil
			}
			return proxyURL, nil
		},
		CheckProxied: func(host string) error {
			if host == "blocked.example" {
				return errRefused
			}
			return nil
		},
	})
	defer c.Close()
	if r, err := post(t, c, srv.URL+"/direct"); err != nil || r.Status != 200 {
		t.Errorf("post without a proxy = %v, %v; want 200", r, err)
	}
	if _, err := post(t, c, srv.URL+"/fails"); !errors.Is(err, errRefused) {
		t.Errorf("post whose Proxy fails = %v; want its error", err)
	} else if _, ok := errors.AsType[*ProxyError](err); !ok {
		t.Errorf("post whose Proxy fails = %T; want a *ProxyError", err)
	}
	if _, err := post(t, c, srv.URL+"/socks"); !errors.Is(err, ErrUnsupportedURL) {
		t.Errorf("post through a SOCKS proxy = %v; want ErrUnsupportedURL", err)
	}
	if _, err := post(t, c, srv.URL+"/ftp"); err == nil || !strings.Contains(err.Error(), `unsupported proxy scheme "ftp"`) {
		t.Errorf("post through an ftp proxy = %v; want an unsupported proxy scheme", err)
	}
	if _, err := post(t, c, "http://blocked.example/"); !errors.Is(err, errRefused) {
		t.Errorf("post to a host CheckProxied refuses = %v; want its error", err)
	}
	if n := proxy.Conns(); n != 0 {
		t.Errorf("%d connections to the proxy; want none", n)
	}
}
