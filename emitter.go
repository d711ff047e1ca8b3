package monitehooks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/monitehooks/monitehooks/internal/h1"
	"github.com/monitehooks/monitehooks/internal/objcheck"
)

// Emitter turns events into deliveries and delivers them: Emit stores an
// event and one delivery per matching enabled subscription, and a bounded
// pool of workers sends each as a signed POST, retrying by the retry
// policy and recording every attempt in the store.
//
// An Emitter is safe for concurrent use. Stop it with [Emitter.Shutdown]
// or [Emitter.Close].
type Emitter struct {
	store        Store
	reg          *Registry
	now          func() time.Time
	policy       RetryPolicy
	transport    http.RoundTripper
	h1           *h1.Client                            // the default client; nil when Transport is set
	guard        *guard                                // the default client's; nil when Transport is set
	proxy        func(*http.Request) (*url.URL, error) // the default client's
	log          *slog.Logger
	obs          Observer
	workers      int
	perSub       int
	timeout      time.Duration
	maxRetry     time.Duration
	disableAfter time.Duration
	retention    time.Duration // 0 when everything is kept
	poll         time.Duration
	lease        time.Duration
	maxPending   int
	templates    *templateCache
	// breakerThreshold is BreakerThreshold, 0 when the breaker is off.
	breakerThreshold int
	// failingCap is how many attempts may run at once to subscriptions
	// whose last attempt failed (see breaker.go).
	failingCap int
	holder     Holder      // the store, when it is one
	shared     SharedStore // the store, when it is one: it matches events and holds the truth about subscriptions
	holdMu     sync.Mutex  // serializes the breakers' changes that hold or release a subscription in the store

	// Lock order. The emitter's locks and the store's are taken in this
	// order only:
	//
	//  0. holdMu, held by a worker across a breaker's change and the
	//     Holder call that follows it;
	//  1. intake, held for reading by Emit across Store.CreateEvent (and
	//     for writing by stop, which calls nothing while it holds it);
	//  2. the store's own locks or transaction, inside a Store method;
	//  3. mu, taken by the claimer's Allow, which ClaimDeliveries may call
	//     while it holds the store's locks.
	//
	// So mu is never held while calling the store or taking intake, and
	// the store calls back into the emitter only through Allow. The
	// registry's locks are never held together with intake or mu.

	// intake guards closed: Emit holds it for reading while it stores, so
	// Shutdown knows no Emit is half done once it has set closed.
	intake sync.RWMutex
	closed bool

	wakeCh chan struct{} // capacity 1: a pending wake-up for the dispatcher
	// plannedWake is when, in Now's terms and unix nanoseconds, the
	// dispatcher will look for due deliveries without being woken:
	// math.MaxInt64 while every worker is busy (a finishing worker wakes
	// it), and 0 while it is awake. Emit wakes it only for a delivery due
	// before then (or while it is awake).
	plannedWake atomic.Int64
	jobs        chan job // dispatcher → workers, unbuffered

	baseCtx context.Context // canceled by Close: ends attempts in flight
	// keepCtx is baseCtx without its cancellation, for recording what an
	// attempt ended with even as Close ends it.
	keepCtx context.Context
	cancel  context.CancelFunc

	stopOnce   sync.Once
	reportOnce sync.Once     // for reportPending
	stopCh     chan struct{} // closed to stop the dispatcher
	workersWG  sync.WaitGroup
	dispatchWG sync.WaitGroup
	pruneWG    sync.WaitGroup

	goroutines atomic.Int64 // running goroutines of the emitter, for tests
	// pruned, when set, is told of each sweep of retention, for tests.
	pruned atomic.Pointer[func(now time.Time, deleted DeleteExpiredResult)]

	mu       sync.Mutex          // guards inflight, idle, breakers, failing and lane; last in the lock order, never held across a store call
	inflight map[string]int      // attempts running per subscription
	idle     int                 // workers waiting for a job
	breakers map[string]*breaker // per subscription whose last attempt failed
	failing  int                 // attempts running under the failing budget
	lane     *lane               // the places of attempts to failing subscriptions
}

// NewEmitter starts an emitter over the registry's subscriptions and the
// store. cfg may be nil.
func NewEmitter(store Store, reg *Registry, cfg *EmitterConfig) (*Emitter, error) {
	if store == nil {
		return nil, errors.New("monitehooks: NewEmitter: store is nil")
	}
	if reg == nil {
		return nil, errors.New("monitehooks: NewEmitter: registry is nil")
	}
	if cfg == nil {
		cfg = &EmitterConfig{}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	e := &Emitter{
		store:        store,
		reg:          reg,
		now:          cfg.Now,
		policy:       cfg.RetryPolicy,
		log:          cfg.Logger,
		workers:      cfg.Workers,
		perSub:       cfg.PerSubscription,
		timeout:      cfg.AttemptTimeout,
		maxRetry:     cfg.MaxRetryAfter,
		disableAfter: cfg.DisableAfter,
		poll:         cfg.PollInterval,
		maxPending:   cfg.MaxPending,
		templates:    newTemplateCache(),
		breakers:     make(map[string]*breaker),
		wakeCh:       make(chan struct{}, 1),
		jobs:         make(chan job),
		stopCh:       make(chan struct{}),
		inflight:     make(map[string]int),
	}
	if cfg.Observer != nil {
		e.obs = *cfg.Observer
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.policy == nil {
		e.policy = DefaultRetryPolicy()
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	if e.workers == 0 {
		e.workers = DefaultWorkers
	}
	if e.perSub == 0 {
		// Below the worker count, so one endpoint cannot hold them all.
		e.perSub = min(DefaultPerSubscription, max(1, e.workers/2))
	}
	if e.timeout == 0 {
		e.timeout = DefaultAttemptTimeout
	}
	if e.maxRetry == 0 {
		e.maxRetry = DefaultMaxRetryAfter
	}
	if e.disableAfter == 0 {
		e.disableAfter = DefaultDisableAfter
	}
	switch e.retention = cfg.Retention; {
	case e.retention == 0:
		e.retention = DefaultRetention
	case e.retention < 0:
		e.retention = 0
	}
	if e.poll == 0 {
		e.poll = DefaultPollInterval
	}
	switch e.breakerThreshold = cfg.BreakerThreshold; {
	case e.breakerThreshold == 0:
		e.breakerThreshold = DefaultBreakerThreshold
	case e.breakerThreshold < 0:
		e.breakerThreshold = 0
	}
	e.failingCap = failingCap(e.workers)
	e.lane = newLane(laneSize(runtime.GOMAXPROCS(0), e.failingCap), laneHold, &e.mu, e.Wake)
	e.holder, _ = store.(Holder)
	e.shared, _ = store.(SharedStore)
	// A lease outlives any attempt, so only a crashed worker's lease ends.
	e.lease = cfg.Lease
	if e.lease == 0 {
		e.lease = 2*e.timeout + time.Minute
	}
	e.baseCtx, e.cancel = context.WithCancel(context.Background())
	e.keepCtx = context.WithoutCancel(e.baseCtx)
	e.transport = cfg.Transport
	if e.transport == nil {
		e.guard = newGuard(cfg.AllowPrivateNetworks, cfg.AllowedNetworks)
		e.proxy = cfg.Proxy
		dial := e.guard.dialer(cfg.Resolver)
		dialProxy := newDialer(cfg.Resolver).DialContext // the user's proxy: not the guard's business
		const idleTimeout = 90 * time.Second
		e.h1 = h1.NewClient(&h1.Config{
			Dial: dial, TLSConfig: cfg.TLSConfig,
			Proxy: cfg.Proxy, DialProxy: dialProxy, CheckProxied: e.guard.checkHost,
			MaxIdle: 4 * e.workers, MaxIdlePerHost: e.perSub, IdleTimeout: idleTimeout,
		})
		context.AfterFunc(e.baseCtx, e.h1.Close) // Close ends the attempts in flight
		// For the URLs and proxies the h1 client does not take.
		e.transport = &http.Transport{
			Proxy:                  cfg.Proxy,
			DialContext:            fallbackDialer(dial, dialProxy),
			OnProxyConnectResponse: proxyConnectResponse,
			TLSClientConfig:        cfg.TLSConfig.Clone(), // nil stays nil: the defaults
			ForceAttemptHTTP2:      true,
			MaxIdleConns:           4 * e.workers,
			MaxIdleConnsPerHost:    e.perSub,
			IdleConnTimeout:        idleTimeout,
			TLSHandshakeTimeout:    10 * time.Second,
			ExpectContinueTimeout:  time.Second,
		}
	}
	e.idle = e.workers
	e.workersWG.Add(e.workers)
	e.goroutines.Add(int64(e.workers) + 1)
	for range e.workers {
		go e.work()
	}
	e.dispatchWG.Add(1)
	go e.dispatch()
	if e.retention > 0 {
		e.pruneWG.Add(1)
		e.goroutines.Add(1)
		go e.prune()
	}
	return e, nil
}

// Emit validates ev against the catalog, stores it with one pending
// delivery per matching enabled subscription, wakes the workers and
// returns the stored event, with its ID. It does not touch the network.
// After Shutdown or Close it returns ErrEmitterClosed. When the event's
// deliveries would take the backlog past [EmitterConfig.MaxPending] it
// stores nothing and returns an error wrapping ErrBacklogFull: the caller
// may retry later, or shed the event.
//
// With a [SharedStore] the store matches the event against the
// subscriptions as it holds them, so that every subscription change
// acknowledged before Emit, by any process sharing the store, is matched;
// otherwise the Registry's index does.
func (e *Emitter) Emit(ctx context.Context, ev Event) (Event, error) {
	p, err := e.prepare(&ev)
	if err != nil {
		return Event{}, err
	}
	e.intake.RLock()
	defer e.intake.RUnlock()
	if e.closed {
		return Event{}, ErrEmitterClosed
	}
	var stored Event
	if e.shared != nil {
		stored, err = e.shared.CreateMatchedEvent(ctx, p)
	} else {
		stored, err = e.store.CreateEvent(ctx, p)
	}
	if err != nil {
		return Event{}, fmt.Errorf("monitehooks: storing event: %w", err)
	}
	ev.ID = stored.ID
	if e.shared != nil || len(p.SubscriptionIDs) > 0 {
		e.wakeBy(p.Due)
	}
	return ev, nil
}

// EmitTx is Emit made through tx, a transaction of the application's own
// on the store's database: the event and its deliveries commit or roll
// back with tx, with the application's own changes. An event emitted for a
// change that rolled back is never delivered, and one emitted for a change
// that committed is delivered at least once, even if the process dies
// right after the commit: any emitter on the database delivers it.
//
// It validates ev as Emit does, and matches it as the store does for
// Emit: every subscription change acknowledged before tx commits is
// matched (a change made while tx is open may wait for it to end). The
// store must be a [TxStore], such as package sqlstore's; with another
// store, or a transaction on another database, EmitTx returns an error
// wrapping ErrTxNotSupported. [EmitterConfig.MaxPending] is honoured as
// Emit honours it, except that transactions open at once may pass it
// together.
//
// Workers learn of the commit by themselves when the store tells them
// (see [Notifier]; sqlstore on PostgreSQL with notifications on), and
// otherwise within [EmitterConfig.PollInterval]; call [Emitter.Wake]
// after the commit to have this process's workers look at once.
func (e *Emitter) EmitTx(ctx context.Context, tx *sql.Tx, ev Event) (Event, error) {
	if tx == nil {
		return Event{}, errors.New("monitehooks: EmitTx: tx is nil")
	}
	ts, ok := e.store.(TxStore)
	if !ok {
		return Event{}, fmt.Errorf("%w: %T is not a TxStore", ErrTxNotSupported, e.store)
	}
	p, err := e.prepare(&ev)
	if err != nil {
		return Event{}, err
	}
	e.intake.RLock()
	defer e.intake.RUnlock()
	if e.closed {
		return Event{}, ErrEmitterClosed
	}
	stored, err := ts.CreateEventTx(ctx, tx, p)
	if err != nil {
		return Event{}, fmt.Errorf("monitehooks: storing event: %w", err)
	}
	ev.ID = stored.ID
	return ev, nil
}

// prepare validates an event to emit, completes it, and returns the
// parameters to store it with: the matching subscriptions from the
// Registry, unless the store matches.
func (e *Emitter) prepare(ev *Event) (CreateEventParams, error) {
	if err := e.validateEvent(ev); err != nil {
		return CreateEventParams{}, err
	}
	now := e.now()
	if ev.CreatedAt.IsZero() {
		ev.CreatedAt = now
	}
	ev.ID = ""
	first, ok := e.policy.Delay(0)
	if !ok {
		// NewEmitter refuses such a policy; one that changes its mind
		// later would have the deliveries neither made nor failed.
		return CreateEventParams{}, errors.New("monitehooks: the retry policy refused the first attempt")
	}
	p := CreateEventParams{Event: *ev, Due: now.Add(first), MaxPending: e.maxPending}
	if e.shared == nil {
		p.SubscriptionIDs = e.reg.matchIDs(ev.PartnerID, ev.ObjectType, ev.Type)
	}
	return p, nil
}

// validateEvent checks an event to emit. It allocates only when the event
// is invalid.
func (e *Emitter) validateEvent(ev *Event) error {
	objectErr := ""
	if len(ev.Object) > 0 {
		objectErr = objcheck.Check(ev.Object, ev.ObjectID)
	}
	ok := ev.PartnerID != "" && ev.ObjectID != "" && e.reg.catalog.Has(ev.ObjectType, ev.Type) &&
		objectErr == "" && validTime(ev.CreatedAt)
	if ok {
		return nil
	}
	v := validator{what: "event"}
	if ev.PartnerID == "" {
		v.add("partner_id", KindMissing, "is required")
	}
	switch {
	case ev.ObjectType == "":
		v.add("object_type", KindMissing, "is required")
	case !e.reg.catalog.HasObjectType(ev.ObjectType):
		v.add("object_type", KindEnum, fmt.Sprintf("unknown object type %q", ev.ObjectType))
	case ev.Type == "":
		v.add("event_type", KindMissing, "is required")
	case !e.reg.catalog.Has(ev.ObjectType, ev.Type):
		v.add("event_type", KindEnum, fmt.Sprintf("%q is not an event type of %s", ev.Type, ev.ObjectType))
	}
	if ev.ObjectID == "" {
		v.add("object_id", KindMissing, "is required")
	}
	if objectErr != "" {
		v.add("object", KindJSON, objectErr)
	}
	if !validTime(ev.CreatedAt) {
		v.add("created_at", KindInvalid, "must be between years 1 and 9999")
	}
	return v.err()
}

// validTime reports whether t is zero or can be written as RFC 3339.
func validTime(t time.Time) bool {
	year := t.UTC().Year() // the payload writes it in UTC
	return t.IsZero() || (year >= 1 && year <= 9999)
}

// Wake makes the emitter look for due deliveries now rather than at its
// next timer. Emit calls it; tests that move an injected clock call it
// after moving the clock.
func (e *Emitter) Wake() {
	select {
	case e.wakeCh <- struct{}{}:
	default:
	}
}

// Redeliver makes one of the partner's deliveries pending again, due now,
// whatever its state, keeping its attempts, and returns it.
func (e *Emitter) Redeliver(ctx context.Context, partnerID, deliveryID string) (Delivery, error) {
	d, err := e.store.RequeueDelivery(ctx, RequeueDeliveryParams{
		PartnerID: partnerID, DeliveryID: deliveryID, Due: e.now(),
	})
	if err != nil {
		return Delivery{}, err
	}
	e.Wake()
	return d, nil
}

// RecoverFailed makes every failed delivery of the partner's subscription
// created at or after since pending again, due now, and returns how many.
func (e *Emitter) RecoverFailed(ctx context.Context, partnerID, subscriptionID string, since time.Time) (int, error) {
	if _, err := e.reg.Get(ctx, partnerID, subscriptionID); err != nil {
		return 0, err
	}
	n, err := e.store.RequeueFailed(ctx, RequeueFailedParams{
		PartnerID: partnerID, SubscriptionID: subscriptionID, Since: since, Due: e.now(),
	})
	if err != nil {
		return 0, err
	}
	if n > 0 {
		e.Wake()
	}
	return n, nil
}

// Shutdown stops the emitter gracefully: Emit answers ErrEmitterClosed at
// once, no new attempt starts, and Shutdown waits for the attempts in
// flight to finish. Deliveries still pending stay in the store for the
// next emitter; Shutdown logs how many, with a warning when the store does
// not keep them (see [Durable]). If ctx ends first, Shutdown
// cancels the attempts in flight as Close does, waits for them to stop,
// and returns ctx.Err().
func (e *Emitter) Shutdown(ctx context.Context) error {
	// Stopping waits for an Emit in the store and for the dispatcher's
	// claim, which a slow store can make long: wait for it under ctx too.
	finished := make(chan struct{})
	e.goroutines.Add(1)
	go func() {
		defer close(finished)
		defer e.goroutines.Add(-1)
		e.stop()
		e.workersWG.Wait()
	}()
	var err error
	select {
	case <-finished:
	case <-ctx.Done():
		err = ctx.Err()
		e.cancel()
		<-finished
	}
	e.cancel()
	e.closeIdleConnections()
	e.releaseHolds()
	e.reportPending()
	return err
}

// Close stops the emitter at once: attempts in flight are canceled,
// recorded as attempts of class ErrorCanceled (the request may have
// reached the endpoint), and their deliveries are due again at once for the
// next emitter. It returns when every goroutine of the emitter has ended.
// When the store does not keep its work (see [Durable]) it logs, as
// Shutdown does, how many deliveries are pending, with a warning when some
// are: they are lost. Close may be called more than once.
func (e *Emitter) Close() error {
	e.cancel()
	e.stop()
	e.workersWG.Wait()
	e.closeIdleConnections()
	e.releaseHolds()
	if !isDurable(e.store) {
		e.reportPending()
	}
	return nil
}

// closeIdleConnections closes the transport's idle connections, if it
// keeps any.
func (e *Emitter) closeIdleConnections() {
	if e.h1 != nil {
		e.h1.CloseIdle()
	}
	if t, ok := e.transport.(interface{ CloseIdleConnections() }); ok {
		t.CloseIdleConnections()
	}
}

// stop ends intake and the dispatcher, once.
func (e *Emitter) stop() {
	e.stopOnce.Do(func() {
		e.intake.Lock()
		e.closed = true
		e.intake.Unlock()
		close(e.stopCh)
		e.dispatchWG.Wait()
		e.lane.stop() // it wakes the dispatcher only
		e.pruneWG.Wait()
		close(e.jobs)
	})
}

// reportPending logs, once, the counts of deliveries the emitter leaves
// behind, and a warning when the store loses the pending ones.
func (e *Emitter) reportPending() {
	e.reportOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		counts, err := e.store.CountDeliveries(ctx)
		if err != nil {
			e.log.Warn("monitehooks: emitter stopped; counting pending deliveries failed", "err", err)
			return
		}
		e.log.Info("monitehooks: emitter stopped", "pending", counts.Pending,
			"succeeded", counts.Succeeded, "failed", counts.Failed)
		if counts.Pending > 0 && !isDurable(e.store) {
			e.log.Warn("monitehooks: emitter stopped; pending deliveries are lost with this store", "pending", counts.Pending)
		}
	})
}

// isDurable reports whether the store keeps its work across restarts: it
// says so, or does not say (see [Durable]).
func isDurable(s Store) bool {
	d, ok := s.(Durable)
	return !ok || d.Durable()
}
