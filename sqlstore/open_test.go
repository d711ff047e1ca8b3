package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
)

func TestOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		url  string
		cfg  *sqlstore.Config
	}{
		{"unknown scheme", "mysql://root@localhost/x", nil},
		{"empty", "", nil},
		{"sqlite without a path", "sqlite:", nil},
		{"sqlite path with a query", "sqlite:" + filepath.Join(dir, "x.db") + "?mode=ro", nil},
		{"schema on SQLite", "sqlite:" + filepath.Join(dir, "x.db"), &sqlstore.Config{Schema: "s"}},
		{"schema not an identifier", "postgres://nobody@127.0.0.1:1/x", &sqlstore.Config{Schema: `a"b`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := sqlstore.Open(t.Context(), tt.url, tt.cfg)
			if !errors.Is(err, monitehooks.ErrInvalid) {
				t.Errorf("Open(%q) = %v, %v; want an error wrapping ErrInvalid", tt.url, s, err)
			}
		})
	}
	_, err := sqlstore.Open(t.Context(), "postgres://user:secret@127.0.0.1:1/x?sslmode=disable&connect_timeout=1", nil)
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("Open of an unreachable server: err = %v; want an error without the password", err)
	}
}

func TestNewRefuses(t *testing.T) {
	db, err := sql.Open("sqlite", "file::memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := sqlstore.New(t.Context(), db, "mysql", nil); !errors.Is(err, monitehooks.ErrInvalid) {
		t.Errorf("New with dialect mysql: err = %v; want one wrapping ErrInvalid", err)
	}
	if _, err := sqlstore.New(t.Context(), nil, sqlstore.DialectSQLite, nil); !errors.Is(err, monitehooks.ErrInvalid) {
		t.Errorf("New with a nil DB: err = %v; want one wrapping ErrInvalid", err)
	}
}

// TestCloseOwnership: Close closes the database Open opened, once, and
// leaves alone the one given to New.
func TestCloseOwnership(t *testing.T) {
	s, err := sqlstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "x.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	db := s.DB()
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := db.PingContext(t.Context()); err == nil {
		t.Errorf("the DB Open opened still answers after Close")
	}

	db, err = sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "y.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err = sqlstore.New(t.Context(), db, sqlstore.DialectSQLite, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := db.PingContext(t.Context()); err != nil {
		t.Errorf("the DB given to New was closed by Close: %v", err)
	}
}

// TestMemory: sqlite::memory: is a store over one connection, which the
// store does not call durable.
func TestMemory(t *testing.T) {
	s, err := sqlstore.Open(t.Context(), "sqlite::memory:", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sub, err := s.CreateSubscription(t.Context(), monitehooks.Subscription{PartnerID: "p", ObjectType: "entity"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSubscription(t.Context(), "p", sub.ID); err != nil {
		t.Errorf("GetSubscription: %v", err)
	}
	// Transactions on its one connection: a statement prepared inside one
	// would wait for a second connection forever.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
		Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
		SubscriptionIDs: []string{sub.ID}, Due: now,
	}); err != nil {
		t.Fatalf("CreateEvent: %v", err)
	}
	res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 10, Lease: time.Minute})
	if err != nil || len(res.Claims) != 1 {
		t.Fatalf("ClaimDeliveries = %d claims, %v; want 1", len(res.Claims), err)
	}
	if s.Durable() {
		t.Errorf("Durable() = true for sqlite::memory:; want false")
	}
	file := newSQLiteStore(t)
	if !file.Durable() {
		t.Errorf("Durable() = false for an SQLite file; want true")
	}
}

// TestSkipMigrations: the store makes no table when told not to.
func TestSkipMigrations(t *testing.T) {
	s, err := sqlstore.Open(t.Context(), "sqlite::memory:", &sqlstore.Config{SkipMigrations: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CountDeliveries(t.Context()); err == nil {
		t.Errorf("CountDeliveries on a database without tables: err = nil; want the tables missing")
	}
}

// TestAllowPanics: a claim whose Allow panics leaves nothing held: the
// store claims again at once.
func TestAllowPanics(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { testAllowPanics(t, newSQLiteStore(t)) })
	// On PostgreSQL the claim's transaction is on a connection it took
	// from the pool (see pipeline.go).
	t.Run("Postgres", func(t *testing.T) { testAllowPanics(t, newPostgresStore(t)) })
}

func testAllowPanics(t *testing.T, s *sqlstore.Store) {
	ctx := t.Context()
	sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity"})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
		Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
		SubscriptionIDs: []string{sub.ID}, Due: now,
	}); err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("Allow's panic did not reach the caller")
			}
		}()
		s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 1, Lease: time.Minute, Allow: func(string) bool { panic("boom") }})
	}()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 1, Lease: time.Minute})
	if err != nil || len(res.Claims) != 1 {
		t.Errorf("claim after Allow panicked = %d claims, %v; want the delivery", len(res.Claims), err)
	}
}

// TestClaimOneConnection: on PostgreSQL a claim, which runs its
// transaction on a connection it takes from the pool, reads the
// subscriptions it lacks on that connection, so a pool of one suffices.
func TestClaimOneConnection(t *testing.T) {
	schema := schemas.take(t, postgresDB(t))
	db, err := sql.Open("pgx", postgres.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s, err := sqlstore.New(ctx, db, sqlstore.DialectPostgres, &sqlstore.Config{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity", Status: monitehooks.StatusEnabled})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
		Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
		SubscriptionIDs: []string{sub.ID}, Due: now,
	}); err != nil {
		t.Fatal(err)
	}
	res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 2, Lease: time.Minute})
	if err != nil || len(res.Claims) != 1 || res.Claims[0].Subscription == nil || res.Claims[0].Subscription.ID != sub.ID {
		t.Fatalf("ClaimDeliveries = %+v, %v; want the delivery with its subscription", res, err)
	}
	if want := now.Add(time.Minute); !res.NextDue.Equal(want) {
		t.Errorf("NextDue = %v; want the end of the lease, %v", res.NextDue, want)
	}
}
