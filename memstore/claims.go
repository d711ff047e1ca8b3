package memstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/monitehooks/monitehooks"
)

// ClaimDeliveries leases up to p.Limit pending deliveries due at p.Now,
// taking turns between subscriptions: each subscription with due work has
// one claimed per turn, in a round every such subscription has its turn in
// before any has a second, and a subscription's deliveries are taken
// oldest due first (ties by delivery ID). A subscription joins the round
// when its oldest delivery comes due, after those already in it, and
// before any of them has a second turn; those that come due at the same
// claim join in the order of their oldest deliveries. See the package
// documentation for its cost.
//
// Allow is asked once per turn, under the store's lock. A subscription it
// refuses loses no turn: it is set aside for the rest of the call, without
// being asked again, and comes first in the next claim. None of its
// deliveries counts for NextDue. Lease ends count for NextDue whatever
// their subscription. When Limit cuts the claim short, NextDue is the due
// time of the oldest delivery of the subscription whose turn is next,
// leaving out those refused.
//
// A lease token is the claim's sequence number in the store, in hex: each
// claim gets a new one, and it holds the delivery until RecordAttempt or
// ReleaseDelivery ends the lease or a claim after the lease's end takes the
// delivery.
func (s *Store) ClaimDeliveries(ctx context.Context, p monitehooks.ClaimParams) (monitehooks.ClaimResult, error) {
	if err := ctx.Err(); err != nil {
		return monitehooks.ClaimResult{}, err
	}
	if p.Limit <= 0 {
		return monitehooks.ClaimResult{}, fmt.Errorf("memstore: claim limit %d: must be positive: %w", p.Limit, monitehooks.ErrInvalid)
	}
	if p.Lease <= 0 {
		return monitehooks.ClaimResult{}, fmt.Errorf("memstore: claim lease %v: must be positive: %w", p.Lease, monitehooks.ErrInvalid)
	}
	now, until := stampOf(p.Now), stampOf(p.Now.Add(p.Lease))

	s.mu.Lock()
	// Queues refused by Allow are set aside during the call; they go back
	// to the front of the ring, in the order they were refused, even if
	// Allow panics.
	refused := s.refused[:0]
	defer func() {
		for i := len(refused) - 1; i >= 0; i-- {
			s.ring.putBack(refused[i])
			refused[i] = nil
		}
		s.refused = refused[:0]
		s.mu.Unlock()
	}()

	// Ended leases make their deliveries claimable again; the holder keeps
	// its token until another claim takes the delivery.
	for s.leases.len() > 0 && !s.leases.top().end.after(now) {
		dn := s.leases.top().d
		s.leaseRemoveLocked(s.deliveries.at(dn))
		s.enqueueLocked(dn)
	}
	s.joinDueLocked(now)

	var res monitehooks.ClaimResult
	for len(res.Claims) < p.Limit {
		sq := s.turnLocked(now)
		if sq == nil {
			break
		}
		// Asked while sq is still in the ring, in case Allow panics.
		allowed := p.Allow == nil || p.Allow(sq.idStr)
		s.ring.take()
		if !allowed {
			refused = append(refused, sq)
			continue
		}
		sq.turn = s.ring.round
		dn := sq.heap.top()
		d := s.deliveries.at(dn)
		s.dequeueLocked(d)
		if s.headDueLocked(sq, now) {
			s.ring.again(sq)
		} else {
			s.parkLocked(sq)
		}
		s.lastToken++
		d.token = s.lastToken
		s.leasePushLocked(dn, until)
		if res.Claims == nil {
			res.Claims = make([]monitehooks.Claim, 0, min(p.Limit, 16))
		}
		e := s.events.at(d.event)
		ev := s.eventViewLocked(e)
		res.Claims = append(res.Claims, monitehooks.Claim{
			DeliveryID:     d.id.String(),
			SubscriptionID: sq.idStr,
			PartnerID:      ev.PartnerID,
			Attempts:       len(s.attemptsLocked(d)),
			CreatedAt:      e.due.time(),
			Event:          ev,
			LeaseToken:     strconv.FormatUint(d.token, 16),
		})
	}

	// The refused queues are set aside, so count for nothing here. Every
	// queue in s.waiting has its head due after now, and every lease ends
	// after now.
	switch sq := s.turnLocked(now); {
	case sq != nil:
		res.NextDue = s.headAtLocked(sq).time()
	case s.waiting.len() > 0:
		res.NextDue = s.headAtLocked(s.waiting.top()).time()
	}
	if s.leases.len() > 0 {
		if end := s.leases.top().end.time(); res.NextDue.IsZero() || end.Before(res.NextDue) {
			res.NextDue = end
		}
	}
	return res, nil
}

// errLeaseLost is the answer to a token that does not hold its delivery.
var errLeaseLost = fmt.Errorf("memstore: %w", monitehooks.ErrLeaseLost)

// leasedLocked returns the delivery the token holds and its number. It
// answers an error wrapping ErrDeliveryNotFound for an unknown delivery,
// and ErrLeaseLost when the token does not hold it. s.mu must be held.
func (s *Store) leasedLocked(deliveryID, leaseToken string) (*delivery, uint32, error) {
	did, ok := parseID(deliveryID)
	var (
		d  *delivery
		dn uint32
	)
	if ok {
		d, dn = s.deliveryByIDLocked(did)
	}
	if d == nil {
		return nil, 0, deliveryNotFound(deliveryID)
	}
	tok, err := strconv.ParseUint(leaseToken, 16, 64)
	if err != nil || tok == 0 || tok != d.token {
		return nil, 0, errLeaseLost
	}
	return d, dn, nil
}

// RecordAttempt records the outcome of a claimed delivery and ends its
// lease. It answers an error wrapping ErrLeaseLost, recording nothing, when
// the token does not hold the delivery, and one wrapping
// ErrDeliveryNotFound when there is no delivery with the ID.
func (s *Store) RecordAttempt(ctx context.Context, p monitehooks.RecordAttemptParams) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st, ok := statusCode(p.Status)
	if !ok {
		return fmt.Errorf("memstore: delivery status %q: %w", p.Status, monitehooks.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, dn, err := s.leasedLocked(p.DeliveryID, p.LeaseToken)
	if err != nil {
		return err
	}
	s.unhookLocked(d)
	d.token = 0
	s.recordLocked(d, dn, p.UpdatedAt, p.Attempt, st)
	d.next = stampOf(p.NextAttemptAt)
	if st == statusPending {
		s.enqueueLocked(dn)
	}
	return nil
}

// ReleaseDelivery ends a lease without recording an attempt; the delivery
// is claimable again at once. It answers like RecordAttempt when the token
// does not hold the delivery.
func (s *Store) ReleaseDelivery(ctx context.Context, p monitehooks.ReleaseParams) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, dn, err := s.leasedLocked(p.DeliveryID, p.LeaseToken)
	if err != nil {
		return err
	}
	d.token = 0
	if d.where == inLeases {
		s.leaseRemoveLocked(d)
		s.enqueueLocked(dn)
	}
	// Otherwise the lease had ended and d is in its queue already.
	return nil
}
