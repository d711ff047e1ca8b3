package rivercompare

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/monitehooks/monitehooks"
)

// River's settings for throughput, as its own benchmark (riverbench) tunes
// them rather than its defaults: with the default FetchCooldown of 100 ms
// and 64 workers, a producer fetches at most 64 jobs per 100 ms, a cap
// near 640 jobs/s.
const (
	riverFetchCooldown     = time.Millisecond
	riverFetchPollInterval = 50 * time.Millisecond
)

// postArgs is the job River runs: one POST of Body, a delivery's body as
// our side sends it, kept as a JSON string so that it reaches the receiver
// byte for byte (as jsonb, an object would be reformatted).
type postArgs struct {
	Body string `json:"body"`
}

// Kind names the job kind.
func (postArgs) Kind() string { return "post" }

// postWorker sends a job's body, signed now with the subscription's
// secret, as our emitter sends a delivery: the same headers, a 15 s
// timeout, at most 64 KiB of the answer read, redirects not followed,
// anything but a 2xx an error (which River retries).
type postWorker struct {
	river.WorkerDefaults[postArgs]
	url     string
	secrets []string
	client  *http.Client
	sigs    sync.Pool // of *[]byte, a signature header's buffer
}

// newPostWorker returns a worker posting to url through an http.Client
// tuned for workers concurrent requests to one host: net/http keeps two
// idle connections per host by default, which would have most requests
// open a connection.
func newPostWorker(url, secret string, workers int) *postWorker {
	return &postWorker{
		url:     url,
		secrets: []string{secret},
		client: &http.Client{
			Transport: &http.Transport{
				MaxIdleConns:        workers,
				MaxIdleConnsPerHost: workers,
				IdleConnTimeout:     90 * time.Second,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// Timeout is our emitter's default attempt timeout.
func (w *postWorker) Timeout(*river.Job[postArgs]) time.Duration {
	return monitehooks.DefaultAttemptTimeout
}

// Work posts the job's body.
func (w *postWorker) Work(ctx context.Context, job *river.Job[postArgs]) error {
	body := []byte(job.Args.Body)
	sig, _ := w.sigs.Get().(*[]byte)
	if sig == nil {
		sig = new([]byte)
	}
	defer w.sigs.Put(sig)
	*sig = monitehooks.AppendSignature((*sig)[:0], body, time.Now(), w.secrets)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = http.Header{
		"Content-Type":              {"application/json"},
		"User-Agent":                {"monitehooks/" + monitehooks.Version},
		monitehooks.SignatureHeader: {string(*sig)},
		monitehooks.WebhookIDHeader: {strconv.FormatInt(job.ID, 10)},
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, monitehooks.MaxResponseRead))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s", w.url, resp.Status)
	}
	return nil
}

// riverSide is River's side: a client over the driver, with one queue of
// workers workers running postWorker.
type riverSide[TTx any] struct {
	client *river.Client[TTx]
	args   postArgs
	done   tally // jobs completed, as River's subscription tells
	failed tally // attempts that failed
}

// discardLogger is River's logger: the benchmark reads no logs.
var discardLogger = slog.New(slog.DiscardHandler)

// migrateRiver applies River's migrations to the driver's database with
// rivermigrate, as River's documentation has an application do.
func migrateRiver[TTx any](tb testing.TB, driver riverdriver.Driver[TTx]) {
	tb.Helper()
	migrator, err := rivermigrate.New(driver, nil)
	if err != nil {
		tb.Fatalf("rivermigrate.New: %v", err)
	}
	if _, err := migrator.Migrate(context.Background(), rivermigrate.DirectionUp, nil); err != nil {
		tb.Fatalf("migrating River's tables: %v", err)
	}
}

// newRiver migrates River's tables into the driver's database, and starts
// a client whose jobs post body to the receiver; it stops when tb ends.
func newRiver[TTx any](tb testing.TB, driver riverdriver.Driver[TTx], recv *receiver, secret string, body []byte, workers int) *riverSide[TTx] {
	tb.Helper()
	ctx := context.Background()
	migrateRiver(tb, driver)
	ws := river.NewWorkers()
	if err := river.AddWorkerSafely(ws, newPostWorker(recv.srv.URL+"/hooks", secret, workers)); err != nil {
		tb.Fatalf("AddWorker: %v", err)
	}
	client, err := river.NewClient(driver, &river.Config{
		FetchCooldown:     riverFetchCooldown,
		FetchPollInterval: riverFetchPollInterval,
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: workers}},
		Workers:           ws,
		Logger:            discardLogger,
	})
	if err != nil {
		tb.Fatalf("river.NewClient: %v", err)
	}
	r := &riverSide[TTx]{client: client, args: postArgs{Body: string(body)}, done: newTally(), failed: newTally()}
	// The channel holds what the goroutine below has not read yet: a
	// batch's worth is plenty, and River drops the events of a full one.
	events, cancelEvents := client.SubscribeConfig(&river.SubscribeConfig{
		ChanSize: 100_000,
		Kinds:    []river.EventKind{river.EventKindJobCompleted, river.EventKindJobFailed},
	})
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		for ev := range events {
			if ev.Kind == river.EventKindJobCompleted {
				r.done.add()
			} else {
				r.failed.add()
			}
		}
	}()
	if err := client.Start(ctx); err != nil {
		tb.Fatalf("starting River's client: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := client.Stop(ctx); err != nil {
			tb.Errorf("stopping River's client: %v", err)
		}
		cancelEvents()
		<-counted
	})
	return r
}

// openPool opens a pgx pool over the database at url with pgxpool's
// defaults, as River's own benchmark command opens it, closed when tb
// ends.
func openPool(tb testing.TB, url string) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		tb.Fatalf("pgxpool.New: %v", err)
	}
	tb.Cleanup(pool.Close) // after the client stops: cleanups run last first
	return pool
}

// newRiverPostgres is River over the pool.
func newRiverPostgres(tb testing.TB, pool *pgxpool.Pool, recv *receiver, secret string, body []byte, workers int) *riverSide[pgx.Tx] {
	tb.Helper()
	return newRiver(tb, riverpgxv5.New(pool), recv, secret, body, workers)
}

// newRiverSQLite is River over a database file in dir.
func newRiverSQLite(tb testing.TB, dir string, recv *receiver, secret string, body []byte, workers int) *riverSide[*sql.Tx] {
	tb.Helper()
	return newRiver(tb, riversqlite.New(openRiverSQLite(tb, dir)), recv, secret, body, workers)
}

func (r *riverSide[TTx]) insert(ctx context.Context) (string, error) {
	res, err := r.client.Insert(ctx, r.args, nil)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(res.Job.ID, 10), nil
}

func (r *riverSide[TTx]) waitRecorded(tb testing.TB, total int64) {
	tb.Helper()
	r.done.wait(tb, "River's jobs completed", total, recordTimeout)
	if n := r.failed.n.Load(); n > 0 {
		tb.Errorf("River: %d attempts failed", n)
	}
}
