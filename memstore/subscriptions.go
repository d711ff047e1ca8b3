package memstore

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/monitehooks/monitehooks"
)

// CreateSubscription stores a copy of sub with a new ID, whatever sub.ID
// holds, and returns it.
func (s *Store) CreateSubscription(ctx context.Context, sub monitehooks.Subscription) (monitehooks.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Subscription{}, err
	}
	sub = sub.Clone()
	stored := sub.Clone()
	s.mu.Lock()
	sid, sidStr := s.subIDs.takeText()
	stored.ID = sidStr
	s.partnerLocked(sub.PartnerID, true).subs[sid] = &stored
	s.mu.Unlock()
	sub.ID = sidStr
	return sub, nil
}

// GetSubscription returns the partner's subscription with the ID.
func (s *Store) GetSubscription(ctx context.Context, partnerID, subID string) (monitehooks.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Subscription{}, err
	}
	sub := s.subscription(partnerID, subID)
	if sub == nil {
		return monitehooks.Subscription{}, subNotFound(subID)
	}
	return sub.Clone(), nil
}

// subscription returns the stored subscription, which must not be
// modified, or nil.
func (s *Store) subscription(partnerID, subID string) *monitehooks.Subscription {
	sid, ok := parseID(subID)
	if !ok {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p := s.partners[partnerID]; p != nil {
		return p.subs[sid]
	}
	return nil
}

func subNotFound(subID string) error {
	return fmt.Errorf("memstore: subscription %q: %w", subID, monitehooks.ErrSubscriptionNotFound)
}

// UpdateSubscription replaces the stored subscription that has sub's ID and
// PartnerID with a copy of sub.
func (s *Store) UpdateSubscription(ctx context.Context, sub monitehooks.Subscription) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sid, ok := parseID(sub.ID)
	if !ok {
		return subNotFound(sub.ID)
	}
	stored := sub.Clone()

	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.partners[sub.PartnerID]
	if p == nil || p.subs[sid] == nil {
		return subNotFound(sub.ID)
	}
	p.subs[sid] = &stored
	return nil
}

// DeleteSubscription removes the partner's subscription with the ID. Its
// deliveries stay, pending ones included: they can still be claimed, and
// the caller decides what becomes of them.
func (s *Store) DeleteSubscription(ctx context.Context, partnerID, subID string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	sid, ok := parseID(subID)
	if !ok {
		return subNotFound(subID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.partners[partnerID]
	if p == nil || p.subs[sid] == nil {
		return subNotFound(subID)
	}
	delete(p.subs, sid)
	return nil
}

// ListSubscriptions returns one page of the partner's subscriptions.
func (s *Store) ListSubscriptions(ctx context.Context, partnerID string, lp monitehooks.ListParams) (monitehooks.Page[monitehooks.Subscription], error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.Page[monitehooks.Subscription]{}, err
	}
	q, err := s.resolveList(lp, &s.subIDs)
	if err != nil {
		return monitehooks.Page[monitehooks.Subscription]{}, err
	}

	var es []entry[*monitehooks.Subscription]
	s.mu.RLock()
	if p := s.partners[partnerID]; p != nil {
		es = make([]entry[*monitehooks.Subscription], 0, len(p.subs))
		for sid, sub := range p.subs {
			if (q.ObjectType == "" || sub.ObjectType == q.ObjectType) && q.InCreatedRange(sub.CreatedAt) {
				seq, _ := s.subIDs.seqOf(&sid)
				es = append(es, entry[*monitehooks.Subscription]{q.sortKey(sub.CreatedAt, sub.UpdatedAt), seq, sid, sub})
			}
		}
	}
	s.mu.RUnlock()

	// Stored subscriptions are never modified, so the rest needs no lock.
	page, next, prev := paginate(es, &q)
	data := make([]monitehooks.Subscription, len(page))
	for i := range page {
		data[i] = page[i].item.Clone()
	}
	return monitehooks.Page[monitehooks.Subscription]{Data: data, Next: next, Prev: prev}, nil
}

// LoadSubscriptions returns a copy of every subscription of every partner,
// in no particular order.
func (s *Store) LoadSubscriptions(ctx context.Context) ([]monitehooks.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var subs []*monitehooks.Subscription
	s.mu.RLock()
	for _, p := range s.partners {
		subs = slices.AppendSeq(subs, maps.Values(p.subs))
	}
	s.mu.RUnlock()

	all := make([]monitehooks.Subscription, len(subs))
	for i, sub := range subs {
		all[i] = sub.Clone()
	}
	return all, nil
}
