package storetest

import (
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

func requeueTests() []test {
	return []test{
		{"FinishedBecomesPending", testRequeueFinished},
		{"PendingLeftAsIs", testRequeuePending},
		{"NotFound", testRequeueNotFound},
		{"FailedSince", testRequeueFailed},
		{"FailedOfOtherPartnersSubscriptionIsZero", testRequeueFailedOtherPartner},
	}
}

func testRequeueFinished(t *testing.T, b *bundle) {
	for _, st := range []monitehooks.DeliveryStatus{monitehooks.DeliverySucceeded, monitehooks.DeliveryFailed} {
		t.Run(string(st), func(t *testing.T) {
			b := b.with(t)
			id := b.emit1(partnerA, b.subID(partnerA), base)
			a := b.settle(id, base, st)
			due := at(time.Hour)
			got, err := b.s.RequeueDelivery(b.ctx, monitehooks.RequeueDeliveryParams{PartnerID: partnerA, DeliveryID: id, Due: due})
			if err != nil {
				t.Fatalf("RequeueDelivery: %v", err)
			}
			if got.ID != id || got.Status != monitehooks.DeliveryPending || !got.NextAttemptAt.Equal(due) {
				t.Errorf("RequeueDelivery returned ID %s, Status %q, NextAttemptAt %v; want %s, pending, %v", got.ID, got.Status, got.NextAttemptAt, id, due)
			}
			if d := diff([]monitehooks.Attempt{a}, got.Attempts); d != "" {
				t.Errorf("requeued delivery's attempts (-want +got):\n%s", d)
			}
			if d := diff(got, b.getDelivery(partnerA, id)); d != "" {
				t.Errorf("GetDelivery after RequeueDelivery differs from what it returned (-want +got):\n%s", d)
			}
			if res := b.claim(due.Add(-1), 10); len(res.Claims) != 0 || !res.NextDue.Equal(due) {
				t.Errorf("claim before the requeued delivery is due = %v, NextDue %v; want nothing, %v", claimedIDs(res), res.NextDue, due)
			}
			c := b.claimOne(due, id)
			if c.Attempts != 1 {
				t.Errorf("claim of the requeued delivery: Attempts = %d; want 1", c.Attempts)
			}
			b.finish(c, monitehooks.DeliverySucceeded, due)
		})
	}
}

func testRequeuePending(t *testing.T, b *bundle) {
	subs := b.subIDs(partnerA, 2)
	ids := b.emit(partnerA, subs, base)
	idle, leased := ids[0], ids[1]
	res := b.claim(base, 10)
	var c monitehooks.Claim
	for _, cl := range res.Claims {
		if cl.DeliveryID == leased {
			c = cl
			continue
		}
		if err := b.s.ReleaseDelivery(b.ctx, monitehooks.ReleaseParams{DeliveryID: cl.DeliveryID, LeaseToken: cl.LeaseToken}); err != nil {
			t.Fatalf("ReleaseDelivery: %v", err)
		}
	}

	for _, id := range []string{idle, leased} {
		want := b.getDelivery(partnerA, id)
		got, err := b.s.RequeueDelivery(b.ctx, monitehooks.RequeueDeliveryParams{PartnerID: partnerA, DeliveryID: id, Due: at(time.Hour)})
		if err != nil {
			t.Fatalf("RequeueDelivery: %v", err)
		}
		if d := diff(want, got); d != "" {
			t.Errorf("RequeueDelivery of a pending delivery changed it (-want +got):\n%s", d)
		}
		if d := diff(want, b.getDelivery(partnerA, id)); d != "" {
			t.Errorf("after RequeueDelivery of a pending delivery, GetDelivery (-want +got):\n%s", d)
		}
	}
	// The idle one is still due at once; the leased one still leased.
	b.claimOne(base, idle)
	b.finish(c, monitehooks.DeliverySucceeded, base)
}

func testRequeueNotFound(t *testing.T, b *bundle) {
	other := b.emit1(partnerB, b.subID(partnerB), base)
	b.settle(other, base, monitehooks.DeliveryFailed)
	want := b.getDelivery(partnerB, other)
	ids := append([]struct{ name, id string }{{"other partner's", other}}, absentIDs...)
	for _, tc := range ids {
		_, err := b.s.RequeueDelivery(b.ctx, monitehooks.RequeueDeliveryParams{PartnerID: partnerA, DeliveryID: tc.id, Due: base})
		checkErr(t, "RequeueDelivery("+tc.name+")", err, monitehooks.ErrDeliveryNotFound, monitehooks.ErrNotFound)
	}
	if d := diff(want, b.getDelivery(partnerB, other)); d != "" {
		t.Errorf("another partner's RequeueDelivery changed the delivery (-want +got):\n%s", d)
	}
}

func testRequeueFailed(t *testing.T, b *bundle) {
	sub, otherSub := b.subID(partnerA), b.subID(partnerA)
	sec := func(n int) time.Time { return at(time.Duration(n) * time.Second) }
	mk := func(sub string, created int, st monitehooks.DeliveryStatus) string {
		id := b.emit1(partnerA, sub, sec(created))
		if st != monitehooks.DeliveryPending {
			b.settle(id, sec(created), st)
		}
		return id
	}
	tooOld := mk(sub, -2, monitehooks.DeliveryFailed)
	atSince := mk(sub, -1, monitehooks.DeliveryFailed)
	succeeded := mk(sub, 0, monitehooks.DeliverySucceeded)
	pending := mk(sub, 1, monitehooks.DeliveryPending)
	later := mk(sub, 2, monitehooks.DeliveryFailed)
	otherSubs := mk(otherSub, 0, monitehooks.DeliveryFailed)

	before := make(map[string]monitehooks.Delivery)
	for _, id := range []string{tooOld, succeeded, pending, otherSubs} {
		before[id] = b.getDelivery(partnerA, id)
	}
	due := at(time.Hour)
	n, err := b.s.RequeueFailed(b.ctx, monitehooks.RequeueFailedParams{PartnerID: partnerA, SubscriptionID: sub, Since: sec(-1), Due: due})
	if err != nil {
		t.Fatalf("RequeueFailed: %v", err)
	}
	if n != 2 {
		t.Errorf("RequeueFailed = %d; want 2", n)
	}
	for _, id := range []string{atSince, later} {
		got := b.getDelivery(partnerA, id)
		if got.Status != monitehooks.DeliveryPending || !got.NextAttemptAt.Equal(due) || len(got.Attempts) != 1 {
			t.Errorf("requeued delivery: Status %q, NextAttemptAt %v, %d attempts; want pending, %v, 1", got.Status, got.NextAttemptAt, len(got.Attempts), due)
		}
	}
	for id, want := range before {
		if d := diff(want, b.getDelivery(partnerA, id)); d != "" {
			t.Errorf("RequeueFailed changed a delivery it should have left (-want +got):\n%s", d)
		}
	}
	// The pending delivery (due at 1s) comes first, then the requeued ones.
	res := b.claim(due, 10)
	if got := claimedIDs(res); len(got) != 3 || got[0] != pending {
		t.Errorf("claim after RequeueFailed = %v; want %s then the two requeued", got, pending)
	}
}

func testRequeueFailedOtherPartner(t *testing.T, b *bundle) {
	sub := b.subID(partnerB)
	id := b.emit1(partnerB, sub, base)
	b.settle(id, base, monitehooks.DeliveryFailed)
	want := b.getDelivery(partnerB, id)
	n, err := b.s.RequeueFailed(b.ctx, monitehooks.RequeueFailedParams{PartnerID: partnerA, SubscriptionID: sub, Due: base})
	if n != 0 || err != nil {
		t.Errorf("RequeueFailed of another partner's subscription = %d, %v; want 0, nil", n, err)
	}
	if d := diff(want, b.getDelivery(partnerB, id)); d != "" {
		t.Errorf("RequeueFailed of another partner's subscription changed a delivery (-want +got):\n%s", d)
	}
}
