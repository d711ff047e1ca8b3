package egress

import (
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monitehooks/monitehooks/internal/testca"
)

// writeFile writes data to a file named name in dir and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTLSConfig(t *testing.T) {
	dir := t.TempDir()
	ca := testca.New(t)
	server := ca.Issue(t, "hooks.example")
	client := ca.Issue(t, "monitehooks-client")
	caFile := writeFile(t, dir, "ca.pem", ca.PEM)
	certFile := writeFile(t, dir, "client.pem", client.CertPEM)
	keyFile := writeFile(t, dir, "client.key", client.KeyPEM)

	if cfg, err := TLSConfig(TLSParams{}); cfg != nil || err != nil {
		t.Errorf("TLSConfig of no file = %v, %v; want nil, nil: the defaults", cfg, err)
	}

	cfg, err := TLSConfig(TLSParams{CAFile: caFile, CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(server.TLS.Certificate[0])
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: cfg.RootCAs, DNSName: "hooks.example"}); err != nil {
		t.Errorf("a certificate the CA issued does not verify with the roots: %v", err)
	}
	if len(cfg.Certificates) != 1 || cfg.Certificates[0].Leaf.Subject.CommonName != "monitehooks-client" {
		t.Errorf("client certificates = %v; want the one of %s", cfg.Certificates, certFile)
	}
	if cfg.MinVersion == 0 {
		t.Error("MinVersion unset; want TLS 1.2")
	}

	for _, tc := range []struct {
		name    string
		p       TLSParams
		wantErr string
	}{
		{"certificate without key", TLSParams{CertFile: certFile}, "both a certificate file and a key file"},
		{"key without certificate", TLSParams{KeyFile: keyFile}, "both a certificate file and a key file"},
		{"missing CA file", TLSParams{CAFile: filepath.Join(dir, "none.pem")}, "reading CA file"},
		{"CA file of a key", TLSParams{CAFile: keyFile}, "holds no PEM certificate"},
		{"key and certificate swapped", TLSParams{CertFile: keyFile, KeyFile: certFile}, "loading client certificate"},
	} {
		if _, err := TLSConfig(tc.p); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: TLSConfig = %v; want an error saying %q", tc.name, err, tc.wantErr)
		}
	}
}

func TestProxy(t *testing.T) {
	req, _ := http.NewRequest(http.MethodPost, "https://hooks.example/", nil)
	for _, tc := range []struct{ in, want string }{
		{"http://proxy.internal:3128", "http://proxy.internal:3128"},
		{"https://user:secret@proxy.internal", "https://user:secret@proxy.internal"},
		{"socks5://127.0.0.1:1080/", "socks5://127.0.0.1:1080/"},
	} {
		f, err := Proxy(tc.in)
		if err != nil {
			t.Errorf("Proxy(%q) = %v", tc.in, err)
			continue
		}
		if u, err := f(req); err != nil || u.String() != tc.want {
			t.Errorf("Proxy(%q) names %v, %v; want %s", tc.in, u, err, tc.want)
		}
	}
	if f, err := Proxy(""); f != nil || err != nil {
		t.Errorf("Proxy(\"\") = %p, %v; want nil, nil: no proxy", f, err)
	}
	if f, err := Proxy("env"); f == nil || err != nil {
		t.Errorf("Proxy(\"env\") = %p, %v; want http.ProxyFromEnvironment", f, err)
	}
	for _, bad := range []string{"proxy.internal:3128", "ftp://proxy.internal", "http://", "http://proxy/path", "http://proxy?x=1", "http://user:secret@proxy/path", "%", "http://user:secret@proxy/%zz"} {
		_, err := Proxy(bad)
		if err == nil {
			t.Errorf("Proxy(%q) = nil error; want it refused", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("Proxy(%q) = %v; want the password left out", bad, err)
		}
	}
}
