// The benchmarks of Emitter.EmitTx:
//
//	go test -run '^$' -bench EmitTxVsInsertTx -benchtime 1000x -count 3
//	go test -run '^$' -bench CommitToAttempt -benchtime 1x -count 3

package rivercompare

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/monitehooks/monitehooks"
)

// fanout is how many subscriptions the transactions' event matches, and
// how many jobs River's transactions insert.
const fanout = 3

// createOrders is the application's own table, which each transaction
// writes a row to beside its event or jobs.
const createOrders = `CREATE TABLE app_orders (
	id bigserial PRIMARY KEY,
	body bytea NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
)`

// insertOrder is the application's write in each transaction.
const insertOrder = `INSERT INTO app_orders (body) VALUES ($1)`

// txBench is one PostgreSQL database holding the application's table, our
// store's tables and River's, with our emitter and an insert-only River
// client over the same *sql.DB, the application's: both sides write
// through the same database/sql transactions.
type txBench struct {
	db    *sql.DB
	ours  *ours
	river *river.Client[*sql.Tx]
	args  []river.InsertManyParams // fanout jobs
	ev    monitehooks.Event
}

// newTxBench sets up the database; the emitter has workers workers and
// the retry policy policy.
//
// River inserts through riverdatabasesql, River's driver for database/sql,
// over the application's pool, so that both sides take the same
// *sql.Tx, as an application using both would: EmitTx takes a *sql.Tx,
// and riverpgxv5 a pgx.Tx, which would put the application's own INSERT
// on another driver stack on River's side. Both sides' statements then go
// through the same layers (database/sql, pgx's stdlib adapter, pgx), and
// the difference is what each library sends.
func newTxBench(tb testing.TB, recv *receiver, workers int, policy monitehooks.RetryPolicy) *txBench {
	tb.Helper()
	ctx := context.Background()
	store := openStore(tb, freshPostgres(tb))
	t := &txBench{db: store.DB()}
	if _, err := t.db.ExecContext(ctx, createOrders); err != nil {
		tb.Fatalf("creating the application's table: %v", err)
	}
	t.ours = newOurs(tb, store, recv, oursConfig{workers: workers, subscriptions: fanout, policy: policy})
	recv.setSecrets(t.ours.secrets...)
	driver := riverdatabasesql.New(t.db)
	migrateRiver(tb, driver)
	client, err := river.NewClient(driver, &river.Config{Logger: discardLogger})
	if err != nil {
		tb.Fatalf("river.NewClient (insert only): %v", err)
	}
	t.river = client
	body := postArgs{Body: string(snapshot250)}
	for range fanout {
		t.args = append(t.args, river.InsertManyParams{Args: body})
	}
	t.ev = monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: objectID, Object: snapshot250}
	return t
}

// inTx runs the application's transaction: its own INSERT, then enqueue,
// then Commit; before, when not nil, is called just before Commit.
func (t *txBench) inTx(tb testing.TB, enqueue func(ctx context.Context, tx *sql.Tx) error, before func()) {
	ctx := context.Background()
	tx, err := t.db.BeginTx(ctx, nil)
	if err != nil {
		tb.Fatalf("BeginTx: %v", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, insertOrder, snapshot250); err != nil {
		tb.Fatalf("the application's INSERT: %v", err)
	}
	if err := enqueue(ctx, tx); err != nil {
		tb.Fatalf("enqueueing: %v", err)
	}
	if before != nil {
		before()
	}
	if err := tx.Commit(); err != nil {
		tb.Fatalf("Commit: %v", err)
	}
}

func (t *txBench) emitTx(ctx context.Context, tx *sql.Tx) error {
	_, err := t.ours.em.EmitTx(ctx, tx, t.ev)
	return err
}

func (t *txBench) insertManyTx(ctx context.Context, tx *sql.Tx) error {
	_, err := t.river.InsertManyTx(ctx, tx, t.args)
	return err
}

// later is a retry policy whose first attempt is due in an hour: the
// emitter's workers stay idle while the transactions are timed, as River
// has none.
type later struct{}

func (later) Delay(n int) (time.Duration, bool) { return time.Hour, n == 0 }

// BenchmarkEmitTxVsInsertTx times one application transaction, an INSERT
// into a table of the application's own plus the enqueueing of an event
// that fans out to three subscriptions, with EmitTx on our side and
// River's InsertManyTx of three jobs on the other, alternating one
// transaction of each per iteration. No worker runs on either side (our
// deliveries are due in an hour; River's client only inserts). It reports
// ours-ns/tx, river-ns/tx and ratio (ours ÷ River).
func BenchmarkEmitTxVsInsertTx(b *testing.B) {
	b.Run("store=postgres", func(b *testing.B) {
		t := newTxBench(b, newReceiver(b, false), *flagWorkers, later{})
		for range warmEvents {
			t.inTx(b, t.emitTx, nil)
			t.inTx(b, t.insertManyTx, nil)
		}
		var oursTime, riverTime time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			first, second := t.emitTx, t.insertManyTx
			if i%2 == 1 { // neither side always goes first
				first, second = second, first
			}
			start := time.Now()
			t.inTx(b, first, nil)
			mid := time.Now()
			t.inTx(b, second, nil)
			end := time.Now()
			if i%2 == 0 {
				oursTime, riverTime = oursTime+mid.Sub(start), riverTime+end.Sub(mid)
			} else {
				riverTime, oursTime = riverTime+mid.Sub(start), oursTime+end.Sub(mid)
			}
		}
		b.StopTimer()
		ours, river := float64(oursTime.Nanoseconds())/float64(b.N), float64(riverTime.Nanoseconds())/float64(b.N)
		b.ReportMetric(ours, "ours-ns/tx")
		b.ReportMetric(river, "river-ns/tx")
		b.ReportMetric(ours/river, "ratio")
	})
}

// commitSamples is how many transactions BenchmarkCommitToAttempt times
// per iteration.
const commitSamples = 200

// BenchmarkCommitToAttempt measures, on PostgreSQL with idle workers, the
// time from an application transaction's Commit (just before it is
// called) to the first attempt of its event's deliveries reaching the
// receiver: EmitTx of an event fanning out to three subscriptions, with
// the default retry policy (first attempt at once), the next transaction
// starting once the three deliveries are recorded. It reports the median
// and the 99th percentile over 200 transactions per iteration
// (commit-to-attempt-p50-ms, commit-to-attempt-p99-ms), and the same for
// River: InsertManyTx of three jobs in the same kind of transaction,
// worked by a River client over pgx (LISTEN/NOTIFY, FetchCooldown 1 ms,
// FetchPollInterval 50 ms) with as many workers.
func BenchmarkCommitToAttempt(b *testing.B) {
	b.Run("store=postgres", func(b *testing.B) {
		recv := newReceiver(b, false)
		recv.arrivals = make(chan time.Time, 4*fanout)
		t := newTxBench(b, recv, *flagWorkers, nil)
		worker := newRiver(b, riverpgxv5.New(openPool(b, t.storeURL(b))), recv, t.ours.secret, snapshot250, *flagWorkers)
		c := &comparison{recv: recv, recorded: make(map[side]int64)}
		var ours, river []time.Duration
		// sample runs one transaction and returns the time from its
		// Commit to the first request's arrival, once s has recorded the
		// outcomes of all fanout of its units.
		sample := func(enqueue func(context.Context, *sql.Tx) error, s side) time.Duration {
			var committing time.Time
			t.inTx(b, enqueue, func() { committing = time.Now() })
			c.recv.wait(b, c.sent+fanout, batchTimeout)
			c.sent += fanout
			c.recorded[s] += fanout
			s.waitRecorded(b, c.recorded[s])
			first := <-recv.arrivals
			for len(recv.arrivals) > 0 {
				<-recv.arrivals
			}
			return first.Sub(committing)
		}
		for range warmEvents / 10 {
			sample(t.emitTx, t.ours)
			sample(t.insertManyTx, worker)
		}
		b.ResetTimer()
		for range b.N {
			for range commitSamples {
				ours = append(ours, sample(t.emitTx, t.ours))
				river = append(river, sample(t.insertManyTx, worker))
			}
		}
		b.StopTimer()
		c.checkNoDuplicates(b)
		b.ReportMetric(percentileMs(ours, 50), "commit-to-attempt-p50-ms")
		b.ReportMetric(percentileMs(ours, 99), "commit-to-attempt-p99-ms")
		b.ReportMetric(percentileMs(river, 50), "river-commit-to-attempt-p50-ms")
		b.ReportMetric(percentileMs(river, 99), "river-commit-to-attempt-p99-ms")
	})
}

// storeURL returns the URL of the database t's store is in.
func (t *txBench) storeURL(tb testing.TB) string {
	tb.Helper()
	var name string
	if err := t.db.QueryRowContext(context.Background(), `SELECT current_database()`).Scan(&name); err != nil {
		tb.Fatalf("current_database: %v", err)
	}
	return postgresURL(tb, name)
}

// percentileMs returns the p-th percentile of ds, in milliseconds.
func percentileMs(ds []time.Duration, p int) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100 // the smallest with p% at or below it
	return float64(s[max(i-1, 0)]) / 1e6
}
