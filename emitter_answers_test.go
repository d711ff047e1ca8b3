package monitehooks_test

// What the emitter makes of each kind of answer: retry schedules,
// Retry-After, 410, redirects, timeouts, resets, upgrades and the SSRF
// guard.

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
)

func TestRetrySchedule(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, nil) // schedule 0, 1m, 5m
	rc := newReceiver(t, status(http.StatusInternalServerError))
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	start := b.clock.Now()
	b.emit(t, monitehooks.Event{})

	type step struct {
		Attempt int
		At      time.Time
		Status  monitehooks.DeliveryStatus
		Next    time.Time
	}
	var got []step
	for _, advance := range []time.Duration{0, time.Minute, 5 * time.Minute} {
		b.clock.Advance(advance)
		b.em.Wake()
		info := wait(t, b.attempts, "an attempt")
		got = append(got, step{info.AttemptNumber, info.Attempt.At, info.Status, info.NextAttemptAt})
		if info.Attempt.StatusCode != 500 || info.Attempt.ErrorClass != monitehooks.ErrorStatus {
			t.Errorf("attempt %d = %+v; want status 500, class %q", info.AttemptNumber, info.Attempt, monitehooks.ErrorStatus)
		}
	}
	want := []step{
		{1, start, monitehooks.DeliveryPending, start.Add(time.Minute)},
		{2, start.Add(time.Minute), monitehooks.DeliveryPending, start.Add(6 * time.Minute)},
		{3, start.Add(6 * time.Minute), monitehooks.DeliveryFailed, time.Time{}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("attempts (-want +got):\n%s", diff)
	}
	page, err := b.store.ListDeliveries(context.Background(), "partner-a", monitehooks.ListParams{SubscriptionID: sub.ID})
	if err != nil || len(page.Data) != 1 {
		t.Fatalf("ListDeliveries = %v, %v; want one", page.Data, err)
	}
	if d := page.Data[0]; d.Status != monitehooks.DeliveryFailed || len(d.Attempts) != 3 {
		t.Errorf("delivery = %s with %d attempts; want failed with 3", d.Status, len(d.Attempts))
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 3, 11, 6, 49, 55, 0, time.UTC) // the test clock's start
	tests := []struct {
		name       string
		code       int
		retryAfter string
		wantDelay  time.Duration
	}{
		{"seconds above schedule", 503, "120", 120 * time.Second},
		{"seconds below schedule", 429, "5", time.Minute},
		{"http date", 429, base.Add(10 * time.Minute).Format(http.TimeFormat), 10 * time.Minute},
		{"capped", 503, "86400", 30 * time.Minute},
		{"garbage ignored", 503, "soon", time.Minute},
		{"ignored on 500", 500, "600", time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupEmitter(t, &monitehooks.EmitterConfig{MaxRetryAfter: 30 * time.Minute})
			rc := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.Header().Set("Retry-After", tt.retryAfter)
				w.WriteHeader(tt.code)
			})
			b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
			b.emit(t, monitehooks.Event{})
			info := wait(t, b.attempts, "the first attempt")
			if got := info.NextAttemptAt.Sub(info.Attempt.At); got != tt.wantDelay {
				t.Errorf("next attempt in %v; want %v", got, tt.wantDelay)
			}
		})
	}
}

func TestGoneDisablesSubscription(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, nil)
	rc := newReceiver(t, status(http.StatusGone))
	sub := b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emit(t, monitehooks.Event{})
	info := wait(t, b.done, "the delivery to fail")
	if info.Status != monitehooks.DeliveryFailed || info.AttemptNumber != 1 {
		t.Errorf("delivery = %s after %d attempts; want failed after 1", info.Status, info.AttemptNumber)
	}
	// Disabled before the failure is told: whoever hears of it finds the
	// subscription disabled.
	if s, _ := b.reg.Get(context.Background(), "partner-a", sub.ID); s.Status != monitehooks.StatusDisabled {
		t.Errorf("when the failed delivery was reported, status = %s; want disabled", s.Status)
	}
	if got := wait(t, b.disabled, "the subscription to be disabled"); got != sub.ID+" gone" {
		t.Errorf("disabled = %q; want %q", got, sub.ID+" gone")
	}
	if s, _ := b.reg.Get(context.Background(), "partner-a", sub.ID); s.Status != monitehooks.StatusDisabled {
		t.Errorf("status = %s; want disabled", s.Status)
	}
	ev := b.emit(t, monitehooks.Event{})
	page, _ := b.store.ListDeliveries(context.Background(), "partner-a", monitehooks.ListParams{EventID: ev.ID})
	if len(page.Data) != 0 {
		t.Errorf("an event after 410 got %d deliveries; want 0", len(page.Data))
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	b := setupEmitter(t, nil)
	target := newReceiver(t, nil)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		http.Redirect(w, r, target.URL, http.StatusTemporaryRedirect)
	})
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emit(t, monitehooks.Event{})
	info := wait(t, b.attempts, "the attempt")
	if info.Attempt.StatusCode != 307 || info.Attempt.ErrorClass != monitehooks.ErrorStatus || info.Status != monitehooks.DeliveryPending {
		t.Errorf("attempt = %+v, delivery %s; want a failed 307, retried", info.Attempt, info.Status)
	}
	select {
	case r := <-target.got:
		t.Errorf("the redirect was followed: target got %s", r.Body)
	default:
	}
}

func TestTimeoutAndReset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		handler func(http.ResponseWriter, *http.Request, int)
		timeout time.Duration // short only where it is to fire
		want    monitehooks.ErrorClass
	}{
		{"hang", func(_ http.ResponseWriter, r *http.Request, _ int) { <-r.Context().Done() }, 100 * time.Millisecond, monitehooks.ErrorTimeout},
		{"reset", func(w http.ResponseWriter, _ *http.Request, _ int) {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.(*net.TCPConn).SetLinger(0)
				conn.Close()
			}
		}, time.Minute, monitehooks.ErrorConnection},
		{"huge body", func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.WriteHeader(500)
			w.Write([]byte(strings.Repeat("é", 100_000)))
		}, time.Minute, monitehooks.ErrorStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setupEmitter(t, &monitehooks.EmitterConfig{AttemptTimeout: tt.timeout})
			rc := newReceiver(t, tt.handler)
			b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
			b.emit(t, monitehooks.Event{})
			info := wait(t, b.attempts, "the attempt")
			if info.Attempt.ErrorClass != tt.want || info.Status != monitehooks.DeliveryPending {
				t.Errorf("attempt class = %q (%s), delivery %s; want %q, pending", info.Attempt.ErrorClass, info.Attempt.Error, info.Status, tt.want)
			}
			if len(info.Attempt.Response) > monitehooks.MaxResponseExcerpt {
				t.Errorf("response excerpt is %d bytes; want at most %d", len(info.Attempt.Response), monitehooks.MaxResponseExcerpt)
			}
		})
	}
}

// TestTimeoutThenNextAttempt checks that after an attempt runs out of
// time, the same worker's next attempt runs under a fresh deadline rather
// than the spent one. It sends through net/http's Transport, whose
// requests the worker's deadline bounds (the own client's each carry a
// deadline of their own).
func TestTimeoutThenNextAttempt(t *testing.T) {
	t.Parallel()
	const timeout = 100 * time.Millisecond
	b := setupEmitter(t, &monitehooks.EmitterConfig{
		Workers: 1, AttemptTimeout: timeout, Transport: &http.Transport{},
		// Under load a plain attempt may run out of time too: it is made
		// again at once.
		RetryPolicy: &monitehooks.Schedule{Delays: make([]time.Duration, 50)},
	})
	hang := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			<-r.Context().Done()
		}
	})
	ok := newReceiver(t, nil)
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: hang.URL})
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: ok.URL})
	b.emit(t, monitehooks.Event{})
	if info := wait(t, b.attempts, "the attempt to the hanging endpoint"); info.Attempt.ErrorClass != monitehooks.ErrorTimeout {
		t.Fatalf("attempt class = %q (%s); want %q", info.Attempt.ErrorClass, info.Attempt.Error, monitehooks.ErrorTimeout)
	}
	for range 3 {
		b.emit(t, monitehooks.Event{ObjectType: "role", Type: "created"})
	}
	// Each on the one worker, after the timeout: the hanging endpoint's
	// second attempt and the three others. A spent deadline would fail
	// them at once, a genuine timeout only once its time is up.
	for succeeded := 0; succeeded < 4; {
		switch a := wait(t, b.attempts, "the next attempt").Attempt; {
		case a.ErrorClass == "":
			succeeded++
		case a.ErrorClass == monitehooks.ErrorTimeout && a.Duration >= timeout:
		default:
			t.Fatalf("next attempt = %+v; want a success, or a timeout after %v, not a spent deadline", a, timeout)
		}
	}
}

// TestTimeoutOverHTTP2 checks that an attempt that runs out of time over
// HTTP/2, whose transport reports context.Canceled rather than the
// context's cause, is still classed a timeout.
func TestTimeoutOverHTTP2(t *testing.T) {
	t.Parallel()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	b := setupEmitter(t, &monitehooks.EmitterConfig{AttemptTimeout: 100 * time.Millisecond, Transport: srv.Client().Transport})
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: srv.URL})
	b.emit(t, monitehooks.Event{})
	info := wait(t, b.attempts, "the attempt")
	if info.Attempt.ErrorClass != monitehooks.ErrorTimeout || !strings.Contains(info.Attempt.Error, "timed out") {
		t.Errorf("attempt class = %q (%s); want %q", info.Attempt.ErrorClass, info.Attempt.Error, monitehooks.ErrorTimeout)
	}
}

// roundTripFunc is a RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTransportAnswers checks what the emitter makes of a transport's
// answers that an http.Client would have mended: a response without a
// body, with or without a length.
func TestTransportAnswers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		resp       *http.Response
		wantStatus monitehooks.DeliveryStatus
		wantClass  monitehooks.ErrorClass
	}{
		{"no body", &http.Response{StatusCode: 200, Header: http.Header{}}, monitehooks.DeliverySucceeded, ""},
		{"no body but a length", &http.Response{StatusCode: 200, Header: http.Header{}, ContentLength: 5}, monitehooks.DeliveryPending, monitehooks.ErrorConnection},
		{"no response", nil, monitehooks.DeliveryPending, monitehooks.ErrorConnection},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			transport := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				r.Body.Close()
				return tt.resp, nil
			})
			b := setupEmitter(t, &monitehooks.EmitterConfig{Transport: transport})
			b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: "https://example.com/"})
			b.emit(t, monitehooks.Event{})
			info := wait(t, b.attempts, "the attempt")
			if info.Status != tt.wantStatus || info.Attempt.ErrorClass != tt.wantClass {
				t.Errorf("attempt = %q (%s), delivery %s; want %q, %s", info.Attempt.ErrorClass, info.Attempt.Error, info.Status, tt.wantClass, tt.wantStatus)
			}
		})
	}
}

// TestUpgradeAnswer checks that an endpoint that answers 101 Switching
// Protocols and then says nothing holds no worker past the attempt's
// timeout: the own client takes the 101 as the answer and closes the
// connection at once, and net/http's Transport, which hands the
// connection over with such an answer, has it closed at the timeout.
func TestUpgradeAnswer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	quit := make(chan struct{})
	closed := make(chan error, 100) // what the endpoint reads after its 101
	t.Cleanup(func() { close(quit); ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				io.WriteString(conn, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
				stop := context.AfterFunc(t.Context(), func() { conn.Close() })
				defer stop()
				_, err = br.ReadByte() // and not a word more, until the client closes
				select {
				case closed <- err:
				case <-quit:
				}
			})
		}
	})
	url := "http://" + ln.Addr().String() + "/hook"
	want101 := func(t *testing.T, a monitehooks.Attempt) {
		t.Helper()
		if a.StatusCode != http.StatusSwitchingProtocols || a.ErrorClass != monitehooks.ErrorStatus {
			t.Errorf("attempt = %d %q (%s); want 101, %q", a.StatusCode, a.ErrorClass, a.Error, monitehooks.ErrorStatus)
		}
	}
	shutdown := func(t *testing.T, em *monitehooks.Emitter) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := em.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown = %v; want nil", err)
		}
	}

	t.Run("own client", func(t *testing.T) {
		// No timeout is needed to end the attempt.
		b := setupEmitter(t, &monitehooks.EmitterConfig{AttemptTimeout: time.Minute})
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: url})
		b.emit(t, monitehooks.Event{})
		want101(t, wait(t, b.attempts, "the attempt").Attempt)
		if err := wait(t, closed, "the client's close"); err != io.EOF {
			t.Errorf("after the 101 the endpoint read %v; want io.EOF, the client's close", err)
		}
		shutdown(t, b.em)
	})

	t.Run("net/http", func(t *testing.T) {
		// The timeout ends the attempt, once the 101 came; under load it
		// may end one before, which is then made again at once.
		const timeout = 100 * time.Millisecond
		b := setupEmitter(t, &monitehooks.EmitterConfig{
			AttemptTimeout: timeout, Transport: &http.Transport{},
			RetryPolicy: &monitehooks.Schedule{Delays: make([]time.Duration, 50)},
		})
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: url})
		b.emit(t, monitehooks.Event{})
		for {
			info := wait(t, b.attempts, "an attempt")
			a := info.Attempt
			if a.StatusCode != 0 {
				want101(t, a)
				if a.Duration < timeout {
					t.Errorf("the attempt took %v; want the timeout, %v, the body being endless", a.Duration, timeout)
				}
				break
			}
			if a.ErrorClass != monitehooks.ErrorTimeout || a.Duration < timeout || info.Status != monitehooks.DeliveryPending {
				t.Fatalf("attempt = %+v, delivery %s; want a 101, or a timeout after %v made again", a, info.Status, timeout)
			}
		}
		shutdown(t, b.em)
	})
}

// TestHTTPSToPlainHTTP checks that an https URL served by a plain HTTP
// server fails as a connection error that says so, as http.Client words it.
func TestHTTPSToPlainHTTP(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	b := setupEmitter(t, nil)
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: strings.Replace(rc.URL, "http://", "https://", 1)})
	b.emit(t, monitehooks.Event{})
	info := wait(t, b.attempts, "the attempt")
	if info.Attempt.ErrorClass != monitehooks.ErrorConnection || !strings.Contains(info.Attempt.Error, "HTTP response to HTTPS client") {
		t.Errorf("attempt class = %q (%s); want %q saying the server answered in plain HTTP", info.Attempt.ErrorClass, info.Attempt.Error, monitehooks.ErrorConnection)
	}
}

// TestAllowedNetworksCopied checks that the SSRF guard keeps its own copy
// of EmitterConfig.AllowedNetworks: the caller may reuse the slice.
func TestAllowedNetworksCopied(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t, nil)
	allowed := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	b := setupEmitter(t, &monitehooks.EmitterConfig{AllowedNetworks: allowed})
	allowed[0] = netip.MustParsePrefix("192.0.2.0/24")
	b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: rc.URL})
	b.emit(t, monitehooks.Event{})
	if info := wait(t, b.attempts, "the attempt"); info.Status != monitehooks.DeliverySucceeded {
		t.Errorf("attempt = %q (%s); want a success to the network allowed at NewEmitter", info.Attempt.ErrorClass, info.Attempt.Error)
	}
}

func TestSSRFGuard(t *testing.T) {
	t.Parallel()
	t.Run("blocked by default", func(t *testing.T) {
		t.Parallel()
		rc := newReceiver(t, nil)
		b := setupEmitter(t, &monitehooks.EmitterConfig{AllowedNetworks: []netip.Prefix{}})
		for _, host := range []string{rc.URL, strings.Replace(rc.URL, "127.0.0.1", "localhost", 1)} {
			b.create(t, monitehooks.SubscriptionParams{ObjectType: "entity", URL: host})
		}
		b.emit(t, monitehooks.Event{})
		for range 2 {
			info := wait(t, b.attempts, "the attempt")
			if info.Attempt.ErrorClass != monitehooks.ErrorBlocked {
				t.Errorf("attempt to %s class = %q (%s); want %q", info.Attempt.URL, info.Attempt.ErrorClass, info.Attempt.Error, monitehooks.ErrorBlocked)
			}
		}
		select {
		case <-rc.got:
			t.Errorf("a blocked delivery reached the receiver")
		default:
		}
	})
	t.Run("allowed network", func(t *testing.T) {
		t.Parallel()
		rc := newReceiver(t, nil)
		b := setupEmitter(t, &monitehooks.EmitterConfig{AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
		b.create(t, monitehooks.SubscriptionParams{ObjectType: "role", URL: rc.URL})
		b.emit(t, monitehooks.Event{ObjectType: "role", Type: "created"})
		if info := wait(t, b.done, "the delivery"); info.Status != monitehooks.DeliverySucceeded {
			t.Errorf("delivery = %s (%s); want succeeded", info.Status, info.Attempt.Error)
		}
	})
}
