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
//   - bySub: per subscription, its deliveries by (CreatedAt, number) and
//     by (UpdatedAt, number).
//
// events and sent are also split by object type, and by object type and
// event type (typedIndex). A key's time is a record's, and its sequence
// number the record's number plus one, so keys are unique and ordered as
// lists order items: by time, then in the order the records were made.
//
// An UpdatedAt changes with every attempt: recordLocked moves the
// delivery's keys in updated and in its subscription's tree (a removal
// and an insertion, both near the end of the trees, where recent times
// are).

// typedIndex is a partner's events in one order, all of them and split
// by object type.
type typedIndex struct {
	all    tree
	byType map[string]*typeIndex // by object type
}

// typeIndex is the events of one object type, all of them and split by
// event type.
type typeIndex struct {
	all     tree
	byEvent map[string]*tree // by event type
}

// subIndex is the deliveries of one partner to one subscription.
type subIndex struct {
	created, updated tree
}

// insert adds the key of an event of the types.
func (x *typedIndex) insert(objectType, eventType string, k ikey) {
	x.all.insert(k)
	if x.byType == nil {
		x.byType = make(map[string]*typeIndex)
	}
	ti := x.byType[objectType]
	if ti == nil {
		// The map keeps its own copy: objectType is a substring of a
		// text block, which the key would keep alive.
		ti = &typeIndex{byEvent: make(map[string]*tree)}
		x.byType[strings.Clone(objectType)] = ti
	}
	ti.all.insert(k)
	et := ti.byEvent[eventType]
	if et == nil {
		et = new(tree)
		ti.byEvent[strings.Clone(eventType)] = et
	}
	et.insert(k)
}

// delete removes the key of an event of the types.
func (x *typedIndex) delete(objectType, eventType string, k ikey) {
	x.all.delete(k)
	if ti := x.byType[objectType]; ti != nil {
		ti.all.delete(k)
		if et := ti.byEvent[eventType]; et != nil {
			et.delete(k)
		}
	}
}

// pick returns the tree that holds the events of the types ("" for any),
// or nil when there is none; narrowed reports whether the tree holds only
// such events. An event type without an object type picks every event:
// the caller filters.
func (x *typedIndex) pick(objectType, eventType string) (t *tree, narrowed bool) {
	if objectType == "" {
		return &x.all, eventType == ""
	}
	ti := x.byType[objectType]
	switch {
	case ti == nil:
		return nil, true
	case eventType == "":
		return &ti.all, true
	}
	return ti.byEvent[eventType], true
}

// subIndexLocked returns the index of the partner's deliveries to the
// subscription of the queue, making it if needed. s.mu must be held for
// writing.
func (p *partner) subIndexLocked(queue uint32) *subIndex {
	si := p.bySub[queue]
	if si == nil {
		if p.bySub == nil {
			p.bySub = make(map[uint32]*subIndex)
		}
		si = new(subIndex)
		p.bySub[queue] = si
	}
	return si
}

// indexEventLocked adds the event en, just stored, and its deliveries to
// the indexes. s.mu must be held for writing.
func (s *Store) indexEventLocked(en uint32) {
	e := s.events.at(en)
	pr := s.partnerList[e.partner]
	t := s.textLocked(e)
	objectType, eventType := t.fields[fieldObjectType], t.fields[fieldType]
	e.live = e.n
	pr.events.insert(objectType, eventType, keyOf(e.created, en+1))
	if e.n == 0 {
		s.expiringEvents.insert(keyOf(e.created, en+1))
		return
	}
	pr.sent.insert(objectType, eventType, keyOf(e.due, en+1))
	for dn := e.first; dn < e.first+e.n; dn++ {
		d := s.deliveries.at(dn)
		d.num = dn
		k := keyOf(e.due, dn+1)
		si := pr.subIndexLocked(d.queue)
		si.created.insert(k)
		si.updated.insert(k)
		pr.updated.insert(k)
	}
}

// reindexLocked moves delivery d's keys in the UpdatedAt orders from
// (from, its number) to (to, its number), and notes that it may expire
// once to is old enough (see DeleteExpired). s.mu must be held for
// writing.
func (s *Store) reindexLocked(d *delivery, from, to stamp) {
	old, now := keyOf(from, d.num+1), keyOf(to, d.num+1)
	if d.log != 0 {
		s.expiringDeliveries.delete(old)
	}
	s.expiringDeliveries.insert(now)
	if old == now {
		return
	}
	pr := s.partnerList[s.events.at(d.event).partner]
	pr.updated.delete(old)
	pr.updated.insert(now)
	si := pr.bySub[d.queue]
	si.updated.delete(old)
	si.updated.insert(now)
}
