package rivercompare

import (
	"context"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
)

// snapshot250 is a 250-byte JSON object, the event's snapshot, as in the
// root package's benchmarks. Deliveries in the subscriptions format carry
// it in their body.
var snapshot250 = []byte(`{"name":"Acme Corporation","status":"active","legal_form":"GmbH","address":{"line1":"Hauptstrasse 1","city":"Berlin","postal_code":"10115","country":"DE"},"email":"billing@acme.example","phone":"+49301234567","tax_id":"DE123456789","note":"xxxxxxxx"}`)

// objectID is the ID of the object every event is about.
const objectID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"

// side is one of the two systems compared, started and idle between
// batches.
type side interface {
	// insert makes one unit of work, as the application would: an event
	// emitted, or a job inserted, with the workers running. It returns
	// the Webhook-Id its request will carry.
	insert(ctx context.Context) (string, error)
	// waitRecorded waits until the outcomes of total units, counted since
	// the side started, are recorded in its database, so that a batch of
	// the other side starts with this one idle.
	waitRecorded(tb testing.TB, total int64)
}

// ours is our side: sqlstore, a registry with subscriptions to the
// receiver, and an emitter.
type ours struct {
	store   *sqlstore.Store
	em      *monitehooks.Emitter
	secret  string   // the first subscription's
	secrets []string // every subscription's
	done    tally    // deliveries finished (DeliveryDone)
}

// oursConfig is how newOurs sets our side up.
type oursConfig struct {
	workers int
	// subscriptions is how many subscriptions every event matches, each
	// to the receiver. 0 means 1.
	subscriptions int
	// policy is the emitter's retry policy. nil means the default.
	policy monitehooks.RetryPolicy
}

// openStore opens a store at url with sqlstore.Open, as an application
// would, closed when tb ends.
func openStore(tb testing.TB, url string) *sqlstore.Store {
	tb.Helper()
	store, err := sqlstore.Open(context.Background(), url, nil)
	if err != nil {
		tb.Fatalf("sqlstore.Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := store.Close(); err != nil {
			tb.Errorf("closing the store: %v", err)
		}
	})
	return store
}

// newOurs subscribes the receiver in a registry over store and starts an
// emitter, shut down when tb ends.
func newOurs(tb testing.TB, store *sqlstore.Store, recv *receiver, cfg oursConfig) *ours {
	tb.Helper()
	ctx := context.Background()
	o := &ours{store: store, done: newTally()}
	reg, err := monitehooks.NewRegistry(ctx, store, &monitehooks.RegistryConfig{AllowInsecureURLs: true})
	if err != nil {
		tb.Fatalf("NewRegistry: %v", err)
	}
	for range max(cfg.subscriptions, 1) {
		sub, err := reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: "p", ObjectType: "entity", URL: recv.srv.URL + "/hooks"})
		if err != nil {
			tb.Fatalf("creating a subscription: %v", err)
		}
		o.secrets = append(o.secrets, sub.CurrentSecret())
	}
	o.secret = o.secrets[0]
	em, err := monitehooks.NewEmitter(store, reg, &monitehooks.EmitterConfig{
		Workers: cfg.workers,
		// One subscription may take every worker, as River's one queue
		// does; the default cap (16) is there for many endpoints.
		PerSubscription:      cfg.workers,
		RetryPolicy:          cfg.policy,
		AllowPrivateNetworks: true,
		Observer:             &monitehooks.Observer{DeliveryDone: func(monitehooks.DeliveryInfo) { o.done.add() }},
	})
	if err != nil {
		tb.Fatalf("NewEmitter: %v", err)
	}
	// Registered after the store's Close, so it runs first.
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := em.Shutdown(ctx); err != nil {
			tb.Errorf("Shutdown: %v", err)
		}
	})
	o.em = em
	return o
}

func (o *ours) insert(ctx context.Context) (string, error) {
	ev, err := o.em.Emit(ctx, monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: objectID, Object: snapshot250})
	return ev.ID, err
}

func (o *ours) waitRecorded(tb testing.TB, total int64) {
	tb.Helper()
	o.done.wait(tb, "our deliveries finished", total, recordTimeout)
}

// recordTimeout bounds the wait for a side's outcomes to be recorded
// after the receiver answered: a guard against a hang, not a measure.
const recordTimeout = 60 * time.Second
