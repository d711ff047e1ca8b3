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

// TestListModel runs random sequences of stores, attempts, requeues and
// retention against the store and a plain model, and after each step
// pages through random lists both ways, checking them against the model's
// items filtered and sorted the slow way: every item once, in order, the
// tokens on the right pages. Tokens taken before a deletion are followed
// after it, from their item's position.
func TestListModel(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			runListModel(t, seed, 250)
		})
	}
}

type modelEvent struct {
	seq             int // creation order
	id, partner     string
	objectType      monitehooks.ObjectType
	eventType       monitehooks.EventType
	created, due    time.Time
	deliveries      []*modelItem
	deleted, hadAny bool
}

type modelItem struct {
	seq      int // creation order among deliveries
	id, sub  string
	ev       *modelEvent
	status   monitehooks.DeliveryStatus
	updated  time.Time
	deleted  bool
	attempts int
}

func runListModel(t *testing.T, seed uint64, steps int) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 99))
	s := New()
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	now := base
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	partners := []string{"p", "q"}
	subs := map[string][]string{"p": createSubs(t, s, "p", 3), "q": createSubs(t, s, "q", 2)}
	var events []*modelEvent
	var items []*modelItem
	byID := make(map[string]*modelItem)
	var cutoff time.Time
	type heldToken struct {
		partner string
		p       monitehooks.ListParams // with the token
		after   *modelItemKey          // the token's boundary: items after it (or before, for Before)
		before  bool
		query   monitehooks.ListParams
		events  bool
	}
	var tokens []heldToken

	for step := range steps {
		switch op := rng.IntN(12); {
		case op < 4: // store an event
			pid := partners[rng.IntN(2)]
			var to []string
			for _, sub := range subs[pid] {
				if rng.IntN(2) == 0 {
					to = append(to, sub)
				}
			}
			me := &modelEvent{
				seq: len(events), partner: pid,
				objectType: []monitehooks.ObjectType{"entity", "role"}[rng.IntN(2)],
				eventType:  []monitehooks.EventType{"created", "updated"}[rng.IntN(2)],
				created:    now.Add(sec(rng.IntN(7) - 3)),
				due:        now.Add(sec(rng.IntN(3) - 1)),
			}
			ev, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
				Event:           monitehooks.Event{PartnerID: pid, ObjectType: me.objectType, Type: me.eventType, ObjectID: "o", CreatedAt: me.created},
				SubscriptionIDs: to, Due: me.due,
			})
			if err != nil {
				t.Fatalf("step %d: CreateEvent: %v", step, err)
			}
			me.id = ev.ID
			events = append(events, me)
			page, err := s.ListDeliveries(ctx, pid, monitehooks.ListParams{EventID: ev.ID})
			if err != nil || len(page.Data) != len(to) {
				t.Fatalf("step %d: the event's deliveries: %v, %d; want %d", step, err, len(page.Data), len(to))
			}
			for i, d := range page.Data {
				it := &modelItem{seq: len(items), id: d.ID, sub: to[i], ev: me, status: monitehooks.DeliveryPending, updated: me.due}
				items = append(items, it)
				byID[d.ID] = it
				me.deliveries = append(me.deliveries, it)
				me.hadAny = true
			}

		case op < 7: // claim some, and record outcomes
			now = now.Add(sec(rng.IntN(3)))
			res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 1 + rng.IntN(4), Lease: time.Hour})
			if err != nil {
				t.Fatalf("step %d: ClaimDeliveries: %v", step, err)
			}
			for _, c := range res.Claims {
				it := byID[c.DeliveryID]
				st := []monitehooks.DeliveryStatus{monitehooks.DeliveryPending, monitehooks.DeliverySucceeded, monitehooks.DeliveryFailed}[rng.IntN(3)]
				at := now.Add(sec(rng.IntN(5) - 2))
				if rng.IntN(4) == 0 {
					if err := s.ReleaseDelivery(ctx, monitehooks.ReleaseParams{DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken}); err != nil {
						t.Fatalf("step %d: ReleaseDelivery: %v", step, err)
					}
					continue
				}
				err := s.RecordAttempt(ctx, monitehooks.RecordAttemptParams{
					DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken, Attempt: &monitehooks.Attempt{At: at},
					Status: st, NextAttemptAt: now.Add(sec(rng.IntN(4))), UpdatedAt: at,
				})
				if err != nil {
					t.Fatalf("step %d: RecordAttempt: %v", step, err)
				}
				it.status, it.updated = st, at
				it.attempts++
			}

		case op < 8 && len(items) > 0: // requeue one
			it := items[rng.IntN(len(items))]
			due := now.Add(sec(rng.IntN(4)))
			_, err := s.RequeueDelivery(ctx, monitehooks.RequeueDeliveryParams{PartnerID: it.ev.partner, DeliveryID: it.id, Due: due})
			switch {
			case it.deleted:
				if !errors.Is(err, monitehooks.ErrDeliveryNotFound) {
					t.Fatalf("step %d: RequeueDelivery of a deleted delivery: %v; want not found", step, err)
				}
			case err != nil:
				t.Fatalf("step %d: RequeueDelivery: %v", step, err)
			case it.status != monitehooks.DeliveryPending:
				it.status, it.updated = monitehooks.DeliveryPending, due
			}

		case op < 10: // retention, in one call or in small ones
			if c := now.Add(sec(rng.IntN(8) - 8)); c.After(cutoff) {
				cutoff = c
			}
			limit := 1000
			if rng.IntN(2) == 0 {
				limit = 1 + rng.IntN(3)
			}
			for {
				res, err := s.DeleteExpired(ctx, monitehooks.DeleteExpiredParams{Before: cutoff, Limit: limit})
				if err != nil {
					t.Fatalf("step %d: DeleteExpired: %v", step, err)
				}
				if res.Deliveries > limit || res.Events > limit {
					t.Fatalf("step %d: DeleteExpired deleted %+v; limit %d", step, res, limit)
				}
				if res.Deliveries < limit && res.Events < limit {
					break
				}
			}
			for _, it := range items {
				if !it.deleted && it.status != monitehooks.DeliveryPending && it.updated.Before(cutoff) {
					it.deleted = true
				}
			}
			for _, me := range events {
				left := slices.ContainsFunc(me.deliveries, func(it *modelItem) bool { return !it.deleted })
				if !me.deleted && !left && (me.hadAny || me.created.Before(cutoff)) {
					me.deleted = true
				}
			}

		default: // follow a token taken before
			if len(tokens) == 0 {
				break
			}
			i := rng.IntN(len(tokens))
			h := tokens[i]
			tokens = slices.Delete(tokens, i, i+1)
			var want []string
			order := modelOrder(h.events, h.query, h.partner, events, items)
			for _, k := range order {
				c := k.compare(h.after)
				if h.query.Order == monitehooks.OrderDesc {
					c = -c
				}
				if (!h.before && c > 0) || (h.before && c < 0) {
					want = append(want, k.id)
				}
			}
			limit := h.query.Normalized().Limit
			if h.before {
				want = want[max(0, len(want)-limit):]
			} else {
				want = want[:min(len(want), limit)]
			}
			got, _, _ := listIDs(t, s, h.events, h.partner, h.p)
			if !slices.Equal(got, want) {
				t.Fatalf("step %d: token taken before, followed now (before %v, query %+v): got %v; want %v", step, h.before, h.query, got, want)
			}
		}

		// Gets agree with the model.
		for _, it := range items {
			_, err := s.GetDelivery(ctx, it.ev.partner, it.id)
			if it.deleted != errors.Is(err, monitehooks.ErrDeliveryNotFound) {
				t.Fatalf("step %d: GetDelivery(%s): %v; deleted in the model %v", step, it.id, err, it.deleted)
			}
		}
		for _, me := range events {
			_, err := s.GetEvent(ctx, me.partner, me.id)
			if me.deleted != errors.Is(err, monitehooks.ErrEventNotFound) {
				t.Fatalf("step %d: GetEvent(%s): %v; deleted in the model %v", step, me.id, err, me.deleted)
			}
		}
		var wantCounts monitehooks.DeliveryCounts
		for _, it := range items {
			switch {
			case it.deleted:
			case it.status == monitehooks.DeliveryPending:
				wantCounts.Pending++
			case it.status == monitehooks.DeliverySucceeded:
				wantCounts.Succeeded++
			default:
				wantCounts.Failed++
			}
		}
		if got, _ := s.CountDeliveries(ctx); got != wantCounts {
			t.Fatalf("step %d: CountDeliveries = %+v; want %+v", step, got, wantCounts)
		}

		// A few random lists, walked both ways.
		for range 3 {
			isEvents := rng.IntN(3) == 0
			pid := partners[rng.IntN(2)]
			q := randomListParams(rng, base, subs, events, isEvents)
			want := modelOrder(isEvents, q, pid, events, items)
			checkWalk(t, step, s, isEvents, pid, q, want)
			// Keep a token for later, with its boundary.
			if ids, next, _ := listIDs(t, s, isEvents, pid, q); next != "" && rng.IntN(3) == 0 {
				k := want[len(ids)-1]
				tokens = append(tokens, heldToken{partner: pid, p: monitehooks.ListParams{Cursor: next}, after: &k, query: q, events: isEvents})
				if second, _, prev2 := listIDs(t, s, isEvents, pid, monitehooks.ListParams{Cursor: next}); prev2 != "" && len(second) > 0 {
					k2 := want[len(ids)]
					tokens = append(tokens, heldToken{partner: pid, p: monitehooks.ListParams{Cursor: prev2}, after: &k2, before: true, query: q, events: isEvents})
				}
			}
		}
		checkHeaps(t, s)
	}
}

// modelItemKey is an item's place in a list: its key, and its creation
// order.
type modelItemKey struct {
	key time.Time
	seq int
	id  string
}

func (k modelItemKey) compare(o *modelItemKey) int {
	return cmp.Or(k.key.Compare(o.key), cmp.Compare(k.seq, o.seq))
}

// modelOrder returns the partner's live items that q selects, in its
// order.
func modelOrder(isEvents bool, q monitehooks.ListParams, partner string, events []*modelEvent, items []*modelItem) []modelItemKey {
	q = q.Normalized()
	var out []modelItemKey
	typesMatch := func(me *modelEvent) bool {
		return (q.ObjectType == "" || q.ObjectType == me.objectType) && (q.EventType == "" || q.EventType == me.eventType)
	}
	if isEvents {
		for _, me := range events {
			if !me.deleted && me.partner == partner && typesMatch(me) && q.InCreatedRange(me.created) {
				out = append(out, modelItemKey{me.created, me.seq, me.id})
			}
		}
	} else {
		for _, it := range items {
			me := it.ev
			if it.deleted || me.partner != partner || !typesMatch(me) || !q.InCreatedRange(me.due) ||
				(q.EventID != "" && q.EventID != me.id) || (q.SubscriptionID != "" && q.SubscriptionID != it.sub) ||
				(q.Status != "" && q.Status != it.status) {
				continue
			}
			key := me.due
			if q.Sort == monitehooks.SortUpdatedAt {
				key = it.updated
			}
			out = append(out, modelItemKey{key, it.seq, it.id})
		}
	}
	slices.SortFunc(out, func(a, b modelItemKey) int { return a.compare(&b) })
	if q.Order == monitehooks.OrderDesc {
		slices.Reverse(out)
	}
	return out
}

func randomListParams(rng *rand.Rand, base time.Time, subs map[string][]string, events []*modelEvent, isEvents bool) monitehooks.ListParams {
	var q monitehooks.ListParams
	q.Limit = rng.IntN(4) // 0 is the default
	q.Sort = []monitehooks.SortField{"", monitehooks.SortCreatedAt, monitehooks.SortUpdatedAt}[rng.IntN(3)]
	q.Order = []monitehooks.SortOrder{"", monitehooks.OrderAsc, monitehooks.OrderDesc}[rng.IntN(3)]
	if rng.IntN(3) == 0 {
		q.ObjectType = []monitehooks.ObjectType{"entity", "role", "payment"}[rng.IntN(3)]
	}
	if rng.IntN(3) == 0 {
		q.EventType = []monitehooks.EventType{"created", "updated"}[rng.IntN(2)]
	}
	if rng.IntN(4) == 0 {
		b := base.Add(time.Duration(rng.IntN(40)) * time.Second)
		switch rng.IntN(4) {
		case 0:
			q.CreatedGT = b
		case 1:
			q.CreatedGTE = b
		case 2:
			q.CreatedLT = b
		default:
			q.CreatedLTE = b
		}
	}
	if isEvents {
		return q
	}
	if rng.IntN(3) == 0 {
		all := append(slices.Clone(subs["p"]), subs["q"]...)
		q.SubscriptionID = all[rng.IntN(len(all))]
	}
	if rng.IntN(6) == 0 && len(events) > 0 {
		q.EventID = events[rng.IntN(len(events))].id
	}
	if rng.IntN(5) == 0 {
		q.Status = []monitehooks.DeliveryStatus{monitehooks.DeliveryPending, monitehooks.DeliverySucceeded, monitehooks.DeliveryFailed}[rng.IntN(3)]
	}
	return q
}

// listIDs returns one page of the list, as IDs, and its tokens.
func listIDs(t *testing.T, s *Store, isEvents bool, partner string, p monitehooks.ListParams) (ids []string, next, prev string) {
	t.Helper()
	ctx := context.Background()
	if isEvents {
		page, err := s.ListEvents(ctx, partner, p)
		if err != nil {
			t.Fatalf("ListEvents(%+v): %v", p, err)
		}
		for _, e := range page.Data {
			ids = append(ids, e.ID)
		}
		return ids, page.Next, page.Prev
	}
	page, err := s.ListDeliveries(ctx, partner, p)
	if err != nil {
		t.Fatalf("ListDeliveries(%+v): %v", p, err)
	}
	for _, d := range page.Data {
		ids = append(ids, d.ID)
	}
	return ids, page.Next, page.Prev
}

// checkWalk pages through the list forward, then back with Prev, and
// checks both against want.
func checkWalk(t *testing.T, step int, s *Store, isEvents bool, partner string, q monitehooks.ListParams, want []modelItemKey) {
	t.Helper()
	var wantIDs []string
	for _, k := range want {
		wantIDs = append(wantIDs, k.id)
	}
	limit := q.Normalized().Limit
	type page struct {
		ids        []string
		next, prev string
	}
	var pages []page
	ids, next, prev := listIDs(t, s, isEvents, partner, q)
	pages = append(pages, page{ids, next, prev})
	for next != "" {
		if len(pages) > len(want)+1 {
			t.Fatalf("step %d: more pages than items", step)
		}
		ids, next, prev = listIDs(t, s, isEvents, partner, monitehooks.ListParams{Cursor: next})
		pages = append(pages, page{ids, next, prev})
	}
	var got []string
	for i, p := range pages {
		got = append(got, p.ids...)
		if (p.prev != "") != (i > 0) {
			t.Fatalf("step %d: %+v page %d: Prev %q", step, q, i, p.prev)
		}
		if len(p.ids) > limit || (i < len(pages)-1 && len(p.ids) != limit) {
			t.Fatalf("step %d: %+v page %d has %d items, limit %d", step, q, i, len(p.ids), limit)
		}
	}
	if !slices.Equal(got, wantIDs) {
		t.Fatalf("step %d: list %+v (events %v, partner %s):\n got  %v\n want %v", step, q, isEvents, partner, got, wantIDs)
	}
	for i := len(pages) - 1; i > 0; i-- {
		back, _, _ := listIDs(t, s, isEvents, partner, monitehooks.ListParams{Cursor: pages[i].prev})
		if !slices.Equal(back, pages[i-1].ids) {
			t.Fatalf("step %d: %+v: Prev of page %d = %v; want %v", step, q, i, back, pages[i-1].ids)
		}
	}
}
