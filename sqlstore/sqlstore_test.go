package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/internal/pgtest"
	"github.com/monitehooks/monitehooks/sqlstore"
	"github.com/monitehooks/monitehooks/storetest"
)

// postgres is the test binary's pool of connections to PostgreSQL
// (package pgtest's), shared by every test: each test has a schema of its
// own in it. postgresDB sets it.
var postgres struct {
	once sync.Once
	url  string
	db   *sql.DB
}

// postgresDB returns the shared pool, or skips the test when PostgreSQL
// cannot be reached (fails it when MONITEHOOKS_REQUIRE_POSTGRES=1).
func postgresDB(t testing.TB) *sql.DB {
	t.Helper()
	db, url := pgtest.Server(t)
	postgres.once.Do(func() { postgres.db, postgres.url = db, url })
	return db
}

// newID returns a random UUID.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// dropSchemaAtCleanup drops the schema, with everything in it, when the
// test ends.
func dropSchemaAtCleanup(t testing.TB, db *sql.DB, name string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS "`+name+`" CASCADE`); err != nil {
			t.Errorf("dropping schema %s: %v", name, err)
		}
	})
}

// newPostgresStore returns a store in a schema of the test's own, which
// no other test uses at the same time.
func newPostgresStore(t testing.TB) *sqlstore.Store {
	t.Helper()
	db := postgresDB(t)
	schema := schemas.take(t, db)
	s, err := sqlstore.New(context.Background(), db, sqlstore.DialectPostgres, &sqlstore.Config{Schema: schema})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// schemas are the conformance suite's schemas. Making and dropping a
// schema costs PostgreSQL about 50ms, more than most tests: a schema is
// emptied when its test ends and given to a later test, and all are
// dropped when the tests are done (see TestMain).
var schemas schemaPool

type schemaPool struct {
	mu   sync.Mutex // guards free and all
	free []string   // emptied, ready for a test
	all  []string
}

// emptySchema deletes every row of a schema's tables and zeroes its
// counts, leaving the migrations' record and the sequences as they are:
// the store needs seqs that rise, not that start at 1.
const emptySchema = `DELETE FROM %[1]s.monitehooks_attempts;
DELETE FROM %[1]s.monitehooks_deliveries;
DELETE FROM %[1]s.monitehooks_events;
DELETE FROM %[1]s.monitehooks_subscriptions;
DELETE FROM %[1]s.monitehooks_queues;
UPDATE %[1]s.monitehooks_counts SET pending = 0, succeeded = 0, failed = 0`

// take returns a schema for the test: an emptied one, or a new name (the
// store makes the schema). When the test ends the schema is emptied and
// put back, or dropped if emptying it fails.
func (p *schemaPool) take(t testing.TB, db *sql.DB) string {
	p.mu.Lock()
	var name string
	if n := len(p.free); n > 0 {
		name, p.free = p.free[n-1], p.free[:n-1]
	} else {
		name = "monitehooks_test_" + strings.ReplaceAll(newID(), "-", "")
		p.all = append(p.all, name)
	}
	p.mu.Unlock()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, fmt.Sprintf(emptySchema, `"`+name+`"`)); err != nil {
			return // not made, or broken: TestMain drops it
		}
		p.mu.Lock()
		p.free = append(p.free, name)
		p.mu.Unlock()
	})
	return name
}

// dropAll drops every schema the pool handed out.
func (p *schemaPool) dropAll(db *sql.DB) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, name := range p.all {
		if _, err := db.Exec(`DROP SCHEMA IF EXISTS "` + name + `" CASCADE`); err != nil {
			errs = append(errs, err)
		}
	}
	p.all, p.free = nil, nil
	return errors.Join(errs...)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if postgres.db != nil {
		if err := schemas.dropAll(postgres.db); err != nil {
			fmt.Fprintln(os.Stderr, "sqlstore: dropping the tests' schemas:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// newSQLiteStore returns a store over a database file of the test's own.
func newSQLiteStore(t testing.TB) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "store.db"), nil)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformancePostgres(t *testing.T) {
	postgresDB(t)
	storetest.Run(t, func(t *testing.T) monitehooks.Store { return newPostgresStore(t) })
}

func TestConformanceSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) monitehooks.Store { return newSQLiteStore(t) })
}
