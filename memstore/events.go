package memstore

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/monitehooks/monitehooks"
)

// CreateEvent stores a copy of p.Event with a new ID, and one pending
// delivery per subscription ID, due at p.Due, made in the order of
// p.SubscriptionIDs, all at once, and returns the stored event, as
// GetEvent does. The subscription IDs must be IDs the
// store gave out, listed once each; the store does not check that the
// subscriptions still exist. It copies the event's Object. It checks
// p.MaxPending against its count of pending deliveries, in O(1). On error
// nothing is stored.
func (s *Store) CreateEvent(ctx context.Context, p monitehooks.CreateEventParams) (monitehooks.Event, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Event{}, err
	}
	ev := &p.Event
	n := len(p.SubscriptionIDs)
	var buf [16]id
	subs := buf[:0] // the IDs of p.SubscriptionIDs, parsed
	if n > len(buf) {
		subs = make([]id, 0, n)
	}
	for _, str := range p.SubscriptionIDs {
		sid, ok := parseID(str)
		if !ok {
			return monitehooks.Event{}, fmt.Errorf("memstore: subscription ID %q is not one the store gave out: %w", str, monitehooks.ErrInvalid)
		}
		subs = append(subs, sid)
	}
	if dup, ok := duplicate(subs); ok {
		return monitehooks.Event{}, fmt.Errorf("memstore: subscription ID %s listed twice: %w", dup, monitehooks.ErrInvalid)
	}
	fields := [textFields]string{
		fieldObjectType: string(ev.ObjectType),
		fieldType:       string(ev.Type),
		fieldObjectID:   ev.ObjectID,
		fieldEntityID:   ev.EntityID,
	}
	textLen := idText
	for _, f := range fields {
		textLen += len(f)
	}
	if uint64(textLen) > maxRecordBytes || uint64(len(ev.Object)) > maxRecordBytes {
		return monitehooks.Event{}, fmt.Errorf("memstore: event of %d bytes of text and a %d-byte object: over %d bytes: %w",
			textLen, len(ev.Object), maxRecordBytes, monitehooks.ErrInvalid)
	}
	ownObject := own(ev.Object) // copied before taking the lock

	s.mu.Lock()
	defer s.mu.Unlock()
	if p.MaxPending > 0 && n > 0 && s.counts.Pending+n > p.MaxPending {
		return monitehooks.Event{}, fmt.Errorf("memstore: %d deliveries pending, %d more would pass the bound of %d: %w",
			s.counts.Pending, n, p.MaxPending, monitehooks.ErrBacklogFull)
	}
	if !roomFor(s.events.n, 1) || !roomFor(s.deliveries.n, n) {
		return monitehooks.Event{}, fmt.Errorf("memstore: the store holds %d events and %d deliveries, as many as it can: %w",
			s.events.n, s.deliveries.n, monitehooks.ErrInvalid)
	}
	pr := s.partnerLocked(ev.PartnerID, true)
	en := s.events.n
	e := s.events.add()
	e.id = s.eventIDs.take()
	e.created, e.due = stampOf(ev.CreatedAt), stampOf(p.Due)
	e.partner = pr.num
	e.first, e.n = s.deliveries.n, uint32(n)

	text := appendID(s.text[:0], &e.id)
	for i, f := range fields {
		text = append(text, f...)
		e.lens[i] = uint32(len(f))
	}
	e.text, e.textOff, _ = s.texts.put(text)
	if cap(text) <= maxBlockText { // keep the scratch space, unless a large text grew it
		s.text = text
	}
	e.object, e.objectOff = s.objects.put(ev.Object, ownObject)
	e.objectLen = uint32(len(ev.Object))

	for i, sid := range subs {
		dn := s.deliveries.n
		d := s.deliveries.add()
		d.id = s.deliveryIDs.take()
		d.event = en
		d.queue = s.queueLocked(sid, p.SubscriptionIDs[i]).num
		d.next = e.due
		s.enqueueLocked(dn)
	}
	s.counts.Pending += n
	s.indexEventLocked(en, fields[fieldObjectType], fields[fieldType])
	return s.eventViewLocked(e), nil
}

// roomFor reports whether a table of have records has room for more.
func roomFor(have uint32, more int) bool {
	return uint64(have)+uint64(more) <= maxRecords
}

// maxRecordBytes is the most text, and the largest object, an event may
// have: their lengths are kept as uint32.
const maxRecordBytes = math.MaxUint32

// duplicate returns an ID listed twice in subs, if there is one, without
// a map: by comparing every pair of a short list, by sorting a copy of a
// longer one. subs keeps its order, which is the order the deliveries are
// made in.
func duplicate(subs []id) (id, bool) {
	if len(subs) <= 16 {
		for i := range subs {
			for j := i + 1; j < len(subs); j++ {
				if subs[i] == subs[j] {
					return subs[i], true
				}
			}
		}
		return id{}, false
	}
	sorted := slices.Clone(subs)
	slices.SortFunc(sorted, func(a, b id) int { return bytes.Compare(a[:], b[:]) })
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			return sorted[i], true
		}
	}
	return id{}, false
}

// eventLocked returns the event with the ID, or nil. s.mu must be held.
func (s *Store) eventLocked(eid id) *event {
	seq, ok := s.eventIDs.seqOf(&eid)
	if !ok || eid == (id{}) { // a deleted event's record is zeroed
		return nil
	}
	if e := s.events.get(uint32(seq - 1)); e != nil && e.id == eid {
		return e
	}
	return nil
}

// GetEvent returns the partner's event with the ID. Its Object is shared
// with the store: read only.
func (s *Store) GetEvent(ctx context.Context, partnerID, eventID string) (monitehooks.Event, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Event{}, err
	}
	if eid, ok := parseID(eventID); ok {
		s.mu.RLock()
		defer s.mu.RUnlock()
		if e := s.eventLocked(eid); e != nil && s.partnerList[e.partner].id == partnerID {
			return s.eventViewLocked(e), nil
		}
	}
	return monitehooks.Event{}, fmt.Errorf("memstore: event %q: %w", eventID, monitehooks.ErrEventNotFound)
}

// ListEvents returns one page of the partner's events. Their Objects are
// shared with the store: read only. It seeks the page in an index of the
// partner's events by creation (see the package documentation).
func (s *Store) ListEvents(ctx context.Context, partnerID string, lp monitehooks.ListParams) (monitehooks.Page[monitehooks.Event], error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Page[monitehooks.Event]{}, err
	}
	q, err := s.resolveList(lp, &s.eventIDs)
	if err != nil {
		return monitehooks.Page[monitehooks.Event]{}, err
	}
	r, empty := createdSpan(&q.ListParams)
	var ts treeSet
	narrowed := false
	s.mu.RLock()
	if p := s.partners[partnerID]; p != nil && !empty {
		// Both sort fields sort events by creation.
		ts, narrowed = p.pickEvents(string(q.ObjectType), string(q.EventType), false)
	}
	s.mu.RUnlock()
	if ts.empty() {
		return monitehooks.Page[monitehooks.Event]{Data: []monitehooks.Event{}}, nil
	}
	// The trees are the partner's, and stay so: a partner's record and its
	// trees live as long as the store. The walker is made after the lock,
	// so that nothing is allocated under it.
	w := newTreesWalker(ts)
	match := func(en uint32) bool {
		return narrowed || q.matchEvent(s.textLocked(s.events.at(en)))
	}
	// An event's view allocates nothing: it is made under the lock.
	read := func(en uint32) (monitehooks.Event, id) {
		e := s.events.at(en)
		return s.eventViewLocked(e), e.id
	}
	view := func(ev *monitehooks.Event) monitehooks.Event { return *ev }
	data, next, prev, err := seekPage(ctx, s, &q, w, r, match, read, view)
	if err != nil {
		return monitehooks.Page[monitehooks.Event]{}, err
	}
	return monitehooks.Page[monitehooks.Event]{Data: data, Next: next, Prev: prev}, nil
}
