package memstore

import (
	"context"
	"fmt"
	"time"

	"github.com/monitehooks/monitehooks"
)

// deliveryLocked returns the partner's delivery with the ID, or nil.
// s.mu must be held.
func (s *Store) deliveryLocked(partnerID, deliveryID string) *delivery {
	did, ok := parseID(deliveryID)
	if !ok {
		return nil
	}
	if d := s.deliveryByIDLocked(did); d != nil && d.ev.ev.PartnerID == partnerID {
		return d
	}
	return nil
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
	d := s.deliveryLocked(partnerID, deliveryID)
	if d == nil {
		return monitehooks.Delivery{}, deliveryNotFound(deliveryID)
	}
	return d.view(), nil
}

// ListDeliveries returns one page of the partner's deliveries with copies
// of their attempts. With EventID set it looks at that event's deliveries
// only; otherwise it filters all of the partner's.
func (s *Store) ListDeliveries(ctx context.Context, partnerID string, lp monitehooks.ListParams) (monitehooks.Page[monitehooks.Delivery], error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Page[monitehooks.Delivery]{}, err
	}
	q, err := resolveList(lp)
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
	var es []entry[*delivery]
	s.mu.RLock()
	events := func(func(*event) bool) {}
	if q.EventID != "" {
		if eid, ok := parseID(q.EventID); ok {
			if e := s.eventLocked(eid); e != nil && e.ev.PartnerID == partnerID {
				events = func(yield func(*event) bool) { yield(e) }
			}
		}
	} else if p := s.partners[partnerID]; p != nil {
		events = p.events.all
	}
	for e := range events {
		if (q.ObjectType != "" && e.ev.ObjectType != q.ObjectType) ||
			(q.EventType != "" && e.ev.Type != q.EventType) ||
			!q.InCreatedRange(e.due) {
			continue
		}
		for i := range e.numDeliveries() {
			d := e.delivery(i)
			if (q.SubscriptionID != "" && d.sq.id != wantSub) || (q.Status != "" && d.status != wantSt) {
				continue
			}
			es = append(es, entry[*delivery]{q.sortKey(e.due, d.updatedAt()), d.id, d})
		}
	}
	s.mu.RUnlock()

	page, next, prev := paginate(es, &q)
	data := make([]monitehooks.Delivery, len(page))
	if len(page) > 0 {
		s.mu.RLock()
		for i := range page {
			data[i] = page[i].item.view()
		}
		s.mu.RUnlock()
	}
	return monitehooks.Page[monitehooks.Delivery]{Data: data, Next: next, Prev: prev}, nil
}

func emptyDeliveries() monitehooks.Page[monitehooks.Delivery] {
	return monitehooks.Page[monitehooks.Delivery]{Data: []monitehooks.Delivery{}}
}

// RequeueDelivery makes the partner's succeeded or failed delivery pending
// again, due at due, keeping its attempts; it sets UpdatedAt to due too,
// the store having no clock. A pending delivery is left as it is. It returns
// the delivery.
func (s *Store) RequeueDelivery(ctx context.Context, partnerID, deliveryID string, due time.Time) (monitehooks.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Delivery{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.deliveryLocked(partnerID, deliveryID)
	if d == nil {
		return monitehooks.Delivery{}, deliveryNotFound(deliveryID)
	}
	if d.status != statusPending {
		s.requeueLocked(d, due)
	}
	return d.view(), nil
}

// requeueLocked makes the finished delivery d pending, due at due.
func (s *Store) requeueLocked(d *delivery, due time.Time) {
	s.countLocked(d.status, statusPending)
	d.status = statusPending
	d.next = due
	d.record(due, nil)
	s.enqueueLocked(d)
}

// RequeueFailed makes every failed delivery of the partner's subscription
// created at or after since pending again, due at due (and updated then,
// as RequeueDelivery), and returns how many it requeued. For an unknown or
// deleted subscription, or another partner's, it requeues nothing and
// answers 0. It scans the partner's deliveries.
func (s *Store) RequeueFailed(ctx context.Context, partnerID, subscriptionID string, since, due time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	sid, ok := parseID(subscriptionID)
	if !ok {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.partners[partnerID]
	if p == nil || p.subs[sid] == nil {
		return 0, nil
	}
	n := 0
	for e := range p.events.all {
		if e.due.Before(since) {
			continue
		}
		for i := range e.numDeliveries() {
			if d := e.delivery(i); d.status == statusFailed && d.sq.id == sid {
				s.requeueLocked(d, due)
				n++
			}
		}
	}
	return n, nil
}
