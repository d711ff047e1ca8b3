package monitehooks_test

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/internal/testca"
)

// unicodeHost is a host name the own client leaves to net/http's
// Transport, which looks it up as idnaHost; the test DNS server
// (startDNS) answers 127.0.0.1 for any name.
const (
	unicodeHost = "bücher.test"
	idnaHost    = "xn--bcher-kva.test"
)

// tlsEndpoint is an https endpoint whose certificate a test's CA issued.
type tlsEndpoint struct {
	// own is its URL for the emitter's own client, by address; fallback
	// is for the net/http Transport it falls back to, by unicodeHost.
	own, fallback string
	// clientCN has the common name of each request's client certificate,
	// "" for a request without one.
	clientCN chan string
}

// newTLSEndpoint starts an endpoint with a certificate from ca. With
// clientCAs, it requires a client certificate they verify.
func newTLSEndpoint(t *testing.T, ca *testca.CA, clientCAs *x509.CertPool) *tlsEndpoint {
	t.Helper()
	ep := &tlsEndpoint{clientCN: make(chan string, 10)}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		cn := ""
		if certs := r.TLS.PeerCertificates; len(certs) > 0 {
			cn = certs[0].Subject.CommonName
		}
		ep.clientCN <- cn
	}))
	srv.TLS = ca.ServerConfig(t, "127.0.0.1", idnaHost)
	if clientCAs != nil {
		srv.TLS.ClientAuth, srv.TLS.ClientCAs = tls.RequireAndVerifyClientCert, clientCAs
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ep.own = srv.URL + "/hook"
	ep.fallback = strings.Replace(ep.own, "127.0.0.1", unicodeHost, 1)
	return ep
}

// attemptOnce delivers one event to url with an emitter configured by cfg
// and returns the attempt.
func attemptOnce(t *testing.T, cfg *monitehooks.EmitterConfig, url string) monitehooks.Attempt {
	t.Helper()
	b := setupEmitter(t, cfg)
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: url})
	b.emit(t, monitehooks.Event{})
	return wait(t, b.attempts, "the attempt").Attempt
}

// TestTLSConfig checks that EmitterConfig.TLSConfig's roots decide which
// endpoints are trusted, on the own client and on the net/http Transport
// it falls back to.
func TestTLSConfig(t *testing.T) {
	t.Parallel()
	ca, other := testca.New(t), testca.New(t)
	ep := newTLSEndpoint(t, ca, nil)
	dns := startDNS(t)
	for _, client := range []struct{ name, url string }{{"own client", ep.own}, {"net/http", ep.fallback}} {
		for _, tc := range []struct {
			name string
			tls  *tls.Config
			want monitehooks.ErrorClass
		}{
			{"its CA trusted", &tls.Config{RootCAs: ca.Pool()}, ""},
			{"the system's roots", nil, monitehooks.ErrorTLS},
			{"another CA trusted", &tls.Config{RootCAs: other.Pool()}, monitehooks.ErrorTLS},
		} {
			t.Run(client.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				a := attemptOnce(t, &monitehooks.EmitterConfig{TLSConfig: tc.tls, Resolver: dns.resolver()}, client.url)
				if a.ErrorClass != tc.want {
					t.Errorf("attempt class = %q (%s); want %q", a.ErrorClass, a.Error, tc.want)
				}
			})
		}
	}
}

// TestTLSClientCertificate checks that an endpoint which requires a
// client certificate gets the one in EmitterConfig.TLSConfig, and refuses
// an emitter without one.
func TestTLSClientCertificate(t *testing.T) {
	t.Parallel()
	ca, clients := testca.New(t), testca.New(t)
	ep := newTLSEndpoint(t, ca, clients.Pool())
	dns := startDNS(t)
	mine := clients.Issue(t, "monitehooks-client").TLS
	for _, client := range []struct{ name, url string }{{"own client", ep.own}, {"net/http", ep.fallback}} {
		t.Run(client.name+"/with the certificate", func(t *testing.T) {
			cfg := &tls.Config{RootCAs: ca.Pool(), Certificates: []tls.Certificate{mine}}
			a := attemptOnce(t, &monitehooks.EmitterConfig{TLSConfig: cfg, Resolver: dns.resolver()}, client.url)
			if a.ErrorClass != "" {
				t.Fatalf("attempt class = %q (%s); want a success", a.ErrorClass, a.Error)
			}
			if cn := wait(t, ep.clientCN, "the request"); cn != "monitehooks-client" {
				t.Errorf("client certificate %q; want monitehooks-client", cn)
			}
		})
		t.Run(client.name+"/without", func(t *testing.T) {
			cfg := &tls.Config{RootCAs: ca.Pool()}
			a := attemptOnce(t, &monitehooks.EmitterConfig{TLSConfig: cfg, Resolver: dns.resolver()}, client.url)
			if a.ErrorClass != monitehooks.ErrorTLS {
				t.Errorf("attempt class = %q (%s); want %q", a.ErrorClass, a.Error, monitehooks.ErrorTLS)
			}
		})
	}
}

// TestTLSConfigCloned checks that the emitter keeps its own copy of
// EmitterConfig.TLSConfig: a change after NewEmitter changes nothing.
func TestTLSConfigCloned(t *testing.T) {
	t.Parallel()
	ca := testca.New(t)
	ep := newTLSEndpoint(t, ca, nil)
	cfg := &tls.Config{RootCAs: ca.Pool()}
	b := setupEmitter(t, &monitehooks.EmitterConfig{TLSConfig: cfg})
	cfg.RootCAs = x509.NewCertPool() // trusts nothing
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: ep.own})
	b.emit(t, monitehooks.Event{})
	if a := wait(t, b.attempts, "the attempt").Attempt; a.ErrorClass != "" {
		t.Errorf("attempt class = %q (%s); want a success with the roots given to NewEmitter", a.ErrorClass, a.Error)
	}
	if cfg.NextProtos != nil || cfg.ServerName != "" {
		t.Errorf("the caller's TLSConfig was changed: NextProtos %q, ServerName %q", cfg.NextProtos, cfg.ServerName)
	}
}
