package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/monitehooks/monitehooks"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver
)

// Dialect names the database a Store speaks to.
type Dialect string

// Dialects.
const (
	// DialectPostgres is PostgreSQL (13 or later: the store calls
	// gen_random_uuid), through the "pgx" driver of
	// github.com/jackc/pgx/v5/stdlib.
	DialectPostgres Dialect = "postgres"
	// DialectSQLite is SQLite, through the "sqlite" driver of
	// modernc.org/sqlite (pure Go).
	DialectSQLite Dialect = "sqlite"
)

var allDialects = []Dialect{DialectPostgres, DialectSQLite}

// valid reports whether d is one of the documented dialects.
func (d Dialect) valid() bool {
	for _, x := range allDialects {
		if d == x {
			return true
		}
	}
	return false
}

// Config configures a Store. A nil *Config means every default.
type Config struct {
	// Schema is the PostgreSQL schema that holds the store's tables; the
	// store creates it when it applies migrations. Each query names it,
	// so one *sql.DB can serve stores in several schemas. Empty means the
	// connection's search_path (normally public). SQLite has no schemas:
	// setting it with DialectSQLite is an error.
	Schema string
	// SkipMigrations leaves the schema as it is: Open and New neither
	// create tables nor check the version recorded in the database. Set it
	// when the tables are made by a migration tool of your own from the
	// files of [Migrations]. Defaults to false: migrations are applied.
	SkipMigrations bool
	// Logger receives a line per migration applied. Defaults to
	// discarding everything.
	Logger *slog.Logger
	// NoNotify turns the store's wake-ups off. By default the store
	// tells, through Store.Notifications, when deliveries may have become
	// claimable: on PostgreSQL with pg_notify in the transaction that
	// makes them, delivered at its commit to every process that shares
	// the schema, so that their emitters claim at once rather than at
	// their next poll, after an EmitTx's commit too. The notification is
	// part of a statement the store makes anyway, but PostgreSQL commits
	// transactions that notified one at a time (a lock on its
	// notification queue): set NoNotify when the processes' polling is
	// soon enough, or when a pooler in transaction mode has no LISTEN. On
	// PostgreSQL the store keeps a connection of the pool for listening;
	// over a pool limited to one connection it sends and hears none.
	NoNotify bool
}

// schemaName is what a Config.Schema may be: a plain PostgreSQL
// identifier, which the store still quotes.
var schemaName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// validate checks cfg for dialect d, naming the bad field.
func (cfg *Config) validate(d Dialect) error {
	if !d.valid() {
		return fmt.Errorf("sqlstore: dialect %q: must be %q or %q: %w", d, DialectPostgres, DialectSQLite, monitehooks.ErrInvalid)
	}
	if cfg.Schema != "" {
		if d != DialectPostgres {
			return fmt.Errorf("sqlstore: Config.Schema %q: only PostgreSQL has schemas: %w", cfg.Schema, monitehooks.ErrInvalid)
		}
		if !schemaName.MatchString(cfg.Schema) {
			return fmt.Errorf("sqlstore: Config.Schema %q: must be letters, digits and underscores, not starting with a digit, at most 63: %w", cfg.Schema, monitehooks.ErrInvalid)
		}
	}
	return nil
}

// Store is a [monitehooks.Store] over a SQL database. It is safe for
// concurrent use, and several processes may share one database: it is a
// [monitehooks.SharedStore], and a [monitehooks.TxStore] that stores
// events through the application's own transactions. See the package
// documentation.
type Store struct {
	db      *sql.DB
	dialect Dialect
	schema  string   // Config.Schema
	q       *queries // in the dialect, naming the schema
	owned   bool     // Open opened db: Close closes it
	memory  bool     // an SQLite database in memory, lost at Close
	prepare bool     // prepare statements once (SQLite): see exec.go
	stmts   stmts
	// serialize is set on SQLite, which lets one connection write at a
	// time: the store's writers then take turns on writeMu rather than on
	// SQLite's lock, whose busy handler sleeps for milliseconds at a time
	// between tries. Writers of other processes still meet on SQLite's
	// lock, with its busy timeout.
	serialize bool
	writeMu   sync.Mutex // held by a writer of the store, when serialize is set
	notifier  *notifier  // see notify.go
	subs      subCache   // the subscriptions claims hand out: see subcache.go
	rec       recorder   // RecordAttempt's batches on PostgreSQL: see recorder.go

	instanceMu sync.Mutex // guards instance
	// instance is the random ID of the store's tables (see
	// CreateEventTx), read by New, or by the first CreateEventTx when New
	// could not.
	instance string
}

var (
	_ monitehooks.Store   = (*Store)(nil)
	_ monitehooks.Durable = (*Store)(nil)
)

// Open opens the database the URL names and returns a store over it,
// applying migrations unless cfg.SkipMigrations is set. The URL is one of
//
//   - postgres://… or postgresql://…, a PostgreSQL connection URL as pgx
//     reads it (host, port, user, database, sslmode, …);
//   - sqlite:PATH, an SQLite database file, made if missing, opened in
//     WAL mode with a busy timeout of 10s and every transaction begun
//     with BEGIN IMMEDIATE, so that several processes can share it;
//   - sqlite::memory:, an SQLite database in memory, over one connection,
//     which Close discards: for tests and examples.
//
// On PostgreSQL Open keeps up to [DefaultMaxIdleConns] idle connections
// in the pool, closing those idle for [DefaultConnMaxIdleTime], instead of
// database/sql's default of two: the emitter's workers record outcomes at
// once, and a connection opened per statement forks a PostgreSQL backend
// each time. It sets no maximum of open connections; change the pool
// through [Store.DB]. ([New] leaves the caller's *sql.DB as it is.)
//
// The store owns the *sql.DB it opened: Close closes it.
func Open(ctx context.Context, url string, cfg *Config) (*Store, error) {
	driver, dsn, dialect, memory, err := parseURL(url)
	if err != nil {
		return nil, err
	}
	if cfg == nil {
		cfg = &Config{}
	}
	if err := cfg.validate(dialect); err != nil {
		return nil, err
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: opening %s database: %w", dialect, err)
	}
	if dialect == DialectPostgres {
		db.SetMaxIdleConns(DefaultMaxIdleConns)
		db.SetConnMaxIdleTime(DefaultConnMaxIdleTime)
	}
	if memory {
		// Each connection to ":memory:" is a database of its own.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	}
	s, err := New(ctx, db, dialect, cfg)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned, s.memory = true, memory
	return s, nil
}

// The pool settings [Open] gives a PostgreSQL database.
const (
	// DefaultMaxIdleConns is how many idle connections the pool of a
	// PostgreSQL database Open opens keeps: the emitter's default number
	// of workers, each of which may record an outcome at once.
	DefaultMaxIdleConns = 64
	// DefaultConnMaxIdleTime is how long such a pool keeps a connection
	// nobody uses before closing it.
	DefaultConnMaxIdleTime = 5 * time.Minute
)

// sqliteBusyTimeout is how long a writer of an SQLite database Open
// opens waits for another before it fails with SQLITE_BUSY.
const sqliteBusyTimeout = 10 * time.Second

// sqliteParams are the connection settings of an SQLite database Open
// opens: WAL lets readers go on while one connection writes, the busy
// timeout makes a writer wait for another instead of failing, and
// BEGIN IMMEDIATE takes the write lock when a transaction starts, so that
// no transaction fails halfway to take it.
var sqliteParams = "?_pragma=busy_timeout(" + strconv.Itoa(int(sqliteBusyTimeout/time.Millisecond)) + ")" +
	"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_txlock=immediate"

// parseURL returns the driver name and data source name for url.
func parseURL(url string) (driver, dsn string, d Dialect, memory bool, err error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return "pgx", url, DialectPostgres, false, nil
	case url == "sqlite::memory:":
		return "sqlite", "file::memory:" + sqliteParams, DialectSQLite, true, nil
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		if path == "" || strings.ContainsAny(path, "?#") {
			return "", "", "", false, fmt.Errorf("sqlstore: URL %q: want sqlite:PATH, a path without ? or #: %w", url, monitehooks.ErrInvalid)
		}
		return "sqlite", "file:" + path + sqliteParams, DialectSQLite, false, nil
	}
	return "", "", "", false, fmt.Errorf("sqlstore: URL %q: want postgres://…, postgresql://…, sqlite:PATH or sqlite::memory:: %w", redact(url), monitehooks.ErrInvalid)
}

// redact keeps a URL's scheme only, so that no password reaches an error.
func redact(url string) string {
	if i := strings.Index(url, "://"); i >= 0 {
		return url[:i] + "://…"
	}
	if len(url) > 16 {
		return url[:16] + "…"
	}
	return url
}

// New returns a store over db, a database the application opened and
// keeps: Close leaves it open. dialect says what db speaks; for SQLite,
// open db as Open does (see the package documentation), or writers from
// several connections fail with SQLITE_BUSY. New applies migrations
// unless cfg.SkipMigrations is set. It leaves db's pool settings as they
// are: on PostgreSQL, let the pool keep idle connections for the
// emitter's workers (db.SetMaxIdleConns; see Open), or it opens a
// connection for many of their statements.
func New(ctx context.Context, db *sql.DB, dialect Dialect, cfg *Config) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("sqlstore: nil *sql.DB: %w", monitehooks.ErrInvalid)
	}
	if cfg == nil {
		cfg = &Config{}
	}
	if err := cfg.validate(dialect); err != nil {
		return nil, err
	}
	// Listening keeps a connection: a pool of one has none to spare.
	notify := !cfg.NoNotify && (dialect != DialectPostgres || db.Stats().MaxOpenConnections != 1)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Store{db: db, dialect: dialect, schema: cfg.Schema, q: newQueries(dialect, cfg.Schema), serialize: dialect == DialectSQLite,
		// Preparing takes a connection of the pool, which a transaction
		// may hold the only one of: see exec.go.
		prepare:  dialect == DialectSQLite && db.Stats().MaxOpenConnections != 1,
		notifier: newNotifier(notify, cfg.Schema)}
	if !cfg.SkipMigrations {
		if err := migrate(ctx, db, dialect, cfg.Schema, log); err != nil {
			return nil, err
		}
	}
	// Read now: CreateEventTx may run in a transaction that holds the
	// only connection of the pool. With SkipMigrations the tables may
	// not be there yet, and the first CreateEventTx reads it.
	if _, err := s.instanceID(ctx); err != nil && !cfg.SkipMigrations {
		return nil, err
	}
	return s, nil
}

// DB returns the database the store uses.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the dialect the store speaks.
func (s *Store) Dialect() Dialect { return s.dialect }

// Durable reports whether what the store holds outlives the process:
// true, but for an SQLite database in memory (sqlite::memory:), whose
// pending deliveries the Emitter then warns of when it stops.
func (s *Store) Durable() bool { return !s.memory }

// Close stops listening for notifications, closes the statements the
// store prepared, and closes the database if Open opened it (a database
// given to New stays open). It is safe to call twice.
func (s *Store) Close() error {
	s.notifier.stopListening()
	s.closeStmts()
	if !s.owned {
		return nil
	}
	if err := s.db.Close(); err != nil && !errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("sqlstore: closing: %w", err)
	}
	return nil
}
