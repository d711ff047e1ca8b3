package rivercompare

import (
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/monitehooks/monitehooks/internal/pgtest"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver
)

// freshPostgres makes an empty database on the test server (package
// pgtest's: MONITEHOOKS_TEST_POSTGRES, skipping without it), dropped when
// tb ends, and returns its URL. A run gets a whole database, not a
// schema, since River's tables and ours share it.
func freshPostgres(tb testing.TB) string {
	tb.Helper()
	return pgtest.NewDatabase(tb, "rivercompare_")
}

// postgresURL returns the URL of the database name on the test server:
// the server's URL with name in place of its database.
func postgresURL(tb testing.TB, name string) string {
	tb.Helper()
	_, server := pgtest.Server(tb)
	u, err := url.Parse(server)
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
