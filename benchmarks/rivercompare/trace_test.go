package rivercompare

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/monitehooks/monitehooks/sqlstore"
)

// statementTracer is a pgx tracer that counts what a pool sends to
// PostgreSQL: statements by kind, each with the time from sending it to
// its answer as the client saw it (the server's work, the network, and
// any wait for the server, such as a commit's for the disk); transactions,
// which begin where a statement finds its connection idle (a BEGIN, or a
// statement that commits on its own); and connections opened.
type statementTracer struct {
	mu       sync.Mutex // guards the rest
	byKind   map[string]*statementStat
	txs      int64
	connects int64
}

// statementStat is the count and total time of one kind of statement.
type statementStat struct {
	n     int64
	total time.Duration
}

func newStatementTracer() *statementTracer {
	return &statementTracer{byKind: make(map[string]*statementStat)}
}

// reset forgets everything counted so far.
func (t *statementTracer) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byKind, t.txs, t.connects = make(map[string]*statementStat), 0, 0
}

// statementKind names a statement: a River query by its sqlc name, others
// by their first line.
func statementKind(sql string) string {
	sql = strings.TrimSpace(sql)
	if name, ok := strings.CutPrefix(sql, "-- name: "); ok {
		name, _, _ = strings.Cut(name, " ")
		return name
	}
	line, _, _ := strings.Cut(sql, "\n")
	line = strings.Join(strings.Fields(line), " ")
	if len(line) > 60 {
		line = line[:60] + "…"
	}
	return line
}

type traceStart struct{}

func (t *statementTracer) start(ctx context.Context, conn *pgx.Conn, sql string) context.Context {
	idle := conn.PgConn().TxStatus() == 'I'
	t.mu.Lock()
	if idle {
		t.txs++
	}
	t.mu.Unlock()
	return context.WithValue(ctx, traceStart{}, traceBegun{kind: statementKind(sql), at: time.Now()})
}

type traceBegun struct {
	kind string
	at   time.Time
}

func (t *statementTracer) end(ctx context.Context) {
	b, ok := ctx.Value(traceStart{}).(traceBegun)
	if !ok {
		return
	}
	d := time.Since(b.at)
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.byKind[b.kind]
	if st == nil {
		st = new(statementStat)
		t.byKind[b.kind] = st
	}
	st.n++
	st.total += d
}

// TraceQueryStart implements pgx.QueryTracer.
func (t *statementTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	return t.start(ctx, conn, data.SQL)
}

// TraceQueryEnd implements pgx.QueryTracer.
func (t *statementTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryEndData) {
	t.end(ctx)
}

// TraceBatchStart implements pgx.BatchTracer: a batch is one round trip,
// counted as one statement named by its first query.
func (t *statementTracer) TraceBatchStart(ctx context.Context, conn *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	kind := "batch"
	if data.Batch != nil && len(data.Batch.QueuedQueries) > 0 {
		kind = "batch: " + statementKind(data.Batch.QueuedQueries[0].SQL)
	}
	return t.start(ctx, conn, kind)
}

// TraceBatchQuery implements pgx.BatchTracer.
func (t *statementTracer) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}

// TraceBatchEnd implements pgx.BatchTracer.
func (t *statementTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchEndData) {
	t.end(ctx)
}

// TraceConnectStart implements pgx.ConnectTracer.
func (t *statementTracer) TraceConnectStart(ctx context.Context, _ pgx.TraceConnectStartData) context.Context {
	return ctx
}

// TraceConnectEnd implements pgx.ConnectTracer.
func (t *statementTracer) TraceConnectEnd(_ context.Context, data pgx.TraceConnectEndData) {
	if data.Err == nil {
		t.mu.Lock()
		t.connects++
		t.mu.Unlock()
	}
}

// traceSummary is what a tracer counted over n units of work.
type traceSummary struct {
	statements, txs, connects float64       // per unit
	dbTime                    time.Duration // per unit: the statements' time, added up
	table                     string        // statements by kind
}

// summary returns what t counted, per unit of n.
func (t *statementTracer) summary(n int) traceSummary {
	t.mu.Lock()
	defer t.mu.Unlock()
	type row struct {
		kind string
		statementStat
	}
	var rows []row
	var s traceSummary
	for kind, st := range t.byKind {
		rows = append(rows, row{kind, *st})
		s.statements += float64(st.n)
		s.dbTime += st.total
	}
	slices.SortFunc(rows, func(a, b row) int { return cmp.Compare(b.total, a.total) })
	var tb strings.Builder
	fmt.Fprintf(&tb, "%10s %12s %12s  %s\n", "per unit", "mean", "time/unit", "statement")
	for _, r := range rows {
		fmt.Fprintf(&tb, "%10.3f %12v %12v  %s\n", float64(r.n)/float64(n),
			(r.total / time.Duration(r.n)).Round(time.Microsecond), (r.total / time.Duration(n)).Round(time.Microsecond), r.kind)
	}
	s.table = tb.String()
	s.statements /= float64(n)
	s.txs = float64(t.txs) / float64(n)
	s.connects = float64(t.connects) / float64(n)
	s.dbTime /= time.Duration(n)
	return s
}

// tracedStore opens a store over the database at url through a pgx
// connection that t traces, with the pool settings sqlstore.Open gives
// a PostgreSQL database.
func tracedStore(tb testing.TB, url string, t *statementTracer) *sqlstore.Store {
	tb.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		tb.Fatalf("pgx.ParseConfig: %v", err)
	}
	cfg.Tracer = t
	db := stdlib.OpenDB(*cfg)
	db.SetMaxIdleConns(sqlstore.DefaultMaxIdleConns)
	db.SetConnMaxIdleTime(sqlstore.DefaultConnMaxIdleTime)
	tb.Cleanup(func() { db.Close() })
	store, err := sqlstore.New(context.Background(), db, sqlstore.DialectPostgres, nil)
	if err != nil {
		tb.Fatalf("sqlstore.New: %v", err)
	}
	tb.Cleanup(func() {
		if err := store.Close(); err != nil {
			tb.Errorf("closing the store: %v", err)
		}
	})
	return store
}

// tracedPool opens a pgx pool over the database at url that t traces,
// with pgxpool's defaults.
func tracedPool(tb testing.TB, url string, t *statementTracer) *pgxpool.Pool {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		tb.Fatalf("pgxpool.ParseConfig: %v", err)
	}
	cfg.ConnConfig.Tracer = t
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("pgxpool.New: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

// BenchmarkStatements runs a batch of each side on PostgreSQL, as
// BenchmarkDeliveryVsRiver does, through pools that count what they send,
// and reports per delivery (ours) and per job (River's) the statements
// sent, the transactions, the connections opened, and the statements'
// time added up (db-ms). It logs a table of the statements by kind. It
// runs one batch of each side per iteration, not alternating: it counts,
// it does not time.
func BenchmarkStatements(b *testing.B) {
	n := 1000
	if *flagEvents > 0 {
		n = *flagEvents
	}
	workers := *flagWorkers
	c := &comparison{recv: newReceiver(b, false), recorded: make(map[side]int64), labels: make(map[side]context.Context)}
	oursTrace, riverTrace := newStatementTracer(), newStatementTracer()
	store := tracedStore(b, freshPostgres(b), oursTrace)
	if *flagMaxIdle > 0 {
		store.DB().SetMaxIdleConns(*flagMaxIdle)
	}
	c.ours = newOurs(b, store, c.recv, oursConfig{workers: workers})
	c.labels[c.ours] = context.Background()
	c.batch(b, c.ours, warmEvents)
	c.river = newRiverPostgres(b, tracedPool(b, freshPostgres(b), riverTrace), c.recv, c.ours.secret, c.recv.firstBody(), workers)
	c.labels[c.river] = context.Background()
	c.batch(b, c.river, warmEvents)
	oursTrace.reset()
	riverTrace.reset()
	b.ResetTimer()
	for range b.N {
		c.batch(b, c.ours, n)
		c.batch(b, c.river, n)
	}
	b.StopTimer()
	ours, river := oursTrace.summary(b.N*n), riverTrace.summary(b.N*n)
	b.Logf("ours, per delivery:\n%s", ours.table)
	b.Logf("River, per job:\n%s", river.table)
	b.ReportMetric(ours.statements, "ours-statements/delivery")
	b.ReportMetric(ours.txs, "ours-txs/delivery")
	b.ReportMetric(ours.connects, "ours-connects/delivery")
	b.ReportMetric(float64(ours.dbTime)/1e6, "ours-db-ms/delivery")
	b.ReportMetric(river.statements, "river-statements/job")
	b.ReportMetric(river.txs, "river-txs/job")
	b.ReportMetric(river.connects, "river-connects/job")
	b.ReportMetric(float64(river.dbTime)/1e6, "river-db-ms/job")
}
