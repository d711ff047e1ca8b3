package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/monitehooks/monitehooks"
)

// CreateEventTx stores the event with a new ID and one pending delivery
// per subscription it matches, as CreateMatchedEvent does, through tx, a
// transaction of the application's own on the store's database: they
// commit or roll back with tx, and nothing of them is seen outside tx
// before it commits. It is what [monitehooks.Emitter.EmitTx] calls; see
// the package documentation, "Emitting inside your transaction".
//
// Every subscription change acknowledged before tx commits is matched.
// On PostgreSQL CreateEventTx takes the partner's subscription lock
// shared, until tx ends, in a statement before the one that matches: a
// subscription write of the partner, which takes the lock exclusively,
// waits for tx to end, and one under way when CreateEventTx is called is
// seen once it commits. This holds in tx's isolation level READ
// COMMITTED, PostgreSQL's default, where each statement sees what was
// committed before it started; under REPEATABLE READ or SERIALIZABLE, tx
// sees the subscriptions as they were at its first statement. On
// SQLite, the transaction that writes holds the database's write lock
// until it ends: begin tx with BEGIN IMMEDIATE (_txlock=immediate, as
// Open does), or SQLite may refuse its first write with SQLITE_BUSY when
// another connection wrote since tx first read.
//
// On PostgreSQL it makes two statements: the lock, then one statement
// that matches and stores everything. On SQLite it makes six.
//
// With p.MaxPending set it checks the bound without the lock that
// CreateEvent takes, which would make every transaction that emits wait
// for the one before it to end: transactions open at once may pass the
// bound together.
//
// The first statement also reads the random ID the first migration
// recorded in the store's tables, and CreateEventTx answers an error
// wrapping monitehooks.ErrTxNotSupported when tx's database has no such
// tables (on PostgreSQL that error aborts tx, which must then be rolled
// back), or has another store's. A copy of the store's database (a
// restored dump) has the store's ID: a transaction on it is the caller's
// mistake.
//
// On PostgreSQL the commit notifies every store listening, this one too
// (unless Config.NoNotify is set); otherwise nothing tells this process's
// emitter of the commit: call [monitehooks.Emitter.Wake] after the commit, or the
// deliveries wait for the emitter's next poll.
func (s *Store) CreateEventTx(ctx context.Context, tx *sql.Tx, p monitehooks.CreateEventParams) (monitehooks.Event, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Event{}, err
	}
	if tx == nil {
		return monitehooks.Event{}, fmt.Errorf("sqlstore: CreateEventTx: tx is nil: %w", monitehooks.ErrInvalid)
	}
	if len(p.SubscriptionIDs) > 0 {
		return monitehooks.Event{}, fmt.Errorf("sqlstore: CreateEventTx finds the subscriptions itself: SubscriptionIDs must be empty: %w", monitehooks.ErrInvalid)
	}
	ev, err := newEvent(p)
	if err != nil {
		return monitehooks.Event{}, err
	}
	want, err := s.instanceID(ctx)
	if err != nil {
		return monitehooks.Event{}, err
	}
	x := callerTx{tx}
	query, args := s.q.instance, []any(nil)
	if s.dialect == DialectPostgres {
		query, args = s.q.lockPartnerShared, []any{s.partnerLockKey(ev.PartnerID)}
	}
	var got sql.NullString
	switch err := x.queryRow(ctx, query, args...).Scan(&got); {
	case errors.Is(err, sql.ErrNoRows):
	case notTheStoresDatabase(err):
		return monitehooks.Event{}, fmt.Errorf("sqlstore: CreateEventTx: the transaction's database has no monitehooks tables%s, so it is not the store's (%w)%s: %w",
			s.inSchema(), err, s.abortedNote(), monitehooks.ErrTxNotSupported)
	case err != nil:
		return monitehooks.Event{}, fmt.Errorf("sqlstore: CreateEventTx: %w", err)
	}
	if got.String != want {
		return monitehooks.Event{}, fmt.Errorf("sqlstore: CreateEventTx: the transaction is on another database than the store's: its monitehooks tables%s were made for store %q, the store's are %q: %w",
			s.inSchema(), got.String, want, monitehooks.ErrTxNotSupported)
	}
	if s.dialect == DialectPostgres {
		_, err = s.insertMatched(ctx, x, &ev, p.MaxPending)
	} else {
		_, err = s.matchAndStore(ctx, x, &ev, p.MaxPending, false)
	}
	if err != nil {
		return monitehooks.Event{}, err
	}
	return ev.Event, nil
}

// inSchema names the store's schema, if it has one, for an error.
func (s *Store) inSchema() string {
	if s.schema == "" {
		return ""
	}
	return " in schema " + s.schema
}

// abortedNote says, for an error of a statement in the application's
// transaction, that PostgreSQL aborted it.
func (s *Store) abortedNote() string {
	if s.dialect == DialectPostgres {
		return "; PostgreSQL aborted the transaction: roll it back"
	}
	return ""
}

// notTheStoresDatabase reports whether err says the store's tables, or
// the functions a statement of the store's dialect calls, are missing:
// the statement ran on another database, or one of another kind.
func notTheStoresDatabase(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "42P01", // undefined_table
			"3F000", // invalid_schema_name
			"42883": // undefined_function
			return true
		}
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "no such table") || strings.Contains(msg, "no such function")
}

// instanceID returns the random ID the first migration recorded in the
// store's tables, reading it the first time (see New).
func (s *Store) instanceID(ctx context.Context) (string, error) {
	s.instanceMu.Lock()
	defer s.instanceMu.Unlock()
	if s.instance != "" {
		return s.instance, nil
	}
	var id string
	if err := s.queryRow(ctx, nil, s.q.instance).Scan(&id); err != nil {
		return "", fmt.Errorf("sqlstore: reading the store's instance ID: %w", err)
	}
	s.instance = id
	return id, nil
}
