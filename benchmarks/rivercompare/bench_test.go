package rivercompare

import (
	"context"
	"flag"
	"runtime/pprof"
	"testing"
	"time"
)

var (
	flagEvents = flag.Int("rivercompare.events", 0,
		"events (and jobs) per batch; 0 means 1500 on PostgreSQL and 3000 on SQLite, a run of under a minute each")
	flagRounds = flag.Int("rivercompare.rounds", 3,
		"batches of each side per benchmark iteration, alternating")
	flagWorkers = flag.Int("rivercompare.workers", 64,
		"workers on each side: our emitter's default, and River's MaxWorkers")
	flagMaxIdle = flag.Int("rivercompare.maxidle", 0,
		"when positive, SetMaxIdleConns of our store's pool on PostgreSQL; 0 leaves sqlstore.Open's pool as it is (sqlstore.DefaultMaxIdleConns)")
)

// warmEvents is the size of each side's batch before the clock starts, which
// opens connections, fills caches and gives River our delivery's body.
const warmEvents = 200

// batchTimeout bounds a batch, a guard against a hang, not a measure.
const batchTimeout = 5 * time.Minute

// store is a kind of database both sides run on.
type store struct {
	name   string
	events int // per batch, by default
	// openOurs starts our side over a fresh database of the kind, and
	// openRiver River's over another, each posting to recv with workers
	// workers; River's jobs post body, a delivery's body of ours.
	openOurs  func(tb testing.TB, recv *receiver, workers int) *ours
	openRiver func(tb testing.TB, recv *receiver, secret string, body []byte, workers int) side
}

// stores returns the two kinds of database: two databases on one
// PostgreSQL server, or two SQLite files. Each is made when its
// sub-benchmark (or subtest) starts, so that PostgreSQL's absence skips
// only its own.
func stores() []store {
	return []store{{
		name:   "postgres",
		events: 1500,
		openOurs: func(tb testing.TB, recv *receiver, workers int) *ours {
			store := openStore(tb, freshPostgres(tb))
			if *flagMaxIdle > 0 {
				store.DB().SetMaxIdleConns(*flagMaxIdle)
			}
			return newOurs(tb, store, recv, oursConfig{workers: workers})
		},
		openRiver: func(tb testing.TB, recv *receiver, secret string, body []byte, workers int) side {
			return newRiverPostgres(tb, openPool(tb, freshPostgres(tb)), recv, secret, body, workers)
		},
	}, {
		name:   "sqlite",
		events: 3000,
		openOurs: func(tb testing.TB, recv *receiver, workers int) *ours {
			return newOurs(tb, openStore(tb, ourSQLiteURL(tb.TempDir())), recv, oursConfig{workers: workers})
		},
		openRiver: func(tb testing.TB, recv *receiver, secret string, body []byte, workers int) side {
			return newRiverSQLite(tb, tb.TempDir(), recv, secret, body, workers)
		},
	}}
}

// BenchmarkDeliveryVsRiver compares our emitter over sqlstore with River
// doing the same work on the same database server at the same concurrency:
// the application inserts N events one at a time (Emit, or River's Insert
// of one job) while the workers run, each delivery or job a POST of the
// same signed body to one local receiver, and the clock stops when the
// receiver has answered the N-th POST. Batches of the two sides alternate,
// each starting with the other idle (its outcomes recorded), and it
// reports deliveries/s (ours), river/s and ratio (ours ÷ River).
func BenchmarkDeliveryVsRiver(b *testing.B) {
	for _, st := range stores() {
		b.Run("store="+st.name, func(b *testing.B) {
			n := st.events
			if *flagEvents > 0 {
				n = *flagEvents
			}
			c := newComparison(b, st, *flagWorkers)
			var oursTime, riverTime time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for round := range *flagRounds {
					if round%2 == 0 {
						oursTime += c.batch(b, c.ours, n)
						riverTime += c.batch(b, c.river, n)
					} else {
						riverTime += c.batch(b, c.river, n)
						oursTime += c.batch(b, c.ours, n)
					}
				}
			}
			b.StopTimer()
			c.checkNoDuplicates(b)
			total := float64(b.N * *flagRounds * n)
			ours, river := total/oursTime.Seconds(), total/riverTime.Seconds()
			b.ReportMetric(ours, "deliveries/s")
			b.ReportMetric(river, "river/s")
			b.ReportMetric(ours/river, "ratio")
		})
	}
}

// comparison is both sides, started over one kind of database, posting
// to one receiver.
type comparison struct {
	recv     *receiver
	ours     *ours
	river    side
	sent     int64                    // requests the receiver must have answered
	recorded map[side]int64           // units of each side whose outcome was recorded
	labels   map[side]context.Context // each side's pprof labels
	ids      map[string]bool          // when not nil, batch adds each unit's Webhook-Id
}

// newComparison starts both sides and runs a batch of warmEvents on each.
func newComparison(tb testing.TB, st store, workers int) *comparison {
	tb.Helper()
	c := &comparison{recv: newReceiver(tb, false), recorded: make(map[side]int64), labels: make(map[side]context.Context)}
	// Each side starts under a pprof label, which the goroutines it starts
	// inherit, so that a CPU profile tells the sides apart:
	// go tool pprof -tagfocus side=ours.
	pprof.Do(context.Background(), pprof.Labels("side", "ours"), func(ctx context.Context) {
		c.ours = st.openOurs(tb, c.recv, workers)
		c.labels[c.ours] = ctx
	})
	c.batch(tb, c.ours, warmEvents)
	pprof.Do(context.Background(), pprof.Labels("side", "river"), func(ctx context.Context) {
		c.river = st.openRiver(tb, c.recv, c.ours.secret, c.recv.firstBody(), workers)
		c.labels[c.river] = ctx
	})
	c.batch(tb, c.river, warmEvents)
	return c
}

// batch has s insert n units, and returns the time from before the first
// insert until the receiver answered the last request. It returns once
// the outcomes are recorded, s idle again.
func (c *comparison) batch(tb testing.TB, s side, n int) time.Duration {
	tb.Helper()
	ctx := c.labels[s]
	pprof.SetGoroutineLabels(ctx)
	defer pprof.SetGoroutineLabels(context.Background())
	start := time.Now()
	for range n {
		id, err := s.insert(ctx)
		if err != nil {
			tb.Fatalf("insert: %v", err)
		}
		if c.ids != nil {
			c.ids[id] = true
		}
	}
	c.recv.wait(tb, c.sent+int64(n), batchTimeout)
	elapsed := time.Since(start)
	c.sent += int64(n)
	c.recorded[s] += int64(n)
	s.waitRecorded(tb, c.recorded[s])
	return elapsed
}

// checkNoDuplicates fails tb if the receiver got more requests than were
// sent: a side delivered something twice.
func (c *comparison) checkNoDuplicates(tb testing.TB) {
	tb.Helper()
	if got := c.recv.total(); got != c.sent {
		tb.Errorf("the receiver answered %d requests; %d were sent", got, c.sent)
	}
}
