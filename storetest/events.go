package storetest

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/monitehooks/monitehooks"
)

func eventTests() []test {
	return []test{
		{"CreateAssignsIDAndDeliveries", testCreateEvent},
		{"DuplicateSubscriptionIDsStoreNothing", testCreateEventDuplicate},
		{"NoSubscriptions", testCreateEventNoSubscriptions},
		{"ObjectIsCopied", testEventObjectCopied},
		{"NotFound", testEventNotFound},
		{"IDsShowNoCounter", testIDsShowNoCounter},
	}
}

// testIDsShowNoCounter makes subscriptions, events and deliveries in a row
// and checks that their IDs count nothing: a partner must not learn from
// its IDs how many objects the store (and so its other partners) made.
func testIDsShowNoCounter(t *testing.T, b *bundle) {
	const n = 64
	subs := b.subIDs(partnerA, n)
	checkNoCounter(t, "subscription", subs)
	var events []string
	for range n {
		events = append(events, b.createEvent(newEvent(partnerA), nil, base).ID)
	}
	checkNoCounter(t, "event", events)
	checkNoCounter(t, "delivery", b.emit(partnerA, subs, base))
}

func testCreateEvent(t *testing.T, b *bundle) {
	subs := b.subIDs(partnerA, 3)
	in := newEvent(partnerA)
	in.ID = "chosen-by-caller"
	due := at(time.Minute)
	ev, err := b.s.CreateEvent(b.ctx, monitehooks.CreateEventParams{Event: in, SubscriptionIDs: subs, Due: due})
	if err != nil {
		t.Fatalf("CreateEvent: %v", err)
	}
	checkID(t, "created event", ev.ID)
	want := in
	want.ID = ev.ID
	if d := diff(want, ev); d != "" {
		t.Errorf("CreateEvent returned the event changed beyond its ID (-want +got):\n%s", d)
	}
	got, err := b.s.GetEvent(b.ctx, partnerA, ev.ID)
	if err != nil {
		t.Fatalf("GetEvent: %v", err)
	}
	if d := diff(want, got); d != "" {
		t.Errorf("GetEvent (-want +got):\n%s", d)
	}

	var wantDs []monitehooks.Delivery
	for _, sid := range subs {
		wantDs = append(wantDs, monitehooks.Delivery{
			EventID: ev.ID, SubscriptionID: sid, PartnerID: partnerA,
			ObjectType: in.ObjectType, EventType: in.Type,
			Status:        monitehooks.DeliveryPending,
			NextAttemptAt: due, CreatedAt: due, UpdatedAt: due,
		})
	}
	ds := b.listAllDeliveries(partnerA, monitehooks.ListParams{EventID: ev.ID})
	seen := make(map[string]bool)
	for _, d := range ds {
		checkID(t, "delivery", d.ID)
		if seen[d.ID] {
			t.Errorf("two deliveries have the ID %s", d.ID)
		}
		seen[d.ID] = true
	}
	bySub := func(d monitehooks.Delivery) string { return d.SubscriptionID }
	if d := diff(sortedByID(wantDs, bySub), sortedByID(ds, bySub), cmpopts.IgnoreFields(monitehooks.Delivery{}, "ID")); d != "" {
		t.Errorf("deliveries of the event (-want +got):\n%s", d)
	}
	if n, err := b.s.CountDeliveries(b.ctx); err != nil || n != (monitehooks.DeliveryCounts{Pending: 3}) {
		t.Errorf("CountDeliveries = %+v, %v; want 3 pending", n, err)
	}

	other := b.createEvent(newEvent(partnerA), subs, due)
	if other.ID == ev.ID {
		t.Errorf("two events got the same ID %s", ev.ID)
	}
}

func testCreateEventDuplicate(t *testing.T, b *bundle) {
	subs := b.subIDs(partnerA, 40)
	// A short list and a long one, the repeat far from the first.
	for _, ids := range [][]string{{subs[0], subs[1], subs[0]}, append(slices.Clone(subs), subs[3])} {
		_, err := b.s.CreateEvent(b.ctx, monitehooks.CreateEventParams{
			Event: newEvent(partnerA), SubscriptionIDs: ids, Due: base,
		})
		if err == nil {
			t.Fatalf("CreateEvent with a subscription ID listed twice among %d: err = nil; want an error", len(ids))
		}
	}
	page, err := b.s.ListEvents(b.ctx, partnerA, monitehooks.ListParams{})
	if err != nil {
		t.Fatalf("ListEvents: %v", err)
	}
	if len(page.Data) != 0 {
		t.Errorf("after a failed CreateEvent, ListEvents = %d events; want 0", len(page.Data))
	}
	if n, err := b.s.CountDeliveries(b.ctx); err != nil || n != (monitehooks.DeliveryCounts{}) {
		t.Errorf("after a failed CreateEvent, CountDeliveries = %+v, %v; want none", n, err)
	}
	if res := b.claim(at(time.Hour), 10); len(res.Claims) != 0 {
		t.Errorf("after a failed CreateEvent, claimed %v; want nothing", claimedIDs(res))
	}
}

func testCreateEventNoSubscriptions(t *testing.T, b *bundle) {
	ev := b.createEvent(newEvent(partnerA), nil, base)
	if _, err := b.s.GetEvent(b.ctx, partnerA, ev.ID); err != nil {
		t.Errorf("GetEvent of an event without deliveries: %v", err)
	}
	if ds := b.listAllDeliveries(partnerA, monitehooks.ListParams{}); len(ds) != 0 {
		t.Errorf("ListDeliveries = %d deliveries; want 0", len(ds))
	}
	if n, err := b.s.CountDeliveries(b.ctx); err != nil || n != (monitehooks.DeliveryCounts{}) {
		t.Errorf("CountDeliveries = %+v, %v; want none", n, err)
	}
}

func testEventObjectCopied(t *testing.T, b *bundle) {
	small := newEvent(partnerA).Object
	large := []byte(`{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","note":"` + strings.Repeat("x", 64<<10) + `"}`)
	for _, object := range [][]byte{small, large} { // stores may keep the two apart
		sub := b.subID(partnerA)
		in := newEvent(partnerA)
		in.Object = bytes.Clone(object)
		want := string(in.Object)
		stored, err := b.s.CreateEvent(b.ctx, monitehooks.CreateEventParams{Event: in, SubscriptionIDs: []string{sub}, Due: base})
		if err != nil {
			t.Fatalf("CreateEvent: %v", err)
		}
		for i := range in.Object {
			in.Object[i] = 'x'
		}
		if string(stored.Object) != want {
			t.Errorf("after the caller changed its %d-byte Object, the event CreateEvent returned has Object %.40s…; want %.40s…", len(want), stored.Object, want)
		}
		id := stored.ID
		got, err := b.s.GetEvent(b.ctx, partnerA, id)
		if err != nil {
			t.Fatalf("GetEvent: %v", err)
		}
		if string(got.Object) != want || got.ObjectType != in.ObjectType || got.ObjectID != in.ObjectID {
			t.Errorf("after the caller changed its %d-byte Object, GetEvent = %s %s %.40s…; want %s %s %.40s…",
				len(want), got.ObjectType, got.ObjectID, got.Object, in.ObjectType, in.ObjectID, want)
		}
		c := b.claimOne(base, b.deliveriesOf(partnerA, id, []string{sub})[0])
		if string(c.Event.Object) != want {
			t.Errorf("after the caller changed its %d-byte Object, claimed Event.Object = %.40s…; want %.40s…", len(want), c.Event.Object, want)
		}
	}
}

func testEventNotFound(t *testing.T, b *bundle) {
	other := b.createEvent(newEvent(partnerB), nil, base)
	ids := append([]struct{ name, id string }{{"other partner's", other.ID}}, absentIDs...)
	for _, tc := range ids {
		_, err := b.s.GetEvent(b.ctx, partnerA, tc.id)
		checkErr(t, "GetEvent("+tc.name+")", err, monitehooks.ErrEventNotFound, monitehooks.ErrNotFound)
	}
}
