package memstore

import "strings"

// The list indexes. Each partner has:
//
//   - events: its events by (CreatedAt, number), for ListEvents;
//   - sent: its events that have deliveries by (the deliveries' CreatedAt,
//     number). An event's deliveries are numbered in a row, in the order
//     of its subscriptions, and share their CreatedAt, so this is also
//     the order of its deliveries by (CreatedAt, number), one entry per
//     event rather than per delivery;
//   - updated: its deliveries by (UpdatedAt, number);
//   - bySub: per subscription, its deliveries by (CreatedAt, number).
//     Sorted by UpdatedAt, a subscription's deliveries are found in the
//     partner's updated order, checking each item's subscription: a key
//     per delivery less on every CreateEvent and RecordAttempt, for a
//     list that costs more, the more the partner's other subscriptions
//     have.
//
// events and sent are also split by object type and event type
// (typeIndex, one for both orders); a list of one object type walks the
// trees of its event types together (mergeIter), rather than every event
// paying a key in a tree of its object type too. A key's time is a
// record's, and its sequence number the record's number plus one, so keys
// are unique and ordered as lists order items: by time, then in the order
// the records were made.
//
// An UpdatedAt changes with every attempt: recordLocked moves the
// delivery's key in updated (a removal and an insertion, near the end of
// the tree, where recent times are).

// typeIndex is a partner's events split by object type and event type,
// in both orders.
type typeIndex struct {
	byType map[string]*objectTypes // by object type
	// The trees the last event added went to: events come in runs of one
	// type, and comparing two short strings costs less than hashing them
	// for two maps.
	last *eventTypes
}

// objectTypes is the events of one object type, split by event type.
type objectTypes struct {
	name    string                 // the object type, the map's own copy
	byEvent map[string]*eventTypes // by event type
	// The trees of byEvent in each order, for lists of the object type.
	events, sent []*tree
}

// eventTypes is the events of one object type and event type.
type eventTypes struct {
	of     *objectTypes
	name   string // the event type, the map's own copy
	events tree   // by CreatedAt
	sent   tree   // those with deliveries, by the deliveries' CreatedAt
}

// typesLocked returns the trees of the partner's events of the types,
// making them if needed. s.mu must be held for writing.
func (s *Store) typesLocked(p *partner, objectType, eventType string) *eventTypes {
	x := &p.types
	if et := x.last; et != nil && et.name == eventType && et.of.name == objectType {
		return et
	}
	ot := x.byType[objectType]
	if ot == nil {
		if x.byType == nil {
			x.byType = make(map[string]*objectTypes)
		}
		// The maps keep copies: the strings given are substrings of a
		// text block, which they would keep alive.
		ot = &objectTypes{name: strings.Clone(objectType), byEvent: make(map[string]*eventTypes)}
		x.byType[ot.name] = ot
	}
	et := ot.byEvent[eventType]
	if et == nil {
		et = &eventTypes{of: ot, name: strings.Clone(eventType), events: newTree(eventsByCreated{s}), sent: newTree(eventsByDue{s})}
		ot.byEvent[et.name] = et
		ot.events = append(ot.events, &et.events)
		ot.sent = append(ot.sent, &et.sent)
	}
	x.last = et
	return et
}

// pickEvents returns the trees that together hold the partner's events of
// the types ("" for any) by CreatedAt, or those with deliveries by the
// deliveries' CreatedAt when sent is set; none when there is none.
// narrowed reports whether they hold only such events. An event type
// without an object type picks every event: the caller filters. s.mu must
// be held.
func (p *partner) pickEvents(objectType, eventType string, sent bool) (ts treeSet, narrowed bool) {
	if objectType == "" {
		if sent {
			return treeSet{one: &p.sent}, eventType == ""
		}
		return treeSet{one: &p.events}, eventType == ""
	}
	ot := p.types.byType[objectType]
	switch {
	case ot == nil:
		return treeSet{}, true
	case eventType == "" && sent:
		return treeSet{many: ot.sent}, true
	case eventType == "":
		return treeSet{many: ot.events}, true
	}
	et := ot.byEvent[eventType]
	switch {
	case et == nil:
		return treeSet{}, true
	case sent:
		return treeSet{one: &et.sent}, true
	}
	return treeSet{one: &et.events}, true
}

// treeSet is the trees a list walks together: one, or several (see
// mergeIter). A slice of several is shared with the index: appended to,
// never modified.
type treeSet struct {
	one  *tree
	many []*tree
}

// empty reports whether the set has no tree.
func (ts treeSet) empty() bool { return ts.one == nil && len(ts.many) == 0 }

// subIndexLocked returns the index of the partner's deliveries to the
// subscription of the queue by creation, making it if needed. s.mu must
// be held for writing.
func (s *Store) subIndexLocked(p *partner, sq *subQueue) *tree {
	if sq.created != nil && sq.createdOf == p.num {
		return sq.created
	}
	t := p.bySub[sq.num]
	if t == nil {
		if p.bySub == nil {
			p.bySub = make(map[uint32]*tree)
		}
		t = &tree{by: deliveriesByCreated{s}}
		p.bySub[sq.num] = t
	}
	sq.created, sq.createdOf = t, p.num
	return t
}

// The keyers of the trees: where a tree reads the time of a record (see
// tree). Each reads a time the record keeps for as long as its key is in
// the tree, or one that moves only while the key is out of it.
type (
	eventsByCreated     struct{ s *Store } // an event's CreatedAt
	eventsByDue         struct{ s *Store } // an event's due time (see event.due)
	deliveriesByCreated struct{ s *Store } // a delivery's CreatedAt, its event's due time
	deliveriesByUpdated struct{ s *Store } // a delivery's UpdatedAt
)

func (k eventsByCreated) timeOf(seq uint32) stamp { return k.s.events.at(seq - 1).created }

func (k eventsByDue) timeOf(seq uint32) stamp { return k.s.events.at(seq - 1).due }

func (k deliveriesByCreated) timeOf(seq uint32) stamp {
	return k.s.events.at(k.s.deliveries.at(seq - 1).event).due
}

func (k deliveriesByUpdated) timeOf(seq uint32) stamp {
	return k.s.updatedLocked(k.s.deliveries.at(seq - 1))
}

// indexEventLocked adds the event en, just stored, of the types, and its
// deliveries to the indexes. s.mu must be held for writing.
func (s *Store) indexEventLocked(en uint32, objectType, eventType string) {
	e := s.events.at(en)
	pr := s.partnerList[e.partner]
	e.live = e.n
	types := s.typesLocked(pr, objectType, eventType)
	k := keyOf(e.created, en+1)
	pr.events.insert(k)
	types.events.insert(k)
	if e.n == 0 {
		e.due = e.created // left without deliveries when stored
		s.expiringEvents.insert(keyOf(e.due, en+1))
		return
	}
	k = keyOf(e.due, en+1)
	pr.sent.insert(k)
	types.sent.insert(k)
	for dn := e.first; dn < e.first+e.n; dn++ {
		d := s.deliveries.at(dn)
		k := keyOf(e.due, dn+1)
		s.subIndexLocked(pr, s.queueList[d.queue]).insert(k)
		pr.updated.insert(k)
	}
}

// unindexUpdatedLocked takes delivery dn's keys out of the UpdatedAt
// orders, before its UpdatedAt or its status changes. s.mu must be held
// for writing.
func (s *Store) unindexUpdatedLocked(d *delivery, dn uint32) {
	k := keyOf(s.updatedLocked(d), dn+1)
	if d.status != statusPending {
		s.expiringDeliveries.delete(k)
	}
	s.partnerList[s.events.at(d.event).partner].updated.delete(k)
}

// indexUpdatedLocked puts delivery dn's keys back in the UpdatedAt orders
// once its UpdatedAt and status changed: a finished delivery also waits
// for retention (see DeleteExpired). s.mu must be held for writing.
func (s *Store) indexUpdatedLocked(d *delivery, dn uint32) {
	k := keyOf(s.updatedLocked(d), dn+1)
	if d.status != statusPending {
		s.expiringDeliveries.insert(k)
	}
	s.partnerList[s.events.at(d.event).partner].updated.insert(k)
}
