package sqlstore_test

import (
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
	"github.com/monitehooks/monitehooks/webhooktest"
)

// TestEmitters: two emitters, each over a store of its own on one
// database, as two processes would be, deliver every event once, signed.
func TestEmitters(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			o.prepare(t)
			ctx := t.Context()
			recv := webhooktest.NewReceiver(t)
			const processes, events = 2, 20
			var (
				stores   []*sqlstore.Store
				emitters []*monitehooks.Emitter
				sub      monitehooks.Subscription
				// done gets a value per delivery recorded as finished.
				done = make(chan monitehooks.DeliveryInfo, events)
				obs  = &monitehooks.Observer{DeliveryDone: func(info monitehooks.DeliveryInfo) { done <- info }}
			)
			for i := range processes {
				s, err := o.open(t, sqlstore.Config{})
				if err != nil {
					t.Fatal(err)
				}
				reg, err := monitehooks.NewRegistry(ctx, s, &monitehooks.RegistryConfig{AllowInsecureURLs: true})
				if err != nil {
					t.Fatalf("NewRegistry: %v", err)
				}
				if i == 0 {
					// Made before the other registry loads the subscriptions.
					sub, err = reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: "p", ObjectType: "entity", URL: recv.URL + "/hooks"})
					if err != nil {
						t.Fatalf("Create: %v", err)
					}
					recv.SetSecrets(sub.CurrentSecret())
				}
				em, err := monitehooks.NewEmitter(s, reg, &monitehooks.EmitterConfig{AllowPrivateNetworks: true, PollInterval: 20 * time.Millisecond, Observer: obs})
				if err != nil {
					t.Fatalf("NewEmitter: %v", err)
				}
				t.Cleanup(func() { em.Close() })
				stores, emitters = append(stores, s), append(emitters, em)
			}
			ids := make(map[string]bool)
			for i := range events {
				ev, err := emitters[i%processes].Emit(ctx, monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "3fa85f64-5717-4562-b3fc-2c963f66afa6", Type: "created"})
				if err != nil {
					t.Fatalf("Emit: %v", err)
				}
				ids[ev.ID] = true
			}
			reqs := recv.WaitFor(t, events)
			recv.AssertAllVerified(t)
			seen := make(map[string]bool)
			for _, r := range reqs {
				if id := r.WebhookID(); !ids[id] || seen[id] {
					t.Errorf("delivery of event %s: unknown or sent twice", id)
				}
				seen[r.WebhookID()] = true
			}
			// The outcomes are recorded after the answers: wait for them.
			timeout := time.After(10 * time.Second)
			for range events {
				select {
				case info := <-done:
					if info.Status != monitehooks.DeliverySucceeded {
						t.Errorf("delivery %s finished %s; want succeeded", info.DeliveryID, info.Status)
					}
				case <-timeout:
					t.Fatalf("not every delivery finished within 10s")
				}
			}
			if c, err := stores[1].CountDeliveries(ctx); err != nil || c != (monitehooks.DeliveryCounts{Succeeded: events}) {
				t.Errorf("CountDeliveries = %+v, %v; want %d succeeded", c, err, events)
			}
			if n := recv.Len(); n != events {
				t.Errorf("receiver got %d requests; want %d", n, events)
			}
		})
	}
}
