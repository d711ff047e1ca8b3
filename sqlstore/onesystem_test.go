package sqlstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
	"github.com/monitehooks/monitehooks/webhooktest"
)

// peer is one process's registry and emitter over a store of its own
// on the shared database.
type peer struct {
	store *sqlstore.Store
	reg   *monitehooks.Registry
	em    *monitehooks.Emitter
}

func startPeer(t *testing.T, o opener) peer {
	t.Helper()
	s, err := o.open(t, sqlstore.Config{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	reg, err := monitehooks.NewRegistry(t.Context(), s, &monitehooks.RegistryConfig{AllowInsecureURLs: true})
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	em, err := monitehooks.NewEmitter(s, reg, &monitehooks.EmitterConfig{AllowPrivateNetworks: true, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatalf("NewEmitter: %v", err)
	}
	t.Cleanup(func() { em.Close() })
	return peer{s, reg, em}
}

// TestOneSystem: two processes on one database behave as one. Each
// process's registry loaded the subscriptions before the other changed
// them, so every step below fails if a per-process copy decides: matching,
// the URL and secret a delivery goes to with, reads through the API, and
// changes made on top of another process's change.
func TestOneSystem(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			o.prepare(t)
			ctx := t.Context()
			a, b := startPeer(t, o), startPeer(t, o)
			recv := webhooktest.NewReceiver(t)
			emit := func(p peer) string {
				t.Helper()
				ev, err := p.em.Emit(ctx, monitehooks.Event{PartnerID: "p", ObjectType: "entity", ObjectID: "o-1", Type: "updated"})
				if err != nil {
					t.Fatalf("Emit: %v", err)
				}
				return ev.ID
			}

			// Created through A, matched for an event emitted through B.
			sub, err := a.reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: "p", ObjectType: "entity", URL: recv.URL + "/first"})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			recv.SetSecrets(sub.CurrentSecret())
			got := recv.WaitForEvent(t, emit(b))
			if got.Path != "/first" {
				t.Errorf("first delivery went to %s; want /first", got.Path)
			}

			// Seen and changed through B; delivered by either peer to
			// the new URL, signed with the secret B made.
			if _, err := b.reg.Get(ctx, "p", sub.ID); err != nil {
				t.Fatalf("B's Get of A's subscription: %v", err)
			}
			second := recv.URL + "/second"
			if _, err := b.reg.Update(ctx, "p", sub.ID, monitehooks.SubscriptionUpdate{URL: &second}); err != nil {
				t.Fatalf("B's Update: %v", err)
			}
			rotated, err := b.reg.RegenerateSecret(ctx, "p", sub.ID, 0)
			if err != nil {
				t.Fatalf("B's RegenerateSecret: %v", err)
			}
			recv.SetSecrets(rotated.CurrentSecret())
			for _, p := range []peer{a, b} {
				got := recv.WaitForEvent(t, emit(p))
				if got.Path != "/second" || !got.Verified() {
					t.Errorf("delivery after B's change went to %s, verified %v; want /second, verified", got.Path, got.Verified())
				}
			}

			// A change through A on top of B's keeps B's: A's copy is stale.
			name := "renamed by A"
			changed, err := a.reg.Update(ctx, "p", sub.ID, monitehooks.SubscriptionUpdate{Name: &name})
			if err != nil {
				t.Fatalf("A's Update: %v", err)
			}
			if changed.URL != second || changed.CurrentSecret() != rotated.CurrentSecret() {
				t.Errorf("A's Update answered URL %s and another secret; want B's URL %s and secret kept", changed.URL, second)
			}

			// Disabled through A: an event emitted through B is not queued.
			if _, err := a.reg.Disable(ctx, "p", sub.ID); err != nil {
				t.Fatalf("Disable: %v", err)
			}
			id := emit(b)
			page, err := b.store.ListDeliveries(ctx, "p", monitehooks.ListParams{EventID: id})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Data) != 0 {
				t.Errorf("an event emitted after the subscription was disabled got %d deliveries; want 0", len(page.Data))
			}

			// Deleted through B: gone for A.
			if err := b.reg.Delete(ctx, "p", sub.ID); err != nil {
				t.Fatalf("B's Delete: %v", err)
			}
			if _, err := a.reg.Get(ctx, "p", sub.ID); !errors.Is(err, monitehooks.ErrSubscriptionNotFound) {
				t.Errorf("A's Get after B's Delete = %v; want ErrSubscriptionNotFound", err)
			}
			if err := a.reg.Delete(ctx, "p", sub.ID); !errors.Is(err, monitehooks.ErrSubscriptionNotFound) {
				t.Errorf("A's Delete after B's = %v; want ErrSubscriptionNotFound", err)
			}
			for _, r := range recv.Requests() {
				if !r.Verified() {
					t.Errorf("request to %s: signature: %v", r.Path, r.SignatureErr)
				}
			}
		})
	}
}
