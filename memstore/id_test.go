package memstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"

	"github.com/google/uuid"
)

func TestIDGen(t *testing.T) {
	var g idGen
	seen := make(map[id]bool)
	prev := ""
	for i := range 3 * idBatch { // across refills
		u, text := g.new()
		if text != u.String() {
			t.Fatalf("ID %s has the text %s", u, text)
		}
		if seqOf(&u) != uint64(i+1) {
			t.Fatalf("ID %s is number %d; want %d", u, seqOf(&u), i+1)
		}
		if seen[u] {
			t.Fatalf("ID %s made twice", u)
		}
		seen[u] = true
		if u.Version() != 8 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("ID %s: version %d, variant %v; want 8, RFC 4122", u, u.Version(), u.Variant())
		}
		if s := u.String(); s <= prev {
			t.Fatalf("ID %s made after %s sorts before it; want creation order", s, prev)
		} else {
			prev = s
		}
		if back, ok := parseID(u.String()); !ok || back != u {
			t.Fatalf("parseID(%s) = %s, %v", u, back, ok)
		}
	}
}

// TestLookupByID checks that the slot table finds each event and delivery
// by its ID, and nothing by an ID that shares only its sequence number
// with one, or that names a record of the other kind.
func TestLookupByID(t *testing.T) {
	ctx := context.Background()
	s := New()
	var subs []string
	for range 3 {
		sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{PartnerID: "p"})
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, sub.ID)
	}
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
				t.Fatalf("delivery %s of event %s not found", d.idStr, ev.ID)
			}
			if s.deliveryByIDLocked(wrong(d.idStr)) != nil || s.eventLocked(d.id) != nil {
				t.Fatalf("delivery %s found by a wrong ID, or as an event", d.idStr)
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

func TestParseID(t *testing.T) {
	const good = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	if _, ok := parseID(good); !ok {
		t.Errorf("parseID(%q) failed", good)
	}
	for _, s := range []string{
		"",
		strings.ToUpper(good),
		"{" + good + "}",
		"urn:uuid:" + good,
		strings.ReplaceAll(good, "-", ""),
		good[:35] + "g",
		good[:8] + "x" + good[9:],
		good + "0",
	} {
		if u, ok := parseID(s); ok {
			t.Errorf("parseID(%q) = %s; want failure", s, u)
		}
	}
}

// BenchmarkID compares the store's batched ID source with uuid.NewRandom,
// which reads crypto/rand (and allocates) for every ID.
func BenchmarkID(b *testing.B) {
	b.Run("idGen", func(b *testing.B) {
		var g idGen
		b.ReportAllocs()
		for b.Loop() {
			_, _ = g.new()
		}
	})
	b.Run("uuid.NewRandom", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := uuid.NewRandom(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
