package monitehooks

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/monitehooks/monitehooks/internal/h1"
)

// dnsAs is an error that answers errors.As for a *net.DNSError itself.
type dnsAs struct{}

func (dnsAs) Error() string { return "resolver says no" }
func (dnsAs) As(target any) bool {
	if p, ok := target.(**net.DNSError); ok {
		*p = &net.DNSError{Err: "no such host", Name: "example.invalid"}
		return true
	}
	return false
}

// timeoutErr is a net.Error that timed out.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestClassify checks classify against classifyAs, errors.As class by
// class, and against the class each error should have, over the shapes
// of error a request can end with.
func TestClassify(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	dns := &net.DNSError{Err: "no such host", Name: "example.invalid", IsNotFound: true}
	dnsTimeout := &net.DNSError{Err: "i/o timeout", Name: "example.com", IsTimeout: true}
	blocked := &BlockedAddressError{Addr: netip.MustParseAddr("10.0.0.1")}
	post := func(err error) error { return &url.Error{Op: "Post", URL: "https://example.com/hook", Err: err} }
	dial := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	tests := []struct {
		name string
		err  error
		want ErrorClass
	}{
		{"refused", post(refused), ErrorConnection},
		{"reset", post(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), ErrorConnection},
		{"canceled", post(context.Canceled), ErrorConnection},
		{"dns", post(dial(dns)), ErrorDNS},
		{"dns timeout", post(dial(dnsTimeout)), ErrorDNS},
		{"attempt timeout", post(errAttemptTimeout), ErrorTimeout},
		{"dial timeout", post(dial(timeoutErr{})), ErrorTimeout},
		{"deadline in a join", post(errors.Join(refused, context.DeadlineExceeded)), ErrorTimeout},
		{"blocked", post(dial(blocked)), ErrorBlocked},
		{"blocked behind a timeout", post(errors.Join(timeoutErr{}, blocked)), ErrorBlocked},
		{"invalid URL", &invalidURLError{errors.New("parse: bad")}, ErrorInvalidURL},
		{"h1 proxy", post(&h1.ProxyError{Proxy: "proxy:3128", StatusCode: 407, Err: errors.New("CONNECT answered 407")}), ErrorProxy},
		{"transport proxy", post(&net.OpError{Op: "proxyconnect", Net: "tcp", Err: refused}), ErrorProxy},
		{"first OpError decides", post(&net.OpError{Op: "dial", Err: &net.OpError{Op: "proxyconnect", Err: refused}}), ErrorConnection},
		{"record header", post(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), ErrorTLS},
		{"unknown authority", post(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), ErrorTLS},
		{"bare unknown authority", post(x509.UnknownAuthorityError{}), ErrorTLS},
		{"hostname", post(x509.HostnameError{Host: "example.com"}), ErrorTLS},
		{"invalid certificate", post(x509.CertificateInvalidError{Reason: x509.Expired}), ErrorTLS},
		{"alert", post(tls.AlertError(42)), ErrorTLS},
		{"remote error", post(&net.OpError{Op: "remote error", Err: errors.New("tls: bad certificate")}), ErrorTLS},
		{"dns and refused joined", fmt.Errorf("both: %w, %w", refused, dial(dns)), ErrorDNS},
		{"an As method", post(dnsAs{}), ErrorDNS},
		{"an As method in a join", errors.Join(refused, dnsAs{}), ErrorDNS},
		{"nil in a chain", post(nil), ErrorConnection},
	}
	for _, tt := range tests {
		got, slow := classify(tt.err), classifyAs(tt.err)
		if got != tt.want || slow != tt.want {
			t.Errorf("%s: classify = %q, classifyAs = %q; want %q", tt.name, got, slow, tt.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { classify(tests[0].err) }); n != 0 {
		t.Errorf("classify of a refused connection allocates %v times; want 0", n)
	}
}
