package memstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// TestClaimModel runs random sequences of operations against the store and
// against a plain model of the contract that scans every delivery, and
// checks that claims, NextDue, lease errors and counts agree, and that the
// heaps stay well formed.
func TestClaimModel(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			runModel(t, seed, 300)
		})
	}
}

type modelDelivery struct {
	n        int // creation order
	id, sub  string
	status   monitehooks.DeliveryStatus
	next     time.Time
	leaseEnd time.Time // of the last claim
	token    string    // "" when no claim holds it
	attempts int
}

// claimable reports whether d can be claimed at now.
func (d *modelDelivery) claimable(now time.Time) bool {
	return d.status == monitehooks.DeliveryPending && !d.next.After(now) && (d.token == "" || !d.leaseEnd.After(now))
}

type heldClaim struct{ id, token string }

func runModel(t *testing.T, seed uint64, steps int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 42))
	s := New()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }

	subs := createSubs(t, s, "p", 5)
	model := make(map[string]*modelDelivery)
	var ids []string // every delivery ID, in creation order
	var held []heldClaim

	for step := range steps {
		switch op := rng.IntN(10); {
		case op < 3: // create an event
			var to []string
			for _, sub := range subs {
				if rng.IntN(2) == 0 {
					to = append(to, sub)
				}
			}
			ev := monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", CreatedAt: now}
			due := now.Add(sec(rng.IntN(11) - 5))
			ev, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: to, Due: due})
			if err != nil {
				t.Fatalf("step %d: CreateEvent: %v", step, err)
			}
			e := s.eventLocked(mustParse(t, ev.ID))
			for dn := e.first; dn < e.first+e.n; dn++ {
				d := s.deliveries.at(dn)
				md := &modelDelivery{n: len(ids), id: d.id.String(), sub: s.queueList[d.queue].idStr, status: monitehooks.DeliveryPending, next: due}
				model[md.id] = md
				ids = append(ids, md.id)
			}

		case op < 6: // claim
			now = now.Add(sec(rng.IntN(4)))
			limit, lease := 1+rng.IntN(5), sec(1+rng.IntN(10))
			refuse := make(map[string]bool)
			for _, sub := range subs {
				refuse[sub] = rng.IntN(4) == 0
			}
			var asked []string
			res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: limit, Lease: lease, Allow: func(sub string) bool {
				asked = append(asked, sub)
				return !refuse[sub]
			}})
			if err != nil {
				t.Fatalf("step %d: ClaimDeliveries: %v", step, err)
			}

			// The model: candidates in due order, Allow asked until a
			// subscription is refused, then its deliveries skipped.
			var cands []*modelDelivery
			for _, md := range model {
				if md.claimable(now) {
					cands = append(cands, md)
				}
			}
			slices.SortFunc(cands, func(a, b *modelDelivery) int {
				return cmp.Or(a.next.Compare(b.next), cmp.Compare(a.n, b.n))
			})
			var wantIDs, wantAsked []string
			refused := make(map[string]bool)
			for _, md := range cands {
				if len(wantIDs) == limit {
					break
				}
				if refused[md.sub] {
					continue
				}
				wantAsked = append(wantAsked, md.sub)
				if refuse[md.sub] {
					refused[md.sub] = true
					continue
				}
				wantIDs = append(wantIDs, md.id)
			}
			var gotIDs []string
			for _, c := range res.Claims {
				gotIDs = append(gotIDs, c.DeliveryID)
				md := model[c.DeliveryID]
				if c.Attempts != md.attempts {
					t.Errorf("step %d: claim of %s: Attempts = %d; want %d", step, c.DeliveryID, c.Attempts, md.attempts)
				}
				md.token, md.leaseEnd = c.LeaseToken, now.Add(lease)
				held = append(held, heldClaim{c.DeliveryID, c.LeaseToken})
			}
			if !slices.Equal(gotIDs, wantIDs) {
				t.Fatalf("step %d: claimed %v; want %v", step, gotIDs, wantIDs)
			}
			if !slices.Equal(asked, wantAsked) {
				t.Fatalf("step %d: Allow asked %v; want %v", step, asked, wantAsked)
			}
			var wantNext time.Time
			for _, md := range model {
				if md.status != monitehooks.DeliveryPending {
					continue
				}
				var at time.Time
				switch {
				case md.token != "" && md.leaseEnd.After(now):
					at = md.leaseEnd
				case !refused[md.sub]:
					at = md.next
				default:
					continue
				}
				if wantNext.IsZero() || at.Before(wantNext) {
					wantNext = at
				}
			}
			if !res.NextDue.Equal(wantNext) {
				t.Fatalf("step %d: NextDue = %v; want %v", step, res.NextDue, wantNext)
			}

		case op < 8 && len(held) > 0: // record
			i := rng.IntN(len(held))
			h := held[i]
			held = slices.Delete(held, i, i+1)
			md := model[h.id]
			st := []monitehooks.DeliveryStatus{monitehooks.DeliveryPending, monitehooks.DeliveryPending, monitehooks.DeliverySucceeded, monitehooks.DeliveryFailed}[rng.IntN(4)]
			next := now.Add(sec(rng.IntN(8)))
			err := s.RecordAttempt(ctx, monitehooks.RecordAttemptParams{
				DeliveryID: h.id, LeaseToken: h.token, Attempt: &monitehooks.Attempt{At: now},
				Status: st, NextAttemptAt: next, UpdatedAt: now,
			})
			if md.token != h.token {
				if !errors.Is(err, monitehooks.ErrLeaseLost) {
					t.Fatalf("step %d: RecordAttempt with a stale token: %v; want ErrLeaseLost", step, err)
				}
				break
			}
			if err != nil {
				t.Fatalf("step %d: RecordAttempt: %v", step, err)
			}
			md.token, md.status, md.next = "", st, next
			md.attempts++

		case op < 9 && len(held) > 0: // release
			i := rng.IntN(len(held))
			h := held[i]
			held = slices.Delete(held, i, i+1)
			md := model[h.id]
			err := s.ReleaseDelivery(ctx, monitehooks.ReleaseParams{DeliveryID: h.id, LeaseToken: h.token})
			if md.token != h.token {
				if !errors.Is(err, monitehooks.ErrLeaseLost) {
					t.Fatalf("step %d: ReleaseDelivery with a stale token: %v; want ErrLeaseLost", step, err)
				}
				break
			}
			if err != nil {
				t.Fatalf("step %d: ReleaseDelivery: %v", step, err)
			}
			md.token = ""

		case len(ids) > 0: // requeue
			md := model[ids[rng.IntN(len(ids))]]
			due := now.Add(sec(rng.IntN(6)))
			if _, err := s.RequeueDelivery(ctx, monitehooks.RequeueDeliveryParams{PartnerID: "p", DeliveryID: md.id, Due: due}); err != nil {
				t.Fatalf("step %d: RequeueDelivery: %v", step, err)
			}
			if md.status != monitehooks.DeliveryPending {
				md.status, md.next = monitehooks.DeliveryPending, due
			}
		}

		var want monitehooks.DeliveryCounts
		for _, md := range model {
			switch md.status {
			case monitehooks.DeliveryPending:
				want.Pending++
			case monitehooks.DeliverySucceeded:
				want.Succeeded++
			default:
				want.Failed++
			}
		}
		if got, _ := s.CountDeliveries(ctx); got != want {
			t.Fatalf("step %d: CountDeliveries = %+v; want %+v", step, got, want)
		}
		checkHeaps(t, s)
	}
}

func mustParse(t *testing.T, s string) id {
	t.Helper()
	u, ok := parseID(s)
	if !ok {
		t.Fatalf("bad ID %q", s)
	}
	return u
}

// checkHeaps fails the test unless every claim index is a well-formed heap
// whose members say where they are.
func checkHeaps(t *testing.T, s *Store) {
	t.Helper()
	checkHeap(t, "ready", &s.ready, func(sq *subQueue) int { return sq.idx })
	for i, sq := range s.ready.items {
		if sq.heap.len() == 0 {
			t.Fatalf("ready[%d]: an empty queue", i)
		}
	}
	deliveryIdx := func(dn uint32) int { return int(s.deliveries.at(dn).idx) }
	queued := 0
	for _, sq := range s.queues {
		if (sq.idx >= 0) != (sq.heap.len() > 0) {
			t.Fatalf("queue %s: idx %d with %d queued", sq.idStr, sq.idx, sq.heap.len())
		}
		checkHeap(t, "queue "+sq.idStr, &sq.heap, deliveryIdx)
		for i, dn := range sq.heap.items {
			d := s.deliveries.at(dn)
			if d.where != inQueue || s.queueList[d.queue] != sq || d.status != statusPending {
				t.Fatalf("queue %s[%d]: where %d status %d", sq.idStr, i, d.where, d.status)
			}
		}
		queued += sq.heap.len()
	}
	checkHeap(t, "leases", &s.leases, func(l lease) int { return deliveryIdx(l.d) })
	for i, l := range s.leases.items {
		d := s.deliveries.at(l.d)
		if d.where != inLeases || d.token == 0 || d.status != statusPending {
			t.Fatalf("leases[%d]: where %d token %d status %d", i, d.where, d.token, d.status)
		}
	}
	if queued+s.leases.len() != s.counts.Pending {
		t.Fatalf("%d queued and %d leased; want %d pending", queued, s.leases.len(), s.counts.Pending)
	}
	for _, d := range s.deliveries.all {
		if (d.where == inNothing) != (d.idx < 0) {
			t.Fatalf("delivery %s: where %d, idx %d", d.id, d.where, d.idx)
		}
	}
}

// checkHeap fails the test unless no item of h sorts before its parent
// and pos gives each item's position.
func checkHeap[T any, O heapOrder[T]](t *testing.T, name string, h *heap[T, O], pos func(T) int) {
	t.Helper()
	for i, x := range h.items {
		if pos(x) != i {
			t.Fatalf("%s[%d]: says it is at %d", name, i, pos(x))
		}
		if i > 0 && h.order.less(x, h.items[(i-1)/2]) {
			t.Fatalf("%s[%d] sorts before its parent", name, i)
		}
	}
}
