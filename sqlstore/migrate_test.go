package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
)

// opener opens stores over one database of a test's own, in a dialect.
type opener struct {
	name    string
	dialect sqlstore.Dialect
	// prepare readies the database, or skips the test when it cannot be
	// reached; it must be called, from the test's goroutine, before open.
	prepare func(t *testing.T)
	// open opens a store with cfg (whose Schema it sets on PostgreSQL).
	open func(t *testing.T, cfg sqlstore.Config) (*sqlstore.Store, error)
	// table returns the name a statement gives the store's table.
	table func(name string) string
}

// openers returns an opener per dialect, each over a fresh database: a
// file, or a schema (dropped when the test ends). Each store it opens has
// a pool of connections of its own, as stores in separate processes
// would.
func openers(t *testing.T) []opener {
	path := filepath.Join(t.TempDir(), "store.db")
	var (
		once   sync.Once
		schema = "monitehooks_test_" + strings.ReplaceAll(newID(), "-", "")
	)
	return []opener{{
		name:    "SQLite",
		dialect: sqlstore.DialectSQLite,
		prepare: func(t *testing.T) {},
		open: func(t *testing.T, cfg sqlstore.Config) (*sqlstore.Store, error) {
			s, err := sqlstore.Open(t.Context(), "sqlite:"+path, &cfg)
			if err == nil {
				t.Cleanup(func() { s.Close() })
			}
			return s, err
		},
		table: func(name string) string { return name },
	}, {
		name:    "Postgres",
		dialect: sqlstore.DialectPostgres,
		prepare: func(t *testing.T) {
			db := postgresDB(t)
			once.Do(func() { dropSchemaAtCleanup(t, db, schema) })
		},
		open: func(t *testing.T, cfg sqlstore.Config) (*sqlstore.Store, error) {
			db, err := sql.Open("pgx", postgres.url)
			if err != nil {
				return nil, err
			}
			db.SetMaxOpenConns(4)
			t.Cleanup(func() { db.Close() })
			cfg.Schema = schema
			return sqlstore.New(t.Context(), db, sqlstore.DialectPostgres, &cfg)
		},
		table: func(name string) string { return `"` + schema + `".` + name },
	}}
}

// TestMigrationsConcurrent opens eight stores at once on an empty
// database, as processes starting together would: each migration is
// applied once, and every store works.
func TestMigrationsConcurrent(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			o.prepare(t)
			const n = 8
			stores := make([]*sqlstore.Store, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					stores[i], errs[i] = o.open(t, sqlstore.Config{})
				})
			}
			close(start)
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("store %d of %d opened at once: %v", i+1, n, err)
				}
			}
			var versions []int
			rows, err := stores[0].DB().QueryContext(t.Context(), "SELECT version FROM "+o.table("monitehooks_migrations")+" ORDER BY version")
			if err != nil {
				t.Fatalf("reading versions: %v", err)
			}
			defer rows.Close()
			for rows.Next() {
				var v int
				if err := rows.Scan(&v); err != nil {
					t.Fatal(err)
				}
				versions = append(versions, v)
			}
			if want := migrationVersions(t, o.dialect); !slices.Equal(versions, want) {
				t.Errorf("versions recorded = %v; want %v, each once", versions, want)
			}
			for i, s := range stores {
				if _, err := s.CreateSubscription(t.Context(), monitehooks.Subscription{PartnerID: "p", ObjectType: "entity", Status: monitehooks.StatusEnabled}); err != nil {
					t.Errorf("store %d: CreateSubscription: %v", i+1, err)
				}
			}
		})
	}
}

// migrationVersions returns the versions of the dialect's migrations.
func migrationVersions(t *testing.T, d sqlstore.Dialect) []int {
	t.Helper()
	names, err := fs.Glob(sqlstore.Migrations(d), "*.up.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("Migrations(%s): %v, %d up files", d, err, len(names))
	}
	var vs []int
	for i := range names {
		vs = append(vs, i+1)
	}
	return vs
}

// TestSchemaTooNew: a database migrated by a newer version is refused,
// with an error that says so, and left as it is.
func TestSchemaTooNew(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			o.prepare(t)
			s, err := o.open(t, sqlstore.Config{})
			if err != nil {
				t.Fatalf("first open: %v", err)
			}
			if _, err := s.DB().ExecContext(t.Context(), "INSERT INTO "+o.table("monitehooks_migrations")+" (version) VALUES (9999)"); err != nil {
				t.Fatalf("recording a newer version: %v", err)
			}
			_, err = o.open(t, sqlstore.Config{})
			if !errors.Is(err, sqlstore.ErrSchemaTooNew) || !strings.Contains(err.Error(), "9999") {
				t.Errorf("open after a newer version migrated the database: err = %v; want one wrapping ErrSchemaTooNew that names version 9999", err)
			}
			if _, err := o.open(t, sqlstore.Config{SkipMigrations: true}); err != nil {
				t.Errorf("open with SkipMigrations: %v; want no check", err)
			}
		})
	}
}

// TestMigrationFiles: the files Migrations gives a tool of one's own come
// in up and down pairs, and each down undoes its up: applied in order on
// an empty database, up and then down leave no table of the store, and
// up again works.
func TestMigrationFiles(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			o.prepare(t)
			fsys := sqlstore.Migrations(o.dialect)
			ups, _ := fs.Glob(fsys, "*.up.sql")
			downs, _ := fs.Glob(fsys, "*.down.sql")
			if len(ups) == 0 || len(ups) != len(downs) {
				t.Fatalf("%d up files and %d down files; want pairs", len(ups), len(downs))
			}
			for i := range ups {
				if strings.TrimSuffix(ups[i], ".up.sql") != strings.TrimSuffix(downs[i], ".down.sql") {
					t.Errorf("up file %s has no down file of its name", ups[i])
				}
			}
			// A store's own migration made the tables; the down files drop
			// them, in reverse order.
			s, err := o.open(t, sqlstore.Config{})
			if err != nil {
				t.Fatal(err)
			}
			conn, err := s.DB().Conn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if o.dialect == sqlstore.DialectPostgres {
				// The files name no schema: they apply to the search_path.
				schema := strings.TrimSuffix(o.table(""), ".")
				if _, err := conn.ExecContext(t.Context(), "SET search_path TO "+schema); err != nil {
					t.Fatal(err)
				}
				defer conn.ExecContext(context.Background(), "RESET search_path")
			}
			for i := len(downs) - 1; i >= 0; i-- {
				b, err := fs.ReadFile(fsys, downs[i])
				if err != nil {
					t.Fatal(err)
				}
				if _, err := conn.ExecContext(t.Context(), string(b)); err != nil {
					t.Fatalf("%s: %v", downs[i], err)
				}
			}
			if _, err := conn.ExecContext(t.Context(), "SELECT 1 FROM monitehooks_deliveries"); err == nil {
				t.Errorf("monitehooks_deliveries still there after the down files")
			}
			for _, up := range ups {
				b, err := fs.ReadFile(fsys, up)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := conn.ExecContext(t.Context(), string(b)); err != nil {
					t.Fatalf("%s after the down files: %v", up, err)
				}
			}
		})
	}
}
