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
