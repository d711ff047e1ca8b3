package sqlstore_test

import (
	"database/sql"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
)

// benchStores are the stores the benchmarks run on, each made inside its
// sub-benchmark, so that PostgreSQL's absence skips only its own.
var benchStores = []struct {
	name string
	open func(testing.TB) *sqlstore.Store
}{
	{"SQLite", func(tb testing.TB) *sqlstore.Store { return newSQLiteStore(tb) }},
	{"Postgres", func(tb testing.TB) *sqlstore.Store { return newPostgresStore(tb) }},
}

// BenchmarkCreateEvent stores events of 250 bytes fanned out to three
// subscriptions, one transaction each.
func BenchmarkCreateEvent(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			ctx := b.Context()
			var subs []string
			for range 3 {
				sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity"})
				if err != nil {
					b.Fatal(err)
				}
				subs = append(subs, sub.ID)
			}
			object := make([]byte, 250)
			for i := range object {
				object[i] = 'x'
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
					Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", Object: object, CreatedAt: now},
					SubscriptionIDs: subs, Due: now,
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCreateEventParallel is BenchmarkCreateEvent from 16
// goroutines at once, as many emitting requests would: commits then
// share the disk's flushes.
func BenchmarkCreateEventParallel(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			ctx := b.Context()
			var subs []string
			for range 3 {
				sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity"})
				if err != nil {
					b.Fatal(err)
				}
				subs = append(subs, sub.ID)
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			b.SetParallelism(8) // 8 per core: 16 on two cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
						Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
						SubscriptionIDs: subs, Due: now,
					}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkClaimRecord claims deliveries ten at a time from a backlog
// over 20 subscriptions and records each a success: the work of a
// delivery apart from its request. It reports the time per delivery.
func BenchmarkClaimRecord(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			ctx := b.Context()
			var subs []string
			for range 20 {
				sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity"})
				if err != nil {
					b.Fatal(err)
				}
				subs = append(subs, sub.ID)
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			for range b.N/len(subs) + 1 {
				if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
					Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
					SubscriptionIDs: subs, Due: now,
				}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for done := 0; done < b.N; {
				res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 10, Lease: time.Minute})
				if err != nil || len(res.Claims) == 0 {
					b.Fatalf("claim: %d claims, %v", len(res.Claims), err)
				}
				for _, c := range res.Claims {
					if err := s.RecordAttempt(ctx, monitehooks.RecordAttemptParams{
						DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken, Status: monitehooks.DeliverySucceeded,
						Attempt: &monitehooks.Attempt{At: now, StatusCode: 200}, UpdatedAt: now,
					}); err != nil {
						b.Fatal(err)
					}
					done++
				}
			}
		})
	}
}

// BenchmarkCreateMatchedEvent is BenchmarkCreateEvent with the store
// finding the three subscriptions itself: compare the two.
func BenchmarkCreateMatchedEvent(b *testing.B) {
	for _, bs := range benchStores {
		b.Run(bs.name, func(b *testing.B) {
			s := bs.open(b)
			ctx := b.Context()
			for range 3 {
				if _, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity", Status: monitehooks.StatusEnabled}); err != nil {
					b.Fatal(err)
				}
			}
			object := make([]byte, 250)
			for i := range object {
				object[i] = 'x'
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.CreateMatchedEvent(ctx, monitehooks.CreateEventParams{
					Event: monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", Object: object, CreatedAt: now},
					Due:   now,
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCreateEventTx is a transaction of the application's own that
// inserts a row of its own and then, in the same transaction:
//
//   - Alone: nothing more, the baseline;
//   - OutboxRows: inserts three rows of 250 bytes into a table of its
//     own in one statement, as a job queue's InsertManyTx would;
//   - CreateEventTx: stores an event of 250 bytes that matches three
//     subscriptions, as EmitTx does.
func BenchmarkCreateEventTx(b *testing.B) {
	for _, bs := range []struct {
		name  string
		open  func(testing.TB) (*sqlstore.Store, func(string) string)
		jobID string // the jobs table's key column
	}{
		{"SQLite", func(tb testing.TB) (*sqlstore.Store, func(string) string) {
			return newSQLiteStore(tb), func(name string) string { return name }
		}, "INTEGER PRIMARY KEY AUTOINCREMENT"},
		{"Postgres", func(tb testing.TB) (*sqlstore.Store, func(string) string) {
			db := postgresDB(tb)
			schema := schemas.take(tb, db)
			s, err := sqlstore.New(tb.Context(), db, sqlstore.DialectPostgres, &sqlstore.Config{Schema: schema})
			if err != nil {
				tb.Fatal(err)
			}
			return s, func(name string) string { return `"` + schema + `".` + name }
		}, "BIGSERIAL PRIMARY KEY"},
	} {
		b.Run(bs.name, func(b *testing.B) {
			s, table := bs.open(b)
			ctx := b.Context()
			for _, ddl := range []string{
				"CREATE TABLE " + table("bench_orders") + " (id TEXT PRIMARY KEY, total INTEGER NOT NULL)",
				"CREATE TABLE " + table("bench_jobs") + " (id " + bs.jobID + ", kind TEXT NOT NULL, args TEXT NOT NULL, state TEXT NOT NULL, scheduled_ns BIGINT NOT NULL)",
			} {
				if _, err := s.DB().ExecContext(ctx, ddl); err != nil {
					b.Fatal(err)
				}
			}
			b.Cleanup(func() {
				for _, name := range []string{"bench_orders", "bench_jobs"} {
					s.DB().Exec("DROP TABLE " + table(name))
				}
			})
			for range 3 {
				if _, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity", Status: monitehooks.StatusEnabled}); err != nil {
					b.Fatal(err)
				}
			}
			object := make([]byte, 250)
			for i := range object {
				object[i] = 'x'
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			insertOrder := "INSERT INTO " + table("bench_orders") + " (id, total) VALUES ($1, $2)"
			insertJobs := "INSERT INTO " + table("bench_jobs") + ` (kind, args, state, scheduled_ns) VALUES
	('webhook', $1, 'available', $2), ('webhook', $1, 'available', $2), ('webhook', $1, 'available', $2)`
			for _, then := range []struct {
				name string
				do   func(tx *sql.Tx) error
			}{
				{"Alone", func(*sql.Tx) error { return nil }},
				{"OutboxRows", func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, insertJobs, string(object), now.UnixNano())
					return err
				}},
				{"CreateEventTx", func(tx *sql.Tx) error {
					_, err := s.CreateEventTx(ctx, tx, monitehooks.CreateEventParams{
						Event: monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", Object: object, CreatedAt: now},
						Due:   now,
					})
					return err
				}},
			} {
				b.Run(then.name, func(b *testing.B) {
					n := 0
					for b.Loop() {
						n++
						tx, err := s.DB().BeginTx(ctx, nil)
						if err != nil {
							b.Fatal(err)
						}
						if _, err := tx.ExecContext(ctx, insertOrder, newID(), n); err != nil {
							b.Fatal(err)
						}
						if err := then.do(tx); err != nil {
							b.Fatal(err)
						}
						if err := tx.Commit(); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
