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
// heaps and the ring stay well formed.
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

type heldClaim struct{ id, token string }

// modelTurns models the round-robin of claims. Each subscription in the
// round has a key, (round, sequence); the smallest key has the next turn.
// A subscription joining the round gets a key at the back of the current
// round, or of the next one when it has had its turn in this round; one
// that has its turn and has more due gets a key in the next round; one
// refused by Allow gets a key at the front of the current round.
type modelTurns struct {
	round   int
	back    int // the last sequence number given at the back
	front   int // the last sequence number given at the front
	inRound map[string]bool
	key     map[string][2]int
	turn    map[string]int // the round of each subscription's last turn
}

// first returns the subscription with the smallest key, or "" when none is
// in the round.
func (m *modelTurns) first() string {
	best := ""
	for sub, in := range m.inRound {
		if in && (best == "" || cmp.Compare(m.key[sub][0], m.key[best][0]) < 0 ||
			(m.key[sub][0] == m.key[best][0] && m.key[sub][1] < m.key[best][1])) {
			best = sub
		}
	}
	return best
}

func (m *modelTurns) atBack(sub string, round int) {
	m.back++
	m.key[sub], m.inRound[sub] = [2]int{round, m.back}, true
}

func (m *modelTurns) atFront(sub string) {
	m.front--
	m.key[sub], m.inRound[sub] = [2]int{m.round, m.front}, true
}

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
	holds := make(map[string]time.Time) // per subscription, the end of its hold
	turns := &modelTurns{inRound: make(map[string]bool), key: make(map[string][2]int), turn: make(map[string]int)}
	byDue := func(a, b *modelDelivery) int { return cmp.Or(a.next.Compare(b.next), cmp.Compare(a.n, b.n)) }

	for step := range steps {
		switch op := rng.IntN(11); {
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

			// The model: the claimable deliveries of each subscription
			// (pending, not under a lease), oldest due first; a
			// subscription with due work takes turns.
			taken := make(map[string]bool)
			head := func(sub string) *modelDelivery {
				var h *modelDelivery
				for _, md := range model {
					if md.sub == sub && !taken[md.id] && md.status == monitehooks.DeliveryPending &&
						(md.token == "" || !md.leaseEnd.After(now)) && (h == nil || byDue(md, h) < 0) {
						h = md
					}
				}
				return h
			}
			// A subscription's deliveries are claimable at their
			// NextAttemptAt or at the end of its hold.
			claimableAt := func(sub string, md *modelDelivery) time.Time {
				if hold := holds[sub]; hold.After(md.next) {
					return hold
				}
				return md.next
			}
			due := func(sub string) bool { h := head(sub); return h != nil && !claimableAt(sub, h).After(now) }
			var joining []string
			for _, sub := range subs {
				if !turns.inRound[sub] && due(sub) {
					joining = append(joining, sub)
				}
			}
			slices.SortFunc(joining, func(a, b string) int {
				ha, hb := head(a), head(b)
				return cmp.Or(claimableAt(a, ha).Compare(claimableAt(b, hb)), cmp.Compare(ha.n, hb.n))
			})
			for _, sub := range joining {
				round := turns.round
				if turns.turn[sub] == turns.round {
					round++
				}
				turns.atBack(sub, round)
			}
			var wantIDs, wantAsked, refused []string
			for len(wantIDs) < limit {
				sub := turns.first()
				if sub == "" {
					break
				}
				turns.inRound[sub] = false
				if !due(sub) {
					continue // out of the round without a turn
				}
				turns.round = max(turns.round, turns.key[sub][0])
				wantAsked = append(wantAsked, sub)
				if refuse[sub] {
					refused = append(refused, sub)
					continue
				}
				h := head(sub)
				wantIDs = append(wantIDs, h.id)
				taken[h.id] = true
				turns.turn[sub] = turns.round
				if due(sub) {
					turns.atBack(sub, turns.round+1)
				}
			}
			var wantNext time.Time
			for sub := turns.first(); sub != ""; sub = turns.first() {
				if due(sub) {
					wantNext = claimableAt(sub, head(sub))
					break
				}
				turns.inRound[sub] = false
			}
			if wantNext.IsZero() {
				for _, sub := range subs {
					if h := head(sub); h != nil && !slices.Contains(refused, sub) && (wantNext.IsZero() || claimableAt(sub, h).Before(wantNext)) {
						wantNext = claimableAt(sub, h)
					}
				}
			}
			for i := len(refused) - 1; i >= 0; i-- {
				turns.atFront(refused[i])
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
			for _, md := range model {
				if md.status == monitehooks.DeliveryPending && md.token != "" && md.leaseEnd.After(now) &&
					(wantNext.IsZero() || md.leaseEnd.Before(wantNext)) {
					wantNext = md.leaseEnd
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

		case op == 10: // hold a subscription, or lift its hold
			sub := subs[rng.IntN(len(subs))]
			var until time.Time
			if rng.IntN(3) > 0 {
				until = now.Add(sec(rng.IntN(9) - 2))
			}
			if err := s.HoldSubscription(ctx, sub, until); err != nil {
				t.Fatalf("step %d: HoldSubscription: %v", step, err)
			}
			holds[sub] = until

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
// whose members say where they are, and retention's tree holds as many
// deliveries as are finished.
func checkHeaps(t *testing.T, s *Store) {
	t.Helper()
	if n, want := s.expiringDeliveries.len, s.counts.Succeeded+s.counts.Failed; n != want {
		t.Fatalf("%d deliveries wait for retention; %d are finished", n, want)
	}
	checkHeap(t, "waiting", &s.waiting, func(sq *subQueue) int { return sq.idx })
	for i, sq := range s.waiting.items {
		if sq.heap.len() == 0 || sq.state != queueWaiting {
			t.Fatalf("waiting[%d]: a queue of %d in state %d", i, sq.heap.len(), sq.state)
		}
	}
	// The queues in cur have not had their turn in this round, those in
	// next have.
	inRing := make(map[*subQueue]bool)
	for i, f := range []*fifo{&s.ring.cur, &s.ring.next} {
		for sq := range f.all {
			if inRing[sq] || sq.state != queueInRing || (sq.turn == s.ring.round) != (i == 1) {
				t.Fatalf("ring: queue %s twice, in state %d, or with turn %d in round %d", sq.idStr, sq.state, sq.turn, s.ring.round)
			}
			inRing[sq] = true
		}
	}
	deliveryIdx := func(dn uint32) int { return int(s.deliveries.at(dn).idx) }
	queued := 0
	for _, sq := range s.queues {
		if (sq.idx >= 0) != (sq.state == queueWaiting) || (sq.state == queueInRing) != inRing[sq] ||
			(sq.state == queueIdle && sq.heap.len() > 0) {
			t.Fatalf("queue %s: idx %d and state %d with %d queued", sq.idStr, sq.idx, sq.state, sq.heap.len())
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
