// Package storetest checks an implementation of [monitehooks.Store] against
// the contract documented on the interface, in the manner of
// testing/slogtest: a store's own tests call [Run] with a constructor, and
// every rule of the contract runs as a parallel subtest on a fresh store.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) monitehooks.Store { return mystore.New(t) })
//	}
//
// Where the contract leaves a choice open, the suite pins the one the
// project relies on:
//
//   - RecordAttempt and ReleaseDelivery answer ErrDeliveryNotFound for an
//     unknown delivery ID, and ErrLeaseLost for a token that does not hold
//     the delivery (empty, garbled, another claim's, or already used).
//   - RequeueFailed for another partner's subscription requeues nothing and
//     answers 0, not an error.
//   - Lists order items with equal sort keys in the order the store
//     created them (the deliveries of one event in the order of
//     CreateEventParams.SubscriptionIDs), and a descending list is the
//     exact reverse of the ascending one.
//   - IDs are UUIDs of version 4 (or 7), and the IDs a store makes in a
//     row show no counter.
//   - DeleteExpired measures "before" strictly: a delivery that finished
//     at Before stays. An event stored without deliveries is as old as its
//     CreatedAt.
//   - ClaimDeliveries asks Allow once per candidate, before claiming it;
//     when Limit cuts a claim short, NextDue is at or before Now (with one
//     subscription, the due time of the first delivery left).
//
// The SharedStore group runs when the store implements
// [monitehooks.SharedStore], and skips otherwise. It pins that
// CreateMatchedEvent refuses SubscriptionIDs with an error, and that a
// claim's Subscription follows every write of the subscription, even one
// that keeps its UpdatedAt.
//
// Where the contract is silent the suite does not look: whether a token
// still holds after its lease ended when nobody claimed the delivery again,
// what RequeueDelivery sets UpdatedAt to, or whether an empty page's Data
// is nil.
//
// The suite uses fixed times, never the clock or sleeps, and takes well
// under a second.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/monitehooks/monitehooks"
)

// Run runs the conformance suite against the stores newStore makes. It
// calls newStore once per subtest, from that subtest's goroutine, and the
// subtests run in parallel; newStore may use t (for t.Cleanup, say).
func Run(t *testing.T, newStore func(t *testing.T) monitehooks.Store) {
	t.Helper()
	groups := []struct {
		name  string
		tests []test
	}{
		{"Subscriptions", subscriptionTests()},
		{"Events", eventTests()},
		{"Backlog", backlogTests()},
		{"Lists", listTests()},
		{"Claims", claimTests()},
		{"Fairness", fairnessTests()},
		{"Holds", holdTests()},
		{"Attempts", attemptTests()},
		{"Deliveries", deliveryTests()},
		{"Requeue", requeueTests()},
		{"Retention", retentionTests()},
		{"Concurrency", concurrencyTests()},
		{"Context", contextTests()},
		{"SharedStore", sharedTests()},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					t.Parallel()
					s := newStore(t)
					if s == nil {
						t.Fatal("newStore returned nil")
					}
					tt.run(t, &bundle{t: t, s: s, ctx: t.Context()})
				})
			}
		})
	}
}

// test is one rule of the contract, checked on a fresh store.
type test struct {
	name string
	run  func(t *testing.T, b *bundle)
}

// bundle is what a test works with: the store, and helpers that fail the
// test when a step that is not under test goes wrong.
type bundle struct {
	t   *testing.T
	s   monitehooks.Store
	ctx context.Context
}

// with returns a bundle for the subtest t on the same store.
func (b *bundle) with(t *testing.T) *bundle {
	return &bundle{t: t, s: b.s, ctx: b.ctx}
}

// base is the time every test's times are built from.
var base = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// at returns base + d.
func at(d time.Duration) time.Time { return base.Add(d) }

// Partners used by the tests.
const (
	partnerA = "partner-a"
	partnerB = "partner-b"
)

// unknownID is a well-formed ID no store hands out in a test.
const unknownID = "00000000-0000-4000-8000-000000000000"

// absentIDs are IDs that name nothing: unknown, or not IDs at all.
var absentIDs = []struct{ name, id string }{
	{"unknown UUID", unknownID},
	{"empty", ""},
	{"not a UUID", "not-a-uuid"},
	{"UUID with garbage", unknownID + "x"},
}

// newSubscription returns a valid subscription of the partner, not stored.
func newSubscription(partnerID string) monitehooks.Subscription {
	return monitehooks.Subscription{
		PartnerID:  partnerID,
		ObjectType: "entity",
		EventTypes: []monitehooks.EventType{"created", "updated"},
		URL:        "https://example.com/hooks",
		Name:       "my hook",
		Status:     monitehooks.StatusEnabled,
		APIFormat:  monitehooks.FormatSubscriptions,
		APIVersion: monitehooks.DefaultAPIVersion,
		Secrets: []monitehooks.Secret{
			{Value: "whsec_current"},
			{Value: "whsec_previous", ExpiresAt: at(time.Hour)},
		},
		CreatedAt: base,
		UpdatedAt: base,
	}
}

// createSub stores sub and returns the stored subscription.
func (b *bundle) createSub(sub monitehooks.Subscription) monitehooks.Subscription {
	b.t.Helper()
	got, err := b.s.CreateSubscription(b.ctx, sub)
	if err != nil {
		b.t.Fatalf("CreateSubscription: %v", err)
	}
	return got
}

// subID stores a new subscription of the partner and returns its ID.
func (b *bundle) subID(partnerID string) string {
	b.t.Helper()
	return b.createSub(newSubscription(partnerID)).ID
}

// subIDs stores n subscriptions of the partner and returns their IDs.
func (b *bundle) subIDs(partnerID string, n int) []string {
	b.t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = b.subID(partnerID)
	}
	return ids
}

// newEvent returns a valid event of the partner, not stored.
func newEvent(partnerID string) monitehooks.Event {
	return monitehooks.Event{
		PartnerID:  partnerID,
		EntityID:   "5f0e3f3c-2b1a-4c9d-8e7f-6a5b4c3d2e1f",
		ObjectType: "entity",
		ObjectID:   "3fa85f64-5717-4562-b3fc-2c963f66afa6",
		Type:       "updated",
		Object:     []byte(`{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","name":"Acme"}`),
		CreatedAt:  base,
	}
}

// createEvent stores ev with deliveries to the subscriptions due at due,
// and returns the stored event.
func (b *bundle) createEvent(ev monitehooks.Event, subIDs []string, due time.Time) monitehooks.Event {
	b.t.Helper()
	stored, err := b.s.CreateEvent(b.ctx, monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: subIDs, Due: due})
	if err != nil {
		b.t.Fatalf("CreateEvent: %v", err)
	}
	return stored
}

// emit stores an event of the partner with deliveries to the subscriptions
// due at due, and returns the IDs of the deliveries in the order of subIDs.
func (b *bundle) emit(partnerID string, subIDs []string, due time.Time) []string {
	b.t.Helper()
	ev := b.createEvent(newEvent(partnerID), subIDs, due)
	return b.deliveriesOf(partnerID, ev.ID, subIDs)
}

// emit1 stores an event with one delivery, to subID, and returns the
// delivery's ID.
func (b *bundle) emit1(partnerID, subID string, due time.Time) string {
	b.t.Helper()
	return b.emit(partnerID, []string{subID}, due)[0]
}

// deliveriesOf returns the IDs of the event's deliveries in the order of
// subIDs.
func (b *bundle) deliveriesOf(partnerID, eventID string, subIDs []string) []string {
	b.t.Helper()
	ds := b.listAllDeliveries(partnerID, monitehooks.ListParams{EventID: eventID})
	if len(ds) != len(subIDs) {
		b.t.Fatalf("event %s has %d deliveries; want %d", eventID, len(ds), len(subIDs))
	}
	bySub := make(map[string]string, len(ds))
	for _, d := range ds {
		bySub[d.SubscriptionID] = d.ID
	}
	ids := make([]string, len(subIDs))
	for i, sid := range subIDs {
		var ok bool
		if ids[i], ok = bySub[sid]; !ok {
			b.t.Fatalf("event %s has no delivery to subscription %s", eventID, sid)
		}
	}
	return ids
}

// listAllDeliveries follows every page of the list.
func (b *bundle) listAllDeliveries(partnerID string, p monitehooks.ListParams) []monitehooks.Delivery {
	b.t.Helper()
	var all []monitehooks.Delivery
	for {
		page, err := b.s.ListDeliveries(b.ctx, partnerID, p)
		if err != nil {
			b.t.Fatalf("ListDeliveries: %v", err)
		}
		all = append(all, page.Data...)
		if page.Next == "" {
			return all
		}
		p = monitehooks.ListParams{Cursor: page.Next}
	}
}

// getDelivery returns the partner's delivery.
func (b *bundle) getDelivery(partnerID, id string) monitehooks.Delivery {
	b.t.Helper()
	d, err := b.s.GetDelivery(b.ctx, partnerID, id)
	if err != nil {
		b.t.Fatalf("GetDelivery(%s): %v", id, err)
	}
	return d
}

// claim claims up to limit deliveries at now with a one-minute lease.
func (b *bundle) claim(now time.Time, limit int) monitehooks.ClaimResult {
	b.t.Helper()
	return b.claimWith(monitehooks.ClaimParams{Now: now, Limit: limit, Lease: time.Minute})
}

// claimWith claims with p.
func (b *bundle) claimWith(p monitehooks.ClaimParams) monitehooks.ClaimResult {
	b.t.Helper()
	res, err := b.s.ClaimDeliveries(b.ctx, p)
	if err != nil {
		b.t.Fatalf("ClaimDeliveries(Now: %v, Limit: %d): %v", p.Now, p.Limit, err)
	}
	return res
}

// claimOne claims at now and expects exactly the delivery id.
func (b *bundle) claimOne(now time.Time, id string) monitehooks.Claim {
	b.t.Helper()
	res := b.claim(now, 10)
	if got := claimedIDs(res); !slices.Equal(got, []string{id}) {
		b.t.Fatalf("claim at %v got %v; want [%s]", now, got, id)
	}
	return res.Claims[0]
}

// record records an attempt and fails the test on error.
func (b *bundle) record(p monitehooks.RecordAttemptParams) {
	b.t.Helper()
	if err := b.s.RecordAttempt(b.ctx, p); err != nil {
		b.t.Fatalf("RecordAttempt(%s): %v", p.DeliveryID, err)
	}
}

// finish records st for the claim, with one attempt made at now, and
// returns the attempt.
func (b *bundle) finish(c monitehooks.Claim, st monitehooks.DeliveryStatus, now time.Time) monitehooks.Attempt {
	b.t.Helper()
	a := attemptAt(now, 500)
	if st == monitehooks.DeliverySucceeded {
		a = attemptAt(now, 200)
	}
	b.record(monitehooks.RecordAttemptParams{
		DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken, Attempt: &a,
		Status: st, UpdatedAt: now,
	})
	return a
}

// attemptAt returns an attempt made at t that got the status code.
func attemptAt(t time.Time, code int) monitehooks.Attempt {
	a := monitehooks.Attempt{
		At: t, Duration: 120 * time.Millisecond, URL: "https://example.com/hooks",
		StatusCode: code, Response: `{"ok":true}`,
	}
	if code/100 != 2 {
		a.ErrorClass = monitehooks.ErrorStatus
		a.Error = fmt.Sprintf("endpoint answered %d", code)
		a.Response = `{"error":"boom"}`
	}
	return a
}

// claimedIDs returns the delivery IDs of the claims, in order.
func claimedIDs(res monitehooks.ClaimResult) []string {
	ids := make([]string, len(res.Claims))
	for i, c := range res.Claims {
		ids[i] = c.DeliveryID
	}
	return ids
}

// checkID fails the test unless id is a UUID of version 4 or 7 in
// canonical text form.
func checkID(t *testing.T, what, id string) {
	t.Helper()
	u, err := uuid.Parse(id)
	switch {
	case err != nil || u.String() != id:
		t.Errorf("%s ID = %q; want a UUID in canonical form", what, id)
	case (u.Version() != 4 && u.Version() != 7) || u.Variant() != uuid.RFC4122:
		t.Errorf("%s ID = %q: version %d, variant %v; want version 4 or 7, RFC 4122", what, id, u.Version(), u.Variant())
	}
}

// checkNoCounter fails the test if the IDs, made in a row, show a counter:
// if what follows the timestamp of a version 7 UUID, or all of a version
// 4 one, rises from one ID to the next nearly always or nearly never,
// where random IDs would about half the time.
func checkNoCounter(t *testing.T, what string, ids []string) {
	t.Helper()
	rising := 0
	var prev []byte
	for _, id := range ids {
		checkID(t, what, id)
		u, _ := uuid.Parse(id)
		b := u[:]
		if u.Version() == 7 {
			b = u[6:] // after the 48-bit timestamp
		}
		if prev != nil && string(b) > string(prev) {
			rising++
		}
		prev = b
	}
	// Bounds six standard deviations from half, for 64 IDs: a random
	// source fails them about once in a billion runs.
	if n := len(ids) - 1; rising < n/8 || rising > n*7/8 {
		t.Errorf("%d %s IDs made in a row rise %d times from one to the next; a random ID would about half the time: they count", len(ids), what, rising)
	}
}

// checkErr fails the test unless err wraps every target.
func checkErr(t *testing.T, what string, err error, targets ...error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: err = nil; want one wrapping %v", what, targets)
		return
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Errorf("%s: err = %v; want one wrapping %v", what, err, target)
		}
	}
}

// diff compares with the options every comparison of store values needs:
// nil and empty slices are alike (stores may return either for "none").
func diff(want, got any, opts ...cmp.Option) string {
	return cmp.Diff(want, got, append(opts, cmpopts.EquateEmpty())...)
}

// sortedByID returns xs sorted by the ID id returns.
func sortedByID[T any](xs []T, id func(T) string) []T {
	xs = slices.Clone(xs)
	slices.SortFunc(xs, func(a, b T) int { return strings.Compare(id(a), id(b)) })
	return xs
}

// settle claims the delivery at now (releasing whatever else the claim
// took) and records st for it with one attempt, returning the attempt.
func (b *bundle) settle(id string, now time.Time, st monitehooks.DeliveryStatus) monitehooks.Attempt {
	b.t.Helper()
	res := b.claim(now, 1000)
	var a monitehooks.Attempt
	found := false
	for _, c := range res.Claims {
		if c.DeliveryID == id {
			a, found = b.finish(c, st, now), true
			continue
		}
		if err := b.s.ReleaseDelivery(b.ctx, monitehooks.ReleaseParams{DeliveryID: c.DeliveryID, LeaseToken: c.LeaseToken}); err != nil {
			b.t.Fatalf("ReleaseDelivery(%s): %v", c.DeliveryID, err)
		}
	}
	if !found {
		b.t.Fatalf("delivery %s not claimable at %v", id, now)
	}
	return a
}
