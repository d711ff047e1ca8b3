package monitehooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/memstore"
)

// BenchmarkFairness measures a healthy subscription, receiving 500 events
// a second, alone and then during a storm: 1,000 subscriptions whose
// endpoint refuses connections (a closed listener on 127.0.0.1), 100
// deliveries each, emitted at once just before. It reports, from one run:
//
//   - ratio: the healthy subscription's p99 latency (emit → received)
//     during the storm ÷ alone; the goal is ≤ 2;
//   - steady_ratio: the same for the events emitted after the first
//     second, once the storm's first round of attempts is over (the
//     healthy subscription's first turn comes after a thousand others'
//     first attempts);
//   - throughput_ratio: its deliveries per second during the storm ÷
//     alone; the goal is ≥ 0.9;
//   - retry_late_p99_ms: the p99 lateness of the dead endpoints' retries,
//     the attempt's start less the time it was due, or, while the
//     breaker held the subscription, the time the breaker let the probe
//     through; the goal is ≤ 1000.
//
// The retry schedule is fast (a second between attempts) so that retries
// happen during the run. One iteration takes about 35 s.
func BenchmarkFairness(b *testing.B) {
	dead := closedAddr(b)
	var alone, storm fairnessRun
	for b.Loop() {
		alone = runFairness(b, "", 10*time.Second)
		storm = runFairness(b, dead, 20*time.Second)
	}
	b.ReportMetric(storm.p99.Seconds()/alone.p99.Seconds(), "ratio")
	b.ReportMetric(storm.steadyP99.Seconds()/alone.steadyP99.Seconds(), "steady_ratio")
	b.ReportMetric(storm.perSecond/alone.perSecond, "throughput_ratio")
	b.ReportMetric(float64(storm.retryLateP99)/float64(time.Millisecond), "retry_late_p99_ms")
	b.ReportMetric(float64(alone.p99)/float64(time.Millisecond), "alone_p99_ms")
	b.ReportMetric(float64(storm.p99)/float64(time.Millisecond), "storm_p99_ms")
	b.ReportMetric(float64(storm.deadAttempts), "dead_attempts")
}

// closedAddr returns an address on 127.0.0.1 that refuses connections: a
// listener's, closed.
func closedAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// fairnessRun is what one run of runFairness measured.
type fairnessRun struct {
	p99          time.Duration // the healthy subscription's
	steadyP99    time.Duration // the same after the first second
	perSecond    float64       // healthy deliveries per second
	retryLateP99 time.Duration // the dead endpoints'
	deadAttempts int
	latencies    []time.Duration
}

const (
	fairDeadSubs   = 1000
	fairDeadEvents = 100
	fairRate       = 500 // healthy events per second
)

// runFairness emits healthy events at fairRate for d to a local receiver,
// after a storm of deliveries to fairDeadSubs subscriptions at dead when
// it is not "", and measures.
func runFairness(b testing.TB, dead string, d time.Duration) fairnessRun {
	b.Helper()
	ctx := context.Background()
	store := memstore.New()
	reg, err := monitehooks.NewRegistry(ctx, store, &monitehooks.RegistryConfig{AllowInsecureURLs: true})
	if err != nil {
		b.Fatal(err)
	}

	n := int(d.Seconds() * fairRate)
	var (
		latMu     sync.Mutex
		latencies = make([]time.Duration, 0, n)
		steady    = make([]time.Duration, 0, n) // of the events emitted after the first second
		steadyAt  time.Time                     // start + 1s, set before the first Emit
		received  atomic.Int64
		last      atomic.Int64 // unix nanoseconds of the last healthy delivery received
		all       = make(chan struct{})
	)
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		now := time.Now()
		var p struct {
			CreatedAt time.Time `json:"created_at"`
		}
		if err := json.Unmarshal(body, &p); err != nil {
			b.Error(err)
			return
		}
		latMu.Lock()
		latencies = append(latencies, now.Sub(p.CreatedAt))
		if !p.CreatedAt.Before(steadyAt) {
			steady = append(steady, now.Sub(p.CreatedAt))
		}
		latMu.Unlock()
		last.Store(now.UnixNano())
		if received.Add(1) == int64(n) {
			close(all)
		}
	}))
	defer healthy.Close()

	lateness := newLatenessLog()
	em, err := monitehooks.NewEmitter(store, reg, &monitehooks.EmitterConfig{
		AllowPrivateNetworks: true,
		RetryPolicy:          &monitehooks.Schedule{Delays: append([]time.Duration{0}, slices.Repeat([]time.Duration{time.Second}, 30)...), Jitter: monitehooks.DefaultJitter},
		Observer: &monitehooks.Observer{
			AttemptDone:   lateness.attempt,
			BreakerOpened: func(_, sub string) { lateness.breaker(sub, true) },
			BreakerClosed: func(_, sub string) { lateness.breaker(sub, false) },
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer em.Close()

	create := func(ot monitehooks.ObjectType, url string) string {
		s, err := reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: "p", ObjectType: ot, URL: url, APIFormat: monitehooks.FormatSettings})
		if err != nil {
			b.Fatal(err)
		}
		return s.ID
	}
	healthyID := create("entity", healthy.URL)
	lateness.healthy = healthyID
	if dead != "" {
		for i := range fairDeadSubs {
			create("role", fmt.Sprintf("http://%s/dead/%d", dead, i))
		}
		for range fairDeadEvents {
			if _, err := em.Emit(ctx, monitehooks.Event{PartnerID: "p", ObjectType: "role", Type: "created", ObjectID: "r"}); err != nil {
				b.Fatal(err)
			}
		}
	}

	start := time.Now()
	latMu.Lock()
	steadyAt = start.Add(time.Second)
	latMu.Unlock()
	tick := time.NewTicker(time.Second / fairRate)
	for i := range n {
		if i > 0 {
			<-tick.C
		}
		ev := monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: "e", CreatedAt: time.Now()}
		if _, err := em.Emit(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
	tick.Stop()
	select {
	case <-all:
	case <-time.After(time.Minute):
		b.Fatalf("the healthy subscription got %d of %d deliveries", received.Load(), n)
	}
	elapsed := time.Unix(0, last.Load()).Sub(start)
	em.Close()

	latMu.Lock()
	defer latMu.Unlock()
	late, attempts := lateness.p99()
	raw := slices.Clone(latencies)
	return fairnessRun{
		p99:          p99(latencies),
		steadyP99:    p99(steady),
		perSecond:    float64(n) / elapsed.Seconds(),
		retryLateP99: late,
		deadAttempts: attempts,
		latencies:    raw,
	}
}

// p99 returns the 99th percentile of ds, which it sorts.
func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[(len(ds)*99+99)/100-1]
}

// latenessLog follows the attempts to the dead endpoints and how late each
// retry started: after the time it was due, or, while the subscription's
// breaker was open, after the time the breaker let the probe through (the
// retry of the subscription's last failed attempt). It is safe for
// concurrent use.
type latenessLog struct {
	healthy string // the healthy subscription, left out

	mu       sync.Mutex           // guards the fields below
	due      map[string]time.Time // per delivery, when its next attempt is due
	open     map[string]bool      // per subscription, whether its breaker is open
	probeAt  map[string]time.Time // per subscription, the retry of its last failed attempt
	late     []time.Duration
	attempts int
}

func newLatenessLog() *latenessLog {
	return &latenessLog{due: make(map[string]time.Time), open: make(map[string]bool), probeAt: make(map[string]time.Time)}
}

func (l *latenessLog) breaker(sub string, open bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.open[sub] = open
}

func (l *latenessLog) attempt(info monitehooks.DeliveryInfo) {
	if info.SubscriptionID == l.healthy {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.attempts++
	allowed, retry := l.due[info.DeliveryID]
	if l.open[info.SubscriptionID] {
		// BreakerOpened is called before AttemptDone of the attempt that
		// opened it: that one, and the others in flight then, were not
		// probes, and are measured from their own due time.
		if at, ok := l.probeAt[info.SubscriptionID]; ok && at.After(allowed) {
			allowed, retry = at, true
		}
	}
	if retry {
		l.late = append(l.late, info.Attempt.At.Sub(allowed))
	}
	if info.Status == monitehooks.DeliveryPending {
		l.due[info.DeliveryID] = info.NextAttemptAt
		if l.open[info.SubscriptionID] {
			l.probeAt[info.SubscriptionID] = info.NextAttemptAt
		}
	}
}

// p99 returns the 99th percentile of the retries' lateness, and how many
// attempts went to the dead endpoints.
func (l *latenessLog) p99() (time.Duration, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return p99(l.late), l.attempts
}
