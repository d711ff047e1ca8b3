package monitehooks

import (
	"context"
	"net/http"
	"time"
)

// DefaultBreakerThreshold is how many attempts to a subscription must fail
// in a row, without an answer or with a 5xx, before the emitter holds the
// subscription's deliveries (see [EmitterConfig.BreakerThreshold]).
const DefaultBreakerThreshold = 5

// breaker is one subscription's circuit breaker: it counts the attempts
// that failed in a row, in the order they finished, and once they reach
// the threshold it is open, letting through one attempt at a time, a
// probe, no earlier than probeAt. Breakers are guarded by Emitter.mu; a
// subscription has one only while its last attempt failed.
//
// The claimer's Allow refuses the subscription of an open breaker until
// probeAt. When the store is a Holder, the emitter also holds the
// subscription's deliveries in the store until then, so that claims need
// not ask about every held subscription, one by one, each time.
//
// Attempts to subscriptions that have a breaker, open or not, share a
// budget of workers (Emitter.failingCap), so that failing endpoints, slow
// to time out or many, leave the other workers to the healthy ones, and a
// lane (see lane.go), so that those that fail at once leave them the CPU.
// Each attempt admitted under them gives its places back as it ends,
// whatever became of the breaker meanwhile.
type breaker struct {
	failures int
	open     bool
	probeAt  time.Time     // while open: when the next probe may start, on the Now clock
	pause    time.Duration // the last wait between a failure and the next probe
	// slow reports that the last failed attempt took longer than
	// laneHold: the endpoint makes its attempts wait on the network (a
	// timeout, a distant refusal), not on the CPU, and they take no
	// place in the lane.
	slow bool
}

// breakerVerdict is what an attempt's outcome tells the breaker.
type breakerVerdict uint8

const (
	verdictNone   breakerVerdict = iota // says nothing of the endpoint: the emitter closed during the attempt
	verdictFailed                       // no answer, or a 5xx
	verdictAlive                        // any other answer: the endpoint is up
	verdictForget                       // the subscription is gone or disabled
)

// breakerVerdictOf classifies an attempt's outcome for the breaker.
func breakerVerdictOf(a *Attempt) breakerVerdict {
	switch {
	case a.ErrorClass == ErrorCanceled:
		return verdictNone
	case a.ErrorClass == ErrorSubscriptionGone, a.StatusCode == http.StatusGone:
		return verdictForget
	case a.ErrorClass == "":
		return verdictAlive
	case a.ErrorClass == ErrorStatus && a.StatusCode < 500:
		return verdictAlive // 1xx, 3xx, 4xx (429 too): it answered
	default:
		return verdictFailed // 5xx, timeout, connection, DNS, TLS, blocked, invalid URL
	}
}

// breakerChange is a change of a breaker's state, to log and report once
// Emitter.mu is released.
type breakerChange uint8

const (
	breakerSame breakerChange = iota
	breakerOpened
	breakerClosed
)

// observeBreaker feeds an attempt's outcome to the subscription's breaker,
// and logs and reports the change it makes. next is when the delivery is
// due again, zero when it is finished. It is called once the outcome is
// recorded, and before the attempt's place under the subscription's cap
// is given back, so that no probe starts on a stale probeAt.
func (e *Emitter) observeBreaker(c Claim, a *Attempt, next time.Time) {
	if e.breakerThreshold <= 0 {
		return
	}
	verdict := breakerVerdictOf(a)
	if verdict == verdictNone {
		return
	}
	if verdict != verdictFailed && !e.hasBreaker(c.SubscriptionID) {
		return // the common case: a healthy subscription answered
	}
	if e.holder != nil {
		// The holds reach the store in the order the breaker changes.
		e.holdMu.Lock()
	}
	answered := e.now()
	e.mu.Lock()
	change, b := e.breakerOutcomeLocked(c.SubscriptionID, verdict, next, answered, a.Duration)
	var (
		failures int
		open     bool
		probeAt  time.Time
	)
	if b != nil {
		failures, open, probeAt = b.failures, b.open, b.probeAt
	}
	e.mu.Unlock()
	if e.holder != nil {
		if change != breakerSame || open {
			// Held until the next probe; once closed, probeAt is zero and
			// lifts the hold.
			if err := e.holder.HoldSubscription(e.keepCtx, c.SubscriptionID, probeAt); err != nil {
				e.log.Error("monitehooks: holding a subscription's deliveries", "subscription_id", c.SubscriptionID, "err", err)
			}
		}
		e.holdMu.Unlock()
	}

	switch change {
	case breakerOpened:
		e.log.Warn("monitehooks: endpoint failing; holding the subscription's deliveries",
			"subscription_id", c.SubscriptionID, "partner_id", c.PartnerID,
			"failures", failures, "next_probe_at", probeAt)
		if e.obs.BreakerOpened != nil {
			e.obs.BreakerOpened(c.PartnerID, c.SubscriptionID)
		}
	case breakerClosed:
		msg := "monitehooks: endpoint answered; releasing the subscription's deliveries"
		if verdict == verdictForget {
			msg = "monitehooks: subscription unavailable; releasing its deliveries"
		}
		e.log.Info(msg, "subscription_id", c.SubscriptionID, "partner_id", c.PartnerID)
		if e.obs.BreakerClosed != nil {
			e.obs.BreakerClosed(c.PartnerID, c.SubscriptionID)
		}
	}
	if change != breakerSame || open {
		// The dispatcher may sleep past the next probe, or past the
		// deliveries released.
		e.wakeBy(probeAt)
	}
}

// hasBreaker reports whether the subscription has a breaker.
func (e *Emitter) hasBreaker(sub string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.breakers[sub] != nil
}

// breakerOutcomeLocked applies a verdict to the subscription's breaker,
// of an attempt that took took, and returns the change and the breaker,
// nil once it is gone. e.mu must be held.
func (e *Emitter) breakerOutcomeLocked(sub string, verdict breakerVerdict, next, answered time.Time, took time.Duration) (breakerChange, *breaker) {
	b := e.breakers[sub]
	if verdict != verdictFailed {
		if b == nil {
			return breakerSame, nil
		}
		delete(e.breakers, sub) // its attempts in flight give their places back as they end
		if b.open {
			return breakerClosed, nil
		}
		return breakerSame, nil
	}
	if b == nil {
		b = &breaker{}
		e.breakers[sub] = b
	}
	b.failures++
	b.slow = took > e.lane.slow
	if !b.open && b.failures < e.breakerThreshold {
		return breakerSame, b
	}
	// The next probe waits for the failed delivery's retry. When that
	// delivery failed for good, it waits as long as the last probe did.
	if next.IsZero() {
		next = answered.Add(b.pause)
	} else {
		b.pause = max(next.Sub(answered), 0)
	}
	if b.open {
		// Attempts that started before the breaker opened may finish in
		// any order: the latest retry decides.
		b.probeAt = maxTime(b.probeAt, next)
		return breakerSame, b
	}
	b.open, b.probeAt = true, next
	return breakerOpened, b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// admitFailingLocked reports whether an attempt to r's subscription may
// start now as far as its breaker is concerned, inflight attempts running
// to it. If the subscription has a breaker, it takes for the attempt a
// place in the failing budget and, unless its last failure was slow, one
// in the lane, and marks r failing. It notes in c.soonest when an open
// breaker will let a probe through. e.mu must be held.
func (c *claimer) admitFailingLocked(r *reservation, inflight int) bool {
	e := c.e
	b := e.breakers[r.sub]
	if b == nil {
		return true
	}
	if b.open {
		if inflight > 0 {
			return false // one probe at a time; its end wakes a worker
		}
		if c.now.Before(b.probeAt) {
			if c.soonest.IsZero() || b.probeAt.Before(c.soonest) {
				c.soonest = b.probeAt
			}
			return false
		}
	}
	if e.failing >= e.failingCap {
		return false // a failing attempt's end wakes a worker
	}
	if !b.slow {
		t, ok, freeAt := e.lane.take(c.real)
		if !ok {
			// A place frees up when an attempt in the lane ends, and its
			// worker claims again; the lane's watch sees to one that
			// turns slow.
			e.lane.waitLocked(freeAt.Sub(c.real))
			return false
		}
		r.ticket = t
	}
	e.failing++
	r.failing = true
	return true
}

// probeTick is the grid on which the dispatcher wakes for probes: the
// breakers' probes, each due at its own time, start in batches, so that
// a thousand held subscriptions do not wake it a thousand times a second.
const probeTick = 10 * time.Millisecond

// probeWake returns when the dispatcher wakes for a probe due at t.
func probeWake(t time.Time) time.Time {
	if r := t.Truncate(probeTick); !r.Equal(t) {
		return r.Add(probeTick)
	}
	return t
}

// failingCap returns how many of the workers attempts to failing
// subscriptions may hold at once: half, and at least one.
func failingCap(workers int) int { return max(1, workers/2) }

// releaseHolds lifts the holds the emitter's open breakers keep in the
// store, once the workers have stopped: the holds belong to the breakers,
// which end with the emitter, and another emitter over the store starts
// with its breakers closed. A process that crashes leaves its holds to
// expire at their probe times.
func (e *Emitter) releaseHolds() {
	if e.holder == nil {
		return
	}
	e.holdMu.Lock()
	defer e.holdMu.Unlock()
	e.mu.Lock()
	var held []string
	for sub, b := range e.breakers {
		if b.open {
			held = append(held, sub)
			b.open = false
		}
	}
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, sub := range held {
		if err := e.holder.HoldSubscription(ctx, sub, time.Time{}); err != nil {
			e.log.Warn("monitehooks: releasing a subscription's deliveries", "subscription_id", sub, "err", err)
		}
	}
}
