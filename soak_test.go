package monitehooks_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/memstore"
)

// Soak sizes: events × fan-out deliveries. MONITEHOOKS_SOAK=full runs the
// full size; otherwise the soak is the CI size, which is also the form run
// under -race.
const (
	soakFanout     = 5
	soakEventsCI   = 1_000  // 5,000 deliveries
	soakEventsFull = 20_000 // 100,000 deliveries
	soakWorkers    = 64
)

// soakSlack is the slack of the memory check: what the heap may still hold
// after the soak whatever its size. About 1 MiB is the buffers of
// connection goroutines (client and server side, 8 KiB each) that may
// still be winding down after Close, the rest the tables that the packages
// involved build on first use, and GC noise. Measured, the whole is under
// 0.3 MiB.
const soakSlack = 3 << 19 // 1.5 MiB

// TestSoak delivers events × fan-out deliveries to local receivers with
// 64 workers, a backlog of them pending at once, and checks that every
// delivery succeeds and that the heap returns near where it was once the
// backlog is drained and the emitter, store and registry are dropped. It
// logs its figures; the full size, 100,000 deliveries, runs with
//
//	MONITEHOOKS_SOAK=full go test -run TestSoak -v .
//
// It does not call t.Parallel, so that it measures the heap alone: the
// testing package runs the top-level tests in order, and one that calls
// t.Parallel stops there until every top-level test function has returned
// (T.Parallel waits on its parent's barrier, which the root test closes
// only after its loop over the tests). A sequential test therefore never
// overlaps a parallel one of the package, only the goroutines other tests
// leaked.
func TestSoak(t *testing.T) {
	events := soakEventsCI
	if os.Getenv("MONITEHOOKS_SOAK") == "full" {
		events = soakEventsFull
	}
	deliveries := events * soakFanout
	floor := heapAfterGC()
	r := soak(t, events, soakFanout)
	// Everything soak made is unreachable now: it kept no reference in
	// cleanups or globals, and its goroutines have ended.
	final := min(heapAfterGC(), heapAfterGC(), heapAfterGC()) // a leak stays; noise goes

	t.Logf("soak: %d deliveries (%d events × %d subscriptions), race detector %v, GOMAXPROCS %d",
		deliveries, events, soakFanout, raceEnabled(), runtime.GOMAXPROCS(0))
	t.Logf("soak: emitting took %v; draining the backlog, once the receivers answered, %v (%.0f deliveries/s)",
		r.emitTime.Round(time.Millisecond), r.drainTime.Round(time.Millisecond), float64(deliveries)/r.drainTime.Seconds())
	t.Logf("soak: heap before setup %s; baseline (set up, every worker busy) %s; peak (backlog pending) %s, %.0f B per delivery; drained (store alive, emitter stopped) %s; final (everything dropped) %s",
		mib(floor), mib(r.baseline), mib(r.peak), float64(int64(r.peak)-int64(r.baseline))/float64(deliveries), mib(r.drained), mib(final))

	if want := (monitehooks.DeliveryCounts{Succeeded: deliveries}); r.counts != want {
		t.Errorf("counts = %+v; want %+v", r.counts, want)
	}
	// The check compares the final heap with the heap before the soak
	// built anything (the floor), not with the baseline: the baseline
	// holds the workers' read buffers (64 × 64 KiB) and the connections of
	// the 64 attempts in flight, about 6 MiB that stopping the emitter
	// frees, so baseline + 8 MiB would miss the drained CI-size store
	// (about 2 MiB) leaking whole, and even the emitter with it. The bound
	// is the floor, the slack and 5% of the floor, for what grows with the
	// test process rather than with the soak; it is below baseline + 8 MiB
	// + 5%, so it is the stricter check. The store leaking whole fails it
	// at both sizes; at the full size (about 40 MiB), so does a leak of a
	// twentieth of it.
	if bound := floor + soakSlack + floor/20; final > bound {
		t.Errorf("heap after draining and dropping everything = %s; want at most %s (%s before setup + %s + 5%%)",
			mib(final), mib(bound), mib(floor), mib(soakSlack))
	}
}

// soakResult is what soak measured: heap sizes after garbage collection
// and durations.
type soakResult struct {
	baseline, peak, drained uint64
	emitTime, drainTime     time.Duration
	counts                  monitehooks.DeliveryCounts
}

// soak builds a store, registry, emitter and receivers and emits events
// × fanout deliveries while the receivers hold their answers, so that all
// but the attempts in flight wait in the store. It measures the heap once
// every worker holds an attempt (the baseline) and after emitting (the
// peak), then lets the receivers answer, waits for every delivery, stops
// the emitter and measures once more. Everything it builds is stopped by
// its defers, and none of it is referenced once it returns.
func soak(t *testing.T, events, fanout int) soakResult {
	ctx := context.Background()
	var res soakResult
	release := make(chan struct{})
	releaseOnce := sync.OnceFunc(func() { close(release) })
	defer releaseOnce()
	busy := make(chan struct{}) // closed when every worker holds an attempt
	var arrivals atomic.Int64
	store := memstore.New()
	reg, err := monitehooks.NewRegistry(ctx, store, &monitehooks.RegistryConfig{AllowInsecureURLs: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range fanout {
		srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			if arrivals.Add(1) == soakWorkers {
				close(busy)
			}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}))
		defer srv.Close()
		if _, err := reg.Create(ctx, monitehooks.SubscriptionParams{
			PartnerID: "soak", ObjectType: "entity", URL: fmt.Sprintf("%s/%d", srv.URL, i),
		}); err != nil {
			t.Fatal(err)
		}
	}
	done := newCounter()
	done.expect(int64(events * fanout))
	// The default cap per subscription, 16, lets 5 subscriptions take every
	// worker.
	em, err := monitehooks.NewEmitter(store, reg, &monitehooks.EmitterConfig{
		Workers:              soakWorkers,
		AllowPrivateNetworks: true,
		Observer:             &monitehooks.Observer{DeliveryDone: done.done},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close() // the first defer to run: ends the attempts held on failure

	emit := func(from, to int) {
		for i := from; i < to; i++ {
			_, err := em.Emit(ctx, monitehooks.Event{
				PartnerID: "soak", ObjectType: "entity", Type: "created",
				ObjectID: fmt.Sprintf("obj-%d", i), Object: snapshot250,
			})
			if err != nil {
				t.Fatalf("Emit %d: %v", i, err)
			}
		}
	}
	// The first events occupy every worker, so that the baseline holds
	// each worker's buffers (a worker makes them when it starts).
	warm := (soakWorkers + fanout - 1) / fanout
	emit(0, warm)
	wait(t, busy, "every worker to hold an attempt")
	res.baseline = heapAfterGC()

	start := time.Now()
	emit(warm, events)
	res.emitTime = time.Since(start)
	res.peak = heapAfterGC()

	start = time.Now()
	releaseOnce()
	done.wait(t)
	res.drainTime = time.Since(start)

	if res.counts, err = store.CountDeliveries(ctx); err != nil {
		t.Fatal(err)
	}
	if err := em.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown() = %v; want nil", err)
	}
	assertNoGoroutines(t, em)
	res.drained = heapAfterGC()
	return res
}

// heapAfterGC returns the bytes of live heap objects after two
// collections (the second empties the sync.Pool victim caches the first
// kept).
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// mib formats a byte count in MiB.
func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// raceEnabled reports whether the test binary was built with -race, as
// its build information records.
func raceEnabled() bool {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-race" {
				return s.Value == "true"
			}
		}
	}
	return false
}
