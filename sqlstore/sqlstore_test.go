package sqlstore_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
	"github.com/monitehooks/monitehooks/storetest"
)

// defaultPostgres is the server the tests use when MONITEHOOKS_TEST_POSTGRES
// is not set.
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// postgres is the test binary's one pool of connections to PostgreSQL,
// shared by every test: each test has a schema of its own in it.
var postgres struct {
	once sync.Once
	url  string
	db   *sql.DB
	err  error
}

// postgresDB returns the shared pool, or skips the test when PostgreSQL
// cannot be reached (fails it when MONITEHOOKS_REQUIRE_POSTGRES=1).
func postgresDB(t testing.TB) *sql.DB {
	t.Helper()
	postgres.once.Do(func() {
		postgres.url = os.Getenv("MONITEHOOKS_TEST_POSTGRES")
		if postgres.url == "" {
			postgres.url = defaultPostgres
		}
		db, err := sql.Open("pgx", postgres.url)
		if err != nil {
			postgres.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			postgres.err = err
			return
		}
		// The suite runs its subtests a few at a time (-parallel), some
		// with eight goroutines each: a small pool is plenty.
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(16)
		postgres.db = db
	})
	if postgres.err != nil {
		msg := "sqlstore: PostgreSQL not reachable at " + postgres.url + " (" + postgres.err.Error() + "); set MONITEHOOKS_TEST_POSTGRES"
		if os.Getenv("MONITEHOOKS_REQUIRE_POSTGRES") == "1" {
			t.Fatal(msg + " (MONITEHOOKS_REQUIRE_POSTGRES=1)")
		}
		t.Skip(msg)
	}
	return postgres.db
}

// newSchema returns the name of a schema of the test's own, dropped with
// everything in it when the test ends; the store creates it.
func newSchema(t testing.TB, db *sql.DB) string {
	t.Helper()
	name := "monitehooks_test_" + strings.ReplaceAll(newID(), "-", "")
	dropSchemaAtCleanup(t, db, name)
	return name
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

// newPostgresStore returns a store in a schema of the test's own.
func newPostgresStore(t testing.TB) *sqlstore.Store {
	t.Helper()
	db := postgresDB(t)
	s, err := sqlstore.New(context.Background(), db, sqlstore.DialectPostgres, &sqlstore.Config{Schema: newSchema(t, db)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
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
