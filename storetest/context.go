package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

func contextTests() []test {
	return []test{{"CanceledContextIsAnError", testCanceledContext}}
}

func testCanceledContext(t *testing.T, b *bundle) {
	sub := b.subID(partnerA)
	id := b.emit1(partnerA, sub, base)
	ctx, cancel := context.WithCancel(b.ctx)
	cancel()
	calls := []struct {
		name string
		call func() error
	}{
		{"CreateSubscription", func() error { _, err := b.s.CreateSubscription(ctx, newSubscription(partnerA)); return err }},
		{"GetSubscription", func() error { _, err := b.s.GetSubscription(ctx, partnerA, sub); return err }},
		{"CreateEvent", func() error {
			_, err := b.s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: newEvent(partnerA), SubscriptionIDs: []string{sub}, Due: base})
			return err
		}},
		{"ListEvents", func() error { _, err := b.s.ListEvents(ctx, partnerA, monitehooks.ListParams{}); return err }},
		{"ClaimDeliveries", func() error {
			_, err := b.s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: base, Limit: 1, Lease: time.Minute})
			return err
		}},
		{"GetDelivery", func() error { _, err := b.s.GetDelivery(ctx, partnerA, id); return err }},
		{"CountDeliveries", func() error { _, err := b.s.CountDeliveries(ctx); return err }},
		{"DeleteExpired", func() error {
			_, err := b.s.DeleteExpired(ctx, monitehooks.DeleteExpiredParams{Before: farAway, Limit: 10})
			return err
		}},
	}
	for _, c := range calls {
		if err := c.call(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: err = %v; want one wrapping context.Canceled", c.name, err)
		}
	}
	// The canceled calls changed nothing.
	if res := b.claim(base, 10); len(claimedIDs(res)) != 1 || res.Claims[0].DeliveryID != id {
		t.Errorf("claim after canceled calls = %v; want [%s]", claimedIDs(res), id)
	}
}
