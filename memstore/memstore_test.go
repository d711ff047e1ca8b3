package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/memstore"
	"github.com/monitehooks/monitehooks/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) monitehooks.Store { return memstore.New() })
}

// TestCreateEventAllocs keeps storing an event with one subscription free
// of allocations of its own: records, object copies and ID text come from
// blocks, so the average is below one (AllocsPerRun rounds it down).
func TestCreateEventAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	ctx := context.Background()
	s := memstore.New()
	sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p"})
	if err != nil {
		t.Fatal(err)
	}
	subs := []string{sub.ID}
	object := []byte(`{"id":"1"}`)
	allocs := testing.AllocsPerRun(1000, func() {
		ev := monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", Object: object}
		if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: subs}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("CreateEvent with one subscription: %v allocations; want 0", allocs)
	}
}

// TestEmptyPageData checks that an empty page has a non-nil Data, which
// encodes as a JSON [] rather than null.
func TestEmptyPageData(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	subs, err := s.ListSubscriptions(ctx, "p", monitehooks.ListParams{})
	if err != nil || subs.Data == nil {
		t.Errorf("ListSubscriptions: Data nil %v, err %v; want non-nil", subs.Data == nil, err)
	}
	events, err := s.ListEvents(ctx, "p", monitehooks.ListParams{})
	if err != nil || events.Data == nil {
		t.Errorf("ListEvents: Data nil %v, err %v; want non-nil", events.Data == nil, err)
	}
	for _, p := range []monitehooks.ListParams{{}, {SubscriptionID: "nope"}, {EventID: "nope"}} {
		ds, err := s.ListDeliveries(ctx, "p", p)
		if err != nil || ds.Data == nil {
			t.Errorf("ListDeliveries(%+v): Data nil %v, err %v; want non-nil", p, ds.Data == nil, err)
		}
	}
}

// TestListParamsValidated checks that lists refuse parameters that
// ListParams.Validate refuses.
func TestListParamsValidated(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	for _, p := range []monitehooks.ListParams{
		{Limit: -1},
		{Limit: monitehooks.MaxListLimit + 1},
		{Sort: "name"},
		{Order: "sideways"},
		{Status: "lost"},
	} {
		if _, err := s.ListDeliveries(ctx, "p", p); !errors.Is(err, monitehooks.ErrInvalid) {
			t.Errorf("ListDeliveries(%+v): err = %v; want one wrapping ErrInvalid", p, err)
		}
	}
}

// TestAllowPanics checks that a panic in Allow loses no delivery: the
// subscriptions set aside during the claim are claimable again.
func TestAllowPanics(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var subs []string
	for range 2 {
		sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p"})
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub.ID)
		ev := monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created"}
		due := now.Add(time.Duration(len(subs)) * time.Second)
		if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: []string{sub.ID}, Due: due}); err != nil {
			t.Fatal(err)
		}
	}
	func() {
		defer func() { _ = recover() }()
		_, _ = s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now.Add(time.Hour), Limit: 10, Lease: time.Minute, Allow: func(id string) bool {
			if id == subs[1] {
				panic("boom")
			}
			return false // subs[0] is refused, then subs[1] panics
		}})
	}()
	res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now.Add(time.Hour), Limit: 10, Lease: time.Minute})
	if err != nil || len(res.Claims) != 2 {
		t.Errorf("claim after a panic in Allow = %d claims, %v; want 2", len(res.Claims), err)
	}
}

// TestListPastYear9999 pages through events created late on 9999-12-31 in
// a zone behind UTC: in UTC, as the store gives times back, they are in
// year 10000, past where JSON's form of a time stops, and their page
// tokens must still be made.
func TestListPastYear9999(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	late := time.Date(9999, 12, 31, 22, 0, 0, 0, time.FixedZone("x", -5*3600))
	for i := range 3 {
		ev := monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: "o", CreatedAt: late.Add(time.Duration(i))}
		if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: ev, Due: late}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []time.Time
	p := monitehooks.ListParams{Limit: 1}
	for range 4 {
		page, err := s.ListEvents(ctx, "p", p)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Data {
			seen = append(seen, ev.CreatedAt)
		}
		if page.Next == "" {
			break
		}
		p = monitehooks.ListParams{Cursor: page.Next}
	}
	if len(seen) != 3 || !seen[0].Equal(late) || !seen[2].Equal(late.Add(2)) {
		t.Fatalf("paged through %v; want the 3 events from %v", seen, late)
	}
}

// TestIDsOfAnotherStore checks that what one store made is found in no
// other, although both number their records alike (so that the sequence
// numbers of the IDs match), as a store made after a restart finds nothing
// of the one before: IDs, and the tokens that name them, are the store's
// own.
func TestIDsOfAnotherStore(t *testing.T) {
	ctx := context.Background()
	type made struct{ sub, event, delivery, token string }
	fill := func(s *memstore.Store) made {
		var m made
		for range 3 {
			sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p", ObjectType: "entity"})
			if err != nil {
				t.Fatal(err)
			}
			ev, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
				Event:           monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created"},
				SubscriptionIDs: []string{sub.ID},
			})
			if err != nil {
				t.Fatal(err)
			}
			m.sub, m.event = sub.ID, ev.ID
		}
		page, err := s.ListDeliveries(ctx, "p", monitehooks.ListParams{Limit: 1})
		if err != nil || len(page.Data) != 1 || page.Next == "" {
			t.Fatalf("ListDeliveries: %v, %+v", err, page)
		}
		m.delivery, m.token = page.Data[0].ID, page.Next
		return m
	}
	a, b := memstore.New(), memstore.New()
	ma, mb := fill(a), fill(b)
	if ma.sub == mb.sub || ma.event == mb.event || ma.delivery == mb.delivery {
		t.Fatalf("two stores made the same ID: %+v and %+v", ma, mb)
	}
	if _, err := b.GetSubscription(ctx, "p", ma.sub); !errors.Is(err, monitehooks.ErrSubscriptionNotFound) {
		t.Errorf("store B: GetSubscription(A's) = %v; want not found", err)
	}
	if _, err := b.GetEvent(ctx, "p", ma.event); !errors.Is(err, monitehooks.ErrEventNotFound) {
		t.Errorf("store B: GetEvent(A's) = %v; want not found", err)
	}
	if _, err := b.GetDelivery(ctx, "p", ma.delivery); !errors.Is(err, monitehooks.ErrDeliveryNotFound) {
		t.Errorf("store B: GetDelivery(A's) = %v; want not found", err)
	}
	if _, err := b.RequeueDelivery(ctx, monitehooks.RequeueDeliveryParams{PartnerID: "p", DeliveryID: ma.delivery}); !errors.Is(err, monitehooks.ErrDeliveryNotFound) {
		t.Errorf("store B: RequeueDelivery(A's) = %v; want not found", err)
	}
	for _, p := range []monitehooks.ListParams{{EventID: ma.event}, {SubscriptionID: ma.sub}} {
		if page, err := b.ListDeliveries(ctx, "p", p); err != nil || len(page.Data) != 0 {
			t.Errorf("store B: ListDeliveries(%+v) = %d items, %v; want none", p, len(page.Data), err)
		}
	}
	if _, err := b.ListDeliveries(ctx, "p", monitehooks.ListParams{Cursor: ma.token}); !errors.Is(err, monitehooks.ErrInvalidCursor) {
		t.Errorf("store B: ListDeliveries with A's token = %v; want ErrInvalidCursor", err)
	}
	if _, err := a.ListDeliveries(ctx, "p", monitehooks.ListParams{Cursor: ma.token}); err != nil {
		t.Errorf("store A: ListDeliveries with its own token: %v", err)
	}
}
