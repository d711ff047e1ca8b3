package storetest

import (
	"encoding/base64"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// listKind is one of the store's lists, seen through the rules every list
// follows: the tests below run once per kind.
type listKind struct {
	name string
	// eventTypes says the list has the EventType filter.
	eventTypes bool
	// sortsByUpdate says SortUpdatedAt sorts by UpdatedAt; events sort by
	// creation either way.
	sortsByUpdate bool
	// make stores one item of the partner per spec and returns their IDs
	// in spec order.
	make func(b *bundle, partnerID string, specs []itemSpec) []string
	// list returns one page of the partner's items.
	list func(b *bundle, partnerID string, p monitehooks.ListParams) (idPage, error)
}

// itemSpec describes an item to store for a list test.
type itemSpec struct {
	created, updated time.Time
	objectType       monitehooks.ObjectType
	eventType        monitehooks.EventType
}

// idPage is a page reduced to its items' IDs.
type idPage struct {
	ids        []string
	next, prev string
}

// farAway is later than every time the list tests give items, so that
// delivery items parked until then never get in the way of a claim.
var farAway = at(1000 * time.Hour)

var listKinds = []listKind{
	{
		name:          "Subscriptions",
		sortsByUpdate: true,
		make: func(b *bundle, partnerID string, specs []itemSpec) []string {
			ids := make([]string, len(specs))
			for i, sp := range specs {
				sub := newSubscription(partnerID)
				sub.ObjectType = sp.objectType
				sub.EventTypes = nil
				sub.CreatedAt, sub.UpdatedAt = sp.created, sp.updated
				ids[i] = b.createSub(sub).ID
			}
			return ids
		},
		list: func(b *bundle, partnerID string, p monitehooks.ListParams) (idPage, error) {
			page, err := b.s.ListSubscriptions(b.ctx, partnerID, p)
			return idsOf(page, func(s monitehooks.Subscription) string { return s.ID }), err
		},
	},
	{
		name:       "Events",
		eventTypes: true,
		make: func(b *bundle, partnerID string, specs []itemSpec) []string {
			ids := make([]string, len(specs))
			for i, sp := range specs {
				ev := newEvent(partnerID)
				ev.ObjectType, ev.Type, ev.CreatedAt = sp.objectType, sp.eventType, sp.created
				ids[i] = b.createEvent(ev, nil, sp.created).ID
			}
			return ids
		},
		list: func(b *bundle, partnerID string, p monitehooks.ListParams) (idPage, error) {
			page, err := b.s.ListEvents(b.ctx, partnerID, p)
			return idsOf(page, func(e monitehooks.Event) string { return e.ID }), err
		},
	},
	{
		name:          "Deliveries",
		eventTypes:    true,
		sortsByUpdate: true,
		make:          makeDeliveries,
		list: func(b *bundle, partnerID string, p monitehooks.ListParams) (idPage, error) {
			page, err := b.s.ListDeliveries(b.ctx, partnerID, p)
			return idsOf(page, func(d monitehooks.Delivery) string { return d.ID }), err
		},
	},
}

// makeDeliveries stores one event per spec with one delivery, created at
// the spec's time, then claims them all and records a (request-less)
// attempt that keeps them pending, updated at the spec's time and parked
// until farAway.
func makeDeliveries(b *bundle, partnerID string, specs []itemSpec) []string {
	b.t.Helper()
	sub := b.subID(partnerID)
	ids := make([]string, len(specs))
	updated := make(map[string]time.Time, len(specs))
	for i, sp := range specs {
		ev := newEvent(partnerID)
		ev.ObjectType, ev.Type, ev.CreatedAt = sp.objectType, sp.eventType, sp.created
		ev = b.createEvent(ev, []string{sub}, sp.created)
		ids[i] = b.deliveriesOf(partnerID, ev.ID, []string{sub})[0]
		updated[ids[i]] = sp.updated
	}
	res := b.claim(farAway.Add(-time.Hour), len(specs)+1)
	if len(res.Claims) != len(specs) {
		b.t.Fatalf("claimed %d deliveries to set their update times; want %d", len(res.Claims), len(specs))
	}
	for _, c := range res.Claims {
		b.record(monitehooks.RecordAttemptParams{
			DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken,
			Status: monitehooks.DeliveryPending, NextAttemptAt: farAway,
			UpdatedAt: updated[c.DeliveryID],
		})
	}
	return ids
}

func idsOf[T any](page monitehooks.Page[T], id func(T) string) idPage {
	p := idPage{ids: make([]string, len(page.Data)), next: page.Next, prev: page.Prev}
	for i, x := range page.Data {
		p.ids[i] = id(x)
	}
	return p
}

func listTests() []test {
	rules := []struct {
		name string
		run  func(t *testing.T, b *bundle, k listKind)
	}{
		{"PagingVisitsEveryItemOnce", testListPaging},
		{"PartnerScoped", testListPartnerScoped},
		{"CreatedBounds", testListCreatedBounds},
		{"ObjectTypeFilter", testListObjectType},
		{"EventTypeFilter", testListEventType},
		{"DefaultLimit", testListDefaultLimit},
		{"CursorCarriesTheQuery", testListCursorCarriesQuery},
		{"InvalidCursor", testListInvalidCursor},
		{"Empty", testListEmpty},
	}
	var tests []test
	for _, k := range listKinds {
		for _, r := range rules {
			if r.name == "EventTypeFilter" && !k.eventTypes {
				continue
			}
			tests = append(tests, test{k.name + "/" + r.name, func(t *testing.T, b *bundle) { r.run(t, b, k) }})
		}
	}
	return tests
}

// tieSpecs are items whose times tie in groups that straddle page
// boundaries, with update times in another order than creation times.
func tieSpecs() []itemSpec {
	sec := func(n int) time.Time { return at(time.Duration(n) * time.Second) }
	created := []int{2, 0, 1, 1, 3, 1, 2} // three at 1s and two at 2s
	updated := []int{9, 7, 7, 8, 5, 6, 7}
	specs := make([]itemSpec, len(created))
	for i := range specs {
		specs[i] = itemSpec{created: sec(created[i]), updated: sec(updated[i]), objectType: "entity", eventType: "updated"}
	}
	return specs
}

// listOrder returns ids, made in their order, in the list order of the
// sort and order: by key, then in the order they were made, and reversed
// for OrderDesc.
func listOrder(k listKind, specs []itemSpec, ids []string, sort monitehooks.SortField, order monitehooks.SortOrder) []string {
	idx := make([]int, len(ids))
	for i := range idx {
		idx[i] = i
	}
	key := func(i int) time.Time {
		if sort == monitehooks.SortUpdatedAt && k.sortsByUpdate {
			return specs[i].updated
		}
		return specs[i].created
	}
	slices.SortFunc(idx, func(i, j int) int {
		if c := key(i).Compare(key(j)); c != 0 {
			return c
		}
		return i - j
	})
	out := make([]string, len(idx))
	for n, i := range idx {
		out[n] = ids[i]
	}
	if order == monitehooks.OrderDesc {
		slices.Reverse(out)
	}
	return out
}

// walk pages through the list asked for by p, forward with Next and back
// with Prev, and checks the pages against want, the whole list in order.
func walk(t *testing.T, b *bundle, k listKind, partnerID string, p monitehooks.ListParams, want []string) {
	t.Helper()
	limit := p.Limit
	if limit == 0 {
		limit = monitehooks.DefaultListLimit
	}
	get := func(what string, p monitehooks.ListParams) idPage {
		t.Helper()
		page, err := k.list(b, partnerID, p)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return page
	}

	pages := []idPage{get("first page", p)}
	if pages[0].prev != "" {
		t.Errorf("first page has a Prev token")
	}
	for pages[len(pages)-1].next != "" {
		if len(pages) > len(want)+1 {
			t.Fatalf("more than %d pages for %d items", len(pages), len(want))
		}
		pages = append(pages, get(fmt.Sprintf("page %d", len(pages)+1), monitehooks.ListParams{Cursor: pages[len(pages)-1].next}))
	}
	var got []string
	for i, page := range pages {
		got = append(got, page.ids...)
		last := i == len(pages)-1
		if n := len(page.ids); n > limit || (!last && n != limit) || (last && n == 0 && len(want) > 0) {
			t.Errorf("page %d of %d has %d items with limit %d", i+1, len(pages), n, limit)
		}
		if i > 0 && page.prev == "" {
			t.Errorf("page %d has no Prev token", i+1)
		}
	}
	if d := diff(want, got); d != "" {
		t.Fatalf("walking forward with Next (-want +got):\n%s", d)
	}

	// Back from the last page: each Prev leads to the page before, whose
	// Next leads back again.
	for i := len(pages) - 1; i > 0; i-- {
		back := get(fmt.Sprintf("Prev of page %d", i+1), monitehooks.ListParams{Cursor: pages[i].prev})
		if d := diff(pages[i-1].ids, back.ids); d != "" {
			t.Errorf("Prev of page %d does not lead to page %d (-want +got):\n%s", i+1, i, d)
		}
		if (back.prev == "") != (i == 1) {
			t.Errorf("page %d reached with Prev: Prev token = %q; want one only when it is not the first page", i, back.prev)
		}
		if back.next == "" {
			t.Errorf("page %d reached with Prev has no Next token", i)
			continue
		}
		fwd := get(fmt.Sprintf("Next of page %d reached with Prev", i), monitehooks.ListParams{Cursor: back.next})
		if d := diff(pages[i].ids, fwd.ids); d != "" {
			t.Errorf("Next of page %d reached with Prev does not lead to page %d (-want +got):\n%s", i, i+1, d)
		}
	}
}

func testListPaging(t *testing.T, b *bundle, k listKind) {
	specs := tieSpecs()
	ids := k.make(b, partnerA, specs)
	for _, sort := range []monitehooks.SortField{"", monitehooks.SortCreatedAt, monitehooks.SortUpdatedAt} {
		for _, order := range []monitehooks.SortOrder{"", monitehooks.OrderAsc, monitehooks.OrderDesc} {
			for _, limit := range []int{1, 3, 6, 7, 8} {
				t.Run(fmt.Sprintf("sort=%s,order=%s,limit=%d", sort, order, limit), func(t *testing.T) {
					b := b.with(t)
					want := listOrder(k, specs, ids, sort, order)
					walk(t, b, k, partnerA, monitehooks.ListParams{Limit: limit, Sort: sort, Order: order}, want)
				})
			}
		}
	}
}

func testListPartnerScoped(t *testing.T, b *bundle, k listKind) {
	specs := tieSpecs()
	k.make(b, partnerB, specs)
	ids := k.make(b, partnerA, specs)
	walk(t, b, k, partnerA, monitehooks.ListParams{Limit: 4}, listOrder(k, specs, ids, "", ""))
	walk(t, b, k, "partner-without-anything", monitehooks.ListParams{}, nil)
}

func testListCreatedBounds(t *testing.T, b *bundle, k listKind) {
	sec := func(n int) time.Time { return at(time.Duration(n) * time.Second) }
	var specs []itemSpec
	for i := range 5 {
		specs = append(specs, itemSpec{created: sec(i), updated: sec(i), objectType: "entity", eventType: "updated"})
	}
	ids := k.make(b, partnerA, specs)
	tests := []struct {
		name string
		p    monitehooks.ListParams
		want []int // indexes into ids, in list order
	}{
		{"gt", monitehooks.ListParams{CreatedGT: sec(2)}, []int{3, 4}},
		{"gte", monitehooks.ListParams{CreatedGTE: sec(2)}, []int{2, 3, 4}},
		{"lt", monitehooks.ListParams{CreatedLT: sec(2)}, []int{0, 1}},
		{"lte", monitehooks.ListParams{CreatedLTE: sec(2)}, []int{0, 1, 2}},
		{"gt one ns before", monitehooks.ListParams{CreatedGT: sec(2).Add(-1)}, []int{2, 3, 4}},
		{"lt one ns after", monitehooks.ListParams{CreatedLT: sec(2).Add(1)}, []int{0, 1, 2}},
		{"gt and lt", monitehooks.ListParams{CreatedGT: sec(0), CreatedLT: sec(4)}, []int{1, 2, 3}},
		{"gte and lte", monitehooks.ListParams{CreatedGTE: sec(1), CreatedLTE: sec(3)}, []int{1, 2, 3}},
		{"gte and lte equal", monitehooks.ListParams{CreatedGTE: sec(3), CreatedLTE: sec(3)}, []int{3}},
		{"gt and lt equal", monitehooks.ListParams{CreatedGT: sec(3), CreatedLT: sec(3)}, nil},
		{"gt last", monitehooks.ListParams{CreatedGT: sec(4)}, nil},
		{"desc and bounds, paged", monitehooks.ListParams{CreatedGT: sec(0), CreatedLTE: sec(4), Order: monitehooks.OrderDesc, Limit: 2}, []int{4, 3, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := b.with(t)
			var want []string
			for _, i := range tt.want {
				want = append(want, ids[i])
			}
			walk(t, b, k, partnerA, tt.p, want)
		})
	}
}

func testListObjectType(t *testing.T, b *bundle, k listKind) {
	specs, entity := tieSpecsWithRoles()
	ids := k.make(b, partnerA, specs)
	want := filterOrder(listOrder(k, specs, ids, "", ""), ids, entity)
	walk(t, b, k, partnerA, monitehooks.ListParams{ObjectType: "entity", Limit: 2}, want)
	walk(t, b, k, partnerA, monitehooks.ListParams{ObjectType: "payment"}, nil)
}

// tieSpecsWithRoles returns tieSpecs with every third item a role, and
// the indexes of the others, the entities.
func tieSpecsWithRoles() (specs []itemSpec, entity []int) {
	specs = tieSpecs()
	for i := range specs {
		if i%3 == 0 {
			specs[i].objectType = "role"
		} else {
			entity = append(entity, i)
		}
	}
	return specs, entity
}

func testListEventType(t *testing.T, b *bundle, k listKind) {
	specs := tieSpecs()
	var created []int
	for i := range specs {
		if i%2 == 0 {
			specs[i].eventType = "created"
			created = append(created, i)
		}
	}
	ids := k.make(b, partnerA, specs)
	want := filterOrder(listOrder(k, specs, ids, "", ""), ids, created)
	walk(t, b, k, partnerA, monitehooks.ListParams{EventType: "created", Limit: 3}, want)
	walk(t, b, k, partnerA, monitehooks.ListParams{EventType: "deleted"}, nil)
}

// filterOrder keeps of ordered the IDs ids[i] for i in keep.
func filterOrder(ordered, ids []string, keep []int) []string {
	set := make(map[string]bool)
	for _, i := range keep {
		set[ids[i]] = true
	}
	return slices.DeleteFunc(slices.Clone(ordered), func(id string) bool { return !set[id] })
}

func testListDefaultLimit(t *testing.T, b *bundle, k listKind) {
	n := monitehooks.DefaultListLimit + 1
	specs := make([]itemSpec, n)
	for i := range specs {
		specs[i] = itemSpec{created: at(time.Duration(i) * time.Millisecond), updated: base, objectType: "entity", eventType: "updated"}
	}
	ids := k.make(b, partnerA, specs)
	page, err := k.list(b, partnerA, monitehooks.ListParams{})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if d := diff(ids[:monitehooks.DefaultListLimit], page.ids); d != "" {
		t.Errorf("first page with the default limit (-want +got):\n%s", d)
	}
	if page.next == "" {
		t.Errorf("first page of %d items with the default limit has no Next token", n)
	}
}

func testListCursorCarriesQuery(t *testing.T, b *bundle, k listKind) {
	specs, entity := tieSpecsWithRoles()
	ids := k.make(b, partnerA, specs)
	want := filterOrder(listOrder(k, specs, ids, monitehooks.SortCreatedAt, monitehooks.OrderDesc), ids, entity)

	first, err := k.list(b, partnerA, monitehooks.ListParams{ObjectType: "entity", Order: monitehooks.OrderDesc, Limit: 2})
	if err != nil {
		t.Fatalf("first page: %v", err)
	}
	// Every field but the cursor says something else; the token wins.
	second, err := k.list(b, partnerA, monitehooks.ListParams{
		Cursor: first.next, Limit: 50, Sort: monitehooks.SortUpdatedAt, Order: monitehooks.OrderAsc,
		ObjectType: "role", EventType: "deleted", CreatedGT: farAway, CreatedLT: base,
		EventID: unknownID, SubscriptionID: unknownID, Status: monitehooks.DeliveryFailed,
	})
	if err != nil {
		t.Fatalf("second page: %v", err)
	}
	if d := diff(want[2:4], second.ids); d != "" {
		t.Errorf("page from a Next token with other fields set (-want +got):\n%s", d)
	}
	back, err := k.list(b, partnerA, monitehooks.ListParams{Cursor: second.prev, Limit: 1, ObjectType: "role"})
	if err != nil {
		t.Fatalf("back to the first page: %v", err)
	}
	if d := diff(want[:2], back.ids); d != "" {
		t.Errorf("page from a Prev token with other fields set (-want +got):\n%s", d)
	}
}

func testListInvalidCursor(t *testing.T, b *bundle, k listKind) {
	k.make(b, partnerA, tieSpecs())
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for _, tok := range []string{
		"x",
		"not a token!",
		b64("not json"),
		b64("{}"),
		b64(`{"p":{"limit":2},"k":"2026-01-02T03:04:05Z"}`),
		b64(`{"p":{"limit":500},"k":"2026-01-02T03:04:05Z","i":"` + unknownID + `"}`),
		b64(`{"p":{"limit":2,"sort":"name"},"k":"2026-01-02T03:04:05Z","i":"` + unknownID + `"}`),
	} {
		_, err := k.list(b, partnerA, monitehooks.ListParams{Cursor: tok})
		checkErr(t, fmt.Sprintf("list with token %q", tok), err, monitehooks.ErrInvalidCursor)
	}
}

func testListEmpty(t *testing.T, b *bundle, k listKind) {
	for _, p := range []monitehooks.ListParams{{}, {Order: monitehooks.OrderDesc, Limit: 1}} {
		page, err := k.list(b, partnerA, p)
		if err != nil {
			t.Fatalf("list: %v", err)
		}
		if len(page.ids) != 0 || page.next != "" || page.prev != "" {
			t.Errorf("empty list %+v = %d items, Next %q, Prev %q; want no items and no tokens", p, len(page.ids), page.next, page.prev)
		}
	}
}
