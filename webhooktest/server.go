package webhooktest

import (
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
	"github.com/monitehooks/monitehooks/internal/stack"
	"github.com/monitehooks/monitehooks/memstore"
)

// Defaults of a [Server].
const (
	// DefaultToken is the bearer token of DefaultPartner.
	DefaultToken = "test-token"
	// DefaultPartner is the partner DefaultToken stands for.
	DefaultPartner = "partner-1"
)

// FastSchedule is the retry schedule of a [Server] unless its config names
// another: five attempts, 1, 2, 4 and 8 seconds apart on the server's
// clock, without jitter. Since the clock only moves when the test moves
// it, a retry happens exactly when the test advances past it.
var FastSchedule = []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}

// leaseOnTestClock is the lease of a Server's emitter: the clock may be
// advanced up to a year while an attempt is in flight.
const leaseOnTestClock = 365 * 24 * time.Hour

// Clock is a clock that moves only when told to. It is safe for concurrent
// use.
type Clock struct {
	mu  sync.Mutex // guards now
	now time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// ServerConfig configures a [Server]. The zero value (or nil) gives the
// defaults each field names.
type ServerConfig struct {
	// Catalog lists the object and event types. Defaults to
	// monitehooks.DefaultCatalog.
	Catalog *monitehooks.Catalog
	// Tokens maps bearer tokens to partners. Defaults to DefaultToken for
	// DefaultPartner.
	Tokens map[string]string
	// RetrySchedule is the delay before each attempt. Defaults to
	// FastSchedule.
	RetrySchedule []time.Duration
	// AttemptTimeout bounds each attempt. Defaults to 5 seconds.
	AttemptTimeout time.Duration
	// DisableAfter disables subscriptions failing this long. Defaults to
	// the emitter's default, 5 days of the server's clock.
	DisableAfter time.Duration
	// Start is the clock's starting time. Defaults to the real time when
	// the server starts, so that signatures verify against time.Now as long
	// as the test advances the clock less than the receivers' tolerance
	// (5 minutes by default).
	Start time.Time
}

// Server is a fake Monite for tests: the REST API (package httpapi) at
// URL, an Emitter delivering to real endpoints, and an in-memory store,
// all on a clock the test moves. Deliveries may go to loopback and http
// URLs.
//
// Its fields are for reading; its methods are safe for concurrent use.
type Server struct {
	// URL is the base of the REST API, such as http://127.0.0.1:port/v1.
	URL string
	// Token is the bearer token of PartnerID, the default partner.
	Token     string
	PartnerID string
	// Clock is the server's clock. Move it with Advance, which also wakes
	// the emitter.
	Clock *Clock
	// Store, Registry and Emitter are the pieces the server is made of.
	Store    *memstore.Store
	Registry *monitehooks.Registry
	Emitter  *monitehooks.Emitter

	srv      *httptest.Server
	attempts chan struct{} // one value per finished attempt, dropped when full

	mu       sync.Mutex      // guards partners
	partners map[string]bool // every partner with a token or an emitted event

	closeOnce sync.Once
}

// NewServer starts a fake Monite and registers its Close with tb.Cleanup.
// cfg may be nil.
func NewServer(tb testing.TB, cfg *ServerConfig) *Server {
	tb.Helper()
	s, err := startServer(cfg)
	if err != nil {
		tb.Fatalf("webhooktest: NewServer: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// startServer is NewServer without a testing.TB, for testscript.
func startServer(cfg *ServerConfig) (*Server, error) {
	if cfg == nil {
		cfg = &ServerConfig{}
	}
	tokens := cfg.Tokens
	if len(tokens) == 0 {
		tokens = map[string]string{DefaultToken: DefaultPartner}
	}
	schedule := cfg.RetrySchedule
	if len(schedule) == 0 {
		schedule = FastSchedule
	}
	timeout := cfg.AttemptTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	start := cfg.Start
	if start.IsZero() {
		start = time.Now().UTC().Truncate(time.Second)
	}
	s := &Server{
		Clock:    NewClock(start),
		Store:    memstore.New(),
		attempts: make(chan struct{}, 1),
		partners: map[string]bool{},
	}
	for _, partner := range tokens {
		s.partners[partner] = true
	}
	// The default partner: DefaultToken's when present, else the first
	// token in sorted order.
	for tok, partner := range tokens {
		if tok == DefaultToken || s.Token == "" || (s.Token != DefaultToken && tok < s.Token) {
			s.Token, s.PartnerID = tok, partner
		}
	}
	auth, err := httpapi.StaticTokens(tokens)
	if err != nil {
		return nil, err
	}
	st, err := stack.New(context.Background(), &stack.Config{
		Store:          s.Store,
		Catalog:        cfg.Catalog,
		Authenticator:  auth,
		RetryPolicy:    &monitehooks.Schedule{Delays: schedule},
		AttemptTimeout: timeout,
		DisableAfter:   cfg.DisableAfter,
		// Leases run on the server's clock, which the test may move by
		// hours while an attempt is in flight: a lease that ended would let
		// the same delivery be sent twice.
		Lease: leaseOnTestClock,
		Now:   s.Clock.Now,
		Observer: &monitehooks.Observer{AttemptDone: func(monitehooks.DeliveryInfo) {
			select {
			case s.attempts <- struct{}{}:
			default:
			}
		}},
		AllowInsecureURLs:    true,
		AllowPrivateNetworks: true,
	})
	if err != nil {
		return nil, err
	}
	s.Registry, s.Emitter = st.Registry, st.Emitter
	// The API alone under /v1, as the harness has always served it: other
	// paths get ServeMux's plain 404, not st.Handler's JSON one.
	mux := http.NewServeMux()
	mux.Handle(stack.APIPrefix+"/", http.StripPrefix(stack.APIPrefix, st.API))
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + stack.APIPrefix
	return s, nil
}

// Close stops the server: the emitter at once, then the HTTP server. It
// may be called more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.Emitter.Close()
		s.srv.Close()
	})
}

// Advance moves the server's clock forward by d and wakes the emitter, so
// deliveries due by then are attempted.
func (s *Server) Advance(d time.Duration) {
	s.Clock.Advance(d)
	s.Emitter.Wake()
}

// Subscribe creates a subscription for the default partner, unless p
// names another, and returns it with its secret. It fails the test on a
// validation error.
func (s *Server) Subscribe(tb testing.TB, p monitehooks.SubscriptionParams) monitehooks.Subscription {
	tb.Helper()
	if p.PartnerID == "" {
		p.PartnerID = s.PartnerID
	}
	sub, err := s.Registry.Create(context.Background(), p)
	if err != nil {
		tb.Fatalf("webhooktest: Subscribe: %v", err)
	}
	return sub
}

// Emit emits ev from Go, filling in the default partner and a random
// object ID when they are empty, and returns the stored event. It fails
// the test on a validation error.
func (s *Server) Emit(tb testing.TB, ev monitehooks.Event) monitehooks.Event {
	tb.Helper()
	ev, err := s.emit(ev)
	if err != nil {
		tb.Fatalf("webhooktest: Emit: %v", err)
	}
	return ev
}

func (s *Server) emit(ev monitehooks.Event) (monitehooks.Event, error) {
	if ev.PartnerID == "" {
		ev.PartnerID = s.PartnerID
	}
	if ev.ObjectID == "" {
		ev.ObjectID = uuid.NewString()
	}
	s.mu.Lock()
	s.partners[ev.PartnerID] = true
	s.mu.Unlock()
	return s.Emitter.Emit(context.Background(), ev)
}

// Deliveries returns the partner's delivery log, oldest first.
func (s *Server) Deliveries(tb testing.TB, partnerID string) []monitehooks.Delivery {
	tb.Helper()
	ds, err := s.deliveries(partnerID)
	if err != nil {
		tb.Fatalf("webhooktest: Deliveries: %v", err)
	}
	return ds
}

func (s *Server) deliveries(partnerID string) ([]monitehooks.Delivery, error) {
	var all []monitehooks.Delivery
	p := monitehooks.ListParams{Limit: monitehooks.MaxListLimit}
	for {
		page, err := s.Store.ListDeliveries(context.Background(), partnerID, p)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Data...)
		if page.Next == "" {
			return all, nil
		}
		p = monitehooks.ListParams{Cursor: page.Next}
	}
}

// Settle blocks until no delivery is due: each has succeeded, failed, or
// waits for the clock to reach its next attempt. It fails the test if that
// takes longer than DefaultWait.
func (s *Server) Settle(tb testing.TB) {
	tb.Helper()
	if err := s.settle(DefaultWait); err != nil {
		tb.Fatalf("webhooktest: Settle: %v", err)
	}
}

func (s *Server) settle(limit time.Duration) error {
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		due, err := s.dueCount()
		if err != nil {
			return err
		}
		if due == 0 {
			return nil
		}
		select {
		case <-s.attempts:
		case <-deadline.C:
			return fmt.Errorf("%d deliveries still due after %v", due, limit)
		}
	}
}

// dueCount counts pending deliveries due by the clock's time, across
// partners: those not yet attempted and those in flight.
func (s *Server) dueCount() (int, error) {
	counts, err := s.Store.CountDeliveries(context.Background())
	if err != nil || counts.Pending == 0 {
		return 0, err
	}
	now := s.Clock.Now()
	partners, err := s.partnerIDs()
	if err != nil {
		return 0, err
	}
	due := 0
	for _, partner := range partners {
		ds, err := s.deliveries(partner)
		if err != nil {
			return 0, err
		}
		for _, d := range ds {
			if d.Status == monitehooks.DeliveryPending && !d.NextAttemptAt.After(now) {
				due++
			}
		}
	}
	return due, nil
}

// partnerIDs lists every partner that may have deliveries: those with a
// token, with an event emitted from Go, or with a subscription (events
// posted to /events come from partners with a token).
func (s *Server) partnerIDs() ([]string, error) {
	subs, err := s.Store.LoadSubscriptions(context.Background())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sub := range subs {
		s.partners[sub.PartnerID] = true
	}
	return slices.Sorted(maps.Keys(s.partners)), nil
}

// NewReceiver starts a receiver on the server's clock, so that signatures
// made at the server's time verify however far the test moves the clock,
// and registers its Close with tb.Cleanup.
func (s *Server) NewReceiver(tb testing.TB, secrets ...string) *Receiver {
	tb.Helper()
	r := NewReceiver(tb, secrets...)
	r.SetClock(s.Clock.Now)
	return r
}

// Do sends a request to the REST API with the default partner's token and
// returns the status and body. path is relative to URL; body may be "".
func (s *Server) Do(tb testing.TB, method, path, body string) (int, []byte) {
	tb.Helper()
	status, b, err := s.do(s.Token, method, path, body)
	if err != nil {
		tb.Fatalf("webhooktest: %s %s: %v", method, path, err)
	}
	return status, b
}

func (s *Server) do(token, method, path, body string) (int, []byte, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := s.srv.Client().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	return resp.StatusCode, b, nil
}
