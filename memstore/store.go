// Package memstore is an in-memory [monitehooks.Store]: the default store
// of an embedded webhook system and of the test harness. It passes the
// conformance suite in package storetest.
//
// # Costs
//
// Storing an event costs no allocation of its own most of the time: its
// record comes from a block of records, its copy of the object from a
// block of bytes (an object over 2 KiB gets its own), and the text of its
// ID from a buffer shared by many IDs (see slots.go and id.go); its
// deliveries' IDs are written out as text only when they leave the store.
// An event with more than one subscription costs one allocation for its
// other deliveries. The object is stored once per event, not per
// delivery. A pending delivery of a 250-byte object fanned out to ten
// subscriptions takes about 160 bytes with its indexes (see
// BenchmarkPendingDeliveryMemory). Nothing is ever removed: events and
// deliveries stay until the process exits.
//
// Claiming never scans the backlog. Each subscription has a queue of its
// claimable deliveries, a min-heap ordered by (NextAttemptAt, ID); the
// queues sit in a min-heap ordered by their heads, and leased deliveries in
// a min-heap ordered by the end of their lease. A claim of k deliveries that
// Allow refuses r subscriptions along the way costs
// O((k + r + e) · log n), where e is the number of leases that ended since
// the last claim and n the size of the heaps involved, however many
// deliveries the refused subscriptions have waiting.
//
// Gets and counts are O(1), and find events and deliveries without a map:
// an ID's sequence number indexes a table. RecordAttempt, ReleaseDelivery and
// RequeueDelivery are such a look-up and O(log n) heap updates. Lists filter
// and sort the partner's items, O(m log m) for m items, holding the read
// lock only while they collect the items (and, for deliveries, while they
// copy the page); RequeueFailed scans the partner's deliveries under the
// write lock.
//
// # Time
//
// The store has no clock: it measures leases and due times against the
// times its callers pass. It assumes those move forward: a lease seen ended
// by one claim stays ended for the claims after it, even one passing an
// earlier Now.
package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/monitehooks/monitehooks"
)

// Store is an in-memory [monitehooks.Store]. It is safe for concurrent use.
// Everything it holds is lost when the process exits.
type Store struct {
	mu         sync.RWMutex        // guards the fields below and every record they reach
	ids        idGen               // makes the IDs of subscriptions, events and deliveries
	partners   map[string]*partner // by partner ID
	slots      slots               // every event and delivery, by its ID's sequence number (see slots.go)
	queues     map[id]*subQueue    // per subscription ID, made at its first delivery
	ready      []*subQueue         // heap of the non-empty queues by their head (see queue.go)
	leases     []lease             // heap of leased deliveries by lease end
	counts     monitehooks.DeliveryCounts
	lastToken  uint64      // the last lease token handed out
	refused    []*subQueue // scratch space of ClaimDeliveries
	freeEvents []event     // event records not yet used
	freeBytes  []byte      // space not yet used for object copies
}

var _ monitehooks.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		partners: make(map[string]*partner),
		queues:   make(map[id]*subQueue),
	}
}

// partner holds what one partner owns.
type partner struct {
	// subs holds the partner's subscriptions. A stored Subscription is
	// never modified: an update stores a new one, so readers may use the
	// values after the lock is released.
	subs map[id]*monitehooks.Subscription
	// events holds the partner's events in the order they were stored.
	events eventList
}

// eventList is an append-only list of events, kept in chunks of fixed
// size so that an append never copies the list. A copy of the list taken
// under the lock stays valid after it: appends only write past its end.
type eventList struct {
	chunks []*[eventChunk]*event
	n      int
}

// eventChunk is how many events a chunk of an eventList holds.
const eventChunk = 256

func (l *eventList) add(e *event) {
	if l.n == len(l.chunks)*eventChunk {
		l.chunks = append(l.chunks, new([eventChunk]*event))
	}
	l.chunks[l.n/eventChunk][l.n%eventChunk] = e
	l.n++
}

// all yields the events of the list, oldest first.
func (l eventList) all(yield func(*event) bool) {
	for i := range l.n {
		if !yield(l.chunks[i/eventChunk][i%eventChunk]) {
			return
		}
	}
}

// partnerLocked returns the partner's record, making it when create is set;
// otherwise it may return nil. s.mu must be held (for writing when create
// is set).
func (s *Store) partnerLocked(partnerID string, create bool) *partner {
	p := s.partners[partnerID]
	if p == nil && create {
		p = &partner{subs: make(map[id]*monitehooks.Subscription)}
		s.partners[partnerID] = p
	}
	return p
}

// event is a stored event and its deliveries. Everything but the
// deliveries' mutable fields is fixed once the event is stored.
type event struct {
	ev  monitehooks.Event // ev.Object is the store's own copy
	id  id
	due time.Time // the CreatedAt of every delivery of the event
	// first is the first delivery, kept inline so that an event with one
	// subscription costs one allocation; first.ev is nil when the event
	// has no deliveries.
	first delivery
	// more holds the other deliveries, nil when there are none (a
	// pointer: most events have one delivery).
	more *[]delivery
}

// delivery returns the event's i-th delivery.
func (e *event) delivery(i int) *delivery {
	if i == 0 {
		return &e.first
	}
	return &(*e.more)[i-1]
}

// numDeliveries returns how many deliveries the event has.
func (e *event) numDeliveries() int {
	if e.first.ev == nil {
		return 0
	}
	if e.more == nil {
		return 1
	}
	return 1 + len(*e.more)
}

// Delivery states, as stored.
const (
	statusPending uint8 = iota
	statusSucceeded
	statusFailed
)

var statusNames = [...]monitehooks.DeliveryStatus{
	statusPending:   monitehooks.DeliveryPending,
	statusSucceeded: monitehooks.DeliverySucceeded,
	statusFailed:    monitehooks.DeliveryFailed,
}

// statusCode returns the stored form of st, and false when st is not a
// valid status.
func statusCode(st monitehooks.DeliveryStatus) (uint8, bool) {
	for i, name := range statusNames {
		if name == st {
			return uint8(i), true
		}
	}
	return 0, false
}

// Where a delivery is indexed.
const (
	inNothing uint8 = iota // succeeded or failed
	inQueue                // pending and claimable: in its subscription's queue
	inLeases               // pending and leased: in Store.leases
)

// delivery is a stored delivery. Its fields after sq are guarded by
// Store.mu; the fields before are fixed once stored.
type delivery struct {
	ev *event
	sq *subQueue // the queue of its subscription, which also holds the subscription ID
	id id

	// token is the lease token of the last claim while that claim holds
	// the delivery, and 0 otherwise. A lease that ended is not revoked
	// until the delivery is claimed again, so a late RecordAttempt by the
	// holder still counts when nobody else has claimed the delivery.
	token  uint64
	next   time.Time    // NextAttemptAt
	log    *deliveryLog // nil until the delivery's first outcome or requeue
	idx    int32        // position in its heap (queue or leases), per where
	status uint8        // a status* constant
	where  uint8        // an in* constant
}

// deliveryLog is what a delivery gains once it has an outcome. A delivery
// waiting for its first attempt, as most pending ones are, goes without,
// which keeps the records of a backlog small.
type deliveryLog struct {
	updated  time.Time // UpdatedAt
	attempts []monitehooks.Attempt
	first    [1]monitehooks.Attempt // attempts' array until a second attempt
}

// updatedAt returns the delivery's UpdatedAt: its event's due time until
// it has an outcome.
func (d *delivery) updatedAt() time.Time {
	if d.log == nil {
		return d.ev.due
	}
	return d.log.updated
}

// record notes an outcome or requeue at t, and a, when not nil, as an
// attempt.
func (d *delivery) record(t time.Time, a *monitehooks.Attempt) {
	if d.log == nil {
		d.log = &deliveryLog{}
		d.log.attempts = d.log.first[:0] // one allocation for the first attempt too
	}
	d.log.updated = t
	if a != nil {
		d.log.attempts = append(d.log.attempts, *a)
	}
}

// numAttempts returns how many attempts the delivery has.
func (d *delivery) numAttempts() int {
	if d.log == nil {
		return 0
	}
	return len(d.log.attempts)
}

// view returns the delivery as the API shows it, with a copy of its
// attempts. s.mu must be held.
func (d *delivery) view() monitehooks.Delivery {
	e := d.ev
	return monitehooks.Delivery{
		ID:             d.id.String(),
		EventID:        e.ev.ID,
		SubscriptionID: d.sq.idStr,
		PartnerID:      e.ev.PartnerID,
		ObjectType:     e.ev.ObjectType,
		EventType:      e.ev.Type,
		Status:         statusNames[d.status],
		Attempts:       d.cloneAttempts(),
		NextAttemptAt:  d.next,
		CreatedAt:      e.due,
		UpdatedAt:      d.updatedAt(),
	}
}

func (d *delivery) cloneAttempts() []monitehooks.Attempt {
	if d.numAttempts() == 0 {
		return nil
	}
	return append([]monitehooks.Attempt(nil), d.log.attempts...)
}

// countLocked moves one delivery from the count of state from to that of
// state to; from is ignored when it is noStatus. s.mu must be held.
func (s *Store) countLocked(from, to uint8) {
	if from != noStatus {
		*s.countOf(from)--
	}
	*s.countOf(to)++
}

// noStatus stands for "no state before" in countLocked.
const noStatus uint8 = 255

func (s *Store) countOf(st uint8) *int {
	switch st {
	case statusPending:
		return &s.counts.Pending
	case statusSucceeded:
		return &s.counts.Succeeded
	default:
		return &s.counts.Failed
	}
}

// CountDeliveries returns how many deliveries are in each state, over every
// partner. It costs O(1).
func (s *Store) CountDeliveries(ctx context.Context) (monitehooks.DeliveryCounts, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.DeliveryCounts{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.counts, nil
}
