package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/monitehooks/monitehooks"
)

// deliveryByIDLocked returns the delivery with the ID and its number, or
// nil. s.mu must be held.
func (s *Store) deliveryByIDLocked(did id) (*delivery, uint32) {
	seq, ok := s.deliveryIDs.seqOf(&did)
	if !ok || did == (id{}) { // a deleted delivery's record is zeroed
		return nil, 0
	}
	dn := uint32(seq - 1)
	if d := s.deliveries.get(dn); d != nil && d.id == did {
		return d, dn
	}
	return nil, 0
}

// deliveryLocked returns the partner's delivery with the ID and its
// number, or nil. s.mu must be held.
func (s *Store) deliveryLocked(partnerID, deliveryID string) (*delivery, uint32) {
	did, ok := parseID(deliveryID)
	if !ok {
		return nil, 0
	}
	d, dn := s.deliveryByIDLocked(did)
	if d != nil && s.partnerList[s.events.at(d.event).partner].id == partnerID {
		return d, dn
	}
	return nil, 0
}

func deliveryNotFound(deliveryID string) error {
	return fmt.Errorf("memstore: delivery %q: %w", deliveryID, monitehooks.ErrDeliveryNotFound)
}

// GetDelivery returns the partner's delivery with the ID, with a copy of
// its attempts.
func (s *Store) GetDelivery(ctx context.Context, partnerID, deliveryID string) (monitehooks.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Delivery{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	d, _ := s.deliveryLocked(partnerID, deliveryID)
	if d == nil {
		return monitehooks.Delivery{}, deliveryNotFound(deliveryID)
	}
	return s.deliveryViewLocked(d), nil
}

// ListDeliveries returns one page of the partner's deliveries with copies
// of their attempts. With EventID set it sorts that event's deliveries;
// otherwise it seeks the page in an index (see the package
// documentation).
func (s *Store) ListDeliveries(ctx context.Context, partnerID string, lp monitehooks.ListParams) (monitehooks.Page[monitehooks.Delivery], error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Page[monitehooks.Delivery]{}, err
	}
	q, err := s.resolveList(lp, &s.deliveryIDs)
	if err != nil {
		return monitehooks.Page[monitehooks.Delivery]{}, err
	}
	if q.EventID != "" {
		return s.listEventDeliveries(partnerID, &q), nil
	}
	w, r, f := s.deliveriesIndex(partnerID, &q)
	if w == nil {
		return emptyDeliveries(), nil
	}
	read := func(dn uint32) (deliveryFields, id) {
		d := s.deliveries.at(dn)
		return s.deliveryFieldsLocked(d), d.id
	}
	data, next, prev, err := seekPage(ctx, s, &q, w, r, f.match(s), read, (*deliveryFields).view)
	if err != nil {
		return monitehooks.Page[monitehooks.Delivery]{}, err
	}
	return monitehooks.Page[monitehooks.Delivery]{Data: data, Next: next, Prev: prev}, nil
}

// deliveriesIndex returns the index a list of the partner's deliveries
// walks (nil when it can have no item), the span of keys to walk, and
// the filter of what the index does not answer. q.EventID must be empty.
func (s *Store) deliveriesIndex(partnerID string, q *listQuery) (walker, span, *deliveryFilter) {
	f := &deliveryFilter{q: q}
	if q.Status != "" {
		f.status, _ = statusCode(q.Status) // Validate or DecodeCursor checked it
	}
	byCreation := q.Sort == monitehooks.SortCreatedAt
	r, empty := createdSpan(&q.ListParams)
	if !byCreation {
		r = span{} // the Created bounds filter instead
	}
	// The trees are picked under the lock, and the walker made after it,
	// so that nothing is allocated under the lock. The trees are the
	// partner's, and stay so: a partner's record and its trees live as
	// long as the store.
	var ts treeSet
	sent := false
	s.mu.RLock()
	switch p := s.partners[partnerID]; {
	case p == nil || empty:
	case q.SubscriptionID != "":
		sid, _ := parseID(q.SubscriptionID)
		sq := s.queues[sid]
		if sq == nil || p.bySub[sq.num] == nil {
			break
		}
		f.types = true
		if byCreation {
			ts.one = p.bySub[sq.num]
			break
		}
		// The partner's deliveries by update, checking the subscription.
		f.created, f.bySub, f.queue = true, true, sq.num
		ts.one = &p.updated
	case byCreation:
		var narrowed bool
		ts, narrowed = p.pickEvents(string(q.ObjectType), string(q.EventType), true)
		f.types, sent = !narrowed, true
	default:
		f.types, f.created = true, true
		ts.one = &p.updated
	}
	s.mu.RUnlock()
	switch {
	case ts.empty():
		return nil, r, f
	case sent:
		return newSentWalker(s, ts), r, f
	}
	return newTreesWalker(ts), r, f
}

// deliveryFilter is what a list of deliveries checks of each item its
// index yields: the filters the index does not answer.
type deliveryFilter struct {
	q       *listQuery
	types   bool   // the object and event type filters
	created bool   // the Created bounds
	bySub   bool   // the SubscriptionID filter: the queue must be queue
	queue   uint32 // the number of the subscription's queue
	status  uint8  // the Status filter, when q.Status is set
}

// match returns the check, to be called under s.mu.
func (f *deliveryFilter) match(s *Store) func(dn uint32) bool {
	return func(dn uint32) bool {
		d := s.deliveries.at(dn)
		if (f.q.Status != "" && d.status != f.status) || (f.bySub && d.queue != f.queue) {
			return false
		}
		if !f.types && !f.created {
			return true
		}
		e := s.events.at(d.event)
		return (!f.types || f.q.matchEvent(s.textLocked(e))) &&
			(!f.created || f.q.InCreatedRange(e.due.time()))
	}
}

// listEventDeliveries returns the page of the event's deliveries: few
// enough to collect and sort.
func (s *Store) listEventDeliveries(partnerID string, q *listQuery) monitehooks.Page[monitehooks.Delivery] {
	f := &deliveryFilter{q: q, types: true, created: true}
	if q.Status != "" {
		f.status, _ = statusCode(q.Status) // Validate or DecodeCursor checked it
	}
	match := f.match(s)
	es := readLocked(s, func() (es []entry[*delivery]) {
		eid, ok := parseID(q.EventID)
		if !ok {
			return nil
		}
		e := s.eventLocked(eid)
		if e == nil || s.partnerList[e.partner].id != partnerID {
			return nil
		}
		wantSub, bySub := id{}, q.SubscriptionID != ""
		if bySub {
			wantSub, _ = parseID(q.SubscriptionID)
		}
		for dn := e.first; dn < e.first+e.n; dn++ {
			d := s.deliveries.get(dn)
			if d == nil || d.id == (id{}) || (bySub && s.queueList[d.queue].id != wantSub) || !match(dn) {
				continue
			}
			es = append(es, entry[*delivery]{q.sortKey(e.due.time(), s.updatedAtLocked(d)), uint64(dn) + 1, d.id, d})
		}
		return es
	})
	page, next, prev := paginate(es, q)
	data := readLocked(s, func() []monitehooks.Delivery {
		data := make([]monitehooks.Delivery, 0, len(page))
		for i := range page {
			// A delivery deleted since it was collected is left out.
			if d, _ := s.deliveryByIDLocked(page[i].id); d != nil {
				data = append(data, s.deliveryViewLocked(d))
			}
		}
		return data
	})
	return monitehooks.Page[monitehooks.Delivery]{Data: data, Next: next, Prev: prev}
}

func emptyDeliveries() monitehooks.Page[monitehooks.Delivery] {
	return monitehooks.Page[monitehooks.Delivery]{Data: []monitehooks.Delivery{}}
}

// RequeueDelivery makes the partner's succeeded or failed delivery pending
// again, due at p.Due, keeping its attempts; it sets UpdatedAt to p.Due
// too, the store having no clock. A pending delivery is left as it is. It
// returns the delivery.
func (s *Store) RequeueDelivery(ctx context.Context, p monitehooks.RequeueDeliveryParams) (monitehooks.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Delivery{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, dn := s.deliveryLocked(p.PartnerID, p.DeliveryID)
	if d == nil {
		return monitehooks.Delivery{}, deliveryNotFound(p.DeliveryID)
	}
	if d.status != statusPending {
		s.requeueLocked(dn, p.Due)
	}
	return s.deliveryViewLocked(d), nil
}

// requeueLocked makes the finished delivery dn pending, due at due.
func (s *Store) requeueLocked(dn uint32, due time.Time) {
	d := s.deliveries.at(dn)
	s.recordLocked(d, dn, due, nil, statusPending)
	d.next = stampOf(due)
	s.enqueueLocked(dn)
}

// RequeueFailed makes every failed delivery of the partner's subscription
// created at or after p.Since pending again, due at p.Due (and updated
// then, as RequeueDelivery), and returns how many it requeued. For an
// unknown or deleted subscription, or another partner's, it requeues
// nothing and answers 0. It walks the subscription's deliveries created
// since p.Since, under the write lock.
func (s *Store) RequeueFailed(ctx context.Context, p monitehooks.RequeueFailedParams) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	sid, ok := parseID(p.SubscriptionID)
	if !ok {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	pr := s.partners[p.PartnerID]
	sq := s.queues[sid]
	if pr == nil || pr.subs[sid] == nil || sq == nil || pr.bySub[sq.num] == nil {
		return 0, nil
	}
	// Requeueing moves deliveries in the UpdatedAt orders only: the walk
	// by creation stays valid.
	n, since := 0, stampOf(p.Since)
	for it := pr.bySub[sq.num].seek(keyOf(since, 0)); it.valid(); it.next() {
		dn := it.seq() - 1
		if d := s.deliveries.at(dn); d.status == statusFailed {
			s.requeueLocked(dn, p.Due)
			n++
		}
	}
	return n, nil
}
