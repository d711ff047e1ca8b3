package memstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/monitehooks/monitehooks"
)

// CreateEvent stores a copy of *ev with a new ID, which it sets in ev.ID,
// and one pending delivery per subscription ID, due at due, all at once.
// The subscription IDs must be IDs the store gave out, listed once each;
// the store does not check that the subscriptions still exist. It
// copies ev.Object. On error nothing is stored and ev is left as it was.
func (s *Store) CreateEvent(ctx context.Context, ev *monitehooks.Event, subscriptionIDs []string, due time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if ev == nil {
		return fmt.Errorf("memstore: nil event: %w", monitehooks.ErrInvalid)
	}
	n := len(subscriptionIDs)
	var buf [16]subRef
	subs := buf[:0]
	if n > len(buf) {
		subs = make([]subRef, 0, n)
	}
	for _, str := range subscriptionIDs {
		sid, ok := parseID(str)
		if !ok {
			return fmt.Errorf("memstore: subscription ID %q is not one the store gave out: %w", str, monitehooks.ErrInvalid)
		}
		subs = append(subs, subRef{sid, str})
	}
	if n > 1 {
		// Deliveries get random IDs, so which goes to which subscription
		// does not matter: sorting finds duplicates without a map.
		slices.SortFunc(subs, func(a, b subRef) int { return bytes.Compare(a.id[:], b.id[:]) })
		for i := 1; i < n; i++ {
			if subs[i].id == subs[i-1].id {
				return fmt.Errorf("memstore: subscription ID %s listed twice: %w", subs[i].str, monitehooks.ErrInvalid)
			}
		}
	}

	var bigObject []byte // copied before taking the lock
	if len(ev.Object) > maxBlockObject {
		bigObject = append([]byte(nil), ev.Object...)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.newEventLocked()
	e.ev = *ev
	e.ev.Object = bigObject
	if bigObject == nil {
		e.ev.Object = s.copyObjectLocked(ev.Object)
	}
	e.due = due
	if n > 0 {
		e.first.ev = e
		if n > 1 {
			more := make([]delivery, n-1)
			for i := range more {
				more[i].ev = e
			}
			e.more = &more
		}
	}
	// The event's ID, then its deliveries' in order: the slot table
	// relies on their sequence numbers following on.
	e.id, e.ev.ID = s.ids.takeText()
	for i := range n {
		e.delivery(i).id = s.ids.take()
	}
	first := seqOf(&e.id)
	s.slots.set(first, first+uint64(n), e)

	p := s.partnerLocked(e.ev.PartnerID, true)
	p.events.add(e)
	for i, sub := range subs {
		d := e.delivery(i)
		d.sq = s.queueLocked(sub.id, sub.str)
		d.next = due
		s.enqueueLocked(d)
	}
	s.counts.Pending += n
	ev.ID = e.ev.ID
	return nil
}

// subRef is a subscription ID in both forms.
type subRef struct {
	id  id
	str string
}

// GetEvent returns the partner's event with the ID. Its Object is shared
// with the store: read only.
func (s *Store) GetEvent(ctx context.Context, partnerID, eventID string) (monitehooks.Event, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Event{}, err
	}
	if eid, ok := parseID(eventID); ok {
		s.mu.RLock()
		e := s.eventLocked(eid)
		s.mu.RUnlock()
		// Events are never modified once stored.
		if e != nil && e.ev.PartnerID == partnerID {
			return e.ev, nil
		}
	}
	return monitehooks.Event{}, fmt.Errorf("memstore: event %q: %w", eventID, monitehooks.ErrEventNotFound)
}

// ListEvents returns one page of the partner's events. Their Objects are
// shared with the store: read only.
func (s *Store) ListEvents(ctx context.Context, partnerID string, lp monitehooks.ListParams) (monitehooks.Page[monitehooks.Event], error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Page[monitehooks.Event]{}, err
	}
	q, err := resolveList(lp)
	if err != nil {
		return monitehooks.Page[monitehooks.Event]{}, err
	}
	var events eventList
	s.mu.RLock()
	if p := s.partners[partnerID]; p != nil {
		events = p.events // append-only, and events are never modified
	}
	s.mu.RUnlock()

	var es []entry[*event]
	for e := range events.all {
		if (q.ObjectType == "" || e.ev.ObjectType == q.ObjectType) &&
			(q.EventType == "" || e.ev.Type == q.EventType) &&
			q.InCreatedRange(e.ev.CreatedAt) {
			// Both sort fields sort events by creation.
			es = append(es, entry[*event]{e.ev.CreatedAt, e.id, e})
		}
	}
	page, next, prev := paginate(es, &q)
	data := make([]monitehooks.Event, len(page))
	for i := range page {
		data[i] = page[i].item.ev
	}
	return monitehooks.Page[monitehooks.Event]{Data: data, Next: next, Prev: prev}, nil
}
