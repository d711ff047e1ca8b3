package monitehooks

import (
	"sync"
	"time"
)

// A lane bounds how many attempts to failing subscriptions, those with a
// circuit breaker (see breaker.go), that fail at once may run at a time.
// Such an attempt, to an endpoint that refuses connections or answers
// 5xx straight away, is CPU work from start to end: rendering, signing,
// dialing, writing, recording. An attempt to a subscription whose last
// failure took longer than laneHold waits on the network, which costs no
// CPU, and takes no place in the lane, only in the failing budget
// (Emitter.failingCap). An attempt that takes a place keeps it until it
// ends, or for laneHold at most, should it turn out slow.
//
// The failing budget leaves workers to the endpoints that answer; the
// lane leaves them the CPU. A storm of deliveries to endpoints that fail
// at once is CPU work, tens of microseconds an attempt, which the Go
// scheduler runs first come, first served: with half the workers cycling
// through it, every step of a healthy delivery (the dispatcher, the
// worker, the receiver's read) waits in the run queue behind dozens of
// them; with the lane, behind a few.
//
// The claimer's Allow admits an attempt to a subscription that failed at
// once only when the lane has a place, as it admits it only within the
// budget; a subscription refused for want of one keeps its turn, and the
// worker of the attempt that gives the place back claims it. Should that
// attempt turn slow, nobody would claim when its hold ends: the lane's
// watch, armed when a claim is refused, wakes the dispatcher then. The
// lane is guarded by Emitter.mu, and measured on the monotonic clock, not
// on Now: it is about the CPU, not about when deliveries are due.
type lane struct {
	places  []lanePlace
	hold    time.Duration // laneHold, but in tests
	watch   *time.Timer   // calls check
	watched bool          // watch is armed
	waiting bool          // a claim was refused a place since watch last fired
	wake    func()        // wakes the dispatcher
	mu      *sync.Mutex   // Emitter.mu, for check
	// slow is how long a failure must take for its subscription's
	// attempts to take no place: laneHold, but in tests that must not
	// see a failure turn slow when load stretches it.
	slow time.Duration
}

// lanePlace is one place in the lane.
type lanePlace struct {
	since time.Time // when its attempt took it; zero when free
	gen   uint64    // counts the attempts that took it; never wraps
}

// laneTicket names the place an admitted attempt took. It stops naming
// it once another attempt has taken the place, after the hold. The zero
// ticket, of an attempt that took no place, names none: a place's gen is
// at least 1 once taken.
type laneTicket struct {
	place int
	gen   uint64
}

// laneHold tells attempts that fail at once from those that wait on the
// network: longer than a refused connection takes on a loaded machine (8
// ms at the 99th percentile in BenchmarkFairness's storm on two busy
// CPUs, 40 us at the median), shorter than a round trip to most
// endpoints. It is also the longest an attempt keeps its place in the
// lane, should one of a subscription that failed at once turn slow.
const laneHold = 10 * time.Millisecond

// laneSize returns how many attempts may be in the lane at once: one per
// two of the CPUs the Go scheduler runs goroutines on (procs), so that
// failing endpoints have at most half of them as they have at most half of
// the workers, and at least one; within the failing budget.
func laneSize(procs, failingCap int) int { return max(1, min(procs/2, failingCap)) }

// newLane returns a lane of size places held for hold at most, guarded
// by mu; wake wakes the dispatcher.
func newLane(size int, hold time.Duration, mu *sync.Mutex, wake func()) *lane {
	l := &lane{places: make([]lanePlace, size), hold: hold, slow: laneHold, wake: wake, mu: mu}
	l.watch = time.AfterFunc(time.Hour, l.check)
	l.watch.Stop()
	return l
}

// waitLocked notes that a claim was refused a place, and arms the watch,
// unless it is armed, to fire in d, when the first place's hold ends.
// l.mu must be held.
func (l *lane) waitLocked(d time.Duration) {
	l.waiting = true
	if !l.watched {
		l.watched = true
		l.watch.Reset(d)
	}
}

// check wakes the dispatcher if a place has been held for the hold by an
// attempt still running: the claim of the place it frees up is nobody
// else's. Otherwise, while a claim waits for a place held by attempts
// younger than that, it watches the first of them.
func (l *lane) check() {
	l.mu.Lock()
	now := time.Now()
	overdue, busy := false, time.Time{}
	for _, p := range l.places {
		switch {
		case p.since.IsZero():
		case now.Sub(p.since) >= l.hold:
			overdue = true
		case busy.IsZero() || p.since.Before(busy):
			busy = p.since
		}
	}
	waiting := l.waiting
	l.watched, l.waiting = false, false
	if !overdue && waiting && !busy.IsZero() {
		l.waitLocked(busy.Add(l.hold).Sub(now))
	}
	l.mu.Unlock()
	if overdue {
		l.wake()
	}
}

// stop disarms the watch for good.
func (l *lane) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.watch.Stop()
	l.watched = true // arms it no more
}

// take takes a place for an attempt starting at now and returns its
// ticket, or, when every place is held by an attempt younger than the
// hold, reports false and when the first of them will be.
func (l *lane) take(now time.Time) (t laneTicket, ok bool, freeAt time.Time) {
	for i := range l.places {
		p := &l.places[i]
		if p.since.IsZero() || now.Sub(p.since) >= l.hold {
			p.since = now
			p.gen++
			return laneTicket{place: i, gen: p.gen}, true, time.Time{}
		}
		if at := p.since.Add(l.hold); freeAt.IsZero() || at.Before(freeAt) {
			freeAt = at
		}
	}
	return laneTicket{}, false, freeAt
}

// give gives back the place of a ticket, unless another attempt has taken
// it since. The zero ticket gives back nothing: it matches no place taken.
func (l *lane) give(t laneTicket) {
	if p := &l.places[t.place]; p.gen == t.gen {
		p.since = time.Time{}
	}
}
