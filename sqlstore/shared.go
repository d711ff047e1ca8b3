package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/monitehooks/monitehooks"
)

// The store is the truth about subscriptions for every process that
// shares its database (monitehooks.SharedStore): it matches events
// itself, in the transaction that stores them, changes a subscription
// with a read and a write that nothing comes between, and gives each
// claim the subscription as it is stored.
//
// An event stored through a transaction of the application's own
// (CreateEventTx) is matched when it is written, but counts as emitted
// when the transaction commits: a subscription change acknowledged before
// the commit must be matched. On PostgreSQL every write of a subscription
// that changes which events it matches takes the partner's subscription
// lock (a transaction-level advisory lock, keyed by the schema and the
// partner) exclusively, before it commits, and CreateEventTx takes it
// shared, in a statement of its own before the one that matches: a
// change waits for the open transactions that emitted for the partner,
// and CreateEventTx waits for a change that holds the lock, whose commit
// the matching statement, which takes its snapshot when it starts, then
// sees. Writes lock the subscription's row first, then the partner's
// lock, so that two writes never wait for each other in a circle. On SQLite the transaction that writes holds the database's
// write lock until it ends, which orders it with every change.

var (
	_ monitehooks.TxStore  = (*Store)(nil)
	_ monitehooks.Notifier = (*Store)(nil)
)

const (
	// lockPartner takes the partner's subscription lock ($1, see
	// partnerLockKey) exclusively until the transaction ends.
	lockPartner = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`

	// lockPartnerShared takes the partner's subscription lock ($1)
	// shared until the transaction ends, and reads the store's instance
	// (see selectInstance): NULL when the table has no row.
	lockPartnerShared = `SELECT i.id
FROM (SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))) AS l
LEFT JOIN monitehooks_instance i ON TRUE`

	// selectInstance reads the random ID the first migration gave the
	// store's tables.
	selectInstance = `SELECT id FROM monitehooks_instance`
)

// partnerLockKey is the key of the partner's subscription lock.
func (s *Store) partnerLockKey(partnerID string) string {
	return "monitehooks_subscriptions:" + s.schema + ":" + partnerID
}

// matchKey is what decides which of its partner's events a subscription
// matches. A write that changes it takes the partner's subscription lock;
// one that does not (a new URL, name or secret, a failure record) changes
// no event's matching, and need not wait for the transactions that
// emitted for the partner.
type matchKey struct {
	objectType string
	eventTypes string // as stored: JSON
	status     string
	live       bool // stored and not deleted
}

// matchKeyOf returns the match key of sub, stored.
func matchKeyOf(sub *monitehooks.Subscription) matchKey {
	eventTypes, _ := json.Marshal(nonNil(sub.EventTypes)) // strings only: never fails
	return matchKey{objectType: string(sub.ObjectType), eventTypes: string(eventTypes), status: string(sub.Status), live: true}
}

// matchesNone reports whether a subscription with the key matches no
// event.
func (k matchKey) matchesNone() bool {
	return !k.live || k.status != string(monitehooks.StatusEnabled)
}

// lockForWrite takes the partner's subscription lock exclusively, on
// PostgreSQL, when a write in tx turns a subscription's match key from
// old into next in a way that changes which events it matches.
func (s *Store) lockForWrite(ctx context.Context, tx *sql.Tx, partnerID string, old, next matchKey) error {
	if s.dialect != DialectPostgres || old == next || (old.matchesNone() && next.matchesNone()) {
		return nil
	}
	if _, err := s.exec(ctx, tx, lockPartner, s.partnerLockKey(partnerID)); err != nil {
		return fmt.Errorf("sqlstore: locking the partner's subscriptions: %w", err)
	}
	return nil
}

// lockedMatchKey reads, on PostgreSQL, the match key of the partner's
// subscription and locks its row until tx ends, before a write that may
// need the partner's lock: the row first, then the partner's lock, in
// every write. It answers subNotFound for no live subscription.
func (s *Store) lockedMatchKey(ctx context.Context, tx *sql.Tx, partnerID, id string) (matchKey, error) {
	k := matchKey{live: true}
	err := s.queryRow(ctx, tx, s.q.selectMatchKeyLocked, id, partnerID).Scan(&k.objectType, &k.eventTypes, &k.status)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return matchKey{}, subNotFound(id)
	case err != nil:
		return matchKey{}, fmt.Errorf("sqlstore: reading subscription: %w", err)
	}
	return k, nil
}

// CreateMatchedEvent stores the event with a new ID and one pending
// delivery per subscription it matches, due at p.Due, in one transaction:
// the partner's subscriptions that are enabled, of the event's object
// type, and whose event types are none or name the event's type, in the
// order they were created. p.SubscriptionIDs must be empty. With
// p.MaxPending set it checks the bound as CreateEvent does.
//
// On PostgreSQL it is one statement (two more, BEGIN and the backlog's
// lock, with a bound); on SQLite one transaction of five statements.
func (s *Store) CreateMatchedEvent(ctx context.Context, p monitehooks.CreateEventParams) (monitehooks.Event, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Event{}, err
	}
	if len(p.SubscriptionIDs) > 0 {
		return monitehooks.Event{}, fmt.Errorf("sqlstore: CreateMatchedEvent finds the subscriptions itself: SubscriptionIDs must be empty: %w", monitehooks.ErrInvalid)
	}
	ev, err := newEvent(p)
	if err != nil {
		return monitehooks.Event{}, err
	}
	var n int
	switch {
	case s.dialect == DialectSQLite:
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			n, err = s.matchAndStore(ctx, s.own(tx), &ev, p.MaxPending, true)
			return err
		})
	case p.MaxPending > 0:
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			// Its own statement: the next one's snapshot must come after
			// the lock, to count what the transaction before committed.
			if _, err := s.exec(ctx, tx, lockBacklog, "monitehooks_backlog:"+s.schema); err != nil {
				return fmt.Errorf("sqlstore: locking the backlog: %w", err)
			}
			n, err = s.insertMatched(ctx, s.own(tx), &ev, p.MaxPending)
			return err
		})
	default:
		// One statement is a transaction of its own.
		n, err = s.insertMatched(ctx, s.own(nil), &ev, 0)
	}
	if err != nil {
		return monitehooks.Event{}, err
	}
	if n > 0 {
		s.committed()
	}
	return ev.Event, nil
}

// matchAndStore finds the subscriptions ev matches and stores it with a
// delivery to each, in the transaction x (SQLite's way: see
// insertMatched for PostgreSQL's). It returns how many it made.
func (s *Store) matchAndStore(ctx context.Context, x txExec, ev *newEventRow, bound int, lockBacklog bool) (int, error) {
	rows, err := x.query(ctx, s.q.matchSubscriptions, ev.PartnerID, string(ev.ObjectType), string(ev.Type))
	if err != nil {
		return 0, fmt.Errorf("sqlstore: matching subscriptions: %w", err)
	}
	var pairs [][2]string
	for rows.Next() {
		var sid string
		if err := rows.Scan(&sid); err != nil {
			rows.Close()
			return 0, fmt.Errorf("sqlstore: matching subscriptions: %w", err)
		}
		pairs = append(pairs, [2]string{newID(), sid})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("sqlstore: matching subscriptions: %w", err)
	}
	return len(pairs), s.storeEvent(ctx, x, ev, pairs, bound, lockBacklog)
}

// insertMatched stores ev and its deliveries with PostgreSQL's
// insertMatchedEvent, in x, and returns how many deliveries it made. It
// checks the bound (0: none) without a lock of its own.
func (s *Store) insertMatched(ctx context.Context, x txExec, ev *newEventRow, bound int) (int, error) {
	channel := ""
	if s.notifier.enabled {
		channel = s.notifier.channel
	}
	var (
		seq                  sql.NullInt64
		n, pending, notified int64
	)
	err := x.queryRow(ctx, s.q.insertMatchedEvent, ev.ID, ev.PartnerID, ev.EntityID, string(ev.ObjectType), ev.ObjectID,
		string(ev.Type), ev.Object, ev.created, ev.due, bound, channel, s.newShard()).Scan(&seq, &n, &pending, &notified)
	if err != nil {
		return 0, fmt.Errorf("sqlstore: storing event: %w", err)
	}
	if !seq.Valid {
		return 0, backlogFull(int(pending), int(n), bound)
	}
	return int(n), nil
}

// ChangeSubscription reads the partner's subscription, calls p.Change on
// a copy of it, and stores the result, in one transaction that no other
// write of the subscription comes between: on PostgreSQL it holds the
// row's lock (SELECT … FOR UPDATE), and the partner's subscription lock
// when the change makes the subscription match other events (see
// matchKey); on SQLite the write lock. When Change answers an error, nothing is
// stored and ChangeSubscription answers that error as it is. Change must
// leave the ID, PartnerID and CreatedAt as they are: a change of one is
// refused with an error wrapping ErrInvalid. It answers the stored
// subscription, or an error wrapping ErrSubscriptionNotFound.
func (s *Store) ChangeSubscription(ctx context.Context, p monitehooks.ChangeSubscriptionParams) (monitehooks.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Subscription{}, err
	}
	if p.Change == nil {
		return monitehooks.Subscription{}, fmt.Errorf("sqlstore: ChangeSubscription: Change is nil: %w", monitehooks.ErrInvalid)
	}
	if !validID(p.ID) {
		return monitehooks.Subscription{}, subNotFound(p.ID)
	}
	var changed monitehooks.Subscription
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		old, _, err := scanSubscription(s.queryRow(ctx, tx, s.q.selectSubscriptionLocked, p.ID, p.PartnerID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return subNotFound(p.ID)
		case err != nil:
			return fmt.Errorf("sqlstore: reading subscription: %w", err)
		}
		changed = old.Clone()
		if err := p.Change(&changed); err != nil {
			return err
		}
		switch {
		case changed.ID != old.ID, changed.PartnerID != old.PartnerID, !changed.CreatedAt.Equal(old.CreatedAt):
			return fmt.Errorf("sqlstore: ChangeSubscription: Change changed the subscription's ID, PartnerID or CreatedAt: %w", monitehooks.ErrInvalid)
		}
		args, err := subscriptionArgs(&changed)
		if err != nil {
			return err
		}
		if err := s.lockForWrite(ctx, tx, p.PartnerID, matchKeyOf(&old), matchKeyOf(&changed)); err != nil {
			return err
		}
		res, err := s.exec(ctx, tx, s.q.updateSubscription, append([]any{changed.ID, changed.PartnerID}, args...)...)
		if err != nil {
			return fmt.Errorf("sqlstore: updating subscription: %w", err)
		}
		return oneRow(res, subNotFound(p.ID))
	})
	if err != nil {
		return monitehooks.Subscription{}, err
	}
	return changed.Clone(), nil // Change may keep what it gave the copy
}
