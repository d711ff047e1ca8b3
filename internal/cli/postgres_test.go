package cli_test

import (
	"testing"

	"github.com/monitehooks/monitehooks/internal/pgtest"
)

// newPostgresDatabase creates a database of the test's own (serve opens
// a store by URL, so a test gets a database rather than a schema), drops
// it when the test ends, and returns its URL; it skips without
// PostgreSQL as package pgtest says.
func newPostgresDatabase(t *testing.T) string {
	t.Helper()
	return pgtest.NewDatabase(t, "monitehooks_cli_")
}
