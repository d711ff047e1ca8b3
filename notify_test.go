package monitehooks_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/memstore"
)

// outageStore is a memstore that can be taken down, as a database that
// went away, and that tells of new work through Notifications, as a
// store shared with other processes does.
type outageStore struct {
	*memstore.Store
	notes  chan struct{}
	claims chan struct{} // receives after each ClaimDeliveries, when not full

	mu   sync.Mutex
	down bool
}

var errDown = errors.New("the database went away")

func newOutageStore() *outageStore {
	return &outageStore{Store: memstore.New(), notes: make(chan struct{}, 1), claims: make(chan struct{}, 1000)}
}

func (s *outageStore) setDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

func (s *outageStore) isDown() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.down
}

func (s *outageStore) Notifications() <-chan struct{} { return s.notes }

func (s *outageStore) CreateEvent(ctx context.Context, p monitehooks.CreateEventParams) (monitehooks.Event, error) {
	if s.isDown() {
		return monitehooks.Event{}, errDown
	}
	return s.Store.CreateEvent(ctx, p)
}

func (s *outageStore) ClaimDeliveries(ctx context.Context, p monitehooks.ClaimParams) (monitehooks.ClaimResult, error) {
	defer func() {
		select {
		case s.claims <- struct{}{}:
		default:
		}
	}()
	if s.isDown() {
		return monitehooks.ClaimResult{}, errDown
	}
	return s.Store.ClaimDeliveries(ctx, p)
}

// outageEmitter starts an emitter over store that polls once an hour, so
// that only Emit, Wake and the store's notifications make it claim.
func outageEmitter(t *testing.T, store *outageStore) (*monitehooks.Emitter, *monitehooks.Registry, *receiver) {
	t.Helper()
	reg, err := monitehooks.NewRegistry(context.Background(), store, &monitehooks.RegistryConfig{AllowInsecureURLs: true})
	if err != nil {
		t.Fatal(err)
	}
	em, err := monitehooks.NewEmitter(store, reg, &monitehooks.EmitterConfig{
		AllowPrivateNetworks: true,
		PollInterval:         time.Hour,
		Retention:            -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { em.Close() })
	rc := newReceiver(t, nil)
	if _, err := reg.Create(context.Background(), monitehooks.SubscriptionParams{PartnerID: "p", ObjectType: "entity", URL: rc.URL}); err != nil {
		t.Fatal(err)
	}
	return em, reg, rc
}

func outageEvent() monitehooks.Event {
	return monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "updated", ObjectID: "o-1"}
}

// TestEmitterClaimsOnNotification: work another process stored (here
// straight into the store) is claimed when the store tells of it, not at
// the next poll an hour later.
func TestEmitterClaimsOnNotification(t *testing.T) {
	t.Parallel()
	store := newOutageStore()
	_, reg, rc := outageEmitter(t, store)
	wait(t, store.claims, "the dispatcher's first claim")
	subs := reg.Match("p", "entity", "updated")
	if len(subs) != 1 {
		t.Fatalf("Match = %d subscriptions; want 1", len(subs))
	}
	_, err := store.Store.CreateEvent(context.Background(), monitehooks.CreateEventParams{
		Event: outageEvent(), SubscriptionIDs: []string{subs[0].ID}, Due: time.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	store.notes <- struct{}{}
	rc.next(t)
}

// TestEmitterSurvivesOutage: while the store is down Emit answers its
// error and claims fail; the dispatcher backs off and tries again, and
// once the store is back it delivers what waits there without being
// woken (the poll is an hour away).
func TestEmitterSurvivesOutage(t *testing.T) {
	t.Parallel()
	store := newOutageStore()
	em, reg, rc := outageEmitter(t, store)
	wait(t, store.claims, "the dispatcher's first claim")

	store.setDown(true)
	if _, err := em.Emit(context.Background(), outageEvent()); !errors.Is(err, errDown) {
		t.Fatalf("Emit while down = %v; want an error wrapping %v", err, errDown)
	}
	em.Wake()
	for range 2 { // a failed claim, and the one after its back-off
		wait(t, store.claims, "a claim while down")
	}
	// Work stored meanwhile, as by another process once the database is
	// back, with no wake-up for this emitter.
	subs := reg.Match("p", "entity", "updated")
	if _, err := store.Store.CreateEvent(context.Background(), monitehooks.CreateEventParams{
		Event: outageEvent(), SubscriptionIDs: []string{subs[0].ID}, Due: time.Now(),
	}); err != nil {
		t.Fatal(err)
	}
	store.setDown(false)
	rc.next(t)
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	var got []time.Duration
	for n := 1; n <= 12; n++ {
		got = append(got, monitehooks.Backoff(n))
	}
	want := []time.Duration{50, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000, 5000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Errorf("backoff(%d) = %v; want %v", i+1, got[i], want[i]*time.Millisecond)
		}
	}
}
