package cli_test

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks/internal/proxytest"
	"github.com/monitehooks/monitehooks/internal/testca"
)

// pemFiles are the files of a test CA: its certificate, and a client
// certificate and key it issued.
type pemFiles struct {
	ca         *testca.CA
	dir        string // where the files are
	caFile     string
	certFile   string // the client's, for "monitehooks-client"
	keyFile    string
	otherKey   string // the key of another certificate
	notPEMFile string // a file of text
}

func writePEMFiles(t *testing.T) pemFiles {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ca := testca.New(t)
	client := ca.Issue(t, "monitehooks-client")
	other := ca.Issue(t, "someone-else")
	return pemFiles{
		ca:         ca,
		caFile:     write("ca.pem", ca.PEM),
		certFile:   write("client.pem", client.CertPEM),
		keyFile:    write("client.key", client.KeyPEM),
		otherKey:   write("other.key", other.KeyPEM),
		notPEMFile: write("notes.txt", []byte("not a certificate\n")),
		dir:        dir,
	}
}

// TestServeEgressFiles checks that serve reads --ca-file, --client-cert
// and --client-key when it starts, and that a bad one stops it there: a
// usage error naming the flag, before it listens.
func TestServeEgressFiles(t *testing.T) {
	t.Parallel()
	f := writePEMFiles(t)
	missing := filepath.Join(f.dir, "missing.pem")
	tests := []struct {
		name       string
		args       []string
		wantStderr string
	}{
		{"missing CA file", []string{"--ca-file", missing},
			`monitehooks serve: invalid value "` + missing + `" for flag --ca-file: reading CA file: open ` + missing + `: no such file or directory`},
		{"CA file without a certificate", []string{"--ca-file", f.notPEMFile},
			`monitehooks serve: invalid value "` + f.notPEMFile + `" for flag --ca-file: CA file ` + f.notPEMFile + ` holds no PEM certificate`},
		{"CA file of a key", []string{"--ca-file", f.keyFile},
			`monitehooks serve: invalid value "` + f.keyFile + `" for flag --ca-file: CA file ` + f.keyFile + ` holds no PEM certificate`},
		{"missing key file", []string{"--ca-file", f.caFile, "--client-cert", f.certFile, "--client-key", missing},
			`monitehooks serve: invalid values "` + f.certFile + `" and "` + missing + `" for flags --client-cert and --client-key: loading client certificate: open ` + missing + `: no such file or directory`},
		{"certificate not PEM", []string{"--client-cert", f.notPEMFile, "--client-key", f.keyFile},
			`monitehooks serve: invalid values "` + f.notPEMFile + `" and "` + f.keyFile + `" for flags --client-cert and --client-key: loading client certificate: tls: failed to find any PEM data in certificate input`},
		{"key of another certificate", []string{"--client-cert", f.certFile, "--client-key", f.otherKey},
			`monitehooks serve: invalid values "` + f.certFile + `" and "` + f.otherKey + `" for flags --client-cert and --client-key: loading client certificate: tls: private key does not match public key`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := run(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, tt.args...)...)
			if code != 2 || stdout != "" {
				t.Errorf("Run = %d, stdout %q; want 2 and nothing: serve must not start", code, stdout)
			}
			if diff := cmp.Diff(usageLine(tt.wantStderr), stderr); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
		})
	}
}

// tlsReceiver starts an https receiver with a certificate of ca for
// 127.0.0.1 and hooks.example, which asks for a client certificate of ca
// and passes on the common name of the one it gets ("" for none).
func tlsReceiver(t *testing.T, ca *testca.CA) (*httptest.Server, chan string) {
	t.Helper()
	got := make(chan string, 16)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		cn := ""
		if certs := r.TLS.PeerCertificates; len(certs) > 0 {
			cn = certs[0].Subject.CommonName
		}
		got <- cn
	}))
	// The handshakes a test means to fail are not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{ca.Issue(t, "127.0.0.1", "hooks.example").TLS},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    ca.Pool(),
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, got
}

// deliverOnce starts serve with args and one attempt per delivery,
// subscribes url, emits an event and returns serve. The test then waits
// for the outcome.
func deliverOnce(t *testing.T, url string, args ...string) *running {
	t.Helper()
	r, api := startServe(t, append([]string{"--retry-schedule", "0s", "--log-format", "json"}, args...)...)
	if code, sub := apiRequest(t, "POST", api+"/webhook_subscriptions", "dev-token", `{"object_type":"entity","url":"`+url+`"}`); code != http.StatusCreated {
		t.Fatalf("POST /webhook_subscriptions = %d %v; want 201", code, sub)
	}
	if code, _, stderr := run(t, "trigger", "--api", api, "entity", "created"); code != 0 {
		t.Fatalf("trigger = %d\nstderr:\n%s", code, stderr)
	}
	return r
}

// waitFailed waits for serve to log a delivery failed for good, and
// returns the log line.
func waitFailed(t *testing.T, r *running) string {
	t.Helper()
	for {
		if line := r.stderr.next(t, "failed for good"); strings.Contains(line, `"msg":"monitehooks: delivery failed for good"`) {
			return line
		}
	}
}

// receive waits for a request to the receiver.
func receive(t *testing.T, got chan string, r *running) string {
	t.Helper()
	select {
	case cn := <-got:
		return cn
	case <-time.After(wait):
		t.Fatalf("no delivery within %v; serve stderr:\n%s", wait, r.stderr.String())
		return ""
	}
}

// TestServeTLS delivers to an https receiver whose certificate a private
// CA issued: without --ca-file the certificate does not verify; with it,
// the delivery arrives, with the client certificate of --client-cert
// when given.
func TestServeTLS(t *testing.T) {
	t.Parallel()
	f := writePEMFiles(t)

	t.Run("without --ca-file", func(t *testing.T) {
		t.Parallel()
		rcv, _ := tlsReceiver(t, f.ca)
		r := deliverOnce(t, rcv.URL+"/hook")
		if line := waitFailed(t, r); !strings.Contains(line, `"error_class":"tls"`) || !strings.Contains(line, "certificate") {
			t.Errorf("failure logged as %s; want a tls error about the certificate", line)
		}
	})
	t.Run("--ca-file", func(t *testing.T) {
		t.Parallel()
		rcv, got := tlsReceiver(t, f.ca)
		r := deliverOnce(t, rcv.URL+"/hook", "--ca-file", f.caFile)
		if cn := receive(t, got, r); cn != "" {
			t.Errorf("client certificate %q; want none", cn)
		}
		if !strings.Contains(r.stderr.String(), `"ca_file":"`+strings.ReplaceAll(f.caFile, `\`, `\\`)+`"`) {
			t.Errorf("serve does not log its --ca-file:\n%s", r.stderr.String())
		}
	})
	t.Run("--client-cert", func(t *testing.T) {
		t.Parallel()
		rcv, got := tlsReceiver(t, f.ca)
		r := deliverOnce(t, rcv.URL+"/hook", "--ca-file", f.caFile, "--client-cert", f.certFile, "--client-key", f.keyFile)
		if cn := receive(t, got, r); cn != "monitehooks-client" {
			t.Errorf("client certificate %q; want monitehooks-client's", cn)
		}
	})
}

// TestServeProxy delivers through a forward proxy: an http URL with the
// URL in full, and an https URL through a CONNECT tunnel to a host name
// only the proxy resolves.
func TestServeProxy(t *testing.T) {
	t.Parallel()
	f := writePEMFiles(t)
	tlsRcv, tlsGot := tlsReceiver(t, f.ca)
	plainRcv, plainGot := newTestReceiver(t)
	proxy := proxytest.NewServer(t, &proxytest.Config{
		Hosts: map[string]string{"hooks.example:443": strings.TrimPrefix(tlsRcv.URL, "https://")},
	})

	r := deliverOnce(t, plainRcv.URL+"/hook", "--proxy", proxy.URL)
	select {
	case <-plainGot:
	case <-time.After(wait):
		t.Fatalf("no delivery within %v; serve stderr:\n%s", wait, r.stderr.String())
	}
	r = deliverOnce(t, "https://hooks.example/hook", "--proxy", proxy.URL, "--ca-file", f.caFile)
	receive(t, tlsGot, r)

	var got []string
	for _, req := range proxy.Requests() {
		got = append(got, req.Method+" "+req.Target)
	}
	want := []string{"POST " + plainRcv.URL + "/hook", "CONNECT hooks.example:443"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the proxy was asked (-want +got):\n%s", diff)
	}
	if host, _, _ := net.SplitHostPort(strings.TrimPrefix(proxy.URL, "http://")); !strings.Contains(r.stderr.String(), `"proxy":"http://`+host) {
		t.Errorf("serve does not log its --proxy:\n%s", r.stderr.String())
	}
}
