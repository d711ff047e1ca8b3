package storetest

import (
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

func deliveryTests() []test {
	return []test{
		{"NotFound", testDeliveryNotFound},
		{"AttemptsInOrderAndCopied", testDeliveryAttempts},
		{"ListFilters", testDeliveryListFilters},
		{"CountAcrossPartners", testCountDeliveries},
	}
}

func testDeliveryNotFound(t *testing.T, b *bundle) {
	other := b.emit1(partnerB, b.subID(partnerB), base)
	ids := append([]struct{ name, id string }{{"other partner's", other}}, absentIDs...)
	for _, tc := range ids {
		_, err := b.s.GetDelivery(b.ctx, partnerA, tc.id)
		checkErr(t, "GetDelivery("+tc.name+")", err, monitehooks.ErrDeliveryNotFound, monitehooks.ErrNotFound)
	}
}

func testDeliveryAttempts(t *testing.T, b *bundle) {
	sub := b.subID(partnerA)
	id := b.emit1(partnerA, sub, base)
	var want []monitehooks.Attempt
	now := base
	for i, code := range []int{500, 0, 429} {
		c := b.claimOne(now, id)
		a := attemptAt(now, code)
		if code == 0 {
			a.ErrorClass, a.Error, a.Response = monitehooks.ErrorTimeout, "timeout", ""
		}
		st := monitehooks.DeliveryPending
		if i == 2 {
			st = monitehooks.DeliveryFailed
		}
		next := now.Add(time.Minute)
		b.record(monitehooks.RecordAttemptParams{
			DeliveryID: id, LeaseToken: c.LeaseToken, Attempt: &a,
			Status: st, NextAttemptAt: next, UpdatedAt: now,
		})
		want = append(want, a)
		now = next
	}

	got := b.getDelivery(partnerA, id)
	if d := diff(want, got.Attempts); d != "" {
		t.Errorf("GetDelivery attempts (-want +got):\n%s", d)
	}
	listed := b.listAllDeliveries(partnerA, monitehooks.ListParams{})
	if len(listed) != 1 {
		t.Fatalf("ListDeliveries = %d; want 1", len(listed))
	}
	if d := diff(got, listed[0]); d != "" {
		t.Errorf("ListDeliveries item differs from GetDelivery (-want +got):\n%s", d)
	}

	got.Attempts[0].Response = "scribbled"
	listed[0].Attempts[1].Response = "scribbled"
	if d := diff(want, b.getDelivery(partnerA, id).Attempts); d != "" {
		t.Errorf("after changing returned attempts, stored attempts (-want +got):\n%s", d)
	}
}

func testDeliveryListFilters(t *testing.T, b *bundle) {
	s1, s2 := b.subID(partnerA), b.subID(partnerA)
	mk := func(ot monitehooks.ObjectType, et monitehooks.EventType, due time.Time, subs ...string) (string, []string) {
		ev := newEvent(partnerA)
		ev.ObjectType, ev.Type = ot, et
		ev = b.createEvent(ev, subs, due)
		return ev.ID, b.deliveriesOf(partnerA, ev.ID, subs)
	}
	e1, d1 := mk("entity", "created", at(-3*time.Second), s1, s2)
	_, d2 := mk("role", "deleted", at(-2*time.Second), s1)
	_, d3 := mk("entity", "updated", at(-time.Second), s2)
	e1s1, e1s2, e2s1, e3s2 := d1[0], d1[1], d2[0], d3[0]
	b.settle(e1s1, base, monitehooks.DeliverySucceeded)
	b.settle(e2s1, base, monitehooks.DeliveryFailed)

	otherSub := b.subID(partnerB)
	otherEvent := b.createEvent(newEvent(partnerB), []string{otherSub}, base)

	tests := []struct {
		name string
		p    monitehooks.ListParams
		want []string
	}{
		{"all", monitehooks.ListParams{}, []string{e1s1, e1s2, e2s1, e3s2}},
		{"event", monitehooks.ListParams{EventID: e1}, []string{e1s1, e1s2}},
		{"subscription", monitehooks.ListParams{SubscriptionID: s1}, []string{e1s1, e2s1}},
		{"succeeded", monitehooks.ListParams{Status: monitehooks.DeliverySucceeded}, []string{e1s1}},
		{"failed", monitehooks.ListParams{Status: monitehooks.DeliveryFailed}, []string{e2s1}},
		{"pending", monitehooks.ListParams{Status: monitehooks.DeliveryPending}, []string{e1s2, e3s2}},
		{"object type", monitehooks.ListParams{ObjectType: "role"}, []string{e2s1}},
		{"event type", monitehooks.ListParams{EventType: "updated"}, []string{e3s2}},
		{"event and status", monitehooks.ListParams{EventID: e1, Status: monitehooks.DeliveryPending}, []string{e1s2}},
		{"subscription and event type", monitehooks.ListParams{SubscriptionID: s2, EventType: "created"}, []string{e1s2}},
		{"other partner's event", monitehooks.ListParams{EventID: otherEvent.ID}, nil},
		{"other partner's subscription", monitehooks.ListParams{SubscriptionID: otherSub}, nil},
		{"unknown event", monitehooks.ListParams{EventID: unknownID}, nil},
		{"unknown subscription", monitehooks.ListParams{SubscriptionID: unknownID}, nil},
	}
	for _, tt := range tests {
		var got []string
		for _, d := range b.listAllDeliveries(partnerA, tt.p) {
			got = append(got, d.ID)
		}
		// tt.want is in creation order: e1's two deliveries tie, and
		// go in the order of the subscriptions given to CreateEvent.
		if d := diff(tt.want, got); d != "" {
			t.Errorf("ListDeliveries(%s) (-want +got):\n%s", tt.name, d)
		}
	}
}

func testCountDeliveries(t *testing.T, b *bundle) {
	check := func(when string, want monitehooks.DeliveryCounts) {
		t.Helper()
		got, err := b.s.CountDeliveries(b.ctx)
		if err != nil {
			t.Fatalf("CountDeliveries: %v", err)
		}
		if d := diff(want, got); d != "" {
			t.Errorf("CountDeliveries %s (-want +got):\n%s", when, d)
		}
	}
	check("of an empty store", monitehooks.DeliveryCounts{})
	a := b.emit(partnerA, b.subIDs(partnerA, 3), base)
	bb := b.emit(partnerB, b.subIDs(partnerB, 2), base)
	check("after two events", monitehooks.DeliveryCounts{Pending: 5})
	b.settle(a[0], base, monitehooks.DeliverySucceeded)
	b.settle(bb[1], base, monitehooks.DeliveryFailed)
	check("after a success and a failure", monitehooks.DeliveryCounts{Pending: 3, Succeeded: 1, Failed: 1})
	if _, err := b.s.RequeueDelivery(b.ctx, monitehooks.RequeueDeliveryParams{PartnerID: partnerB, DeliveryID: bb[1], Due: base}); err != nil {
		t.Fatalf("RequeueDelivery: %v", err)
	}
	check("after a requeue", monitehooks.DeliveryCounts{Pending: 4, Succeeded: 1})
}
