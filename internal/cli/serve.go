package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
	"github.com/monitehooks/monitehooks/internal/stack"
)

const serveUsage = `usage: monitehooks serve [--addr ADDR] [--token T]... [--retry-schedule LIST]
                         [--attempt-timeout D] [--catalog default|monite]
                         [--store memory|sqlite:PATH|postgres://...] [--lease D]
                         [--retention D]
                         [--log-format text|json] [--log-level LEVEL]
                         [--ca-file FILE] [--client-cert FILE --client-key FILE]
                         [--proxy URL|env]

Serve the webhook REST API at http://ADDR/v1, with POST /events enabled
to emit events. It is a local fake of Monite: subscriptions may use
http:// URLs, and deliveries may go to loopback and private addresses.

GET /healthz, outside /v1 and without a token, answers 200
{"status":"ok"} while the store answers, and 503
{"status":"unavailable","error":"…"} when it does not within 2 seconds.

stdout gets one line, "monitehooks: serving on http://ADDR/v1", with the
address actually bound, once it accepts requests; logs go to stderr.
SIGINT or SIGTERM stops it gracefully: it stops accepting requests, lets
the delivery attempts in flight finish, and exits 0 within 10 seconds.

What it keeps depends on --store. In memory, the default, subscriptions,
events and the delivery log are lost at stop, and so are the deliveries
still pending (waiting for a retry), which are never sent. In an SQLite
file or a PostgreSQL database everything is kept: a serve started again
on the same store has the subscriptions, their secrets, the events and
the delivery log, and sends what is still pending. A delivery whose
attempt was in flight when a serve died (killed, or crashed) is
sent again once its --lease ends: at least once, so receivers deduplicate
on Webhook-Id. Several serve processes given one PostgreSQL URL share the
work. The database must answer when serve starts: one it cannot reach,
or whose migrations fail, stops serve with an error, exit status 1.

While it runs, the delivery log is kept for --retention: a delivery that
finished (succeeded, or failed for good) longer ago is deleted with its
attempts, and so is an event with no delivery left.

Deliveries to https URLs trust the system's roots, and those of
--ca-file; --client-cert and --client-key give a client certificate to
endpoints that require mutual TLS. --proxy sends deliveries through a
forward proxy: http URLs with the URL in full, https URLs through a
CONNECT tunnel, end to end. The files are read when serve starts, and a
bad one stops it there, exit status 2.

Flags:

  --addr ADDR            address to listen on; port 0 picks a free one
                         (default 127.0.0.1:8080)
  --token T              bearer token to accept; repeat it for more partners.
                         The n-th --token belongs to partner "partner-n".
                         Without any, the token "dev-token" is accepted, for
                         partner "partner-1".
  --retry-schedule LIST  delays before each attempt, comma-separated
                         durations, so its length is the number of attempts,
                         such as 0s,1s,10s (default 0s,5s,5m,30m,2h,5h,10h,10h
                         with ±10% jitter; a given schedule has no jitter)
  --attempt-timeout D    time limit of one delivery attempt (default 15s)
  --store STORE          where subscriptions, events and deliveries are
                         kept: "memory", sqlite:PATH (an SQLite file, made
                         if missing) or a postgres:// (or postgresql://)
                         URL; its migrations are applied at start
                         (default $MONITEHOOKS_STORE when set, else memory)
  --lease D              how long a delivery being attempted stays reserved
                         to this process; the deliveries of a process that
                         died are sent again once it ends. Longer than
                         --attempt-timeout (default: twice --attempt-timeout
                         plus a minute)
  --retention D          how long finished deliveries and their events are
                         kept, such as 2s, 720h or 90d; 0 keeps everything
                         (default 90d, as Monite keeps its delivery log)
  --catalog NAME         the object and event types accepted: "default" (the
                         seed's) or "monite" (Monite's current list)
                         (default "default"); trigger --list prints them
  --log-format FORMAT    "text" (key=value) or "json", one record a line
                         (default "text")
  --log-level LEVEL      the least level logged: "debug" (adds health
                         checks and the emitter's own success lines),
                         "info" (requests, deliveries, attempts that will
                         be retried), "warn" (deliveries failed for good,
                         disabled subscriptions) or "error" (default "info")
` + egressFlagsUsage

// devToken is the bearer token serve accepts when given no --token.
const devToken = "dev-token"

// logLevels are the levels --log-level names.
var logLevels = map[string]slog.Level{
	"debug": slog.LevelDebug,
	"info":  slog.LevelInfo,
	"warn":  slog.LevelWarn,
	"error": slog.LevelError,
}

// serveParams are serve's parsed flags.
type serveParams struct {
	addr      string
	tokens    []string
	policy    monitehooks.RetryPolicy
	timeout   time.Duration
	retention time.Duration // negative keeps everything, as stack.Config's
	store     string        // a checked --store: "memory" or a URL for sqlstore.Open
	lease     time.Duration // 0 for the emitter's default
	catalog   *monitehooks.Catalog
	logFormat string
	logLevel  slog.Level
	egress    *egressFlags
	proxy     func(*http.Request) (*url.URL, error)
}

func parseServe(cmd *command, args []string, getenv func(string) string) (runFunc, error) {
	p, err := parseServeParams(cmd, args, getenv)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, stdout, stderr io.Writer) int {
		return runServe(ctx, cmd, p, stdout, stderr)
	}, nil
}

// parseServeParams reads serve's command line; getenv gives
// MONITEHOOKS_STORE.
func parseServeParams(cmd *command, args []string, getenv func(string) string) (serveParams, error) {
	fs := newFlagSet(cmd)
	addr := addrFlag(fs, "addr", "127.0.0.1:8080")
	tokens := stringsFlag(fs, "token", checkSecretLike)
	policy := scheduleFlag(fs, "retry-schedule")
	timeout := positiveDurationFlag(fs, "attempt-timeout", monitehooks.DefaultAttemptTimeout)
	retention := retentionFlag(fs, "retention")
	catalog := catalogFlag(fs, "catalog")
	store := addStoreFlag(fs)
	lease := positiveDurationFlag(fs, "lease", 0)
	logFormat := choiceFlag(fs, "log-format", "text", "text", "json")
	logLevel := choiceFlag(fs, "log-level", "info", "debug", "info", "warn", "error")
	eg := addEgressFlags(fs)
	pos, err := parseFlags(cmd, fs, args)
	if err != nil {
		return serveParams{}, err
	}
	if err := noArguments(cmd, pos); err != nil {
		return serveParams{}, err
	}
	proxy, err := eg.check(cmd)
	if err != nil {
		return serveParams{}, err
	}
	storeURL, err := store.resolve(cmd, getenv)
	if err != nil {
		return serveParams{}, err
	}
	if *lease != 0 && *lease <= *timeout {
		// The emitter counts on a lease outliving the attempt: one still
		// running when its lease ends would be made again, at once.
		return serveParams{}, usageErrorf(cmd, "--lease %v must be longer than --attempt-timeout %v, or an attempt still running would be made again",
			*lease, *timeout)
	}
	return serveParams{
		addr: *addr, tokens: *tokens, policy: *policy, timeout: *timeout, retention: *retention,
		store: storeURL, lease: *lease, catalog: *catalog,
		logFormat: *logFormat, logLevel: logLevels[*logLevel], egress: eg, proxy: proxy,
	}, nil
}

// newLogger returns the logger of --log-format and --log-level, writing
// to w.
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func runServe(ctx context.Context, cmd *command, p serveParams, stdout, stderr io.Writer) int {
	if ctx.Err() != nil {
		return exitOK // stopped before it started
	}
	tlsConfig, err := p.egress.tlsConfig(cmd)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	log := newLogger(stderr, p.logFormat, p.logLevel)
	store, err := openStore(ctx, p.store, log)
	if err != nil {
		if ctx.Err() != nil {
			return exitOK // stopped while it was opening
		}
		return failure(cmd, stderr, "%s", storeError(p.store, err))
	}
	if store != nil {
		// Closed once the emitter has stopped using it.
		defer func() {
			if err := store.Close(); err != nil {
				log.Warn("monitehooks: closing the store", "err", err)
			}
		}()
	}
	partners := partnerTokens(p.tokens)
	if len(p.tokens) == 0 {
		log.Info("monitehooks: no --token given; accepting the development token",
			"token", devToken, "partner", partners[devToken])
	} else {
		log.Info("monitehooks: accepting the --token bearer tokens", "partners", len(partners))
	}

	auth, err := httpapi.StaticTokens(partners)
	if err != nil {
		return failure(cmd, stderr, "%v", err)
	}
	cfg := &stack.Config{
		Catalog:              p.catalog,
		Authenticator:        auth,
		RetryPolicy:          p.policy,
		AttemptTimeout:       p.timeout,
		Retention:            p.retention,
		Lease:                p.lease,
		Logger:               log,
		AllowInsecureURLs:    true,
		AllowPrivateNetworks: true,
		TLSConfig:            tlsConfig,
		Proxy:                p.proxy,
		Observer: &monitehooks.Observer{
			// The emitter logs failed attempts itself, successes only at
			// debug level: a local fake shows them.
			DeliveryDone: func(d monitehooks.DeliveryInfo) {
				if d.Status == monitehooks.DeliverySucceeded {
					log.Info("monitehooks: delivered", "delivery_id", d.DeliveryID, "event_id", d.EventID,
						"subscription_id", d.SubscriptionID, "attempt", d.AttemptNumber,
						"status_code", d.Attempt.StatusCode, "url", d.Attempt.URL)
				}
			},
		},
	}
	if store != nil {
		cfg.Store = store // else the stack makes a memstore
	}
	st, err := stack.New(ctx, cfg)
	if err != nil {
		return failure(cmd, stderr, "%v", err)
	}
	srv, err := startServer(p.addr, logRequests(log, st.Handler), log)
	if err != nil {
		st.Emitter.Close()
		return failure(cmd, stderr, "%v", err)
	}
	fmt.Fprintf(stdout, "monitehooks: serving on %s%s\n", srv.url(), apiPrefix)
	if f, ok := stdout.(interface{ Flush() error }); ok {
		f.Flush()
	}
	attrs := []any{"url", srv.url() + apiPrefix, "store", redactStore(p.store), "catalog", catalogName(p.catalog),
		"retry_schedule", scheduleString(p.policy), "attempt_timeout", p.timeout}
	if p.lease != 0 {
		attrs = append(attrs, "lease", p.lease)
	}
	log.Info("monitehooks: serving", append(attrs, p.egress.logAttrs()...)...)

	code := exitOK
	select {
	case <-ctx.Done():
		log.Info("monitehooks: shutting down")
	case <-srv.done:
		log.Error("monitehooks: server stopped", "err", srv.err)
		code = exitFailure
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.shutdown(sctx); err != nil && code == exitOK {
		log.Warn("monitehooks: HTTP shutdown", "err", err)
	}
	if err := st.Emitter.Shutdown(sctx); err != nil {
		log.Warn("monitehooks: attempts still in flight at the shutdown deadline were canceled", "err", err)
	}
	log.Info("monitehooks: stopped")
	return code
}

// partnerTokens maps the tokens to partners "partner-1", "partner-2", … in
// order, or devToken to "partner-1" when there are none.
func partnerTokens(tokens []string) map[string]string {
	if len(tokens) == 0 {
		tokens = []string{devToken}
	}
	m := make(map[string]string, len(tokens))
	for i, t := range tokens {
		m[t] = fmt.Sprintf("partner-%d", i+1)
	}
	return m
}

func catalogName(c *monitehooks.Catalog) string {
	for name, known := range catalogs {
		if c == known {
			return name
		}
	}
	return "custom"
}

// scheduleString describes a retry policy for the log.
func scheduleString(p monitehooks.RetryPolicy) string {
	s, ok := p.(*monitehooks.Schedule)
	switch {
	case p == nil:
		s = monitehooks.DefaultRetryPolicy()
	case !ok:
		return fmt.Sprintf("%T", p)
	}
	parts := make([]string, len(s.Delays))
	for i, d := range s.Delays {
		parts[i] = d.String()
	}
	out := strings.Join(parts, ",")
	if s.Jitter > 0 {
		out += fmt.Sprintf(" ±%g%%", s.Jitter*100)
	}
	return out
}

// logRequests logs every request h serves: at info level, but health
// checks, which come every few seconds, only at debug level.
func logRequests(log *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		level := slog.LevelInfo
		if r.URL.Path == stack.HealthPath {
			level = slog.LevelDebug
		}
		log.Log(r.Context(), level, "monitehooks: request", "method", r.Method, "path", r.URL.Path,
			"status", sw.status, "duration", time.Since(start).Round(time.Microsecond))
	})
}

// statusWriter remembers the status a handler answers.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
