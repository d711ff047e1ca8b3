package cli_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// The PostgreSQL tests follow package sqlstore's: the server is
// MONITEHOOKS_TEST_POSTGRES (else defaultPostgres), and a test skips when
// it cannot be reached, unless MONITEHOOKS_REQUIRE_POSTGRES=1 makes that a
// failure. serve opens a store by URL, so each test gets a database of its
// own rather than a schema.

// defaultPostgres is the server the tests use when
// MONITEHOOKS_TEST_POSTGRES is not set.
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// postgres is the test binary's one connection pool to the server, for
// creating and dropping databases.
var postgres struct {
	once sync.Once
	raw  string // MONITEHOOKS_TEST_POSTGRES, or defaultPostgres
	url  *url.URL
	db   *sql.DB
	err  error
}

// postgresServer returns the shared pool and the server's URL, or skips
// the test when PostgreSQL cannot be reached (fails it when
// MONITEHOOKS_REQUIRE_POSTGRES=1).
func postgresServer(t *testing.T) (*sql.DB, *url.URL) {
	t.Helper()
	postgres.once.Do(func() {
		postgres.raw = os.Getenv("MONITEHOOKS_TEST_POSTGRES")
		if postgres.raw == "" {
			postgres.raw = defaultPostgres
		}
		if postgres.url, postgres.err = url.Parse(postgres.raw); postgres.err != nil {
			return
		}
		db, err := sql.Open("pgx", postgres.raw)
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
		postgres.db = db
	})
	if postgres.err != nil {
		msg := "cli: PostgreSQL not reachable at " + postgres.raw + " (" + postgres.err.Error() + "); set MONITEHOOKS_TEST_POSTGRES"
		if os.Getenv("MONITEHOOKS_REQUIRE_POSTGRES") == "1" {
			t.Fatal(msg + " (MONITEHOOKS_REQUIRE_POSTGRES=1)")
		}
		t.Skip(msg)
	}
	return postgres.db, postgres.url
}

// newPostgresDatabase creates a database of the test's own, with a
// random name, drops it when the test ends, and returns its URL.
func newPostgresDatabase(t *testing.T) string {
	t.Helper()
	db, server := postgresServer(t)
	var b [12]byte
	rand.Read(b[:])
	name := "monitehooks_cli_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		t.Fatalf("creating database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends the sessions of a serve that was killed, or that the
		// server has not yet seen go.
		if _, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			t.Errorf("dropping database %s: %v", name, err)
		}
	})
	u := *server
	u.Path = "/" + name
	return u.String()
}
