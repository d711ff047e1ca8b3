package monitehooks

import (
	"context"
	"net/netip"
	"syscall"
	"time"
)

// EmitterGoroutines returns how many goroutines of e are running.
func EmitterGoroutines(e *Emitter) int64 { return e.goroutines.Load() }

// OnPrune sets f to be told of each sweep of e's retention: the time on
// e's clock it swept at, and what it deleted.
func OnPrune(e *Emitter, f func(now time.Time, deleted DeleteExpiredResult)) {
	e.pruned.Store(&f)
}

// PruneInterval is how often an emitter with the retention sweeps.
var PruneInterval = pruneInterval

// Unexported helpers under test.
var (
	ParseRetryAfter  = parseRetryAfter
	AppendJSONString = appendJSONString
	AppendObject     = appendObject
	Excerpt          = excerpt[[]byte]
	HostAddr         = hostAddr
)

// RenderPayload renders the body of a delivery of ev to sub, as an
// attempt does.
func RenderPayload(ev *Event, sub *Subscription) []byte {
	t, _ := newTemplate(ev, sub.APIFormat, nil)
	return t.appendPayload(nil, sub)
}

// GuardControl returns the SSRF guard's dial hook.
func GuardControl(allowAll bool, allowed []netip.Prefix) func(network, address string, c syscall.RawConn) error {
	g := &guard{allowAll: allowAll, allowed: allowed}
	return g.control
}

// RecordOutcome is the registry's auto-disable bookkeeping.
func RecordOutcome(r *Registry, id string, ok bool, at time.Time, disableAfter time.Duration) (bool, error) {
	seen, found := r.lookup(id)
	if !found {
		seen = &Subscription{ID: id}
	}
	return r.recordOutcome(context.Background(), seen, ok, at, disableAfter)
}

// SuccessEntries returns how many subscriptions the registry keeps a last
// success for.
func SuccessEntries(r *Registry) int {
	r.successMu.Lock()
	defer r.successMu.Unlock()
	return len(r.lastSuccess)
}

// BreakerVerdict names what an attempt's outcome tells a circuit breaker:
// "failed", "alive", "forget" or "none".
func BreakerVerdict(a Attempt) string {
	return [...]string{verdictNone: "none", verdictFailed: "failed", verdictAlive: "alive", verdictForget: "forget"}[breakerVerdictOf(&a)]
}

// Backoff is how long the dispatcher waits after the nth failed claim in
// a row.
func Backoff(n int) time.Duration { return backoff(n) }

// SetLane gives e a lane of size places held for hold at most. Call it
// before e attempts anything.
func SetLane(e *Emitter, size int, hold time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lane.watch.Stop()
	e.lane = newLane(size, hold, &e.mu, e.Wake)
}

// SetLaneSlow sets how long a failure must take for its subscription's
// attempts to take no place in the lane.
func SetLaneSlow(e *Emitter, slow time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.lane.slow = slow
}

// FailingAttempts returns how many attempts to failing subscriptions e
// has admitted and not yet ended.
func FailingAttempts(e *Emitter) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.failing
}
