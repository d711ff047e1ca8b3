// Package pgtest gives this repository's tests a PostgreSQL server, the
// same way in every package: the server is MONITEHOOKS_TEST_POSTGRES, or
// [DefaultURL] when it is not set; a test that needs it skips, saying
// why, when it cannot be reached, unless MONITEHOOKS_REQUIRE_POSTGRES=1
// makes that a failure (as CI does).
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// DefaultURL is the server the tests use when MONITEHOOKS_TEST_POSTGRES
// is not set.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// server is the test binary's one pool of connections to the server.
var server struct {
	once sync.Once
	url  string
	db   *sql.DB
	err  error
}

// Server returns the test binary's pool of connections to the server
// (16 at most, kept idle) and the server's URL, or skips tb when the
// server cannot be reached, failing it instead with
// MONITEHOOKS_REQUIRE_POSTGRES=1.
func Server(tb testing.TB) (*sql.DB, string) {
	tb.Helper()
	server.once.Do(func() {
		server.url = os.Getenv("MONITEHOOKS_TEST_POSTGRES")
		if server.url == "" {
			server.url = DefaultURL
		}
		db, err := sql.Open("pgx", server.url)
		if err != nil {
			server.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			server.err = err
			return
		}
		db.SetMaxOpenConns(16)
		db.SetMaxIdleConns(16)
		server.db = db
	})
	if server.err != nil {
		msg := fmt.Sprintf("PostgreSQL not reachable at %s (%v); set MONITEHOOKS_TEST_POSTGRES", server.url, server.err)
		if os.Getenv("MONITEHOOKS_REQUIRE_POSTGRES") == "1" {
			tb.Fatal(msg + " (MONITEHOOKS_REQUIRE_POSTGRES=1)")
		}
		tb.Skip(msg)
	}
	return server.db, server.url
}

// Reached returns the pool when a test has reached the server, and nil
// otherwise: for a TestMain that cleans up after the tests.
func Reached() *sql.DB {
	return server.db
}

// NewDatabase creates an empty database on the server, named prefix and
// random hex, drops it when tb ends (WITH FORCE, ending the sessions a
// killed process left), and returns its URL.
func NewDatabase(tb testing.TB, prefix string) string {
	tb.Helper()
	db, serverURL := Server(tb)
	u, err := url.Parse(serverURL)
	if err != nil {
		tb.Fatalf("MONITEHOOKS_TEST_POSTGRES: %v", err)
	}
	var b [12]byte
	rand.Read(b[:])
	name := prefix + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		tb.Fatalf("creating database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			tb.Errorf("dropping database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
