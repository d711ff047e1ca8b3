package monitehooks

// The delivery machinery behind an Emitter: one dispatcher goroutine claims
// due deliveries for idle workers, and each worker, after an attempt,
// claims its own next delivery while there is work, under the
// per-subscription cap.

import (
	"math"
	"slices"
	"time"
)

// dispatch claims due deliveries for idle workers until stopped. It looks
// when woken (by Emit, a finishing worker, or the store's notifications,
// see [Notifier]), when the next delivery it knows of comes due, and at
// least every poll interval; after a claim fails, as when the database is
// unreachable, it backs off (see backoff) until a claim succeeds.
func (e *Emitter) dispatch() {
	defer e.dispatchWG.Done()
	defer e.goroutines.Add(-1) // before Done: Wait then sees it
	timer := time.NewTimer(0)
	defer timer.Stop()
	var notes <-chan struct{}
	if n, ok := e.store.(Notifier); ok {
		notes = n.Notifications()
	}
	cl := newClaimer(e)
	failures := 0 // claims failed in a row
	for {
		e.plannedWake.Store(0) // awake: every Emit wakes us again
		if e.h1 != nil {
			e.h1.PruneIdle(time.Now())
		}
		next, saturated, err := e.claim(cl)
		wait := e.poll
		switch {
		case err != nil:
			failures++
			wait = backoff(failures)
			if e.baseCtx.Err() == nil && (failures == 1 || wait == maxBackoff && failures%10 == 0) {
				e.log.Error("monitehooks: claiming deliveries failed; backing off", "failures", failures, "retry_in", wait, "err", err)
			}
		case failures > 0:
			e.log.Info("monitehooks: claiming deliveries again", "failures", failures)
			failures = 0
		}
		if err == nil && !next.IsZero() {
			wait = min(max(next.Sub(e.now()), 0), e.poll)
		}
		if saturated {
			e.plannedWake.Store(math.MaxInt64)
		} else {
			e.plannedWake.Store(e.now().Add(wait).UnixNano())
		}
		timer.Reset(wait)
		select {
		case <-e.stopCh:
			return
		case <-e.wakeCh:
		case <-notes:
		case <-timer.C:
		}
	}
}

// maxBackoff is the longest the dispatcher waits between failed claims.
const maxBackoff = 5 * time.Second

// backoff is how long the dispatcher waits after the nth failed claim in
// a row: 50 ms, doubling up to maxBackoff, so that a database that went
// away is not hammered and one that comes back is used again soon.
func backoff(n int) time.Duration {
	if n > 10 {
		return maxBackoff
	}
	return min(50*time.Millisecond<<(n-1), maxBackoff)
}

// claim hands due deliveries to idle workers and returns when to look
// again: the zero time for "when woken or at the poll interval". saturated
// reports that it stopped because every worker is busy; err that the
// store failed to claim.
func (e *Emitter) claim(cl *claimer) (next time.Time, saturated bool, err error) {
	for {
		if e.stopping() {
			return time.Time{}, false, nil
		}
		e.mu.Lock()
		idle := e.idle
		e.mu.Unlock()
		if idle == 0 {
			return time.Time{}, true, nil // a finishing worker wakes us
		}
		res, err := cl.claim(idle)
		if err != nil {
			return time.Time{}, false, err
		}
		e.mu.Lock()
		e.idle -= len(res.Claims)
		e.mu.Unlock()
		for _, c := range res.Claims {
			e.jobs <- c
		}
		if len(res.Claims) < idle || res.NextDue.IsZero() || res.NextDue.After(e.now()) {
			return res.NextDue, false, nil
		}
		// The claim was cut short by Limit: more are due.
	}
}

// claimer claims due deliveries for the dispatcher or one worker. Its
// Allow reserves a place under each delivery's subscription cap as the
// store admits it, and places the store did not turn into claims are given
// back, so that the dispatcher and the workers, claiming at once, never run
// more than the cap allows. Allow also refuses the deliveries an open
// circuit breaker holds (see breaker.go). It is made once per goroutine so
// that a claim allocates neither the Allow function nor the list of
// reservations.
type claimer struct {
	e        *Emitter
	reserved []string // subscriptions given a place during the claim
	allow    func(subscriptionID string) bool
	now      time.Time // the claim's Now
	soonest  time.Time // the earliest probe a breaker refused during the claim; zero for none
}

func newClaimer(e *Emitter) *claimer {
	c := &claimer{e: e}
	c.allow = c.reserve
	return c
}

func (c *claimer) reserve(sub string) bool {
	e := c.e
	e.mu.Lock()
	defer e.mu.Unlock()
	n := e.inflight[sub]
	if n >= e.perSub || (len(e.breakers) > 0 && !c.admitFailingLocked(sub, n)) {
		return false
	}
	e.inflight[sub] = n + 1
	c.reserved = append(c.reserved, sub)
	return true
}

// claim claims up to limit due deliveries. Its NextDue counts, besides
// the store's, when a breaker that held a subscription during the claim
// will let a probe through.
func (c *claimer) claim(limit int) (ClaimResult, error) {
	e := c.e
	c.reserved = c.reserved[:0]
	c.now, c.soonest = e.now(), time.Time{}
	res, err := e.store.ClaimDeliveries(e.baseCtx, ClaimParams{
		Now:   c.now,
		Limit: limit,
		Lease: e.lease,
		Allow: c.allow,
	})
	if !c.soonest.IsZero() {
		if at := probeWake(c.soonest); res.NextDue.IsZero() || at.Before(res.NextDue) {
			res.NextDue = at
		}
	}
	if err != nil {
		res.Claims = nil // the dispatcher logs the failure and backs off
	}
	if reserved := c.reserved; len(reserved) != len(res.Claims) {
		e.mu.Lock()
		for _, cl := range res.Claims {
			if i := slices.Index(reserved, cl.SubscriptionID); i >= 0 {
				reserved[i] = reserved[len(reserved)-1]
				reserved = reserved[:len(reserved)-1]
			}
		}
		for _, sub := range reserved {
			e.doneWithLocked(sub)
		}
		e.mu.Unlock()
	}
	clear(c.reserved[:cap(c.reserved)]) // keep no subscription ID alive
	return res, err
}

// doneWithLocked gives back a place under the subscription's cap. e.mu
// must be held.
func (e *Emitter) doneWithLocked(sub string) {
	if len(e.breakers) > 0 {
		e.failingDoneLocked(sub)
	}
	if n := e.inflight[sub] - 1; n > 0 {
		e.inflight[sub] = n
	} else {
		delete(e.inflight, sub)
	}
}

// stopping reports whether Shutdown or Close has begun.
func (e *Emitter) stopping() bool {
	select {
	case <-e.stopCh:
		return true
	default:
		return false
	}
}

// work runs attempts until the jobs channel closes. After each attempt the
// worker claims its next delivery itself, so that under load deliveries go
// from the store to a worker without a hand-off through the dispatcher;
// only when nothing is due does it go back to waiting for a job.
func (e *Emitter) work() {
	defer e.workersWG.Done()
	defer e.goroutines.Add(-1) // before Done: Wait then sees it
	w := newWorkerState(e)
	defer w.deadline.close()
	for c := range e.jobs {
		var next time.Time // when the last claim found more due; zero for never
		for {
			e.attempt(w, c)
			w.release()
			e.mu.Lock()
			e.doneWithLocked(c.SubscriptionID)
			e.mu.Unlock()
			if e.stopping() {
				break
			}
			res, err := w.claimer.claim(1)
			if err != nil || len(res.Claims) == 0 {
				next = res.NextDue
				break
			}
			c = res.Claims[0]
		}
		e.mu.Lock()
		e.idle++
		e.mu.Unlock()
		e.wakeIdle(next)
	}
}

// wakeBy wakes the dispatcher if it would otherwise sleep past t.
func (e *Emitter) wakeBy(t time.Time) {
	if pw := e.plannedWake.Load(); pw == 0 || t.UnixNano() < pw {
		e.Wake()
	}
}

// wakeIdle wakes the dispatcher, if it needs to be, for a worker that has
// just become idle after a claim that found nothing, and found more due at
// next (zero for never): when it waits for an idle worker, when it is
// awake (it may have seen none idle), or when it would sleep past next. A
// dispatcher asleep until later is left alone: it would find nothing due.
func (e *Emitter) wakeIdle(next time.Time) {
	switch pw := e.plannedWake.Load(); {
	case pw == math.MaxInt64, pw == 0:
		e.Wake()
	case !next.IsZero():
		e.wakeBy(next)
	}
}
