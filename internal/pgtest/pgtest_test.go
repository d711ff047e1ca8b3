package pgtest_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/monitehooks/monitehooks/internal/pgtest"
)

// TestNewDatabase: a new database is on the server, named at its URL,
// and is gone once the test that made it ends.
func TestNewDatabase(t *testing.T) {
	db, _ := pgtest.Server(t)
	count := func(name string) int {
		var n int
		if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var name string
	t.Run("make", func(t *testing.T) {
		u, err := url.Parse(pgtest.NewDatabase(t, "monitehooks_pgtest_"))
		if err != nil {
			t.Fatal(err)
		}
		name = strings.TrimPrefix(u.Path, "/")
		if !strings.HasPrefix(name, "monitehooks_pgtest_") || count(name) != 1 {
			t.Fatalf("database %q: not made", name)
		}
	})
	if n := count(name); n != 0 {
		t.Errorf("database %s after its test: %d; want dropped", name, n)
	}
}
