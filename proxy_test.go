package monitehooks_test

import (
	"crypto/tls"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/internal/proxytest"
	"github.com/monitehooks/monitehooks/internal/testca"
)

// guardOn leaves the SSRF guard of setupEmitter on, letting nothing
// through: the proxies of these tests listen on 127.0.0.1, and the guard
// must not stand between the emitter and its own proxy.
var guardOn = []netip.Prefix{}

// proxyTo returns EmitterConfig.Proxy for the proxy at rawURL.
func proxyTo(t *testing.T, rawURL string) func(*http.Request) (*url.URL, error) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return http.ProxyURL(u)
}

// withUser returns the proxy URL u with the credentials user:password.
func withUser(u, user, password string) string {
	return strings.Replace(u, "://", "://"+url.UserPassword(user, password).String()+"@", 1)
}

// basicAuth is the Proxy-Authorization value of user:password.
func basicAuth(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// TestProxyDelivers delivers through a proxy that wants credentials, to
// endpoints known by names only the proxy resolves: in plain HTTP, with
// the URL in full, and in TLS, through a tunnel, with the endpoint's
// certificate verified by the test's CA; by the own client, and by the
// net/http Transport it falls back to for a Unicode host name.
func TestProxyDelivers(t *testing.T) {
	t.Parallel()
	ca := testca.New(t)
	plain := newReceiver(t, nil)
	secure := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	secure.TLS = ca.ServerConfig(t, "hooks.example", idnaHost)
	secure.StartTLS()
	t.Cleanup(secure.Close)
	auth := basicAuth("user", "p@ss word")
	proxy := proxytest.NewServer(t, &proxytest.Config{
		Auth: auth,
		Hosts: map[string]string{
			"hooks.example:80":  plain.Listener.Addr().String(),
			"hooks.example:443": secure.Listener.Addr().String(),
			idnaHost + ":80":    plain.Listener.Addr().String(),
			idnaHost + ":443":   secure.Listener.Addr().String(),
		},
	})
	for _, tc := range []struct {
		name, url string
		want      proxytest.Request
	}{
		{"http", "http://hooks.example/hook?a=1", proxytest.Request{Method: "POST", Target: "http://hooks.example/hook?a=1", Host: "hooks.example"}},
		{"https", "https://hooks.example/hook", proxytest.Request{Method: "CONNECT", Target: "hooks.example:443", Host: "hooks.example:443"}},
		{"http by net/http", "http://" + unicodeHost + "/hook", proxytest.Request{Method: "POST", Target: "http://" + idnaHost + "/hook", Host: idnaHost}},
		{"https by net/http", "https://" + unicodeHost + "/hook", proxytest.Request{Method: "CONNECT", Target: idnaHost + ":443", Host: idnaHost + ":443"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := attemptOnce(t, &monitehooks.EmitterConfig{
				AllowedNetworks: guardOn,
				Proxy:           proxyTo(t, withUser(proxy.URL, "user", "p@ss word")),
				TLSConfig:       &tls.Config{RootCAs: ca.Pool()},
			}, tc.url)
			if a.ErrorClass != "" {
				t.Fatalf("attempt class = %q (%s); want a success", a.ErrorClass, a.Error)
			}
			tc.want.ProxyAuthorization = auth
			var got []proxytest.Request
			for _, r := range proxy.Requests() {
				if r.Target == tc.want.Target {
					got = append(got, r)
				}
			}
			if diff := cmp.Diff([]proxytest.Request{tc.want}, got); diff != "" {
				t.Errorf("what the proxy was asked (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProxyFails checks that a proxy that refuses a tunnel, or cannot be
// reached, fails the attempt with ErrorProxy and a message that says why.
func TestProxyFails(t *testing.T) {
	t.Parallel()
	refusing := proxytest.NewServer(t, &proxytest.Config{RefuseConnect: http.StatusForbidden})
	gone := proxytest.NewServer(t, nil)
	gone.Close()
	for _, tc := range []struct {
		name, proxy, url, wantErr string
	}{
		{"CONNECT refused", refusing.URL, "https://hooks.example/", "CONNECT answered 403 Forbidden"},
		{"CONNECT refused to net/http", refusing.URL, "https://" + unicodeHost + "/", "CONNECT answered 403 Forbidden"},
		{"proxy unreachable", gone.URL, "http://hooks.example/", "connection refused"},
		{"proxy unreachable by net/http", gone.URL, "http://" + unicodeHost + "/", "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := attemptOnce(t, &monitehooks.EmitterConfig{AllowedNetworks: guardOn, Proxy: proxyTo(t, tc.proxy)}, tc.url)
			if a.ErrorClass != monitehooks.ErrorProxy || !strings.Contains(a.Error, tc.wantErr) {
				t.Errorf("attempt class = %q (%s); want %q saying %q", a.ErrorClass, a.Error, monitehooks.ErrorProxy, tc.wantErr)
			}
		})
	}
}

// TestProxyGuard checks that through a proxy the SSRF guard still refuses
// a URL whose host is an address that is not public, however it is
// spelled, before anything reaches the proxy.
func TestProxyGuard(t *testing.T) {
	t.Parallel()
	proxy := proxytest.NewServer(t, nil)
	for _, tc := range []struct{ name, proxy, url string }{
		{"loopback", proxy.URL, "http://127.0.0.1:8080/hook"},
		{"private, in TLS", proxy.URL, "https://10.1.2.3/hook"},
		{"metadata service", proxy.URL, "http://169.254.169.254/latest/meta-data"},
		{"IPv6 loopback", proxy.URL, "https://[::1]/hook"},
		{"loopback as one number", proxy.URL, "http://2130706433/hook"},
		{"loopback in hexadecimal and octal", proxy.URL, "http://0x7f.0.0.01/hook"},
		{"loopback through SOCKS, by net/http", "socks5://" + strings.TrimPrefix(proxy.URL, "http://"), "http://127.0.0.1/hook"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := attemptOnce(t, &monitehooks.EmitterConfig{AllowedNetworks: guardOn, Proxy: proxyTo(t, tc.proxy)}, tc.url)
			if a.ErrorClass != monitehooks.ErrorBlocked {
				t.Errorf("attempt class = %q (%s); want %q", a.ErrorClass, a.Error, monitehooks.ErrorBlocked)
			}
		})
	}
	t.Cleanup(func() { // after the parallel subtests
		if n := proxy.Conns(); n != 0 {
			t.Errorf("%d connections reached the proxy; want none", n)
		}
	})
}

// TestNoProxyByDefault checks that the emitter uses no proxy unless told
// to, whatever the environment says. It is not parallel: it sets the
// environment.
func TestNoProxyByDefault(t *testing.T) {
	proxy := proxytest.NewServer(t, nil)
	rc := newReceiver(t, nil)
	t.Setenv("HTTP_PROXY", proxy.URL)
	t.Setenv("http_proxy", proxy.URL)
	t.Setenv("NO_PROXY", "")
	if a := attemptOnce(t, nil, rc.URL+"/hook"); a.ErrorClass != "" {
		t.Errorf("attempt class = %q (%s); want a success", a.ErrorClass, a.Error)
	}
	if n := proxy.Conns(); n != 0 {
		t.Errorf("%d connections reached the proxy of HTTP_PROXY; want none", n)
	}
}
