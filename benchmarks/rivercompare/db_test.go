package rivercompare

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver
)

// defaultPostgres is the server the tests use when MONITEHOOKS_TEST_POSTGRES
// is not set, as in sqlstore's tests.
const defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// server is the test binary's one connection pool to the PostgreSQL server,
// through which each run makes a database of its own (sqlstore's tests share
// a pool the same way; they give each test a schema, where a run here gets a
// whole database, since River's tables and ours share it).
var server struct {
	once sync.Once
	url  string
	db   *sql.DB
	err  error
}

// postgresServer returns the pool to the server, or skips tb when PostgreSQL
// cannot be reached (fails it when MONITEHOOKS_REQUIRE_POSTGRES=1).
func postgresServer(tb testing.TB) *sql.DB {
	tb.Helper()
	server.once.Do(func() {
		server.url = os.Getenv("MONITEHOOKS_TEST_POSTGRES")
		if server.url == "" {
			server.url = defaultPostgres
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
		db.SetMaxOpenConns(2)
		server.db = db
	})
	if server.err != nil {
		msg := "rivercompare: PostgreSQL not reachable at " + server.url + " (" + server.err.Error() + "); set MONITEHOOKS_TEST_POSTGRES"
		if os.Getenv("MONITEHOOKS_REQUIRE_POSTGRES") == "1" {
			tb.Fatal(msg + " (MONITEHOOKS_REQUIRE_POSTGRES=1)")
		}
		tb.Skip(msg)
	}
	return server.db
}

// freshPostgres makes an empty database on the server, dropped when tb
// ends, and returns its URL.
func freshPostgres(tb testing.TB) string {
	tb.Helper()
	db := postgresServer(tb)
	var b [8]byte
	rand.Read(b[:])
	name := "rivercompare_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, `CREATE DATABASE "`+name+`"`); err != nil {
		tb.Fatalf("creating database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		// FORCE ends the connections a pool still keeps (PostgreSQL 13+).
		if _, err := db.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+name+`" WITH (FORCE)`); err != nil {
			tb.Errorf("dropping database %s: %v", name, err)
		}
	})
	return postgresURL(tb, name)
}

// postgresURL returns the URL of the database name on the server: the
// server's URL with name in place of its database.
func postgresURL(tb testing.TB, name string) string {
	tb.Helper()
	u, err := url.Parse(server.url)
	if err != nil {
		tb.Fatalf("MONITEHOOKS_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// sqliteParams are the settings sqlstore.Open gives an SQLite database
// file (WAL, a busy timeout, synchronous=NORMAL, BEGIN IMMEDIATE), given to
// River's database too, so that both sides pay for the same durability.
const sqliteParams = "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_txlock=immediate"

// openRiverSQLite opens a database file for River in dir, over one
// connection, as riversqlite's documentation advises ("set the maximum
// pool size to one connection"), so that River's parallel operations wait
// for each other in the pool rather than fail with SQLITE_BUSY.
func openRiverSQLite(tb testing.TB, dir string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "river.db")+sqliteParams)
	if err != nil {
		tb.Fatalf("opening River's SQLite database: %v", err)
	}
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() {
		if err := db.Close(); err != nil {
			tb.Errorf("closing River's SQLite database: %v", err)
		}
	})
	return db
}

// ourSQLiteURL is the sqlstore URL of our side's database file in dir.
func ourSQLiteURL(dir string) string {
	return fmt.Sprintf("sqlite:%s", filepath.Join(dir, "monitehooks.db"))
}
