package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// The SharedStore tests run on a store that implements
// monitehooks.SharedStore, and skip on another.

func sharedTests() []test {
	return []test{
		{"MatchPartnerScope", testMatchPartnerScope},
		{"MatchSkipsDisabled", testMatchSkipsDisabled},
		{"MatchSkipsDeleted", testMatchSkipsDeleted},
		{"MatchTypes", testMatchTypes},
		{"MatchCreationOrder", testMatchCreationOrder},
		{"MatchNotRetroactive", testMatchNotRetroactive},
		{"MatchStoresAsCreateEvent", testMatchStoresAsCreateEvent},
		{"MatchMaxPending", testMatchMaxPending},
		{"MatchRefusesSubscriptionIDs", testMatchRefusesSubscriptionIDs},
		{"ChangeStores", testChangeStores},
		{"ChangeNoLostUpdate", testChangeNoLostUpdate},
		{"ChangeErrorStoresNothing", testChangeErrorStoresNothing},
		{"ChangeNotFound", testChangeNotFound},
		{"ClaimSubscriptionCurrent", testClaimSubscriptionCurrent},
		{"ClaimSubscriptionDeleted", testClaimSubscriptionDeleted},
	}
}

// shared returns the store as a SharedStore, or skips the test.
func (b *bundle) shared() monitehooks.SharedStore {
	b.t.Helper()
	s, ok := b.s.(monitehooks.SharedStore)
	if !ok {
		b.t.Skipf("%T is not a monitehooks.SharedStore", b.s)
	}
	return s
}

// emitMatched stores ev with CreateMatchedEvent, due at due, and returns
// the subscription IDs of its deliveries in the order they were made.
func (b *bundle) emitMatched(ev monitehooks.Event, due time.Time) []string {
	b.t.Helper()
	stored, err := b.shared().CreateMatchedEvent(b.ctx, monitehooks.CreateEventParams{Event: ev, Due: due})
	if err != nil {
		b.t.Fatalf("CreateMatchedEvent: %v", err)
	}
	return b.deliveredTo(ev.PartnerID, stored.ID)
}

// deliveredTo returns the subscription IDs of the event's deliveries, in
// the order the store made them.
func (b *bundle) deliveredTo(partnerID, eventID string) []string {
	b.t.Helper()
	var subs []string
	for _, d := range b.listAllDeliveries(partnerID, monitehooks.ListParams{EventID: eventID}) {
		subs = append(subs, d.SubscriptionID)
	}
	return subs
}

// checkMatched fails the test unless got lists the subscriptions of
// want, in that order.
func checkMatched(t *testing.T, what string, want, got []string) {
	t.Helper()
	if d := diff(want, got); d != "" {
		t.Errorf("%s: deliveries to subscriptions (-want +got):\n%s", what, d)
	}
}

func testMatchPartnerScope(t *testing.T, b *bundle) {
	b.shared()
	mine := b.subIDs(partnerA, 2)
	b.subIDs(partnerB, 2)
	checkMatched(t, "event of partner A", mine, b.emitMatched(newEvent(partnerA), base))
}

func testMatchSkipsDisabled(t *testing.T, b *bundle) {
	b.shared()
	on := b.subID(partnerA)
	off := newSubscription(partnerA)
	off.Status = monitehooks.StatusDisabled
	b.createSub(off)
	later := b.createSub(newSubscription(partnerA))
	later.Status = monitehooks.StatusDisabled
	if err := b.s.UpdateSubscription(b.ctx, later); err != nil {
		t.Fatalf("UpdateSubscription: %v", err)
	}
	checkMatched(t, "event with a disabled subscription", []string{on}, b.emitMatched(newEvent(partnerA), base))
}

func testMatchSkipsDeleted(t *testing.T, b *bundle) {
	b.shared()
	subs := b.subIDs(partnerA, 3)
	if err := b.s.DeleteSubscription(b.ctx, partnerA, subs[1]); err != nil {
		t.Fatalf("DeleteSubscription: %v", err)
	}
	checkMatched(t, "event with a deleted subscription", []string{subs[0], subs[2]}, b.emitMatched(newEvent(partnerA), base))
}

func testMatchTypes(t *testing.T, b *bundle) {
	b.shared()
	withTypes := func(ot monitehooks.ObjectType, types ...monitehooks.EventType) string {
		sub := newSubscription(partnerA)
		sub.ObjectType, sub.EventTypes = ot, types
		return b.createSub(sub).ID
	}
	created := withTypes("entity", "created")
	updated := withTypes("entity", "updated", "deleted")
	all := withTypes("entity")
	role := withTypes("role")
	// Event types that a careless text match would confuse with others.
	withTypes("entity", "update", "updated_at", "status_updated", `"updated"`, "Updated")
	odd := withTypes("entity", `a"b,c`, "%_\\")

	for _, tc := range []struct {
		ot   monitehooks.ObjectType
		et   monitehooks.EventType
		want []string
	}{
		{"entity", "updated", []string{updated, all}},
		{"entity", "created", []string{created, all}},
		{"entity", "deleted", []string{updated, all}},
		{"entity", "onboarding", []string{all}},
		{"entity", `a"b,c`, []string{all, odd}},
		{"entity", "%_\\", []string{all, odd}},
		{"role", "created", []string{role}},
		{"payment", "created", nil},
	} {
		ev := newEvent(partnerA)
		ev.ObjectType, ev.Type = tc.ot, tc.et
		checkMatched(t, fmt.Sprintf("event %s.%s", tc.ot, tc.et), tc.want, b.emitMatched(ev, base))
	}
}

func testMatchCreationOrder(t *testing.T, b *bundle) {
	b.shared()
	// Made in one order, updated in another: the creation order holds.
	subs := b.subIDs(partnerA, 6)
	for _, i := range []int{4, 1, 5, 0} {
		sub, err := b.s.GetSubscription(b.ctx, partnerA, subs[i])
		if err != nil {
			t.Fatalf("GetSubscription: %v", err)
		}
		sub.Name = "touched"
		sub.UpdatedAt = at(time.Duration(10-i) * time.Second)
		if err := b.s.UpdateSubscription(b.ctx, sub); err != nil {
			t.Fatalf("UpdateSubscription: %v", err)
		}
	}
	checkMatched(t, "event matching six subscriptions", subs, b.emitMatched(newEvent(partnerA), base))
	// Claims take the deliveries of one event in the same order.
	var claimed []string
	for _, c := range b.claim(base, 10).Claims {
		claimed = append(claimed, c.SubscriptionID)
	}
	checkMatched(t, "claim of the event's deliveries", subs, claimed)
}

func testMatchNotRetroactive(t *testing.T, b *bundle) {
	s := b.shared()
	first := b.subID(partnerA)
	offSub := newSubscription(partnerA)
	offSub.Status = monitehooks.StatusDisabled
	off := b.createSub(offSub).ID
	ev, err := s.CreateMatchedEvent(b.ctx, monitehooks.CreateEventParams{Event: newEvent(partnerA), Due: base})
	if err != nil {
		t.Fatalf("CreateMatchedEvent: %v", err)
	}
	// Changes after the event: a new subscription, one enabled, one
	// deleted.
	added := b.subID(partnerA)
	if _, err := s.ChangeSubscription(b.ctx, monitehooks.ChangeSubscriptionParams{PartnerID: partnerA, ID: off, Change: func(sub *monitehooks.Subscription) error {
		sub.Status = monitehooks.StatusEnabled
		return nil
	}}); err != nil {
		t.Fatalf("ChangeSubscription: %v", err)
	}
	if err := b.s.DeleteSubscription(b.ctx, partnerA, first); err != nil {
		t.Fatalf("DeleteSubscription: %v", err)
	}
	checkMatched(t, "event emitted before the changes", []string{first}, b.deliveredTo(partnerA, ev.ID))
	checkMatched(t, "event emitted after the changes", []string{off, added}, b.emitMatched(newEvent(partnerA), base))
}

func testMatchStoresAsCreateEvent(t *testing.T, b *bundle) {
	s := b.shared()
	subs := b.subIDs(partnerA, 2)
	in := newEvent(partnerA)
	in.ID = "chosen-by-caller"
	due := at(time.Minute)
	ev, err := s.CreateMatchedEvent(b.ctx, monitehooks.CreateEventParams{Event: in, Due: due})
	if err != nil {
		t.Fatalf("CreateMatchedEvent: %v", err)
	}
	checkID(t, "created event", ev.ID)
	want := in
	want.ID = ev.ID
	if d := diff(want, ev); d != "" {
		t.Errorf("CreateMatchedEvent returned the event changed beyond its ID (-want +got):\n%s", d)
	}
	got, err := b.s.GetEvent(b.ctx, partnerA, ev.ID)
	if err != nil {
		t.Fatalf("GetEvent: %v", err)
	}
	if d := diff(want, got); d != "" {
		t.Errorf("GetEvent (-want +got):\n%s", d)
	}
	ds := b.listAllDeliveries(partnerA, monitehooks.ListParams{EventID: ev.ID})
	if len(ds) != 2 {
		t.Fatalf("event has %d deliveries; want 2", len(ds))
	}
	for i, d := range ds {
		checkID(t, "delivery", d.ID)
		wantD := monitehooks.Delivery{
			ID: d.ID, EventID: ev.ID, SubscriptionID: subs[i], PartnerID: partnerA,
			ObjectType: in.ObjectType, EventType: in.Type, Status: monitehooks.DeliveryPending,
			NextAttemptAt: due, CreatedAt: due, UpdatedAt: due,
		}
		if d := diff(wantD, d); d != "" {
			t.Errorf("delivery %d (-want +got):\n%s", i, d)
		}
	}
	if c := b.counts(); c != (monitehooks.DeliveryCounts{Pending: 2}) {
		t.Errorf("CountDeliveries = %+v; want 2 pending", c)
	}
	// Due at due, not before.
	if res := b.claim(at(time.Second), 10); len(res.Claims) != 0 || !res.NextDue.Equal(due) {
		t.Errorf("claim before due = %d claims, NextDue %v; want none, %v", len(res.Claims), res.NextDue, due)
	}
	if res := b.claim(due, 10); len(res.Claims) != 2 {
		t.Errorf("claim at due = %d claims; want 2", len(res.Claims))
	}
	// An event that matches nothing is stored alone, and expires as one.
	lone := newEvent(partnerB)
	ev, err = s.CreateMatchedEvent(b.ctx, monitehooks.CreateEventParams{Event: lone, Due: due})
	if err != nil {
		t.Fatalf("CreateMatchedEvent of an event that matches nothing: %v", err)
	}
	if _, err := b.s.GetEvent(b.ctx, partnerB, ev.ID); err != nil {
		t.Errorf("GetEvent of an event that matched nothing: %v", err)
	}
	res, err := b.s.DeleteExpired(b.ctx, monitehooks.DeleteExpiredParams{Before: at(time.Nanosecond), Limit: 10})
	if err != nil || res != (monitehooks.DeleteExpiredResult{Events: 1}) {
		t.Errorf("DeleteExpired after the event's CreatedAt = %+v, %v; want the event without deliveries deleted", res, err)
	}
}

func testMatchMaxPending(t *testing.T, b *bundle) {
	s := b.shared()
	b.subIDs(partnerA, 2)
	create := func(partnerID string, bound int) error {
		_, err := s.CreateMatchedEvent(b.ctx, monitehooks.CreateEventParams{Event: newEvent(partnerID), Due: base, MaxPending: bound})
		return err
	}
	if err := create(partnerA, 3); err != nil {
		t.Fatalf("CreateMatchedEvent of 2 deliveries under a bound of 3: %v", err)
	}
	checkErr(t, "CreateMatchedEvent of 2 more deliveries under a bound of 3", create(partnerA, 3), monitehooks.ErrBacklogFull)
	if err := create(partnerB, 1); err != nil {
		t.Errorf("CreateMatchedEvent of an event that matches nothing, past the bound: %v; want it stored", err)
	}
	if err := create(partnerA, 4); err != nil {
		t.Errorf("CreateMatchedEvent of 2 more deliveries under a bound of 4: %v", err)
	}
	if got := b.counts(); got.Pending != 4 {
		t.Errorf("Pending = %d; want 4", got.Pending)
	}
	page, err := b.s.ListEvents(b.ctx, partnerA, monitehooks.ListParams{})
	if err != nil {
		t.Fatalf("ListEvents: %v", err)
	}
	if len(page.Data) != 2 {
		t.Errorf("partner A has %d events; want 2 (the refused one not stored)", len(page.Data))
	}
}

func testMatchRefusesSubscriptionIDs(t *testing.T, b *bundle) {
	s := b.shared()
	sub := b.subID(partnerA)
	_, err := s.CreateMatchedEvent(b.ctx, monitehooks.CreateEventParams{Event: newEvent(partnerA), SubscriptionIDs: []string{sub}, Due: base})
	if err == nil {
		t.Errorf("CreateMatchedEvent with SubscriptionIDs: err = nil; want an error")
	}
	page, err := b.s.ListEvents(b.ctx, partnerA, monitehooks.ListParams{})
	if err != nil || len(page.Data) != 0 {
		t.Errorf("after the refusal, ListEvents = %d events, %v; want none", len(page.Data), err)
	}
}

// change calls ChangeSubscription and fails the test on error.
func (b *bundle) change(partnerID, id string, f func(*monitehooks.Subscription)) monitehooks.Subscription {
	b.t.Helper()
	sub, err := b.shared().ChangeSubscription(b.ctx, monitehooks.ChangeSubscriptionParams{PartnerID: partnerID, ID: id,
		Change: func(s *monitehooks.Subscription) error { f(s); return nil }})
	if err != nil {
		b.t.Fatalf("ChangeSubscription: %v", err)
	}
	return sub
}

func testChangeStores(t *testing.T, b *bundle) {
	b.shared()
	sub := b.createSub(newSubscription(partnerA))
	var seen monitehooks.Subscription
	got := b.change(partnerA, sub.ID, func(s *monitehooks.Subscription) {
		seen = s.Clone()
		s.URL = "https://example.org/other"
		s.EventTypes = []monitehooks.EventType{"deleted"}
		s.Name = ""
		s.Status = monitehooks.StatusDisabled
		s.Secrets = []monitehooks.Secret{{Value: "whsec_new"}}
		s.FailingSince = at(time.Minute)
		s.UpdatedAt = at(time.Hour)
	})
	if d := diff(sub, seen); d != "" {
		t.Errorf("Change was given (-want +got):\n%s", d)
	}
	want := sub.Clone()
	want.URL, want.EventTypes, want.Name, want.Status = "https://example.org/other", []monitehooks.EventType{"deleted"}, "", monitehooks.StatusDisabled
	want.Secrets, want.FailingSince, want.UpdatedAt = []monitehooks.Secret{{Value: "whsec_new"}}, at(time.Minute), at(time.Hour)
	if d := diff(want, got); d != "" {
		t.Errorf("ChangeSubscription returned (-want +got):\n%s", d)
	}
	stored, err := b.s.GetSubscription(b.ctx, partnerA, sub.ID)
	if err != nil {
		t.Fatalf("GetSubscription: %v", err)
	}
	if d := diff(want, stored); d != "" {
		t.Errorf("after ChangeSubscription, GetSubscription (-want +got):\n%s", d)
	}
}

func testChangeNoLostUpdate(t *testing.T, b *bundle) {
	s := b.shared()
	sub := newSubscription(partnerA)
	sub.Name = ""
	id := b.createSub(sub).ID
	const goroutines, changes = 8, 5
	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	start := make(chan struct{})
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for i := range changes {
				_, err := s.ChangeSubscription(b.ctx, monitehooks.ChangeSubscriptionParams{PartnerID: partnerA, ID: id,
					Change: func(s *monitehooks.Subscription) error {
						s.Name += fmt.Sprintf("[%d.%d]", g, i)
						s.EventTypes = append(s.EventTypes, monitehooks.EventType(fmt.Sprintf("t%d.%d", g, i)))
						return nil
					}})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("ChangeSubscription: %v", err)
	}
	got, err := b.s.GetSubscription(b.ctx, partnerA, id)
	if err != nil {
		t.Fatalf("GetSubscription: %v", err)
	}
	if n := len(got.EventTypes); n != 2+goroutines*changes {
		t.Errorf("after %d changes that each added an event type, %d event types; want %d: changes were lost", goroutines*changes, n, 2+goroutines*changes)
	}
	for g := range goroutines {
		// Each goroutine's changes are there, in its order.
		last := -1
		for i := range changes {
			j := strings.Index(got.Name, fmt.Sprintf("[%d.%d]", g, i))
			if j < 0 {
				t.Errorf("change %d of goroutine %d was lost: Name = %q", i, g, got.Name)
				continue
			}
			if j < last {
				t.Errorf("changes of goroutine %d out of order: Name = %q", g, got.Name)
			}
			last = j
		}
	}
}

func testChangeErrorStoresNothing(t *testing.T, b *bundle) {
	s := b.shared()
	sub := b.createSub(newSubscription(partnerA))
	errRefused := errors.New("refused by the caller")
	_, err := s.ChangeSubscription(b.ctx, monitehooks.ChangeSubscriptionParams{PartnerID: partnerA, ID: sub.ID,
		Change: func(s *monitehooks.Subscription) error {
			s.URL = "https://example.org/changed"
			s.Status = monitehooks.StatusDisabled
			return fmt.Errorf("wrapped: %w", errRefused)
		}})
	if !errors.Is(err, errRefused) {
		t.Errorf("ChangeSubscription whose Change fails: err = %v; want one wrapping Change's", err)
	}
	if errors.Is(err, monitehooks.ErrNotFound) {
		t.Errorf("ChangeSubscription whose Change fails: err = %v wraps ErrNotFound", err)
	}
	got, err := b.s.GetSubscription(b.ctx, partnerA, sub.ID)
	if err != nil {
		t.Fatalf("GetSubscription: %v", err)
	}
	if d := diff(sub, got); d != "" {
		t.Errorf("after a Change that failed, GetSubscription (-want +got):\n%s", d)
	}
	// And the event matching sees it unchanged.
	checkMatched(t, "event after a Change that failed", []string{sub.ID}, b.emitMatched(newEvent(partnerA), base))
}

func testChangeNotFound(t *testing.T, b *bundle) {
	s := b.shared()
	other := b.subID(partnerB)
	gone := b.subID(partnerA)
	if err := b.s.DeleteSubscription(b.ctx, partnerA, gone); err != nil {
		t.Fatalf("DeleteSubscription: %v", err)
	}
	ids := append([]struct{ name, id string }{{"other partner's", other}, {"deleted", gone}}, absentIDs...)
	for _, tc := range ids {
		called := false
		_, err := s.ChangeSubscription(b.ctx, monitehooks.ChangeSubscriptionParams{PartnerID: partnerA, ID: tc.id,
			Change: func(*monitehooks.Subscription) error { called = true; return nil }})
		checkErr(t, "ChangeSubscription("+tc.name+")", err, monitehooks.ErrSubscriptionNotFound, monitehooks.ErrNotFound)
		if called {
			t.Errorf("ChangeSubscription(%s) called Change", tc.name)
		}
	}
}

func testClaimSubscriptionCurrent(t *testing.T, b *bundle) {
	b.shared()
	sub := b.createSub(newSubscription(partnerA))
	first := b.emit1(partnerA, sub.ID, base)
	c := b.claimOne(base, first)
	if c.Subscription == nil {
		t.Fatalf("Claim.Subscription = nil; want the subscription")
	}
	if d := diff(sub, *c.Subscription); d != "" {
		t.Errorf("Claim.Subscription (-want +got):\n%s", d)
	}
	b.finish(c, monitehooks.DeliverySucceeded, base)

	// A change between the emit and the claim is seen by the claim.
	second := b.emit1(partnerA, sub.ID, base)
	changed := b.change(partnerA, sub.ID, func(s *monitehooks.Subscription) {
		s.URL = "https://example.org/moved"
		s.Secrets = []monitehooks.Secret{{Value: "whsec_rotated"}}
	})
	c = b.claimOne(base, second)
	if c.Subscription == nil {
		t.Fatalf("Claim.Subscription after a change = nil; want the subscription")
	}
	if d := diff(changed, *c.Subscription); d != "" {
		t.Errorf("Claim.Subscription after a change (-want +got):\n%s", d)
	}
	b.finish(c, monitehooks.DeliverySucceeded, base)

	// And so is a change by UpdateSubscription, even one that keeps
	// UpdatedAt.
	third := b.emit1(partnerA, sub.ID, base)
	changed.URL = "https://example.org/again"
	if err := b.s.UpdateSubscription(b.ctx, changed); err != nil {
		t.Fatalf("UpdateSubscription: %v", err)
	}
	c = b.claimOne(base, third)
	if c.Subscription == nil || c.Subscription.URL != changed.URL {
		t.Errorf("Claim.Subscription after UpdateSubscription = %+v; want URL %s", c.Subscription, changed.URL)
	}
}

func testClaimSubscriptionDeleted(t *testing.T, b *bundle) {
	b.shared()
	kept, gone := b.createSub(newSubscription(partnerA)), b.createSub(newSubscription(partnerA))
	ids := b.emit(partnerA, []string{kept.ID, gone.ID}, base)
	if err := b.s.DeleteSubscription(b.ctx, partnerA, gone.ID); err != nil {
		t.Fatalf("DeleteSubscription: %v", err)
	}
	res := b.claim(base, 10)
	if got := claimedIDs(res); !slices.Equal(got, ids) {
		t.Fatalf("claimed %v; want %v", got, ids)
	}
	if s := res.Claims[0].Subscription; s == nil || s.ID != kept.ID {
		t.Errorf("Claim.Subscription of the kept subscription's delivery = %+v; want it", s)
	}
	if s := res.Claims[1].Subscription; s != nil {
		t.Errorf("Claim.Subscription of the deleted subscription's delivery = %+v; want nil", s)
	}
}
