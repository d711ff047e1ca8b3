package monitehooks_test

// The security suite: the SSRF guard, redirects, header injection through
// URLs, secrets in logs and answers, and signature timestamps.
//
// Tenancy of the REST API is proven in package httpapi: TestTenancy
// (httpapi/tenancy_test.go) walks every route of the route table with
// another partner's token, and TestSecurityTenancyEvents
// (httpapi/security_test.go) adds events posted to POST /events and
// /webhook_deliveries?event_id=<another partner's event>.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
)

// listenIPv6 starts an HTTP server on the IPv6 loopback that counts the
// requests it gets, and returns its port. Without an IPv6 loopback it
// returns fallback, so that the IPv6 cases still aim at a live port.
func listenIPv6(t *testing.T, fallback string) (port string, hits *atomic.Int64) {
	t.Helper()
	hits = new(atomic.Int64)
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Logf("no IPv6 loopback (%v): the IPv6 cases aim at port %s", err, fallback)
		return fallback, hits
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ = net.SplitHostPort(l.Addr().String())
	return port, hits
}

func portOf(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

// TestSecuritySSRFGuard sends deliveries through the real emitter, with
// the guard on, to non-public addresses of this machine, literal or behind
// a host name: each attempt is refused as blocked and no request reaches
// the local receivers listening there. Only addresses of this machine are
// dialled, so that a broken guard could not send traffic anywhere else;
// TestSecurityGuardAddressClasses checks the other classes (private,
// link-local and metadata, mapped) on the guard's dial hook without a
// network.
func TestSecuritySSRFGuard(t *testing.T) {
	t.Parallel()
	dns := startDNS(t)
	rc := newReceiver(t, nil) // 127.0.0.1
	port := portOf(t, rc.URL)
	port6, hits6 := listenIPv6(t, port)
	tests := []struct {
		name string
		url  string
	}{
		{"loopback", "http://127.0.0.1:" + port + "/"},
		{"loopback /8", "http://127.0.0.2:" + port + "/"},
		{"IPv6 loopback", "http://[::1]:" + port6 + "/"},
		{"IPv4-mapped loopback", "http://[::ffff:127.0.0.1]:" + port + "/"},
		{"unspecified", "http://0.0.0.0:" + port + "/"},
		{"IPv6 unspecified", "http://[::]:" + port6 + "/"},
		{"host name resolving to loopback", "http://" + attackerHost + ":" + port + "/latest/meta-data"},
	}
	b := setupEmitter(t, &monitehooks.EmitterConfig{
		AllowedNetworks: []netip.Prefix{}, // non-nil: setupEmitter leaves the guard on
		Resolver:        dns.resolver(),
		AttemptTimeout:  time.Minute, // every attempt ends by itself
	})
	for _, tt := range tests {
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: tt.url})
	}
	b.emit(t, monitehooks.Event{})
	got := map[string]monitehooks.Attempt{}
	for range tests {
		info := wait(t, b.attempts, "an attempt")
		got[info.Attempt.URL] = info.Attempt
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := got[tt.url]
			if !ok {
				t.Fatalf("no attempt to %s", tt.url)
			}
			if a.ErrorClass != monitehooks.ErrorBlocked || a.StatusCode != 0 || !strings.Contains(a.Error, "non-public address") {
				t.Errorf("attempt to %s: class %q, status %d, error %q; want %q, no status, a refused non-public address",
					tt.url, a.ErrorClass, a.StatusCode, a.Error, monitehooks.ErrorBlocked)
			}
		})
	}
	// Every attempt is over, so a request that got through has been
	// counted.
	if n := rc.n.Load(); n != 0 {
		t.Errorf("the IPv4 receiver got %d requests; want 0", n)
	}
	if n := hits6.Load(); n != 0 {
		t.Errorf("the IPv6 receiver got %d requests; want 0", n)
	}
	// The name was resolved before the guard refused the address: the
	// block is not a DNS failure.
	if q := dns.questions(); !slices.Contains(q, attackerHost+" A") {
		t.Errorf("DNS questions = %q; want one for %s A", q, attackerHost)
	}
}

// TestSecuritySSRFAllowedNetworks proves the resolver of
// TestSecuritySSRFGuard works: with 127.0.0.0/8 allowed, the same host name
// is delivered, while addresses outside the allowed prefix stay blocked.
func TestSecuritySSRFAllowedNetworks(t *testing.T) {
	t.Parallel()
	dns := startDNS(t)
	hosts := make(chan string, 10)
	rc := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, _ int) { hosts <- r.Host })
	port := portOf(t, rc.URL)
	port6, hits6 := listenIPv6(t, port)
	b := setupEmitter(t, &monitehooks.EmitterConfig{
		AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		Resolver:        dns.resolver(),
		AttemptTimeout:  time.Minute, // every attempt ends by itself
	})
	named := "http://" + attackerHost + ":" + port + "/hook"
	v6 := "http://[::1]:" + port6 + "/"
	metadata := "http://0.0.0.0:" + port + "/latest/meta-data" // local, but outside 127.0.0.0/8
	for _, u := range []string{named, v6, metadata} {
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: u})
	}
	b.emit(t, monitehooks.Event{})
	got := map[string]monitehooks.ErrorClass{}
	for range 3 {
		info := wait(t, b.attempts, "an attempt")
		got[info.Attempt.URL] = info.Attempt.ErrorClass
	}
	want := map[string]monitehooks.ErrorClass{named: "", v6: monitehooks.ErrorBlocked, metadata: monitehooks.ErrorBlocked}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("error classes by URL mismatch (-want +got):\n%s", diff)
	}
	if host := wait(t, hosts, "the delivery"); host != attackerHost+":"+port {
		t.Errorf("Host = %q; want %q", host, attackerHost+":"+port)
	}
	if n := hits6.Load(); n != 0 {
		t.Errorf("the IPv6 receiver got %d requests; want 0: ::1 is not in 127.0.0.0/8", n)
	}
}

// TestSecurityGuardAddressClasses checks every class of non-public
// address on the guard's dial hook, the function the dialer calls with the
// resolved address before connecting, without dialling anything.
func TestSecurityGuardAddressClasses(t *testing.T) {
	t.Parallel()
	blocked := []string{
		"10.0.0.1:443", "172.16.0.1:443", "192.168.0.1:443", // private
		"169.254.169.254:80", "[fe80::1]:443", // link-local, the cloud metadata service
		"[::ffff:169.254.169.254]:80", "[::ffff:10.0.0.1]:443", // IPv4-mapped
		"[fc00::1]:443", "100.64.0.1:443", "224.0.0.1:443", "[ff02::1]:443", // ULA, CGNAT, multicast
		"[64:ff9b::a00:1]:443", "0.0.0.0:443", "[::]:443", "127.0.0.1:443", "[::1]:443",
	}
	guard := monitehooks.GuardControl(false, nil)
	for _, addr := range blocked {
		var be *monitehooks.BlockedAddressError
		if err := guard("tcp", addr, nil); !errors.As(err, &be) {
			t.Errorf("guard(%s) = %v; want *BlockedAddressError", addr, err)
		}
	}
	if err := guard("tcp", "93.184.216.34:443", nil); err != nil {
		t.Errorf("guard(public) = %v; want nil", err)
	}
	allowed := monitehooks.GuardControl(false, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	if err := allowed("tcp", "10.1.2.3:443", nil); err != nil {
		t.Errorf("guard with 10.0.0.0/8 allowed: 10.1.2.3 = %v; want nil", err)
	}
	if err := allowed("tcp", "[::ffff:10.1.2.3]:443", nil); err != nil {
		t.Errorf("guard with 10.0.0.0/8 allowed: ::ffff:10.1.2.3 = %v; want nil", err)
	}
	if err := allowed("tcp", "192.168.0.1:443", nil); err == nil {
		t.Errorf("guard with 10.0.0.0/8 allowed let 192.168.0.1 through")
	}
	if err := monitehooks.GuardControl(true, nil)("tcp", "10.0.0.1:443", nil); err != nil {
		t.Errorf("guard off: %v; want nil", err)
	}
}

// TestSecurityRedirectRefused: an endpoint that answers a redirect fails
// the attempt with its status, and the redirect is not followed.
func TestSecurityRedirectRefused(t *testing.T) {
	t.Parallel()
	for _, code := range []int{
		http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect,
	} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			t.Parallel()
			b := setupEmitter(t, nil) // private networks allowed: the target is reachable
			target := newReceiver(t, nil)
			rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				http.Redirect(w, r, target.URL+"/elsewhere", code)
			})
			b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
			b.emit(t, monitehooks.Event{})
			rc.next(t)
			info := wait(t, b.attempts, "the attempt")
			type outcome struct {
				StatusCode int
				ErrorClass monitehooks.ErrorClass
				Error      string
				Status     monitehooks.DeliveryStatus
			}
			want := outcome{code, monitehooks.ErrorStatus, fmt.Sprintf("HTTP %d %s", code, http.StatusText(code)), monitehooks.DeliveryPending}
			got := outcome{info.Attempt.StatusCode, info.Attempt.ErrorClass, info.Attempt.Error, info.Status}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("attempt mismatch (-want +got):\n%s", diff)
			}
			// The attempt is over: a followed redirect would have
			// reached the target already.
			if n := target.n.Load(); n != 0 {
				t.Errorf("the redirect target got %d requests; want 0", n)
			}
		})
	}
}

// TestSecurityURLInjectionRefused: the registry refuses, on create and on
// update, URLs that could smuggle header lines or credentials, or are too
// long.
func TestSecurityURLInjectionRefused(t *testing.T) {
	t.Parallel()
	badURL := monitehooks.FieldError{Field: "url", Index: -1, Message: "is not a valid URL", Kind: monitehooks.KindURL}
	userInfo := monitehooks.FieldError{Field: "url", Index: -1, Message: "must not contain user info", Kind: monitehooks.KindURL}
	tooLong := monitehooks.FieldError{
		Field: "url", Index: -1, Kind: monitehooks.KindTooLong,
		Message: fmt.Sprintf("must be at most %d characters", monitehooks.MaxURLLength),
	}
	const base = "https://example.com/"
	tests := []struct {
		name string
		url  string
		want monitehooks.FieldError
	}{
		{"CRLF in path", base + "a\r\nX-Injected: yes", badURL},
		{"LF in path", base + "a\nX-Injected: yes", badURL},
		{"CR in path", base + "a\rX-Injected: yes", badURL},
		{"CRLF in host", "https://example.com\r\nX-Injected: yes/", badURL},
		{"CRLF in query", base + "a?q=1\r\nX-Injected: yes", badURL},
		{"CRLF CRLF body smuggling", base + "a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b", badURL},
		{"space", base + "a b", badURL},
		{"tab", base + "a\tb", badURL},
		{"NUL", base + "a\x00b", badURL},
		{"DEL", base + "a\x7fb", badURL},
		{"vertical tab", base + "a\vb", badURL},
		{"leading space", " " + base, badURL},
		{"percent-encoded CRLF in host", "https://example.com%0D%0AX-Injected:%20yes/", badURL},
		{"user and password", "https://user:pass@example.com/hook", userInfo},
		{"user", "https://user@example.com/hook", userInfo},
		{"empty user info", "https://@example.com/hook", userInfo},
		{"password only", "https://:pass@example.com/hook", userInfo},
		{"one past the limit", base + strings.Repeat("a", monitehooks.MaxURLLength-len(base)+1), tooLong},
	}
	b := setupRegistry(t, nil)
	ctx := context.Background()
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity"})
	check := func(t *testing.T, op string, err error, want monitehooks.FieldError) {
		t.Helper()
		var ve *monitehooks.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, monitehooks.ErrInvalid) {
			t.Fatalf("%s = %v; want a *ValidationError", op, err)
		}
		if diff := cmp.Diff([]monitehooks.FieldError{want}, ve.Fields); diff != "" {
			t.Errorf("%s: fields mismatch (-want +got):\n%s", op, diff)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: "partner-a", ObjectType: "entity", URL: tt.url})
			check(t, "Create", err, tt.want)
			_, err = b.reg.Update(ctx, "partner-a", sub.ID, monitehooks.SubscriptionUpdate{URL: &tt.url})
			check(t, "Update", err, tt.want)
		})
	}
	if got, err := b.reg.Get(ctx, "partner-a", sub.ID); err != nil || got.URL != sub.URL {
		t.Errorf("after refused updates URL = %q (%v); want %q", got.URL, err, sub.URL)
	}
	atLimit := base + strings.Repeat("a", monitehooks.MaxURLLength-len(base))
	if _, err := b.reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: "partner-a", ObjectType: "entity", URL: atLimit}); err != nil {
		t.Errorf("Create(URL of exactly %d characters) = %v; want nil", len(atLimit), err)
	}
}

// TestSecurityURLInjectionEncoded: percent-encoded CR and LF are accepted
// and stay encoded in the request line: the receiver gets them in its path
// and query and no header beyond those every delivery carries.
func TestSecurityURLInjectionEncoded(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, nil)
	uris := make(chan string, 1)
	rc := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, _ int) { uris <- r.RequestURI })
	const target = "/hook%0D%0AX-Injected:%20yes%0D%0A%0D%0A?q=%0d%0aX-Also-Injected:%201"
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL + target})
	b.emit(t, monitehooks.Event{})
	req := rc.next(t)
	if uri := wait(t, uris, "the request URI"); uri != target {
		t.Errorf("request URI = %q; want %q", uri, target)
	}
	var names []string
	for k, vs := range req.Header {
		names = append(names, k)
		for _, v := range vs {
			if strings.Contains(v, "Injected") {
				t.Errorf("header %s = %q; want nothing injected", k, v)
			}
		}
	}
	slices.Sort(names)
	want := []string{"Content-Length", "Content-Type", monitehooks.SignatureHeader, "User-Agent", monitehooks.WebhookIDHeader}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("header names mismatch (-want +got):\n%s", diff)
	}
	if info := wait(t, b.done, "the delivery"); info.Status != monitehooks.DeliverySucceeded {
		t.Errorf("delivery = %s (%s); want succeeded", info.Status, info.Attempt.Error)
	}
}

// TestSecurityTimestampTolerance: Verify and VerifyMiddleware reject a
// correctly signed delivery whose timestamp is too old or too new, by the
// default tolerance and by a custom one, and accept one exactly at the
// boundary.
func TestSecurityTimestampTolerance(t *testing.T) {
	t.Parallel()
	secret := monitehooks.NewSecret()
	body := []byte(`{"id":"9b2c1c4e-2f4e-4a41-9d0e-6f1b8c3f2a10"}`)
	now := time.Date(2026, 3, 11, 6, 49, 55, 0, time.UTC)
	const def = monitehooks.DefaultTolerance
	tests := []struct {
		name      string
		tolerance time.Duration
		skew      time.Duration // signed at now+skew
		want      error
	}{
		{"default, now", 0, 0, nil},
		{"default, exactly too old", 0, -def, nil},
		{"default, a second older", 0, -def - time.Second, monitehooks.ErrTimestampTooOld},
		{"default, exactly too new", 0, def, nil},
		{"default, a second newer", 0, def + time.Second, monitehooks.ErrTimestampTooNew},
		{"default, a day old", 0, -24 * time.Hour, monitehooks.ErrTimestampTooOld},
		{"default, a day ahead", 0, 24 * time.Hour, monitehooks.ErrTimestampTooNew},
		{"default, the epoch", 0, time.Unix(0, 0).Sub(now), monitehooks.ErrTimestampTooOld},
		{"10s, exactly too old", 10 * time.Second, -10 * time.Second, nil},
		{"10s, a second older", 10 * time.Second, -11 * time.Second, monitehooks.ErrTimestampTooOld},
		{"10s, exactly too new", 10 * time.Second, 10 * time.Second, nil},
		{"10s, a second newer", 10 * time.Second, 11 * time.Second, monitehooks.ErrTimestampTooNew},
		{"10m, 6m old", 10 * time.Minute, -6 * time.Minute, nil},
		{"10m, 6m ahead", 10 * time.Minute, 6 * time.Minute, nil},
		{"10m, 11m old", 10 * time.Minute, -11 * time.Minute, monitehooks.ErrTimestampTooOld},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			header := monitehooks.Sign(body, now.Add(tt.skew), secret)
			p := monitehooks.VerifyParams{Secrets: []string{secret}, Tolerance: tt.tolerance, Now: func() time.Time { return now }}
			if err := monitehooks.Verify(header, body, p); !errors.Is(err, tt.want) {
				t.Errorf("Verify(signed %v from now) = %v; want %v", tt.skew, err, tt.want)
			}
			mw := setupMiddleware(t, p)
			rec := mw.serve(header, body)
			wantCode := http.StatusNoContent
			if tt.want != nil {
				wantCode = http.StatusBadRequest
			}
			if rec.Code != wantCode || mw.called != (tt.want == nil) {
				t.Errorf("VerifyMiddleware: Code = %d, next called %v; want %d, %v", rec.Code, mw.called, wantCode, tt.want == nil)
			}
			if tt.want != nil && !strings.Contains(rec.Body.String(), tt.want.Error()) {
				t.Errorf("VerifyMiddleware body = %q; want it to name %q", rec.Body, tt.want)
			}
		})
	}
}

// TestSecurityTimestampReplay captures a real delivery and replays its body
// and signature header: accepted when fresh, rejected as too old once the
// clock has moved 6 minutes, and as too new by a receiver whose clock is 6
// minutes behind the sender's.
func TestSecurityTimestampReplay(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, nil)
	rc := newReceiver(t, nil)
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emit(t, monitehooks.Event{})
	got := rc.next(t)
	wait(t, b.done, "the delivery")
	header := got.Header.Get(monitehooks.SignatureHeader)
	p := monitehooks.VerifyParams{Secrets: []string{sub.CurrentSecret()}, Now: b.clock.Now}
	mw := setupMiddleware(t, p)

	if err := monitehooks.Verify(header, got.Body, p); err != nil {
		t.Fatalf("Verify(fresh delivery) = %v; want nil", err)
	}
	if rec := mw.serve(header, got.Body); rec.Code != http.StatusNoContent || !mw.called {
		t.Fatalf("VerifyMiddleware(fresh delivery): Code = %d, next called %v; want 204, true", rec.Code, mw.called)
	}

	b.clock.Advance(6 * time.Minute)
	mw.called = false
	if err := monitehooks.Verify(header, got.Body, p); !errors.Is(err, monitehooks.ErrTimestampTooOld) {
		t.Errorf("Verify(replayed 6m later) = %v; want %v", err, monitehooks.ErrTimestampTooOld)
	}
	if rec := mw.serve(header, got.Body); rec.Code != http.StatusBadRequest || mw.called {
		t.Errorf("VerifyMiddleware(replayed 6m later): Code = %d, next called %v; want 400, false", rec.Code, mw.called)
	}

	behind := p
	behind.Now = func() time.Time { return b.clock.Now().Add(-12 * time.Minute) } // 6m before the signature
	if err := monitehooks.Verify(header, got.Body, behind); !errors.Is(err, monitehooks.ErrTimestampTooNew) {
		t.Errorf("Verify(by a clock 6m behind) = %v; want %v", err, monitehooks.ErrTimestampTooNew)
	}
}
