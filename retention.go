package monitehooks

import (
	"runtime"
	"time"
)

// Retention defaults.
const (
	// DefaultRetention is how long the delivery log is kept: three months,
	// as Monite keeps it.
	DefaultRetention = 90 * 24 * time.Hour
	// retentionBatch is the Limit the emitter gives Store.DeleteExpired:
	// the most deliveries, and events, one call deletes.
	retentionBatch = 1000
)

// pruneInterval returns how often, on the Now clock, the emitter deletes
// what the retention lets go of: every quarter of the retention, but at
// least once a minute and at most ten times a second. So a record goes
// within retention + min(retention/4, 1 min) of when it finished (or
// retention + 100 ms for a retention under 400 ms).
func pruneInterval(retention time.Duration) time.Duration {
	return min(max(retention/4, 100*time.Millisecond), time.Minute)
}

// prune deletes what the retention lets go of, at once and then every
// pruneInterval on the Now clock, until the emitter stops. It reads the
// clock at least every PollInterval, so a test that moves Now by hand sees
// a sweep within a PollInterval of real time.
func (e *Emitter) prune() {
	defer e.pruneWG.Done()
	defer e.goroutines.Add(-1) // before Done: Wait then sees it
	interval := pruneInterval(e.retention)
	timer := time.NewTimer(0)
	defer timer.Stop()
	var next time.Time // the next sweep, on the Now clock; zero at start
	for {
		select {
		case <-e.stopCh:
			return
		case <-timer.C:
		}
		now := e.now()
		if now.Before(next) {
			timer.Reset(min(next.Sub(now), e.poll))
			continue
		}
		e.sweep(now)
		next = now.Add(interval)
		timer.Reset(min(interval, e.poll))
	}
}

// sweep deletes, in batches of retentionBatch, what finished before now
// minus the retention, until a batch comes back short of the limit. It
// yields between batches, and stops early when the emitter stops. Several
// emitters sharing a store may sweep at once: DeleteExpired deletes each
// record once.
func (e *Emitter) sweep(now time.Time) {
	before := now.Add(-e.retention)
	var deleted DeleteExpiredResult
	for !e.stopping() {
		res, err := e.store.DeleteExpired(e.baseCtx, DeleteExpiredParams{Before: before, Limit: retentionBatch})
		deleted.Deliveries += res.Deliveries
		deleted.Events += res.Events
		if err != nil {
			if e.baseCtx.Err() == nil {
				e.log.Error("monitehooks: deleting what the retention lets go of", "err", err)
			}
			break
		}
		if res.Deliveries < retentionBatch && res.Events < retentionBatch {
			break
		}
		runtime.Gosched() // the store's writers first
	}
	if deleted != (DeleteExpiredResult{}) {
		e.log.Debug("monitehooks: retention deleted old deliveries and events",
			"deliveries", deleted.Deliveries, "events", deleted.Events, "before", before)
	}
	if f := e.pruned.Load(); f != nil {
		(*f)(now, deleted)
	}
}
