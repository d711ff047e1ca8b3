package monitehooks

// The delivery machinery behind an Emitter: one dispatcher goroutine claims
// due deliveries for idle workers, and each worker, after an attempt,
// claims its own next delivery while there is work, under the
// per-subscription cap.

import (
	"math"
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
		// One reading of the clock: the wake planned for next is next
		// itself, which workers that find the same next due compare with.
		now := e.now()
		if err == nil && !next.IsZero() {
			wait = min(max(next.Sub(now), 0), e.poll)
		}
		if saturated {
			e.plannedWake.Store(math.MaxInt64)
		} else {
			e.plannedWake.Store(now.Add(wait).UnixNano())
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
		jobs, next, err := cl.claim(idle)
		if err != nil {
			return time.Time{}, false, err
		}
		e.mu.Lock()
		e.idle -= len(jobs)
		e.mu.Unlock()
		for _, j := range jobs {
			e.jobs <- j
		}
		clear(jobs) // keep no claim alive until the next claim
		if len(jobs) < idle || next.IsZero() || next.After(e.now()) {
			return next, false, nil
		}
		// The claim was cut short by Limit: more are due.
	}
}

// claimer claims due deliveries for the dispatcher or one worker. Its
// Allow reserves a place under each delivery's subscription cap as the
// store admits it, and, for a subscription whose last attempt failed, a
// place in the failing budget and in the lane (see breaker.go and
// lane.go); places the store did not turn into claims are given back, so
// that the dispatcher and the workers, claiming at once, never run more
// than the caps allow. Allow also refuses the deliveries an open circuit
// breaker holds. It is made once per goroutine so that a claim allocates
// neither the Allow function nor the lists of reservations and jobs.
type claimer struct {
	e        *Emitter
	reserved []reservation // the places given during the claim
	jobs     []job         // the claim's answer
	allow    func(subscriptionID string) bool
	now      time.Time // the claim's Now
	soonest  time.Time // the earliest probe a breaker refused during the claim; zero for none
	real     time.Time // the claim's start on the monotonic clock, for the lane
}

// job is a claimed delivery on its way to an attempt, with the places
// its claim reserved, which the attempt's end gives back.
type job struct {
	Claim
	res reservation
}

// reservation is what the claimer's Allow reserved for a delivery: a
// place under its subscription's cap and, when the subscription's last
// attempt had failed, a place in the failing budget and its ticket for
// the lane.
type reservation struct {
	sub     string
	failing bool
	ticket  laneTicket
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
	r := reservation{sub: sub}
	if n >= e.perSub || (len(e.breakers) > 0 && !c.admitFailingLocked(&r, n)) {
		return false
	}
	e.inflight[sub] = n + 1
	c.reserved = append(c.reserved, r)
	return true
}

// claim claims up to limit due deliveries, and returns them as jobs, and
// when to look again: the store's NextDue, or earlier, when a breaker
// that held a subscription during the claim will let a probe through.
// The jobs are the claimer's until its next claim.
func (c *claimer) claim(limit int) (jobs []job, next time.Time, err error) {
	e := c.e
	clear(c.jobs)
	c.reserved, c.jobs = c.reserved[:0], c.jobs[:0]
	c.now, c.soonest = e.now(), time.Time{}
	c.real = time.Now()
	res, err := e.store.ClaimDeliveries(e.baseCtx, ClaimParams{
		Now:   c.now,
		Limit: limit,
		Lease: e.lease,
		Allow: c.allow,
	})
	next = res.NextDue
	if !c.soonest.IsZero() {
		next = earliest(next, probeWake(c.soonest))
	}
	if err != nil {
		res.Claims = nil // the dispatcher logs the failure and backs off
	}
	// Each claim takes one of the places reserved for its subscription,
	// the first: the store asks Allow in turn order, and claims in it.
	reserved := c.reserved
	for _, cl := range res.Claims {
		r := reservation{sub: cl.SubscriptionID} // a store that did not ask
		for i := range reserved {
			if reserved[i].sub == cl.SubscriptionID {
				r = reserved[i]
				if i == 0 {
					reserved = reserved[1:]
				} else {
					reserved = reserved[:i+copy(reserved[i:], reserved[i+1:])]
				}
				break
			}
		}
		c.jobs = append(c.jobs, job{Claim: cl, res: r})
	}
	if len(reserved) > 0 {
		e.mu.Lock()
		for _, r := range reserved {
			e.doneWithLocked(r)
		}
		e.mu.Unlock()
	}
	clear(c.reserved[:cap(c.reserved)]) // keep no subscription ID alive
	return c.jobs, next, err
}

// earliest returns the earlier of two times, zero meaning none.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// doneWithLocked gives back the places reserved for a delivery. e.mu must
// be held.
func (e *Emitter) doneWithLocked(r reservation) {
	if r.failing {
		e.failing--
		e.lane.give(r.ticket)
	}
	if n := e.inflight[r.sub] - 1; n > 0 {
		e.inflight[r.sub] = n
	} else {
		delete(e.inflight, r.sub)
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
	for j := range e.jobs {
		var next time.Time // when the last claim found more due; zero for never
		for {
			e.attempt(w, j.Claim)
			w.release()
			e.mu.Lock()
			e.doneWithLocked(j.res)
			e.mu.Unlock()
			if e.stopping() {
				break
			}
			jobs, due, err := w.claimer.claim(1)
			if err != nil || len(jobs) == 0 {
				next = due
				break
			}
			j = jobs[0]
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
