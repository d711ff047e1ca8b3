package storetest

import (
	"errors"
	"testing"

	"github.com/monitehooks/monitehooks"
)

func backlogTests() []test {
	return []test{
		{"MaxPendingRefusesPastIt", testMaxPendingRefuses},
		{"MaxPendingCountsLeased", testMaxPendingLeased},
		{"MaxPendingZeroIsNoBound", testMaxPendingZero},
	}
}

// createBounded stores an event of the partner with deliveries to the
// subscriptions, due at base, under the bound.
func (b *bundle) createBounded(partnerID string, subIDs []string, bound int) (monitehooks.Event, error) {
	return b.s.CreateEvent(b.ctx, monitehooks.CreateEventParams{
		Event: newEvent(partnerID), SubscriptionIDs: subIDs, Due: base, MaxPending: bound,
	})
}

// counts returns the store's counts of deliveries.
func (b *bundle) counts() monitehooks.DeliveryCounts {
	b.t.Helper()
	c, err := b.s.CountDeliveries(b.ctx)
	if err != nil {
		b.t.Fatalf("CountDeliveries: %v", err)
	}
	return c
}

func testMaxPendingRefuses(t *testing.T, b *bundle) {
	subs := b.subIDs(partnerA, 2)
	other := b.subID(partnerB)
	if _, err := b.createBounded(partnerA, subs, 3); err != nil {
		t.Fatalf("CreateEvent of 2 deliveries under a bound of 3: %v", err)
	}
	// The bound is over every partner.
	_, err := b.createBounded(partnerB, []string{other}, 2)
	checkErr(t, "CreateEvent of 1 more delivery under a bound of 2", err, monitehooks.ErrBacklogFull)
	_, err = b.createBounded(partnerA, subs, 3)
	checkErr(t, "CreateEvent of 2 more deliveries under a bound of 3", err, monitehooks.ErrBacklogFull)
	if errors.Is(err, monitehooks.ErrInvalid) {
		t.Errorf("CreateEvent past the bound: err = %v; want one that does not wrap ErrInvalid", err)
	}
	// Nothing of the refused events was stored.
	if got := b.counts(); got.Pending != 2 {
		t.Errorf("after the refusals, Pending = %d; want 2", got.Pending)
	}
	for _, p := range []string{partnerA, partnerB} {
		page, err := b.s.ListEvents(b.ctx, p, monitehooks.ListParams{})
		if err != nil {
			t.Fatalf("ListEvents: %v", err)
		}
		if want := map[string]int{partnerA: 1, partnerB: 0}[p]; len(page.Data) != want {
			t.Errorf("partner %s has %d events; want %d", p, len(page.Data), want)
		}
	}

	// An event without deliveries adds none: it is stored.
	if _, err := b.createBounded(partnerA, nil, 2); err != nil {
		t.Errorf("CreateEvent without deliveries at the bound: %v", err)
	}
	// Up to the bound, and room made by a finished delivery.
	if _, err := b.createBounded(partnerA, subs[:1], 3); err != nil {
		t.Fatalf("CreateEvent of the 3rd delivery under a bound of 3: %v", err)
	}
	res := b.claim(base, 1)
	b.finish(res.Claims[0], monitehooks.DeliverySucceeded, base)
	if _, err := b.createBounded(partnerA, subs[:1], 3); err != nil {
		t.Errorf("CreateEvent after a delivery succeeded: %v", err)
	}
}

func testMaxPendingLeased(t *testing.T, b *bundle) {
	sub := b.subID(partnerA)
	if _, err := b.createBounded(partnerA, []string{sub}, 1); err != nil {
		t.Fatalf("CreateEvent: %v", err)
	}
	b.claim(base, 1)
	_, err := b.createBounded(partnerA, []string{sub}, 1)
	checkErr(t, "CreateEvent with a leased delivery at the bound", err, monitehooks.ErrBacklogFull)
}

func testMaxPendingZero(t *testing.T, b *bundle) {
	subs := b.subIDs(partnerA, 3)
	for range 3 {
		if _, err := b.createBounded(partnerA, subs, 0); err != nil {
			t.Fatalf("CreateEvent without a bound: %v", err)
		}
	}
	if got := b.counts(); got.Pending != 9 {
		t.Errorf("Pending = %d; want 9", got.Pending)
	}
}
