package monitehooks

import (
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
type breaker struct {
	failures int
	open     bool
	probeAt  time.Time     // while open: when the next probe may start, on the Now clock
	pause    time.Duration // the last wait between a failure and the next probe
}

// breakerVerdict is what an attempt's outcome tells the breaker.
type breakerVerdict uint8

const (
	verdictNone   breakerVerdict = iota // says nothing of the endpoint: our own close, a missing subscription
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
	answered := e.now()
	e.mu.Lock()
	change, b := e.breakerOutcomeLocked(c.SubscriptionID, verdict, next, answered)
	var (
		failures int
		open     bool
		probeAt  time.Time
	)
	if b != nil {
		failures, open, probeAt = b.failures, b.open, b.probeAt
	}
	e.mu.Unlock()

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

// breakerOutcomeLocked applies a verdict to the subscription's breaker
// and returns the change and the breaker, nil once it is gone. e.mu must
// be held.
func (e *Emitter) breakerOutcomeLocked(sub string, verdict breakerVerdict, next, answered time.Time) (breakerChange, *breaker) {
	b := e.breakers[sub]
	if verdict != verdictFailed {
		if b == nil {
			return breakerSame, nil
		}
		delete(e.breakers, sub)
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

// heldLocked reports whether the subscription's breaker keeps its next
// delivery from starting now, with inflight attempts running to it, and
// notes in c.soonest when the breaker will let a probe through. e.mu must
// be held.
func (c *claimer) heldLocked(sub string, inflight int) bool {
	b := c.e.breakers[sub]
	if b == nil || !b.open {
		return false
	}
	if inflight > 0 {
		return true // one probe at a time; its end wakes a worker
	}
	if c.now.Before(b.probeAt) {
		if c.soonest.IsZero() || b.probeAt.Before(c.soonest) {
			c.soonest = b.probeAt
		}
		return true
	}
	return false
}

// wakeBy wakes the dispatcher if it would otherwise sleep past t.
func (e *Emitter) wakeBy(t time.Time) {
	if pw := e.plannedWake.Load(); pw == 0 || t.UnixNano() < pw {
		e.Wake()
	}
}
