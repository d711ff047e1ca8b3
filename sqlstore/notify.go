package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// Wake-ups. Unless Config.NoNotify is set, the store says when deliveries may
// have become claimable, so that an emitter can claim them at once rather
// than at its next poll: Notifications returns a channel that receives a
// value after CreateEvent, RequeueDelivery, RequeueFailed or
// ReleaseDelivery commits, in this process or, on PostgreSQL, in any
// process sharing the schema. The values are hints, coalesced, and may be
// lost (a listener reconnecting): a consumer still polls.
//
// On PostgreSQL those methods say pg_notify in their transaction, which
// PostgreSQL delivers at commit; the store listens on a connection of its
// pool that it keeps for this, taken at the first call of Notifications
// and given back by Close. Transactions that notify commit one at a time
// (PostgreSQL takes a lock for the notification queue), which
// Config.NoNotify spares. On SQLite a notification reaches the stores of this
// process only.

const (
	// notify sends a notification on the channel $1.
	notify = `SELECT pg_notify($1, '')`

	// listenDelay is the longest the listener waits before it tries again
	// after its connection failed.
	listenDelay = 5 * time.Second
)

// notifier is a store's end of the wake-ups.
type notifier struct {
	enabled bool
	channel string        // PostgreSQL's channel: "monitehooks" and the schema
	ch      chan struct{} // capacity 1: a pending wake-up

	once   sync.Once // starts the listener
	cancel context.CancelFunc
	done   chan struct{} // closed when the listener has stopped; nil before it starts
	mu     sync.Mutex    // guards closed
	closed bool
}

// newNotifier returns the notifier of a store in the schema.
func newNotifier(enabled bool, schema string) *notifier {
	return &notifier{enabled: enabled, channel: "monitehooks:" + schema, ch: make(chan struct{}, 1)}
}

// wake sends a wake-up unless one is pending.
func (n *notifier) wake() {
	select {
	case n.ch <- struct{}{}:
	default:
	}
}

// Notifications returns the channel of the store's wake-ups, or nil (a
// channel that never receives) when Config.NoNotify is set, or the
// PostgreSQL pool has one connection only. See the
// package documentation. On PostgreSQL the first call starts listening.
func (s *Store) Notifications() <-chan struct{} {
	n := s.notifier
	if !n.enabled {
		return nil
	}
	if s.dialect == DialectPostgres {
		n.once.Do(func() {
			n.mu.Lock()
			defer n.mu.Unlock()
			if n.closed {
				return
			}
			ctx, cancel := context.WithCancel(context.Background())
			n.cancel, n.done = cancel, make(chan struct{})
			go s.listen(ctx)
		})
	}
	return n.ch
}

// notifyTx asks PostgreSQL to wake the listeners when x commits.
func (s *Store) notifyTx(ctx context.Context, x txExec) error {
	if !s.notifier.enabled || s.dialect != DialectPostgres {
		return nil
	}
	if _, err := x.exec(ctx, notify, s.notifier.channel); err != nil {
		return fmt.Errorf("sqlstore: notifying: %w", err)
	}
	return nil
}

// committed wakes this process's listener after a change that may have
// made deliveries claimable was committed.
func (s *Store) committed() {
	if s.notifier.enabled {
		s.notifier.wake()
	}
}

// listen listens on a connection of the pool until ctx ends, waking the
// store's channel at each notification, and at each (re)connection, when
// notifications may have been missed. A connection that fails is
// discarded, and the listener tries again after a while.
func (s *Store) listen(ctx context.Context) {
	n := s.notifier
	defer close(n.done)
	delay := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := s.listenOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		_ = err // the connection failed: try again
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, listenDelay)
	}
}

// listenOnce listens on one connection until it fails or ctx ends.
func (s *Store) listenOnce(ctx context.Context) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("sqlstore: listening needs the pgx driver, not %T", dc)
		}
		c := sc.Conn()
		if _, err := c.Exec(ctx, "LISTEN "+quoteIdent(s.notifier.channel)); err != nil {
			return driver.ErrBadConn
		}
		s.notifier.wake() // what was missed while not listening
		for {
			if _, err := c.WaitForNotification(ctx); err != nil {
				// The connection still listens, or is broken: either way
				// it must not go back to the pool.
				return errors.Join(driver.ErrBadConn, err)
			}
			s.notifier.wake()
		}
	})
}

// stopListening stops the listener, if it started, and waits for it.
func (n *notifier) stopListening() {
	n.mu.Lock()
	n.closed = true
	cancel, done := n.cancel, n.done
	n.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}
