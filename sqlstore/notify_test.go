package sqlstore_test

import (
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
)

// wakeWithin fails the test unless ch receives within d.
func wakeWithin(t *testing.T, ch <-chan struct{}, d time.Duration, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(d):
		t.Fatalf("no wake-up within %v %s", d, what)
	}
}

// TestNotifications: by default, an event stored through one
// store wakes the Notifications of another over the same database (on
// SQLite, of the same store only); with Config.NoNotify, there is no
// channel.
func TestNotifications(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			o.prepare(t)
			ctx := t.Context()
			plain, err := o.open(t, sqlstore.Config{NoNotify: true})
			if err != nil {
				t.Fatal(err)
			}
			if ch := plain.Notifications(); ch != nil {
				t.Errorf("Notifications with Config.NoNotify = %v; want nil", ch)
			}
			emitter, err := o.open(t, sqlstore.Config{})
			if err != nil {
				t.Fatal(err)
			}
			listener := emitter
			if o.dialect == sqlstore.DialectPostgres {
				if listener, err = o.open(t, sqlstore.Config{}); err != nil {
					t.Fatal(err)
				}
			}
			ch := listener.Notifications()
			if o.dialect == sqlstore.DialectPostgres {
				// The listener wakes once it listens: from then on
				// nothing is missed.
				wakeWithin(t, ch, 10*time.Second, "of the listener starting")
			}
			sub, err := emitter.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity"})
			if err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
			if _, err := emitter.CreateEvent(ctx, monitehooks.CreateEventParams{
				Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o", Type: "created", CreatedAt: now},
				SubscriptionIDs: []string{sub.ID}, Due: now,
			}); err != nil {
				t.Fatal(err)
			}
			wakeWithin(t, ch, 10*time.Second, "after CreateEvent")

			res, err := listener.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 1, Lease: time.Minute})
			if err != nil || len(res.Claims) != 1 {
				t.Fatalf("claim = %d claims, %v; want 1", len(res.Claims), err)
			}
			if err := emitter.ReleaseDelivery(ctx, monitehooks.ReleaseParams{DeliveryID: res.Claims[0].DeliveryID, LeaseToken: res.Claims[0].LeaseToken}); err != nil {
				t.Fatal(err)
			}
			wakeWithin(t, ch, 10*time.Second, "after ReleaseDelivery")

			if err := listener.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
}
