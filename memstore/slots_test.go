package memstore

import (
	"context"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// TestLookupByID checks that the slot table finds each event and delivery
// by its ID, and nothing by an ID that shares only its sequence number
// with one, or that names a record of the other kind.
func TestLookupByID(t *testing.T) {
	ctx := context.Background()
	s := New()
	subs := createSubs(t, s, "p", 3)
	var events []monitehooks.Event
	for i := range slotChunk + 10 { // across chunks, with 0 to 3 deliveries each
		ev := monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created"}
		if err := s.CreateEvent(ctx, &ev, subs[:i%4], time.Time{}); err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	wrong := func(str string) id {
		u := mustParse(t, str)
		u[15] ^= 1 // same sequence number, other random bits
		return u
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, ev := range events {
		eid := mustParse(t, ev.ID)
		e := s.eventLocked(eid)
		if e == nil || e.ev.ID != ev.ID {
			t.Fatalf("event %s not found", ev.ID)
		}
		if s.eventLocked(wrong(ev.ID)) != nil || s.deliveryByIDLocked(eid) != nil {
			t.Fatalf("event %s found by a wrong ID, or as a delivery", ev.ID)
		}
		for i := range e.numDeliveries() {
			d := e.delivery(i)
			if s.deliveryByIDLocked(d.id) != d {
				t.Fatalf("delivery %s of event %s not found", d.id.String(), ev.ID)
			}
			if s.deliveryByIDLocked(wrong(d.id.String())) != nil || s.eventLocked(d.id) != nil {
				t.Fatalf("delivery %s found by a wrong ID, or as an event", d.id.String())
			}
		}
	}
	for _, sub := range subs {
		if sid := mustParse(t, sub); s.eventLocked(sid) != nil || s.deliveryByIDLocked(sid) != nil {
			t.Fatalf("subscription ID %s found as an event or a delivery", sub)
		}
	}
	beyond := id{0x7f, 0, 0, 0, 0, 0, 0x80, 0, 0x80}
	if s.eventLocked(beyond) != nil || s.deliveryByIDLocked(beyond) != nil {
		t.Fatalf("ID %s beyond the table found", beyond)
	}
}

// createSubs stores n subscriptions of the partner and returns their IDs.
func createSubs(t *testing.T, s *Store, partnerID string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		sub, err := s.CreateSubscription(context.Background(), monitehooks.Subscription{PartnerID: partnerID})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = sub.ID
	}
	return ids
}

// TestEventList checks that an eventList keeps its events in order across
// chunks, and that a copy keeps the events it had while more are added.
func TestEventList(t *testing.T) {
	var l eventList
	events := make([]event, 3*eventChunk+5)
	var snap eventList
	for i := range events {
		if i == eventChunk+7 {
			snap = l
		}
		l.add(&events[i])
	}
	check := func(name string, l eventList, want []event) {
		t.Helper()
		i := 0
		for e := range l.all {
			if i >= len(want) || e != &want[i] {
				t.Fatalf("%s: event %d is not the one added %d-th", name, i, i)
			}
			i++
		}
		if i != len(want) {
			t.Fatalf("%s: %d events; want %d", name, i, len(want))
		}
	}
	check("list", l, events)
	check("copy", snap, events[:eventChunk+7])
}
