package storetest

import (
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// The tests of the optional [monitehooks.Holder] skip a store without it.

func holdTests() []test {
	return []test{
		{"HeldNotClaimable", testHoldNotClaimable},
		{"HoldCoversLaterDeliveries", testHoldLaterDeliveries},
		{"HoldReplacedAndLifted", testHoldReplaced},
		{"HoldUnknownSubscription", testHoldUnknown},
	}
}

// holder returns the store as a Holder, or skips the test.
func (b *bundle) holder() monitehooks.Holder {
	b.t.Helper()
	h, ok := b.s.(monitehooks.Holder)
	if !ok {
		b.t.Skip("the store is not a monitehooks.Holder")
	}
	return h
}

// hold holds the subscription until until.
func (b *bundle) hold(sub string, until time.Time) {
	b.t.Helper()
	if err := b.holder().HoldSubscription(b.ctx, sub, until); err != nil {
		b.t.Fatalf("HoldSubscription(%s, %v): %v", sub, until, err)
	}
}

func testHoldNotClaimable(t *testing.T, b *bundle) {
	subA, subB := b.subID(partnerA), b.subID(partnerA)
	as := b.emitN(partnerA, subA, 2, at(-time.Hour))
	b1 := b.emit1(partnerA, subB, base)
	before := b.getDelivery(partnerA, as[0])
	b.hold(subA, at(30*time.Second))

	res := b.claim(base, 10)
	if d := diff([]string{b1}, claimedIDs(res)); d != "" {
		t.Errorf("claim with A held (-want +got):\n%s", d)
	}
	if want := at(30 * time.Second); !res.NextDue.Equal(want) {
		t.Errorf("NextDue with A held = %v; want the end of the hold, %v", res.NextDue, want)
	}
	if d := diff(before, b.getDelivery(partnerA, as[0])); d != "" {
		t.Errorf("the hold changed a delivery (-want +got):\n%s", d)
	}
	if d := diff(as, claimedIDs(b.claim(at(30*time.Second), 10))); d != "" {
		t.Errorf("claim at the end of the hold (-want +got):\n%s", d)
	}
}

func testHoldLaterDeliveries(t *testing.T, b *bundle) {
	sub := b.subID(partnerA)
	b.hold(sub, at(time.Minute))
	id := b.emit1(partnerA, sub, base)
	if res := b.claim(at(59*time.Second), 10); len(res.Claims) != 0 || !res.NextDue.Equal(at(time.Minute)) {
		t.Errorf("claim during the hold = %v, NextDue %v; want nothing, %v", claimedIDs(res), res.NextDue, at(time.Minute))
	}
	b.claimOne(at(time.Minute), id)
}

func testHoldReplaced(t *testing.T, b *bundle) {
	sub := b.subID(partnerA)
	id := b.emit1(partnerA, sub, base)
	b.hold(sub, at(time.Hour))
	b.hold(sub, at(10*time.Second))
	if res := b.claim(base, 10); len(res.Claims) != 0 || !res.NextDue.Equal(at(10*time.Second)) {
		t.Errorf("claim under the shorter hold = %v, NextDue %v; want nothing, %v", claimedIDs(res), res.NextDue, at(10*time.Second))
	}
	b.hold(sub, time.Time{})
	b.claimOne(base, id)
}

func testHoldUnknown(t *testing.T, b *bundle) {
	h := b.holder()
	for _, a := range absentIDs {
		if err := h.HoldSubscription(b.ctx, a.id, at(time.Hour)); err != nil {
			t.Errorf("HoldSubscription(%s) = %v; want nil", a.name, err)
		}
	}
}
