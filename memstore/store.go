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
// ten subscriptions takes about 120 bytes with its indexes, about 10 of
// them the lists' (see BenchmarkPendingDeliveryMemory). Events and
// deliveries stay until retention deletes them (see Retention).
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
// RequeueDelivery are such a look-up, O(log n) heap updates and, for an
// outcome, O(log n) updates of the lists' indexes by UpdatedAt.
// RequeueFailed walks the subscription's deliveries created since its
// Since, under the write lock.
//
// # Lists
//
// A list seeks its page in an ordered index rather than sorting the log:
// a page of k items costs O(k · log n) when the index answers the filters.
// The indexes are B+ trees (see tree.go) ordered by (time, record
// number), the order lists use, whose leaves hold only the numbers: the
// times are the records'. Per partner (see index.go):
//
//   - its events by CreatedAt;
//   - its events that have deliveries, by the deliveries' CreatedAt: the
//     deliveries of an event are numbered in a row and share their
//     CreatedAt, so one entry per event orders them all;
//   - both of these split by object type and event type;
//   - its deliveries by UpdatedAt, which every outcome moves;
//   - per subscription, its deliveries by CreatedAt.
//
// A list takes the index its sort and filters name: the subscription's
// tree for SubscriptionID; the trees of the object type and event type
// for those filters, and for an object type alone the trees of its event
// types, walked together; the event's own deliveries, sorted on the spot,
// for EventID. Sorted by creation, it seeks the
// Created bounds. The filters its index does not answer it checks on each
// item it passes, so such a list may pass many items to fill a page: an
// event type without an object type, a status, object or event types with
// a subscription or sorted by UpdatedAt, Created bounds sorted by
// UpdatedAt, and a subscription sorted by UpdatedAt, which walks the
// partner's deliveries by UpdatedAt (a tree per subscription by UpdatedAt
// would cost every CreateEvent and RecordAttempt more).
//
// However far it goes, a list holds the read lock for listStep (256)
// items at most, then releases it and seeks back to where it stopped, so
// a writer waits for one step at most: a fraction of a millisecond of
// work, though the wait is longer when the operating system takes the CPU
// from the lister in the middle of a step (see BenchmarkListStep and
// BenchmarkCreateWhileListing; a page takes about 0.1 ms among 2,000,000
// deliveries, see BenchmarkListDeliveries). Nothing is allocated under
// the lock. A page is not a snapshot: an item stored or changed between
// two steps may be seen or not, as between two pages. A page token names
// the position of the item at the page's edge, (sort key, number), so the
// next page continues from there whether or not the item still exists.
//
// The indexes cost each delivery two keys and each event four, of four
// bytes each: storing an event with one delivery writes about 24 bytes
// more than it would without them, and its six insertions, each an
// append to a tree's last leaf when times move forward, take some 100 ns
// of an Emit (see BenchmarkEmit).
//
// # Retention
//
// DeleteExpired finds what to delete without looking at what it keeps:
// the finished deliveries wait in a tree by (UpdatedAt, number), and the
// events left without deliveries in another (see retention.go), so a call
// costs O(k · log n) for the k records it deletes, and a retry, which
// leaves its delivery pending, costs retention nothing. It holds the
// write lock for 128 records at a time, and yields between. A deleted record is zeroed, its attempts with it, its keys
// leave the indexes, and the chunks and blocks nothing uses any more are
// let go (see records.go).
//
// # Memory
//
// Retention gives memory back. It deletes the oldest first, so records go
// in about the order they were made, emptying whole chunks of records
// (512 each) and whole blocks of text and objects (64 KiB), which are let
// go (see records.go); the index trees merge and drop their nodes as keys
// leave them. A record that outlives its neighbours, such as a delivery
// still pending after the others of its time were deleted, with its event
// and attempts, does not keep their chunk: once a chunk is down to a
// sixteenth of its records, they move out, each to an allocation of its
// own found by number in a map, and an event's text and object to the
// blocks being written. Records cannot be compacted in place, since a
// record's number is in its ID. So, however survivors are spread, partly
// emptied chunks hold at most sixteen times the live records they keep,
// and a store at a steady rate with retention stays the same size (see
// TestSoakRetention and BenchmarkSoakRetention).
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
	lastPartner *partner            // the partner of the last partnerLocked that could create one
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

	// The candidates for retention (see retention.go): deliveries by
	// (UpdatedAt, number) since their last outcome, and events left
	// without deliveries by (the time they were left so, number).
	expiringDeliveries, expiringEvents tree
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
	s.expiringDeliveries = newTree(deliveriesByUpdated{s})
	s.expiringEvents = newTree(eventsByDue{s})
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

	// The list indexes (see index.go).
	events  tree             // its events by CreatedAt
	sent    tree             // its events with deliveries by the deliveries' CreatedAt
	types   typeIndex        // events and sent, split by object type and event type
	updated tree             // its deliveries by UpdatedAt
	bySub   map[uint32]*tree // by queue number: its deliveries to the subscription by CreatedAt
}

// partnerLocked returns the partner's record, making it when create is set;
// otherwise it may return nil. s.mu must be held (for writing when create
// is set).
func (s *Store) partnerLocked(partnerID string, create bool) *partner {
	if !create {
		return s.partners[partnerID]
	}
	if p := s.lastPartner; p != nil && p.id == partnerID {
		return p // events come in runs of one partner: no map look-up
	}
	p := s.partners[partnerID]
	if p == nil {
		p = &partner{
			id: partnerID, num: uint32(len(s.partnerList)), subs: make(map[id]*monitehooks.Subscription),
			events:  newTree(eventsByCreated{s}),
			sent:    newTree(eventsByDue{s}),
			updated: newTree(deliveriesByUpdated{s}),
		}
		s.partners[partnerID] = p
		s.partnerList = append(s.partnerList, p)
	}
	s.lastPartner = p
	return p
}

// event is a stored event, fixed once stored but for live. Its text is its
// ID and the textFields after it, and its deliveries are the numbers first
// to first+n-1, of which live are not deleted.
type event struct {
	id      id
	created stamp // CreatedAt
	// due is the CreatedAt of every delivery of the event, until it has
	// none left; then, stored without any or its last one deleted, it is
	// the time it was left without (see retention.go).
	due       stamp
	partner   uint32
	first     uint32
	n         uint32
	text      uint32 // the block of its text in Store.texts
	textOff   uint32
	lens      [textFields]uint32
	object    uint32 // the block of its object in Store.objects
	objectOff uint32
	objectLen uint32
	live      uint32
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
// stored; the other fields are guarded by Store.mu. It takes 56 bytes.
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
	return s.updatedLocked(d).time()
}

// updatedLocked returns the delivery's UpdatedAt as a stamp. s.mu must be
// held.
func (s *Store) updatedLocked(d *delivery) stamp {
	if d.log == 0 {
		return s.events.at(d.event).due
	}
	return s.logs.at(d.log - 1).updated
}

// recordLocked notes an outcome or requeue of delivery dn at t: its new
// status st, and a, when not nil, as an attempt. It moves the delivery in
// the indexes by UpdatedAt and counts it. s.mu must be held for writing.
func (s *Store) recordLocked(d *delivery, dn uint32, t time.Time, a *monitehooks.Attempt, st uint8) {
	s.unindexUpdatedLocked(d, dn)
	s.countLocked(d.status, st)
	d.status = st
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
	s.indexUpdatedLocked(d, dn)
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
	r := s.deliveryFieldsLocked(d)
	return r.view()
}

// deliveryFields is what a delivery's view is made of, read under the
// lock without allocating: its strings are the store's, which never
// change, and its attempts a slice whose elements are never changed once
// appended. The view is made from it after the lock is released, so that
// a list allocates nothing, and is never held up by the collector, while
// it holds the lock.
type deliveryFields struct {
	id                     id
	text                   eventText
	subscription, partner  string
	status                 uint8
	attempts               []monitehooks.Attempt
	next, created, updated stamp
}

// deliveryFieldsLocked returns what the view of d is made of. s.mu must
// be held.
func (s *Store) deliveryFieldsLocked(d *delivery) deliveryFields {
	e := s.events.at(d.event)
	return deliveryFields{
		id:           d.id,
		text:         s.textLocked(e),
		subscription: s.queueList[d.queue].idStr,
		partner:      s.partnerList[e.partner].id,
		status:       d.status,
		attempts:     s.attemptsLocked(d),
		next:         d.next,
		created:      e.due,
		updated:      s.updatedLocked(d),
	}
}

// view returns the delivery as the API shows it, with a copy of its
// attempts.
func (r *deliveryFields) view() monitehooks.Delivery {
	var attempts []monitehooks.Attempt
	if len(r.attempts) > 0 {
		attempts = append(attempts, r.attempts...)
	}
	return monitehooks.Delivery{
		ID:             r.id.String(),
		EventID:        r.text.id,
		SubscriptionID: r.subscription,
		PartnerID:      r.partner,
		ObjectType:     monitehooks.ObjectType(r.text.fields[fieldObjectType]),
		EventType:      monitehooks.EventType(r.text.fields[fieldType]),
		Status:         statusNames[r.status],
		Attempts:       attempts,
		NextAttemptAt:  r.next.time(),
		CreatedAt:      r.created.time(),
		UpdatedAt:      r.updated.time(),
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
