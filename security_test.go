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
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
)

// dnsServer is a minimal DNS responder on a local UDP port: it answers
// every A question, whatever the name, with 127.0.0.1, and every other
// question with no records. It records the questions it was asked.
type dnsServer struct {
	conn net.PacketConn
	done chan struct{} // closed when serve returns

	mu    sync.Mutex // guards asked
	asked []string   // "<name> <type>" of each question
}

func startDNS(t *testing.T) *dnsServer {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("DNS server: %v", err)
	}
	s := &dnsServer{conn: conn, done: make(chan struct{})}
	go s.serve()
	t.Cleanup(func() {
		conn.Close()
		<-s.done
	})
	return s
}

func (s *dnsServer) serve() {
	defer close(s.done)
	buf := make([]byte, 1500)
	for {
		n, from, err := s.conn.ReadFrom(buf)
		if err != nil {
			return // closed
		}
		if resp := s.answer(buf[:n]); resp != nil {
			s.conn.WriteTo(resp, from)
		}
	}
}

// answer returns the response to one query (RFC 1035 section 4): its
// header and question copied, the flags of an authoritative answer, and
// for an A question one record, 127.0.0.1, whose name points back at the
// question's. A query it cannot parse gets no response.
func (s *dnsServer) answer(q []byte) []byte {
	const headerLen = 12
	if len(q) < headerLen || binary.BigEndian.Uint16(q[4:6]) != 1 { // QDCOUNT
		return nil
	}
	var labels []string
	i := headerLen
	for {
		if i >= len(q) {
			return nil
		}
		n := int(q[i])
		i++
		if n == 0 {
			break
		}
		if n > 63 || i+n > len(q) {
			return nil
		}
		labels = append(labels, string(q[i:i+n]))
		i += n
	}
	if i+4 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i : i+2])
	i += 4 // QTYPE and QCLASS
	resp := append([]byte(nil), q[:i]...)
	resp[2] = 0x84 | q[2]&0x01 // QR and AA set, RD echoed
	resp[3] = 0x80             // RA set, RCODE 0
	clear(resp[6:12])          // ANCOUNT, NSCOUNT, ARCOUNT: the query's EDNS record is not echoed
	typ := strconv.Itoa(int(qtype))
	switch qtype {
	case 1:
		typ = "A"
		resp[7] = 1 // ANCOUNT
		resp = append(resp,
			0xc0, headerLen, // NAME: a pointer to the question's
			0, 1, 0, 1, // TYPE A, CLASS IN
			0, 0, 0, 60, // TTL
			0, 4, 127, 0, 0, 1) // RDLENGTH, RDATA
	case 28:
		typ = "AAAA"
	}
	s.mu.Lock()
	s.asked = append(s.asked, strings.Join(labels, ".")+" "+typ)
	s.mu.Unlock()
	return resp
}

// resolver returns a resolver that sends every query to s.
func (s *dnsServer) resolver() *net.Resolver {
	addr := s.conn.LocalAddr().String()
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", addr)
	}}
}

func (s *dnsServer) questions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.asked)
}

// attackerHost is a name only the test's DNS server resolves, to
// 127.0.0.1.
const attackerHost = "metadata.attacker.example"

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

// syncBuffer is a bytes.Buffer safe for concurrent use, to capture logs.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// secretLeaks returns what in text gives a secret away: the secret prefix,
// or the random part of one of the secrets, as it is or URL-escaped.
func secretLeaks(text string, secrets []string) []string {
	var found []string
	if strings.Contains(text, monitehooks.SecretPrefix) {
		found = append(found, monitehooks.SecretPrefix)
	}
	for _, s := range secrets {
		random := strings.TrimPrefix(s, monitehooks.SecretPrefix)
		if strings.Contains(text, random) || strings.Contains(text, url.QueryEscape(random)) {
			found = append(found, s)
		}
	}
	return found
}

func errOf[T any](_ T, err error) error { return err }

// apiRequest is one request to the REST API.
type apiRequest struct {
	name         string
	method, path string
	body         string
	token        string // defaults to partner A's; "-" sends none
	contentType  string // defaults to application/json with a body
	header       [2]string
	want         int
}

// TestSecuritySecretsNeverLeak runs a full flow (subscriptions made over
// the REST API; deliveries that succeed, fail with 500, hit the SSRF guard
// and time out; a rotation with overlap; every kind of 4xx) with the
// emitter's and the API's logs captured at debug level, then scans
// everything produced: no log line, answer (but those of create and
// regenerate_secret, which carry exactly their own secret), delivery
// request, delivery log entry or error message holds a secret or the
// whsec_ prefix.
func TestSecuritySecretsNeverLeak(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := setupEmitter(t, &monitehooks.EmitterConfig{
		AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, // the guard is on
		AttemptTimeout:  mixedTimeout,                                         // the hanging endpoint's attempt times out, the others must not
		RetryPolicy:     &monitehooks.Schedule{Delays: []time.Duration{0}},
		Logger:          logger,
	})
	okRC := newReceiver(t, nil)
	failRC := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		http.Error(w, "internal error", http.StatusInternalServerError)
	})
	hangRC := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, _ int) { <-r.Context().Done() })
	auth, err := httpapi.StaticTokens(map[string]string{"token-a": "partner-a", "token-b": "partner-b"})
	if err != nil {
		t.Fatalf("httpapi.StaticTokens: %v", err)
	}
	h, err := httpapi.New(&httpapi.Config{
		Registry: b.reg, Store: b.store, Emitter: b.em, Authenticator: auth, Logger: logger,
	})
	if err != nil {
		t.Fatalf("httpapi.New: %v", err)
	}
	ctx := context.Background()

	// texts holds everything that must not give a secret away, by where
	// it comes from.
	type text struct{ what, text string }
	var texts []text
	call := func(r apiRequest) (head, body string) {
		t.Helper()
		req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
		switch r.token {
		case "":
			req.Header.Set("Authorization", "Bearer token-a")
		case "-":
		default:
			req.Header.Set("Authorization", "Bearer "+r.token)
		}
		switch {
		case r.contentType != "":
			req.Header.Set("Content-Type", r.contentType)
		case r.body != "":
			req.Header.Set("Content-Type", "application/json")
		}
		if r.header[0] != "" {
			req.Header.Set(r.header[0], r.header[1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var hb bytes.Buffer
		w.Result().Header.Write(&hb)
		if w.Code != r.want {
			t.Errorf("%s: %s %s: Code = %d; want %d\n%s", r.name, r.method, r.path, w.Code, r.want, w.Body)
		}
		return hb.String(), w.Body.String()
	}
	// secretCall makes a request whose answer carries a secret, and
	// returns the resource's ID and secret.
	secretCall := func(r apiRequest) (id, secret string) {
		t.Helper()
		head, body := call(r)
		texts = append(texts, text{r.name + ": headers", head})
		var m struct{ ID, Secret string }
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("%s: %v\n%s", r.name, err, body)
		}
		sub, err := b.reg.Get(ctx, "partner-a", m.ID)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		if m.Secret != sub.CurrentSecret() || strings.Count(body, monitehooks.SecretPrefix) != 1 {
			t.Errorf("%s answered %s; want the current secret, once, and no other", r.name, body)
		}
		return m.ID, m.Secret
	}

	// Subscriptions: one per outcome.
	create := func(name, prefix, endpoint string, want int) (id, secret string) {
		return secretCall(apiRequest{
			name: name, method: "POST", path: prefix, want: want,
			body: `{"object_type":"entity","url":"` + endpoint + `"}`,
		})
	}
	okID, okSecret := create("create ok", "/webhook_settings", okRC.URL+"/ok", http.StatusOK)
	failID, failSecret := create("create failing", "/webhook_subscriptions", failRC.URL+"/fail", http.StatusCreated)
	blockedID, _ := create("create blocked", "/webhook_subscriptions", "http://[::1]:1/latest/meta-data", http.StatusCreated)
	hangID, _ := create("create hanging", "/webhook_subscriptions", hangRC.URL+"/hang", http.StatusCreated)
	_, okNew := secretCall(apiRequest{
		name: "regenerate with overlap", method: "POST", path: "/webhook_subscriptions/" + okID + "/regenerate_secret",
		body: `{"expire_previous_in_seconds":3600}`, want: http.StatusOK,
	})
	secretCall(apiRequest{
		name: "regenerate at once", method: "POST", path: "/webhook_settings/" + failID + "/regenerate_secret", want: http.StatusOK,
	})
	if okNew == okSecret {
		t.Fatalf("regenerate_secret kept the secret")
	}

	// Every secret ever made, from the registry.
	var secrets []string
	rotated := map[string][]monitehooks.Secret{}
	for _, id := range []string{okID, failID, blockedID, hangID} {
		sub, err := b.reg.Get(ctx, "partner-a", id)
		if err != nil {
			t.Fatal(err)
		}
		rotated[id] = sub.Secrets
		for _, s := range sub.Secrets {
			secrets = append(secrets, s.Value)
		}
	}
	secrets = append(secrets, failSecret) // rotated out at once
	if len(secrets) != 6 {
		t.Fatalf("%d secrets; want 6: 4 subscriptions, an overlap and one rotated out", len(secrets))
	}

	// Deliveries: success, 500, blocked, timeout.
	head, body := call(apiRequest{
		name: "emit", method: "POST", path: "/events", want: http.StatusCreated,
		body: `{"object_type":"entity","event_type":"updated","object":{"note":"nothing secret"}}`,
	})
	texts = append(texts, text{"emit", head + body})
	var ev struct{ ID string }
	if err := json.Unmarshal([]byte(body), &ev); err != nil || ev.ID == "" {
		t.Fatalf("emit answered %s (%v); want an event", body, err)
	}
	classes := map[string]monitehooks.ErrorClass{}
	for range 4 {
		info := wait(t, b.done, "a delivery")
		classes[info.SubscriptionID] = info.Attempt.ErrorClass
	}
	wantClasses := map[string]monitehooks.ErrorClass{
		okID: "", failID: monitehooks.ErrorStatus, blockedID: monitehooks.ErrorBlocked, hangID: monitehooks.ErrorTimeout,
	}
	if diff := cmp.Diff(wantClasses, classes); diff != "" {
		t.Fatalf("error classes by subscription mismatch (-want +got):\n%s", diff)
	}
	delivered := okRC.next(t)
	for _, s := range []string{okNew, okSecret} {
		if err := monitehooks.Verify(delivered.Header.Get(monitehooks.SignatureHeader), delivered.Body, monitehooks.VerifyParams{
			Secrets: []string{s}, Now: b.clock.Now,
		}); err != nil {
			t.Errorf("Verify(delivery, a live secret) = %v; want nil: both secrets sign during the overlap", err)
		}
	}
	for name, rc := range map[string]*receiver{"ok": okRC, "failing": failRC, "hanging": hangRC} {
		r := delivered
		if name != "ok" {
			r = rc.next(t)
		}
		var head bytes.Buffer
		r.Header.Write(&head)
		texts = append(texts, text{"delivery request to the " + name + " receiver", head.String() + "\n" + string(r.Body)})
	}

	// Every answer that is not a create or a regeneration, errors of
	// every kind among them.
	const unknownID = "8d0c3a1e-7b0e-4f51-9c3b-2f6f0a0e1b2c"
	sub := "/webhook_subscriptions/" + failID
	requests := []apiRequest{
		{name: "list settings", method: "GET", path: "/webhook_settings", want: 200},
		{name: "list subscriptions", method: "GET", path: "/webhook_subscriptions", want: 200},
		{name: "get setting", method: "GET", path: "/webhook_settings/" + okID, want: 200},
		{name: "get subscription", method: "GET", path: "/webhook_subscriptions/" + okID, want: 200},
		{name: "get blocked", method: "GET", path: "/webhook_subscriptions/" + blockedID, want: 200},
		{name: "patch", method: "PATCH", path: sub, body: `{"name":"renamed"}`, want: 200},
		{name: "patch url", method: "PATCH", path: "/webhook_settings/" + okID, body: `{"url":"` + okRC.URL + `/moved"}`, want: 200},
		{name: "disable", method: "POST", path: "/webhook_subscriptions/" + hangID + "/disable", want: 200},
		{name: "enable", method: "POST", path: "/webhook_settings/" + hangID + "/enable", want: 200},
		{name: "deliveries", method: "GET", path: "/webhook_deliveries", want: 200},
		{name: "deliveries of the event", method: "GET", path: "/webhook_deliveries?event_id=" + ev.ID, want: 200},
		{name: "events", method: "GET", path: "/events", want: 200},
		{name: "event", method: "GET", path: "/events/" + ev.ID, want: 200},
		{name: "openapi", method: "GET", path: "/openapi.json", token: "-", want: 200},
		{name: "malformed JSON", method: "POST", path: "/webhook_subscriptions", body: `{"object_type":`, want: 400},
		{name: "no token", method: "GET", path: "/webhook_subscriptions", token: "-", want: 401},
		{name: "unknown token", method: "GET", path: "/webhook_subscriptions", token: "nope", want: 401},
		{name: "a secret as the token", method: "GET", path: sub, token: okNew, want: 401},
		{name: "unknown ID", method: "GET", path: "/webhook_subscriptions/" + unknownID, want: 404},
		{name: "ID not a UUID", method: "GET", path: "/webhook_subscriptions/nope", want: 404},
		{name: "another partner's subscription", method: "GET", path: sub, token: "token-b", want: 404},
		{name: "another partner's regenerate", method: "POST", path: sub + "/regenerate_secret", token: "token-b", want: 404},
		{name: "unknown path", method: "GET", path: "/secrets", want: 404},
		{name: "method not allowed", method: "PUT", path: sub, body: `{}`, want: 405},
		{name: "body too large", method: "PATCH", path: sub, body: `{"name":"` + strings.Repeat("a", httpapi.MaxBodySize) + `"}`, want: 413},
		{name: "not JSON", method: "PATCH", path: sub, body: "name=x", contentType: "text/plain", want: 415},
		{name: "limit out of range", method: "GET", path: "/webhook_subscriptions?limit=0", want: 416},
		{name: "bad URL", method: "PATCH", path: sub, body: `{"url":"https://u:p@example.com/"}`, want: 422},
		// These send a secret in: the answer may name the field, never
		// echo the value.
		{name: "setting the secret", method: "PATCH", path: sub, body: `{"secret":"` + okNew + `"}`, want: 422},
		{name: "creating with a secret", method: "POST", path: "/webhook_subscriptions", body: `{"object_type":"entity","url":"https://example.com/","secret":"` + okNew + `"}`, want: 422},
		{name: "wrong type", method: "PATCH", path: sub, body: `{"name":5}`, want: 422},
		{name: "not an object", method: "PATCH", path: sub, body: `[]`, want: 422},
		{name: "overlap out of range", method: "POST", path: sub + "/regenerate_secret", body: `{"expire_previous_in_seconds":-1}`, want: 422},
		{name: "bad version header", method: "POST", path: "/webhook_subscriptions", body: `{"object_type":"entity","url":"https://example.com/"}`, header: [2]string{httpapi.VersionHeader, "soon"}, want: 422},
		{name: "bad pagination token", method: "GET", path: "/webhook_deliveries?pagination_token=forged", want: 422},
		{name: "bad query", method: "GET", path: "/webhook_deliveries?created_at__gt=yesterday", want: 422},
		{name: "bad event", method: "POST", path: "/events", body: `{"object_type":"entity","event_type":"deleted"}`, want: 422},
	}
	for _, r := range requests {
		head, body := call(r)
		texts = append(texts, text{r.name, head + body})
	}
	for id, want := range rotated {
		got, err := b.reg.Get(ctx, "partner-a", id)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got.Secrets); diff != "" {
			t.Errorf("subscription %s: the requests above changed its secrets (-want +got):\n%s", id, diff)
		}
	}

	// The delivery log.
	page, err := b.store.ListDeliveries(ctx, "partner-a", monitehooks.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 4 {
		t.Errorf("%d deliveries; want 4", len(page.Data))
	}
	for _, d := range page.Data {
		for i, a := range d.Attempts {
			texts = append(texts, text{fmt.Sprintf("delivery %s attempt %d", d.ID, i+1), a.URL + "\n" + a.Error + "\n" + a.Response})
		}
	}

	// Error messages of the library.
	header := delivered.Header.Get(monitehooks.SignatureHeader)
	tampered := append(slices.Clone(delivered.Body), ' ')
	verify := func(h string, body []byte, p monitehooks.VerifyParams) error {
		if p.Now == nil {
			p.Now = b.clock.Now
		}
		return monitehooks.Verify(h, body, p)
	}
	badURL := "https://example.com/\r\n"
	errs := map[string]error{
		"Registry.Get of another partner":   errOf(b.reg.Get(ctx, "partner-b", okID)),
		"Registry.Update bad URL":           errOf(b.reg.Update(ctx, "partner-a", okID, monitehooks.SubscriptionUpdate{URL: &badURL})),
		"Registry.RegenerateSecret overlap": errOf(b.reg.RegenerateSecret(ctx, "partner-a", okID, -time.Second)),
		"Registry.RegenerateSecret other":   errOf(b.reg.RegenerateSecret(ctx, "partner-b", okID, 0)),
		"Registry.Create invalid":           errOf(b.reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: "partner-a"})),
		"Registry.Enable other":             errOf(b.reg.Enable(ctx, "partner-b", okID)),
		"Registry.Delete other":             b.reg.Delete(ctx, "partner-b", okID),
		"Emitter.Emit invalid":              errOf(b.em.Emit(ctx, monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "deleted"})),
		"Emitter.Redeliver other":           errOf(b.em.Redeliver(ctx, "partner-b", page.Data[0].ID)),
		"Emitter.RecoverFailed other":       errOf(b.em.RecoverFailed(ctx, "partner-b", failID, time.Time{})),
		"Verify tampered body":              verify(header, tampered, monitehooks.VerifyParams{Secrets: secrets}),
		"Verify wrong secret":               verify(header, delivered.Body, monitehooks.VerifyParams{Secrets: []string{failSecret}}),
		"Verify empty secret":               verify(header, delivered.Body, monitehooks.VerifyParams{Secrets: []string{okNew, ""}}),
		"Verify too old":                    verify(header, delivered.Body, monitehooks.VerifyParams{Secrets: []string{okNew}, Now: func() time.Time { return b.clock.Now().Add(time.Hour) }}),
		"Verify malformed":                  verify("t=1,v1="+okNew, delivered.Body, monitehooks.VerifyParams{Secrets: []string{okNew}}),
	}
	mw := setupMiddleware(t, monitehooks.VerifyParams{Secrets: []string{okNew, okSecret}, Now: b.clock.Now})
	if rec := mw.serve(header, tampered); rec.Code != http.StatusBadRequest {
		t.Errorf("VerifyMiddleware(tampered) Code = %d; want 400", rec.Code)
	} else {
		texts = append(texts, text{"VerifyMiddleware answer", rec.Body.String()})
	}
	if err := b.em.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	errs["Emitter.Emit closed"] = errOf(b.em.Emit(ctx, monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "created", ObjectID: "o"}))
	for what, err := range errs {
		if err == nil {
			t.Errorf("%s = nil; want an error", what)
			continue
		}
		texts = append(texts, text{what, err.Error()})
	}

	// The logs: they saw every kind of outcome, and no secret.
	captured := logs.String()
	for _, want := range []string{
		`"msg":"monitehooks: delivered"`, `"error_class":"status"`, `"error_class":"blocked"`, `"error_class":"timeout"`,
		`"msg":"httpapi: request refused"`, `"status":401`, `"status":422`, `"msg":"monitehooks: emitter stopped"`,
	} {
		if !strings.Contains(captured, want) {
			t.Errorf("the logs lack %s: the scan would miss that case\n%s", want, captured)
		}
	}
	texts = append(texts, text{"logs", captured})

	for _, x := range texts {
		for _, line := range strings.Split(x.text, "\n") {
			if found := secretLeaks(line, secrets); len(found) > 0 {
				t.Errorf("%s gives away %q:\n%s", x.what, found, line)
			}
		}
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
