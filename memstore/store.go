// Package memstore is an in-memory [monitehooks.Store]: the default store
// of an embedded webhook system and of the test harness. It passes the
// conformance suite in package storetest.
//
// # Costs
//
// The records of events and deliveries hold no pointers (see records.go),
// so the garbage collector never scans them, however many are stored, and
// storing an event makes no pointer write into them. Storing an event costs
// no allocation of its own most of the time: its record and its
// deliveries' come from chunks of records, its text (ID, object type,
// event type, object ID and entity ID) from a block of text, and its copy
// of the object from a block of bytes (an object over 2 KiB gets a block
// of its own). The object is stored once per event, not per delivery.
// Events and deliveries are created with their IDs in binary form; their
// text is made when they leave the store, except an event's ID, which is
// kept in its text. A pending delivery of a 250-byte object fanned out to
// ten subscriptions takes about 110 bytes with its indexes (see
// BenchmarkPendingDeliveryMemory). Nothing is ever removed: events and
// deliveries stay until the process exits.
//
// Claiming never scans the backlog. Each subscription has a queue of its
// claimable deliveries, a min-heap ordered by (NextAttemptAt, ID). The
// queues with due work take turns in a round-robin ring, the others wait
// in a min-heap ordered by their heads until their head comes due (or
// their subscription's hold ends: see Store.HoldSubscription), and leased
// deliveries sit in a min-heap ordered by the end of their lease. A
// claim of k deliveries that Allow refuses r subscriptions along the way
// costs O((k + r + e + j) · log n), where e is the number of leases that
// ended since the last claim, j the number of queues that came due, and n
// the size of the heaps involved, however many deliveries the refused
// subscriptions have waiting.
//
// Gets and counts are O(1), and find events and deliveries without a map:
// the sequence number the store reads back from an ID with its secret key
// indexes a table, though IDs are random (version 4) UUIDs that show no
// sequence (see id.go). RecordAttempt, ReleaseDelivery and
// RequeueDelivery are such a look-up and O(log n) heap updates. Lists filter
// and sort the partner's items, O(m log m) for m items, holding the read
// lock while they collect the items and while they copy the page, not
// while they sort; RequeueFailed scans the partner's deliveries under the
// write lock.
//
// # Time
//
// The store has no clock: it measures leases and due times against the
// times its callers pass. It assumes those move forward: a lease seen ended
// by one claim stays ended for the claims after it, even one passing an
// earlier Now.
//
// The times of events and deliveries are kept as instants: they come back
// in UTC, without the monotonic clock reading they may have been given
// with. An attempt comes back as it was recorded.
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
	mu sync.RWMutex // guards the fields below and every record they reach

	// Each kind of ID has its own sequence, so that the sequence number
	// of an event's or a delivery's ID, minus one, is its record's number.
	// The IDs show nothing of it: see idKey.
	subIDs, eventIDs, deliveryIDs idGen

	partners    map[string]*partner // by partner ID
	partnerList []*partner          // by number
	events      table[event]
	deliveries  table[delivery]
	logs        table[deliveryLog]
	texts       textArena
	objects     objectArena
	queues      map[id]*subQueue        // per subscription ID, made at its first delivery
	queueList   []*subQueue             // by number
	ring        ring                    // the queues with due work, taking turns (see queue.go)
	waiting     heap[*subQueue, byHead] // the other non-empty queues by their head
	leases      heap[lease, byLeaseEnd] // the leased deliveries by lease end
	counts      monitehooks.DeliveryCounts
	lastToken   uint64      // the last lease token handed out
	refused     []*subQueue // scratch space of ClaimDeliveries
	text        []byte      // scratch space of CreateEvent
}

var _ monitehooks.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	key := newIDKey()
	s := &Store{
		subIDs:      newIDGen(key, kindSubscription),
		eventIDs:    newIDGen(key, kindEvent),
		deliveryIDs: newIDGen(key, kindDelivery),
		partners:    make(map[string]*partner),
		queues:      make(map[id]*subQueue),
	}
	s.waiting.order = byHead{&s.deliveries}
	s.leases.order = byLeaseEnd{&s.deliveries}
	return s
}

// partner holds what one partner owns.
type partner struct {
	id  string
	num uint32 // its number in Store.partnerList
	// subs holds the partner's subscriptions. A stored Subscription is
	// never modified: an update stores a new one, so readers may use the
	// values after the lock is released.
	subs map[id]*monitehooks.Subscription
	// events holds the numbers of the partner's events in the order they
	// were stored.
	events table[uint32]
}

// partnerLocked returns the partner's record, making it when create is set;
// otherwise it may return nil. s.mu must be held (for writing when create
// is set).
func (s *Store) partnerLocked(partnerID string, create bool) *partner {
	p := s.partners[partnerID]
	if p == nil && create {
		p = &partner{id: partnerID, num: uint32(len(s.partnerList)), subs: make(map[id]*monitehooks.Subscription)}
		s.partners[partnerID] = p
		s.partnerList = append(s.partnerList, p)
	}
	return p
}

// event is a stored event, fixed once stored. Its text is its ID and the
// textFields after it, and its deliveries are the numbers first to
// first+n-1.
type event struct {
	id        id
	created   stamp // CreatedAt
	due       stamp // the CreatedAt of every delivery of the event
	partner   uint32
	first     uint32
	n         uint32
	text      uint32 // the block of its text in Store.texts
	textOff   uint32
	lens      [textFields]uint32
	object    uint32 // the block of its object in Store.objects
	objectOff uint32
	objectLen uint32
}

// The fields of an event's text after its ID, in order.
const (
	fieldObjectType = iota
	fieldType
	fieldObjectID
	fieldEntityID
	textFields
)

// eventText is an event's text, read from its record.
type eventText struct {
	id     string
	fields [textFields]string
}

// textLocked returns the event's text. s.mu must be held.
func (s *Store) textLocked(e *event) eventText {
	n := uint32(idText)
	for _, l := range e.lens {
		n += l
	}
	all := s.texts.get(e.text, e.textOff, n)
	t := eventText{id: all[:idText]}
	all = all[idText:]
	for i, l := range e.lens {
		t.fields[i], all = all[:l], all[l:]
	}
	return t
}

// eventViewLocked returns the event as the API shows it. s.mu must be held.
func (s *Store) eventViewLocked(e *event) monitehooks.Event {
	t := s.textLocked(e)
	return monitehooks.Event{
		ID:         t.id,
		PartnerID:  s.partnerList[e.partner].id,
		EntityID:   t.fields[fieldEntityID],
		ObjectType: monitehooks.ObjectType(t.fields[fieldObjectType]),
		ObjectID:   t.fields[fieldObjectID],
		Type:       monitehooks.EventType(t.fields[fieldType]),
		Object:     s.objects.get(e.object, e.objectOff, e.objectLen),
		CreatedAt:  e.created.time(),
	}
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

// delivery is a stored delivery. Its id, event and queue are fixed once
// stored; the other fields are guarded by Store.mu.
type delivery struct {
	id id
	// token is the lease token of the last claim while that claim holds
	// the delivery, and 0 otherwise. A lease that ended is not revoked
	// until the delivery is claimed again, so a late RecordAttempt by the
	// holder still counts when nobody else has claimed the delivery.
	token  uint64
	next   stamp  // NextAttemptAt
	event  uint32 // its event's number
	queue  uint32 // its subscription's queue's number, which gives the subscription
	log    uint32 // 1 + its log's number; 0 until its first outcome or requeue
	idx    int32  // position in its heap (queue or leases), per where
	status uint8  // a status* constant
	where  uint8  // an in* constant
}

// deliveryLog is what a delivery gains once it has an outcome. A delivery
// waiting for its first attempt, as most pending ones are, goes without,
// which keeps the records of a backlog small and without pointers.
type deliveryLog struct {
	updated  stamp // UpdatedAt
	attempts []monitehooks.Attempt
	first    [1]monitehooks.Attempt // attempts' array until a second attempt
}

// updatedAtLocked returns the delivery's UpdatedAt: its event's due time
// until it has an outcome. s.mu must be held.
func (s *Store) updatedAtLocked(d *delivery) time.Time {
	if d.log == 0 {
		return s.events.at(d.event).due.time()
	}
	return s.logs.at(d.log - 1).updated.time()
}

// recordLocked notes an outcome or requeue of d at t, and a, when not
// nil, as an attempt. s.mu must be held.
func (s *Store) recordLocked(d *delivery, t time.Time, a *monitehooks.Attempt) {
	if d.log == 0 {
		l := s.logs.add()
		l.attempts = l.first[:0]
		d.log = s.logs.n // its number plus one
	}
	l := s.logs.at(d.log - 1)
	l.updated = stampOf(t)
	if a != nil {
		l.attempts = append(l.attempts, *a)
	}
}

// attemptsLocked returns the delivery's attempts, which must not be
// modified. s.mu must be held.
func (s *Store) attemptsLocked(d *delivery) []monitehooks.Attempt {
	if d.log == 0 {
		return nil
	}
	return s.logs.at(d.log - 1).attempts
}

// deliveryViewLocked returns the delivery as the API shows it, with a copy
// of its attempts. s.mu must be held.
func (s *Store) deliveryViewLocked(d *delivery) monitehooks.Delivery {
	e := s.events.at(d.event)
	t := s.textLocked(e)
	var attempts []monitehooks.Attempt
	if a := s.attemptsLocked(d); len(a) > 0 {
		attempts = append(attempts, a...)
	}
	return monitehooks.Delivery{
		ID:             d.id.String(),
		EventID:        t.id,
		SubscriptionID: s.queueList[d.queue].idStr,
		PartnerID:      s.partnerList[e.partner].id,
		ObjectType:     monitehooks.ObjectType(t.fields[fieldObjectType]),
		EventType:      monitehooks.EventType(t.fields[fieldType]),
		Status:         statusNames[d.status],
		Attempts:       attempts,
		NextAttemptAt:  d.next.time(),
		CreatedAt:      e.due.time(),
		UpdatedAt:      s.updatedAtLocked(d),
	}
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
