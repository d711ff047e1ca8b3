package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrSchemaTooNew is wrapped by the error of Open and New when the
// database records a migration this version of the package does not know:
// a newer version migrated it, and this one could misread its tables.
var ErrSchemaTooNew = errors.New("sqlstore: database migrated by a newer version of monitehooks")

//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrationFiles embed.FS

// Migrations returns the migration files of the dialect, for a migration
// tool of your own (set Config.SkipMigrations then). Its files are named
// NNNN_name.up.sql and NNNN_name.down.sql, numbered from 0001, to be
// applied in order; each up file is one transaction's worth. They name the
// tables without a schema (monitehooks_subscriptions, …), so they apply
// to the connection's search_path. The store records the migrations it
// applies itself in a table monitehooks_migrations(version, applied_at),
// which a tool of your own need not keep. It returns nil for an unknown
// dialect.
func Migrations(d Dialect) fs.FS {
	if !d.valid() {
		return nil
	}
	sub, err := fs.Sub(migrationFiles, "migrations/"+string(d))
	if err != nil {
		panic("sqlstore: " + err.Error()) // the embedded folders exist
	}
	return sub
}

// migration is one numbered step of a dialect's schema.
type migration struct {
	version int
	name    string // the file name
	up      string
}

// migrationsOf returns the dialect's migrations in order.
func migrationsOf(d Dialect) []migration {
	fsys := Migrations(d)
	names, err := fs.Glob(fsys, "*.up.sql")
	if err != nil {
		panic("sqlstore: " + err.Error())
	}
	var ms []migration
	for _, name := range names {
		n, _, ok := strings.Cut(name, "_")
		version, err := strconv.Atoi(n)
		if !ok || err != nil || version <= 0 {
			panic("sqlstore: migration file " + name + " is not named NNNN_name.up.sql")
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			panic("sqlstore: " + err.Error())
		}
		ms = append(ms, migration{version: version, name: path.Join(string(d), name), up: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			panic(fmt.Sprintf("sqlstore: migration %s: want version %d", m.name, i+1))
		}
	}
	return ms
}

// Statements of the migrator. The version table is created by the
// migrator itself, before the numbered migrations, so that it can tell
// which of them to apply.
const (
	createSchemaPostgres = `CREATE SCHEMA IF NOT EXISTS %s`

	// lockMigrationsPostgres serializes migrators of the same schema until
	// their transaction ends, whichever process they run in.
	lockMigrationsPostgres = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`

	createVersionsPostgres = `CREATE TABLE IF NOT EXISTS monitehooks_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`
	createVersionsSQLite = `CREATE TABLE IF NOT EXISTS monitehooks_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
)`
	selectVersion = `SELECT COALESCE(MAX(version), 0) FROM monitehooks_migrations`
	insertVersion = `INSERT INTO monitehooks_migrations (version) VALUES ($1)`
)

// migrate brings the schema up to the latest migration of the dialect, in
// one transaction that holds a lock no other migrator of the same schema
// can take meanwhile: PostgreSQL's advisory lock, SQLite's write lock
// (BEGIN IMMEDIATE). Several processes starting at once on an empty
// database thus apply each migration once, the others waiting and then
// finding nothing to do. A database whose version is past the latest
// migration is refused with ErrSchemaTooNew.
func migrate(ctx context.Context, db *sql.DB, d Dialect, schema string, log *slog.Logger) error {
	if d != DialectSQLite {
		return migrateOnce(ctx, db, d, schema, log)
	}
	// SQLite may answer SQLITE_BUSY at once, without waiting out its busy
	// timeout, to connections opening a new database together while the
	// first turns it to WAL mode: wait and try again, for up to the busy
	// timeout.
	delay := 5 * time.Millisecond
	deadline := time.Now().Add(sqliteBusyTimeout)
	for {
		err := migrateOnce(ctx, db, d, schema, log)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(delay):
		}
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// isBusy reports whether err is SQLite's SQLITE_BUSY (code 5, with any
// extended code).
func isBusy(err error) bool {
	var coder interface{ Code() int }
	return errors.As(err, &coder) && coder.Code()&0xff == 5
}

// migrateOnce is one try of migrate.
func migrateOnce(ctx context.Context, db *sql.DB, d Dialect, schema string, log *slog.Logger) error {
	ms := migrationsOf(d)
	latest := len(ms)
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlstore: migrating: %w", err)
	}
	defer conn.Close()

	tx, err := beginMigration(ctx, conn, d)
	if err != nil {
		return fmt.Errorf("sqlstore: migrating: %w", err)
	}
	defer tx.rollback()
	exec := func(what, query string, args ...any) error {
		if _, err := tx.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("sqlstore: migrating: %s: %w", what, err)
		}
		return nil
	}

	createVersions := createVersionsSQLite
	if d == DialectPostgres {
		if err := exec("locking", lockMigrationsPostgres, "monitehooks_migrations:"+schema); err != nil {
			return err
		}
		if schema != "" {
			if err := exec("creating schema", fmt.Sprintf(createSchemaPostgres, quoteIdent(schema))); err != nil {
				return err
			}
		}
		createVersions = createVersionsPostgres
	}
	if err := exec("creating the version table", qualify(createVersions, schema)); err != nil {
		return err
	}
	var version int
	if err := tx.QueryRowContext(ctx, qualify(selectVersion, schema)).Scan(&version); err != nil {
		return fmt.Errorf("sqlstore: migrating: reading the version: %w", err)
	}
	if version > latest {
		return fmt.Errorf("sqlstore: schema version %d, and this version knows up to %d: %w", version, latest, ErrSchemaTooNew)
	}
	for _, m := range ms[version:] {
		if err := exec(m.name, qualify(m.up, schema)); err != nil {
			return err
		}
		if err := exec(m.name, qualify(insertVersion, schema), m.version); err != nil {
			return err
		}
		log.Info("sqlstore: migration applied", "migration", m.name, "schema", schema)
	}
	if err := tx.commit(); err != nil {
		return fmt.Errorf("sqlstore: migrating: %w", err)
	}
	return nil
}

// migrationTx is the migration's transaction: a *sql.Tx on PostgreSQL;
// on SQLite the connection itself, on which the migrator said BEGIN
// IMMEDIATE, since database/sql cannot ask for it.
type migrationTx struct {
	*sql.Conn
	tx   *sql.Tx // nil on SQLite
	done bool
}

// beginMigration begins the migration's transaction on conn. On SQLite
// it is BEGIN IMMEDIATE whatever the connection's settings: the write
// lock from the start, so that two migrators never both read version 0,
// and the second waits (busy_timeout) instead of failing.
func beginMigration(ctx context.Context, conn *sql.Conn, d Dialect) (*migrationTx, error) {
	if d == DialectSQLite {
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			return nil, err
		}
		return &migrationTx{Conn: conn}, nil
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &migrationTx{Conn: conn, tx: tx}, nil
}

// ExecContext runs a statement in the transaction.
func (t *migrationTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.tx != nil {
		return t.tx.ExecContext(ctx, query, args...)
	}
	return t.Conn.ExecContext(ctx, query, args...)
}

// QueryRowContext runs a query in the transaction.
func (t *migrationTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if t.tx != nil {
		return t.tx.QueryRowContext(ctx, query, args...)
	}
	return t.Conn.QueryRowContext(ctx, query, args...)
}

func (t *migrationTx) commit() error {
	t.done = true
	if t.tx != nil {
		return t.tx.Commit()
	}
	_, err := t.Conn.ExecContext(context.Background(), "COMMIT")
	return err
}

// rollback ends a transaction that was not committed.
func (t *migrationTx) rollback() {
	if t.done {
		return
	}
	t.done = true
	if t.tx != nil {
		t.tx.Rollback()
		return
	}
	t.Conn.ExecContext(context.Background(), "ROLLBACK")
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
