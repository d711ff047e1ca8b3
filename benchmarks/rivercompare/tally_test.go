package rivercompare

import (
	"sync/atomic"
	"testing"
	"time"
)

// tally counts events, and lets one goroutine wait for a total.
type tally struct {
	n       *atomic.Int64
	target  *atomic.Int64
	reached chan struct{} // capacity 1: a hint that n may have reached target
}

func newTally() tally {
	t := tally{n: new(atomic.Int64), target: new(atomic.Int64), reached: make(chan struct{}, 1)}
	t.target.Store(-1)
	return t
}

// add counts one.
func (t tally) add() {
	if t.n.Add(1) == t.target.Load() {
		select {
		case t.reached <- struct{}{}:
		default:
		}
	}
}

// wait blocks until the count reaches total, failing tb after timeout.
func (t tally) wait(tb testing.TB, what string, total int64, timeout time.Duration) {
	tb.Helper()
	t.target.Store(total)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for t.n.Load() < total {
		select {
		case <-t.reached:
		case <-timer.C:
			tb.Fatalf("%s: %d after %v; want %d", what, t.n.Load(), timeout, total)
		}
	}
}
