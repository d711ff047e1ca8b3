package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/memstore"
	"github.com/monitehooks/monitehooks/sqlstore"
	"github.com/monitehooks/monitehooks/webhooktest"
)

// emitBundle is a process of an application that emits through its own
// transactions: a store, a registry, an emitter that polls only once an
// hour (so that it delivers when woken), and a receiver with one
// subscription.
type emitBundle struct {
	o     opener
	store *sqlstore.Store
	reg   *monitehooks.Registry
	em    *monitehooks.Emitter
	recv  *webhooktest.Receiver
	sub   monitehooks.Subscription
}

// startProcess opens a store with the opener and starts a registry and
// an emitter over it; recv receives the deliveries.
func startProcess(t *testing.T, o opener, recv *webhooktest.Receiver) *emitBundle {
	t.Helper()
	s, err := o.open(t, sqlstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := monitehooks.NewRegistry(t.Context(), s, &monitehooks.RegistryConfig{AllowInsecureURLs: true})
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	em, err := monitehooks.NewEmitter(s, reg, &monitehooks.EmitterConfig{AllowPrivateNetworks: true, PollInterval: time.Hour})
	if err != nil {
		t.Fatalf("NewEmitter: %v", err)
	}
	t.Cleanup(func() { em.Close() })
	createOrders := "CREATE TABLE IF NOT EXISTS " + o.table("app_orders") + " (id TEXT PRIMARY KEY)"
	if _, err := s.DB().ExecContext(t.Context(), createOrders); err != nil {
		t.Fatalf("creating the application's table: %v", err)
	}
	return &emitBundle{o: o, store: s, reg: reg, em: em, recv: recv}
}

// newEmitBundle starts a process with a subscription to entity events.
func newEmitBundle(t *testing.T, o opener) *emitBundle {
	t.Helper()
	o.prepare(t)
	b := startProcess(t, o, webhooktest.NewReceiver(t))
	sub, err := b.reg.Create(t.Context(), monitehooks.SubscriptionParams{PartnerID: "p", ObjectType: "entity", URL: b.recv.URL + "/hooks"})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	b.sub = sub
	b.recv.SetSecrets(sub.CurrentSecret())
	return b
}

// entityEvent is an event of partner p about the entity.
func entityEvent(objectID string) monitehooks.Event {
	return monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: objectID, Type: "created"}
}

// order makes, in tx, the application's change that the event is about.
func (b *emitBundle) order(t *testing.T, tx *sql.Tx, id string) {
	t.Helper()
	if _, err := tx.ExecContext(t.Context(), "INSERT INTO "+b.o.table("app_orders")+" (id) VALUES ($1)", id); err != nil {
		t.Fatalf("the application's INSERT: %v", err)
	}
}

// emitInTx begins a transaction on the store's database, makes an order
// and emits its event, and returns the transaction and the event.
func (b *emitBundle) emitInTx(t *testing.T, id string) (*sql.Tx, monitehooks.Event) {
	t.Helper()
	tx, err := b.store.DB().BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatalf("BeginTx: %v", err)
	}
	t.Cleanup(func() { tx.Rollback() })
	b.order(t, tx, id)
	ev, err := b.em.EmitTx(t.Context(), tx, entityEvent(id))
	if err != nil {
		t.Fatalf("EmitTx: %v", err)
	}
	return tx, ev
}

// commit commits tx and wakes the emitter, as the package documentation
// tells.
func (b *emitBundle) commit(t *testing.T, tx *sql.Tx) {
	t.Helper()
	if err := tx.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	b.em.Wake()
}

// deliveries returns every delivery of partner p, oldest first.
func deliveries(t *testing.T, s monitehooks.Store) []monitehooks.Delivery {
	t.Helper()
	var all []monitehooks.Delivery
	p := monitehooks.ListParams{Limit: 100}
	for {
		page, err := s.ListDeliveries(t.Context(), "p", p)
		if err != nil {
			t.Fatalf("ListDeliveries: %v", err)
		}
		all = append(all, page.Data...)
		if page.Next == "" {
			return all
		}
		p = monitehooks.ListParams{Cursor: page.Next}
	}
}

// eventIDs returns the event IDs of the deliveries, in order.
func eventIDs(ds []monitehooks.Delivery) []string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.EventID
	}
	return ids
}

// TestEmitTxRollback: an event emitted in a transaction that rolls back
// is never delivered and leaves no row; the event committed after it is
// delivered alone.
func TestEmitTxRollback(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			b := newEmitBundle(t, o)
			tx, rolledBack := b.emitInTx(t, "order-1")
			if err := tx.Rollback(); err != nil {
				t.Fatalf("Rollback: %v", err)
			}
			b.em.Wake()
			if _, err := b.store.GetEvent(t.Context(), "p", rolledBack.ID); !errors.Is(err, monitehooks.ErrEventNotFound) {
				t.Errorf("GetEvent of the rolled-back event: err = %v; want ErrEventNotFound", err)
			}
			tx, committed := b.emitInTx(t, "order-2")
			b.commit(t, tx)
			b.recv.WaitForEvent(t, committed.ID)

			if ids := eventIDs(deliveries(t, b.store)); !slices.Equal(ids, []string{committed.ID}) {
				t.Errorf("deliveries of events %v; want only the committed one, %s", ids, committed.ID)
			}
			for _, r := range b.recv.Requests() {
				if r.WebhookID() != committed.ID {
					t.Errorf("the receiver got event %s; want only %s", r.WebhookID(), committed.ID)
				}
			}
			page, err := b.store.ListEvents(t.Context(), "p", monitehooks.ListParams{})
			if err != nil || len(page.Data) != 1 {
				t.Errorf("ListEvents = %d events, %v; want the committed one", len(page.Data), err)
			}
			var orders int
			if err := b.store.DB().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM "+o.table("app_orders")).Scan(&orders); err != nil || orders != 1 {
				t.Errorf("the application has %d orders, %v; want 1", orders, err)
			}
		})
	}
}

// TestEmitTxCommit: an event emitted in a transaction is not seen before
// it commits, and is delivered, signed, once it has.
func TestEmitTxCommit(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			b := newEmitBundle(t, o)
			tx, ev := b.emitInTx(t, "order-1")
			if _, err := b.store.GetEvent(t.Context(), "p", ev.ID); !errors.Is(err, monitehooks.ErrEventNotFound) {
				t.Errorf("GetEvent outside the open transaction: err = %v; want ErrEventNotFound", err)
			}
			b.commit(t, tx)
			req := b.recv.WaitForEvent(t, ev.ID)
			if !req.Verified() {
				t.Errorf("delivery's signature: %v", req.SignatureErr)
			}
			if obj, _ := req.JSON()["object"].(map[string]any); obj["id"] != "order-1" {
				t.Errorf("delivery's object = %v; want the id order-1", req.JSON()["object"])
			}
			if ds := deliveries(t, b.store); len(ds) != 1 || ds[0].SubscriptionID != b.sub.ID {
				t.Errorf("deliveries = %+v; want one, to %s", ds, b.sub.ID)
			}
		})
	}
}

// TestEmitTxCrash: the process commits and dies before its emitter looks
// at the delivery; the next process on the database delivers it, once.
func TestEmitTxCrash(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			first := newEmitBundle(t, o)
			tx, ev := first.emitInTx(t, "order-1")
			if err := tx.Commit(); err != nil {
				t.Fatalf("Commit: %v", err)
			}
			// Dies before waking its emitter, which polls once an hour.
			first.em.Close()
			first.store.Close()

			next := startProcess(t, o, first.recv)
			req := next.recv.WaitForEvent(t, ev.ID)
			if !req.Verified() {
				t.Errorf("delivery's signature: %v", req.SignatureErr)
			}
			ds := deliveries(t, next.store)
			if len(ds) != 1 {
				t.Fatalf("deliveries = %+v; want one", ds)
			}
			// Recorded after the answer: wait for it, through the store.
			waitFor(t, "the delivery recorded as succeeded", func() bool {
				d, err := next.store.GetDelivery(t.Context(), "p", ds[0].ID)
				return err == nil && d.Status == monitehooks.DeliverySucceeded
			})
			if n := next.recv.Len(); n != 1 {
				t.Errorf("the receiver got %d requests; want 1", n)
			}
		})
	}
}

// waitFor waits until done reports true, asking the database again each
// time it answers: a failure guard of 30s, never a sleep.
func waitFor(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
		runtime.Gosched()
	}
}

// TestEmitTxConcurrent: transactions emitting for one subscription at
// once, while the subscription is being changed, each deliver their event
// once.
func TestEmitTxConcurrent(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			b := newEmitBundle(t, o)
			const txs = 8
			var (
				wg    sync.WaitGroup
				mu    sync.Mutex
				ids   = make(map[string]bool)
				errs  = make(chan error, txs+1)
				start = make(chan struct{})
			)
			for i := range txs {
				wg.Go(func() {
					<-start
					err := func() error {
						tx, err := b.store.DB().BeginTx(t.Context(), nil)
						if err != nil {
							return err
						}
						defer tx.Rollback()
						id := fmt.Sprintf("order-%d", i)
						if _, err := tx.ExecContext(t.Context(), "INSERT INTO "+o.table("app_orders")+" (id) VALUES ($1)", id); err != nil {
							return err
						}
						ev, err := b.em.EmitTx(t.Context(), tx, entityEvent(id))
						if err != nil {
							return err
						}
						if err := tx.Commit(); err != nil {
							return err
						}
						b.em.Wake()
						mu.Lock()
						ids[ev.ID] = true
						mu.Unlock()
						return nil
					}()
					if err != nil {
						errs <- err
					}
				})
			}
			wg.Go(func() {
				<-start
				if _, err := b.reg.Update(t.Context(), "p", b.sub.ID, monitehooks.SubscriptionUpdate{Name: ptr("renamed")}); err != nil {
					errs <- err
				}
			})
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatalf("a transaction: %v", err)
			}
			reqs := b.recv.WaitFor(t, txs)
			seen := make(map[string]bool)
			for _, r := range reqs {
				if id := r.WebhookID(); !ids[id] || seen[id] {
					t.Errorf("delivery of event %s: unknown or sent twice", id)
				}
				seen[r.WebhookID()] = true
			}
			if ds := deliveries(t, b.store); len(ds) != txs {
				t.Errorf("%d deliveries; want %d", len(ds), txs)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestEmitTxOrder: the events a transaction emits keep their order in
// the delivery log.
func TestEmitTxOrder(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			b := newEmitBundle(t, o)
			tx, err := b.store.DB().BeginTx(t.Context(), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			var want []string
			for i := range 5 {
				id := fmt.Sprintf("order-%d", i)
				b.order(t, tx, id)
				ev, err := b.em.EmitTx(t.Context(), tx, entityEvent(id))
				if err != nil {
					t.Fatalf("EmitTx: %v", err)
				}
				want = append(want, ev.ID)
			}
			b.commit(t, tx)
			b.recv.WaitFor(t, len(want))
			if got := eventIDs(deliveries(t, b.store)); !slices.Equal(got, want) {
				t.Errorf("delivery log's events = %v; want %v, the order of EmitTx", got, want)
			}
		})
	}
}

// TestEmitTxNotATxStore: with memstore, EmitTx answers ErrTxNotSupported.
func TestEmitTxNotATxStore(t *testing.T) {
	ctx := t.Context()
	store := memstore.New()
	reg, err := monitehooks.NewRegistry(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	em, err := monitehooks.NewEmitter(store, reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	_, err = em.EmitTx(ctx, tx, entityEvent("order-1"))
	if !errors.Is(err, monitehooks.ErrTxNotSupported) {
		t.Errorf("EmitTx with memstore: err = %v; want one wrapping ErrTxNotSupported", err)
	}
}

// TestEmitTxOtherDatabase: a transaction on a database without the
// store's tables, or with another store's, is refused with
// ErrTxNotSupported, and stores nothing.
func TestEmitTxOtherDatabase(t *testing.T) {
	ctx := t.Context()
	check := func(t *testing.T, b *emitBundle, db *sql.DB, wantInMessage string) {
		t.Helper()
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		_, err = b.em.EmitTx(ctx, tx, entityEvent("order-1"))
		if !errors.Is(err, monitehooks.ErrTxNotSupported) || !strings.Contains(err.Error(), wantInMessage) {
			t.Errorf("EmitTx through a transaction on another database: err = %v; want one wrapping ErrTxNotSupported that says %q", err, wantInMessage)
		}
		if ds := deliveries(t, b.store); len(ds) != 0 {
			t.Errorf("after the refusal, %d deliveries; want none", len(ds))
		}
	}
	t.Run("SQLite", func(t *testing.T) {
		b := newEmitBundle(t, openers(t)[0])
		dir := t.TempDir()
		empty, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "empty.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer empty.Close()
		check(t, b, empty, "no monitehooks tables")

		other, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "other.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		check(t, b, other.DB(), "another database")
	})
	t.Run("Postgres", func(t *testing.T) {
		o := openers(t)[1]
		b := newEmitBundle(t, o)
		// The same schema name in another database of the server, first
		// without the tables, then with another store's.
		otherURL := strings.Replace(postgresURL(), "/test?", "/postgres?", 1)
		if otherURL == postgresURL() {
			t.Skipf("cannot name another database than the one of %s", postgresURL())
		}
		other, err := sql.Open("pgx", otherURL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { other.Close() }) // after the schema is dropped
		check(t, b, other, "no monitehooks tables")

		schema := strings.Trim(strings.SplitN(o.table("x"), ".", 2)[0], `"`)
		dropSchemaAtCleanup(t, other, schema)
		otherStore, err := sqlstore.New(ctx, other, sqlstore.DialectPostgres, &sqlstore.Config{Schema: schema})
		if err != nil {
			t.Fatal(err)
		}
		defer otherStore.Close()
		check(t, b, other, "another database")
	})
	t.Run("PostgresStoreSQLiteTx", func(t *testing.T) {
		b := newEmitBundle(t, openers(t)[1])
		db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "app.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		check(t, b, db, "no monitehooks tables")
	})
}

// postgresURL is the URL of the tests' PostgreSQL database.
func postgresURL() string { return postgres.url }

// TestEmitMatchesAnotherProcessesSubscriptions: an event emitted through
// one process is matched against the subscriptions another process
// created, changed or deleted a moment before, which the first process's
// registry has not seen.
func TestEmitMatchesAnotherProcessesSubscriptions(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			o.prepare(t)
			ctx := t.Context()
			recv := webhooktest.NewReceiver(t)
			first := startProcess(t, o, recv)
			second := startProcess(t, o, recv)
			emit := func() []string {
				t.Helper()
				ev, err := first.em.Emit(ctx, entityEvent("o"))
				if err != nil {
					t.Fatalf("Emit: %v", err)
				}
				var subs []string
				for _, d := range deliveries(t, first.store) {
					if d.EventID == ev.ID {
						subs = append(subs, d.SubscriptionID)
					}
				}
				return subs
			}
			a, err := second.reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: "p", ObjectType: "entity", URL: recv.URL + "/a"})
			if err != nil {
				t.Fatal(err)
			}
			if got := emit(); !slices.Equal(got, []string{a.ID}) {
				t.Errorf("after the other process created %s, the event went to %v", a.ID, got)
			}
			c, err := second.reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: "p", ObjectType: "entity", URL: recv.URL + "/c"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := second.reg.Disable(ctx, "p", a.ID); err != nil {
				t.Fatal(err)
			}
			if got := emit(); !slices.Equal(got, []string{c.ID}) {
				t.Errorf("after the other process disabled %s, the event went to %v; want [%s]", a.ID, got, c.ID)
			}
			if err := second.reg.Delete(ctx, "p", c.ID); err != nil {
				t.Fatal(err)
			}
			if got := emit(); len(got) != 0 {
				t.Errorf("after the other process deleted %s, the event went to %v; want nowhere", c.ID, got)
			}
		})
	}
}

// TestEmitTxThroughPgxPool: the way the package documentation gives
// applications on pgx's own interface works: a *sql.DB over their
// *pgxpool.Pool, a transaction begun on a *sql.Conn of it, the
// application's statements made through pgx on the same session, and
// EmitTx.
func TestEmitTxThroughPgxPool(t *testing.T) {
	ctx := t.Context()
	schema := schemas.take(t, postgresDB(t))
	pool, err := pgxpool.New(ctx, postgres.url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	store, err := sqlstore.New(ctx, db, sqlstore.DialectPostgres, &sqlstore.Config{Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	orders := `"` + schema + `".app_orders`
	if _, err := pool.Exec(ctx, "CREATE TABLE "+orders+" (id TEXT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // before the schema goes back to the pool
		if _, err := postgresDB(t).Exec("DROP TABLE " + orders); err != nil {
			t.Errorf("dropping the application's table: %v", err)
		}
	})
	recv := webhooktest.NewReceiver(t)
	reg, err := monitehooks.NewRegistry(ctx, store, &monitehooks.RegistryConfig{AllowInsecureURLs: true})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: "p", ObjectType: "entity", URL: recv.URL})
	if err != nil {
		t.Fatal(err)
	}
	recv.SetSecrets(sub.CurrentSecret())
	em, err := monitehooks.NewEmitter(store, reg, &monitehooks.EmitterConfig{AllowPrivateNetworks: true, PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer em.Close()

	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	err = conn.Raw(func(dc any) error {
		_, err := dc.(*stdlib.Conn).Conn().Exec(ctx, "INSERT INTO "+orders+" (id) VALUES ($1)", "order-1")
		return err
	})
	if err != nil {
		t.Fatalf("the application's INSERT through pgx: %v", err)
	}
	ev, err := em.EmitTx(ctx, tx, entityEvent("order-1"))
	if err != nil {
		t.Fatalf("EmitTx: %v", err)
	}
	// Neither is seen outside the transaction before it commits.
	var n int
	if err := pool.QueryRow(ctx, "SELECT COUNT(*) FROM "+orders).Scan(&n); err != nil || n != 0 {
		t.Errorf("orders seen outside the open transaction: %d, %v; want 0", n, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	em.Wake()
	if req := recv.WaitForEvent(t, ev.ID); !req.Verified() {
		t.Errorf("delivery's signature: %v", req.SignatureErr)
	}
	if err := pool.QueryRow(ctx, "SELECT COUNT(*) FROM "+orders).Scan(&n); err != nil || n != 1 {
		t.Errorf("orders after the commit: %d, %v; want 1", n, err)
	}
}

// TestEmitWhileATransactionThatEmittedIsOpen: the goroutine that holds a
// transaction open after EmitTx can still Emit outside it, for the same
// subscription, even the first time the subscription gets deliveries:
// the transaction holds nothing that Emit waits for.
func TestEmitWhileATransactionThatEmittedIsOpen(t *testing.T) {
	for _, o := range openers(t) {
		if o.dialect == sqlstore.DialectSQLite {
			continue // the open transaction holds SQLite's write lock: Emit must wait
		}
		t.Run(o.name, func(t *testing.T) {
			b := newEmitBundle(t, o)
			tx, inTx := b.emitInTx(t, "order-1")
			// A failure guard only: Emit returns at once, or never.
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			outside, err := b.em.Emit(ctx, entityEvent("order-2"))
			if err != nil {
				t.Fatalf("Emit while a transaction that emitted is open: %v", err)
			}
			b.commit(t, tx)
			b.recv.WaitForEvent(t, inTx.ID)
			b.recv.WaitForEvent(t, outside.ID)
		})
	}
}
