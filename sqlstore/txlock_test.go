package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
)

// TestCreateEventTxLockOrder: on PostgreSQL, a transaction that emits
// waits for a subscription write that holds the partner's lock, and then
// matches what it wrote; a write that changes which events a
// subscription matches waits for the open transactions that emitted for
// the partner, and one that does not, does not. (On SQLite the write
// lock orders them all.)
func TestCreateEventTxLockOrder(t *testing.T) {
	o := openers(t)[1]
	o.prepare(t)
	ctx := t.Context()
	s, err := o.open(t, sqlstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	params := monitehooks.CreateEventParams{Event: entityEvent("o"), Due: now}
	params.Event.CreatedAt = now
	newSub := func(status monitehooks.SubscriptionStatus) monitehooks.Subscription {
		t.Helper()
		sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity", Status: status, URL: "https://example.com/"})
		if err != nil {
			t.Fatal(err)
		}
		return sub
	}
	// emitting begins a transaction and emits in it.
	emitting := func(t *testing.T) (*sql.Tx, int, monitehooks.Event) {
		t.Helper()
		tx, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tx.Rollback() })
		pid := backendPID(t, tx)
		ev, err := s.CreateEventTx(ctx, tx, params)
		if err != nil {
			t.Fatalf("CreateEventTx: %v", err)
		}
		return tx, pid, ev
	}
	matched := func(t *testing.T, ev monitehooks.Event, sub string) bool {
		t.Helper()
		for _, d := range deliveries(t, s) {
			if d.EventID == ev.ID && d.SubscriptionID == sub {
				return true
			}
		}
		return false
	}

	t.Run("EmitWaitsForAWrite", func(t *testing.T) {
		sub := newSub(monitehooks.StatusDisabled)
		// A write under way, as the store makes one: the partner's lock,
		// then the change, not committed yet.
		w, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Rollback()
		if _, err := w.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", sqlstore.PartnerLockKey(s, "p")); err != nil {
			t.Fatal(err)
		}
		if _, err := w.ExecContext(ctx, "UPDATE "+o.table("monitehooks_subscriptions")+" SET status = 'enabled' WHERE id = $1", sub.ID); err != nil {
			t.Fatal(err)
		}
		tx, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		pid := backendPID(t, tx)
		emitted := make(chan error, 1)
		var ev monitehooks.Event
		go func() {
			var err error
			ev, err = s.CreateEventTx(ctx, tx, params)
			emitted <- err
		}()
		select {
		case err := <-emitted:
			t.Fatalf("CreateEventTx returned (%v) while a write of the partner's subscriptions held its lock", err)
		case <-waitingForLock(t, s.DB(), pid):
		}
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-emitted; err != nil {
			t.Fatalf("CreateEventTx: %v", err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if !matched(t, ev, sub.ID) {
			t.Errorf("the event did not match the subscription the write committed before it enabled")
		}
	})

	for _, tc := range []struct {
		name  string
		waits bool
		write func(ctx context.Context, sub monitehooks.Subscription) (matchingSub string, err error)
	}{
		{"CreateEnabled", true, func(ctx context.Context, _ monitehooks.Subscription) (string, error) {
			sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity", Status: monitehooks.StatusEnabled})
			return sub.ID, err
		}},
		{"ChangeEnables", true, func(ctx context.Context, sub monitehooks.Subscription) (string, error) {
			_, err := s.ChangeSubscription(ctx, monitehooks.ChangeSubscriptionParams{PartnerID: "p", ID: sub.ID, Change: func(sub *monitehooks.Subscription) error {
				sub.Status = monitehooks.StatusEnabled
				return nil
			}})
			return sub.ID, err
		}},
		{"UpdateEventTypes", true, func(ctx context.Context, sub monitehooks.Subscription) (string, error) {
			sub.Status, sub.EventTypes = monitehooks.StatusEnabled, []monitehooks.EventType{"created"}
			return sub.ID, s.UpdateSubscription(ctx, sub)
		}},
		{"CreateDisabled", false, func(ctx context.Context, _ monitehooks.Subscription) (string, error) {
			_, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity", Status: monitehooks.StatusDisabled})
			return "", err
		}},
		{"ChangeURL", false, func(ctx context.Context, sub monitehooks.Subscription) (string, error) {
			_, err := s.ChangeSubscription(ctx, monitehooks.ChangeSubscriptionParams{PartnerID: "p", ID: sub.ID, Change: func(sub *monitehooks.Subscription) error {
				sub.URL = "https://example.org/moved"
				return nil
			}})
			return "", err
		}},
		{"UpdateFailingSince", false, func(ctx context.Context, sub monitehooks.Subscription) (string, error) {
			sub.FailingSince = now
			return "", s.UpdateSubscription(ctx, sub)
		}},
		{"DeleteDisabled", false, func(ctx context.Context, sub monitehooks.Subscription) (string, error) {
			return "", s.DeleteSubscription(ctx, "p", sub.ID)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sub := newSub(monitehooks.StatusDisabled)
			tx, pid, ev := emitting(t)
			// A failure guard only: a write that does not wait returns at
			// once.
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			wrote := make(chan error, 1)
			var matching string
			go func() {
				var err error
				matching, err = tc.write(wctx, sub)
				wrote <- err
			}()
			if !tc.waits {
				if err := <-wrote; err != nil {
					t.Fatalf("the write, while a transaction that emitted for the partner is open: %v", err)
				}
				return
			}
			select {
			case err := <-wrote:
				t.Fatalf("the write returned (%v) while a transaction that emitted for the partner was open", err)
			case <-lockWaiter(t, s.DB(), pid):
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := <-wrote; err != nil {
				t.Fatalf("the write: %v", err)
			}
			if matched(t, ev, matching) {
				t.Errorf("the event committed before the write matches what it wrote")
			}
		})
	}
	t.Run("DeleteEnabledWaits", func(t *testing.T) {
		sub := newSub(monitehooks.StatusEnabled)
		tx, pid, ev := emitting(t)
		deleted := make(chan error, 1)
		go func() { deleted <- s.DeleteSubscription(ctx, "p", sub.ID) }()
		select {
		case err := <-deleted:
			t.Fatalf("DeleteSubscription returned (%v) while a transaction that emitted for the partner was open", err)
		case <-lockWaiter(t, s.DB(), pid):
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-deleted; err != nil {
			t.Fatalf("DeleteSubscription: %v", err)
		}
		if !matched(t, ev, sub.ID) {
			t.Errorf("the event committed before the subscription was deleted did not match it")
		}
	})
}

// backendPID returns the PostgreSQL backend of tx.
func backendPID(t *testing.T, tx *sql.Tx) int {
	t.Helper()
	var pid int
	if err := tx.QueryRowContext(t.Context(), "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return pid
}

// waitingForLock returns a channel closed once the backend pid waits for
// an advisory lock.
func waitingForLock(t *testing.T, db *sql.DB, pid int) <-chan struct{} {
	return pollLocks(t, db, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = $1 AND locktype = 'advisory' AND NOT granted)`, pid)
}

// lockWaiter returns a channel closed once another backend waits for an
// advisory lock that the backend pid holds.
func lockWaiter(t *testing.T, db *sql.DB, pid int) <-chan struct{} {
	return pollLocks(t, db, `SELECT EXISTS (
	SELECT 1 FROM pg_locks h JOIN pg_locks w
		ON w.locktype = 'advisory' AND w.classid = h.classid AND w.objid = h.objid AND w.objsubid = h.objsubid
	WHERE h.pid = $1 AND h.locktype = 'advisory' AND h.granted AND w.pid <> $1 AND NOT w.granted)`, pid)
}

// pollLocks asks PostgreSQL query with pid until it answers true, and
// closes the channel it returns then. After 30s, or an error, it closes
// the channel too, and the test fails when it ends.
func pollLocks(t *testing.T, db *sql.DB, query string, pid int) <-chan struct{} {
	ctx, cancel := context.WithCancel(context.Background())
	done, exited := make(chan struct{}), make(chan struct{})
	var failure error // set before exited is closed
	go func() {
		defer close(exited)
		defer close(done)
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			var yes bool
			if err := db.QueryRowContext(ctx, query, pid).Scan(&yes); err != nil {
				if ctx.Err() == nil {
					failure = fmt.Errorf("reading pg_locks: %w", err)
				}
				return
			}
			if yes {
				return
			}
		}
		failure = errors.New("waited 30s for a lock wait in pg_locks")
	}()
	t.Cleanup(func() {
		cancel()
		<-exited
		if failure != nil {
			t.Error(failure)
		}
	})
	return done
}

// TestCreateEventTxNotifies: on PostgreSQL, by default, the commit
// of a transaction that emitted wakes the stores listening, without the
// application's help.
func TestCreateEventTxNotifies(t *testing.T) {
	o := openers(t)[1]
	o.prepare(t)
	ctx := t.Context()
	writer, err := o.open(t, sqlstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	listener, err := o.open(t, sqlstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ch := listener.Notifications()
	wakeWithin(t, ch, 10*time.Second, "of the listener starting")
	if _, err := writer.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity", Status: monitehooks.StatusEnabled}); err != nil {
		t.Fatal(err)
	}
	tx, err := writer.DB().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ev := entityEvent("o")
	ev.CreatedAt = now
	if _, err := writer.CreateEventTx(ctx, tx, monitehooks.CreateEventParams{Event: ev, Due: now}); err != nil {
		t.Fatalf("CreateEventTx: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	wakeWithin(t, ch, 10*time.Second, "after the transaction committed")
	res, err := listener.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 10, Lease: time.Minute})
	if err != nil || len(res.Claims) != 1 {
		t.Errorf("claim after the wake-up = %d claims, %v; want 1", len(res.Claims), err)
	}
}
