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
	if !ok {
		return nil, 0
	}
	dn := uint32(seq - 1)
	if d := s.deliveries.at(dn); d.id == did {
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
// of their attempts. With EventID set it looks at that event's deliveries
// only; otherwise it filters all of the partner's.
func (s *Store) ListDeliveries(ctx context.Context, partnerID string, lp monitehooks.ListParams) (monitehooks.Page[monitehooks.Delivery], error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Page[monitehooks.Delivery]{}, err
	}
	q, err := s.resolveList(lp, &s.deliveryIDs)
	if err != nil {
		return monitehooks.Page[monitehooks.Delivery]{}, err
	}
	var (
		wantSub id
		wantSt  uint8
	)
	if q.SubscriptionID != "" {
		var ok bool
		if wantSub, ok = parseID(q.SubscriptionID); !ok {
			return emptyDeliveries(), nil
		}
	}
	if q.Status != "" {
		wantSt, _ = statusCode(q.Status) // Validate or DecodeCursor checked it
	}

	// Collect the matching deliveries and their keys under the lock, sort
	// them without it, then take the lock again to copy the page.
	es := readLocked(s, func() (es []entry[*delivery]) {
		events := s.partnerEventsLocked(partnerID)
		if q.EventID != "" {
			events = func(func(uint32, *event) bool) {}
			if eid, ok := parseID(q.EventID); ok {
				if e := s.eventLocked(eid); e != nil && s.partnerList[e.partner].id == partnerID {
					events = func(yield func(uint32, *event) bool) { yield(0, e) }
				}
			}
		}
		for _, e := range events {
			created := e.due.time()
			if !q.matchEvent(s.textLocked(e)) || !q.InCreatedRange(created) {
				continue
			}
			for dn := e.first; dn < e.first+e.n; dn++ {
				d := s.deliveries.at(dn)
				if (q.SubscriptionID != "" && s.queueList[d.queue].id != wantSub) || (q.Status != "" && d.status != wantSt) {
					continue
				}
				es = append(es, entry[*delivery]{q.sortKey(created, s.updatedAtLocked(d)), uint64(dn) + 1, d.id, d})
			}
		}
		return es
	})
	page, next, prev := paginate(es, &q)
	data := readLocked(s, func() []monitehooks.Delivery {
		data := make([]monitehooks.Delivery, len(page))
		for i := range page {
			data[i] = s.deliveryViewLocked(page[i].item)
		}
		return data
	})
	return monitehooks.Page[monitehooks.Delivery]{Data: data, Next: next, Prev: prev}, nil
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
	s.countLocked(d.status, statusPending)
	d.status = statusPending
	d.next = stampOf(due)
	s.recordLocked(d, due, nil)
	s.enqueueLocked(dn)
}

// RequeueFailed makes every failed delivery of the partner's subscription
// created at or after p.Since pending again, due at p.Due (and updated
// then, as RequeueDelivery), and returns how many it requeued. For an
// unknown or deleted subscription, or another partner's, it requeues
// nothing and answers 0. It scans the partner's deliveries.
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
	if pr == nil || pr.subs[sid] == nil {
		return 0, nil
	}
	n, from := 0, stampOf(p.Since)
	for _, e := range s.partnerEventsLocked(p.PartnerID) {
		if e.due.compare(from) < 0 {
			continue
		}
		for dn := e.first; dn < e.first+e.n; dn++ {
			if d := s.deliveries.at(dn); d.status == statusFailed && s.queueList[d.queue].id == sid {
				s.requeueLocked(dn, p.Due)
				n++
			}
		}
	}
	return n, nil
}
