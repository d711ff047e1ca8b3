package memstore

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
)

// TestLookupByID checks that each event and delivery is found by its ID,
// and nothing by an ID that shares only its sequence number with one, or
// that names a record of another kind: events and deliveries number their
// IDs from 1 each, so every number below is held by one of each.
func TestLookupByID(t *testing.T) {
	ctx := context.Background()
	s := New()
	subs := createSubs(t, s, "p", 3)
	var events []monitehooks.Event
	for i := range tableChunk + 10 { // across chunks, with 0 to 3 deliveries each
		ev := monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created"}
		ev, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: subs[:i%4]})
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	wrong := func(u id) id {
		u[15] ^= 1 // same sequence number, other random bits
		return u
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	found := 0
	for i, ev := range events {
		eid := mustParse(t, ev.ID)
		e := s.eventLocked(eid)
		if e == nil || s.textLocked(e).id != ev.ID {
			t.Fatalf("event %s not found", ev.ID)
		}
		if s.eventLocked(wrong(eid)) != nil {
			t.Fatalf("event %s found by a wrong ID", ev.ID)
		}
		if d, _ := s.deliveryByIDLocked(eid); d != nil {
			t.Fatalf("event %s found as a delivery", ev.ID)
		}
		if int(e.n) != i%4 {
			t.Fatalf("event %s has %d deliveries; want %d", ev.ID, e.n, i%4)
		}
		for dn := e.first; dn < e.first+e.n; dn++ {
			d := s.deliveries.at(dn)
			if got, gotN := s.deliveryByIDLocked(d.id); got != d || gotN != dn || d.event != uint32(i) {
				t.Fatalf("delivery %s of event %s not found", d.id.String(), ev.ID)
			}
			if got, _ := s.deliveryByIDLocked(wrong(d.id)); got != nil || s.eventLocked(d.id) != nil {
				t.Fatalf("delivery %s found by a wrong ID, or as an event", d.id.String())
			}
			found++
		}
	}
	if found != int(s.deliveries.n) {
		t.Fatalf("found %d deliveries; the store has %d", found, s.deliveries.n)
	}
	for _, sub := range subs {
		sid := mustParse(t, sub)
		if d, _ := s.deliveryByIDLocked(sid); s.eventLocked(sid) != nil || d != nil {
			t.Fatalf("subscription ID %s found as an event or a delivery", sub)
		}
	}
	for _, u := range []id{{}, {0x7f, 0, 0, 0, 0, 0, 0x80, 0, 0x80}} { // number 0, and beyond the tables
		if d, _ := s.deliveryByIDLocked(u); s.eventLocked(u) != nil || d != nil {
			t.Fatalf("ID %s found", u)
		}
	}
}

// createSubs stores n subscriptions of the partner and returns their IDs.
func createSubs(t testing.TB, s *Store, partnerID string, n int) []string {
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

// TestTable checks that a table keeps its records in order across chunks,
// and that a record keeps its place while more are added.
func TestTable(t *testing.T) {
	var tab table[int]
	first := tab.add()
	*first = -1
	for i := 1; i < 3*tableChunk+5; i++ {
		*tab.add() = i
	}
	if *first != -1 || tab.at(0) != first {
		t.Fatal("the first record moved or changed")
	}
	i := 0
	for n, v := range tab.all {
		want := i
		if i == 0 {
			want = -1
		}
		if n != uint32(i) || *v != want {
			t.Fatalf("record %d: number %d, value %d", i, n, *v)
		}
		i++
	}
	if i != 3*tableChunk+5 || tab.n != uint32(i) {
		t.Fatalf("%d records, n %d; want %d", i, tab.n, 3*tableChunk+5)
	}
}

// TestTextArena checks that texts come back as they were put, across
// blocks and around texts large enough for a block of their own, and that
// a text handed out stays as it was while more is written.
func TestTextArena(t *testing.T) {
	var a textArena
	type put struct {
		block, off uint32
		want, got  string
	}
	var puts []put
	for i := range 3 * textBlock / 100 {
		n := 100
		if i%50 == 0 { // the first one too: before any shared block
			n = maxBlockText + 1 + i
		}
		want := strings.Repeat(string(rune('a'+i%26)), n)
		block, off, got := a.put([]byte(want))
		if back := a.get(block, off, uint32(n)); back != want { // before the next put
			t.Fatalf("text %d: got %.20q… at once; want %.20q…", i, back, want)
		}
		puts = append(puts, put{block, off, want, got})
	}
	blocks := map[uint32]bool{}
	for i, p := range puts {
		if p.got != p.want {
			t.Fatalf("text %d changed after it was handed out", i)
		}
		if got := a.get(p.block, p.off, uint32(len(p.want))); got != p.want {
			t.Fatalf("text %d: got %.20q…; want %.20q…", i, got, p.want)
		}
		blocks[p.block] = true
	}
	if len(blocks) < 3+len(puts)/50 {
		t.Fatalf("%d blocks; want the texts across at least %d", len(blocks), 3+len(puts)/50)
	}
}

// TestObjectArena checks that objects come back as they were put, across
// blocks and as their own copies, nil when empty, and full: an append to
// one cannot write over the next.
func TestObjectArena(t *testing.T) {
	var a objectArena
	type put struct {
		block, off uint32
		want       []byte
	}
	var puts []put
	for i := range 3 * objectBlock / 300 {
		n := 300
		switch i % 40 {
		case 5:
			n = maxBlockObject + 1
		case 6:
			n = 0
		}
		want := bytes.Repeat([]byte{byte(i)}, n)
		ownCopy := own(want)
		if (ownCopy != nil) != (n > maxBlockObject) {
			t.Fatalf("own(%d bytes) = %d bytes", n, len(ownCopy))
		}
		block, off := a.put(want, ownCopy)
		puts = append(puts, put{block, off, want})
	}
	for i, p := range puts {
		got := a.get(p.block, p.off, uint32(len(p.want)))
		if !bytes.Equal(got, p.want) || (len(p.want) == 0) != (got == nil) {
			t.Fatalf("object %d: %d bytes back; want %d", i, len(got), len(p.want))
		}
		if cap(got) != len(got) {
			t.Fatalf("object %d: cap %d, len %d; want a full slice", i, cap(got), len(got))
		}
	}
}

// TestStamp checks that a time comes back from its stamp as the same
// instant in UTC, the zero time as the zero time, and that stamps compare
// as their times do.
func TestStamp(t *testing.T) {
	times := []time.Time{
		{},
		time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 58, 500_000_000, time.UTC), // negative seconds with nanoseconds
		time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("x", -5*3600)),
		time.Now(), // with a monotonic reading
		time.Date(9999, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
	}
	for i, tm := range times {
		got := stampOf(tm).time()
		if !got.Equal(tm) || got.Location() != time.UTC || got.IsZero() != tm.IsZero() {
			t.Errorf("%v came back as %v", tm, got)
		}
		for _, o := range times {
			if got, want := stampOf(tm).compare(stampOf(o)), tm.Compare(o); got != want {
				t.Errorf("stamps of %v and %v compare %d; want %d", tm, o, got, want)
			}
		}
		if i > 0 && !stampOf(tm).after(stampOf(times[i-1])) {
			t.Errorf("stamp of %v not after that of %v", tm, times[i-1])
		}
	}
	if (time.Time{}) != stampOf(time.Time{}).time() {
		t.Error("the zero time's stamp does not give the zero time back")
	}
}

// TestLargeEvents checks that events whose text or object is too large for
// a shared block are stored whole, the store's first event among them, and
// that the events after them are too.
func TestLargeEvents(t *testing.T) {
	ctx := context.Background()
	s := New()
	subs := createSubs(t, s, "p", 1)
	var want []monitehooks.Event
	for i := range 20 {
		ev := monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created", ObjectID: "o",
			EntityID: "e", Object: []byte(`{}`), CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, i, time.UTC)}
		// The first event's text and object too: before any shared block.
		if i%3 == 0 {
			ev.ObjectID = strings.Repeat("o", maxBlockText+i)
		}
		if i%4 == 0 {
			ev.Object = []byte(`{"x":"` + strings.Repeat("x", maxBlockObject+i) + `"}`)
		}
		stored, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: subs, Due: ev.CreatedAt})
		if err != nil {
			t.Fatal(err)
		}
		ev.ID = stored.ID
		want = append(want, ev)
	}
	for _, ev := range want {
		got, err := s.GetEvent(ctx, "p", ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ObjectID != ev.ObjectID || got.EntityID != ev.EntityID || !bytes.Equal(got.Object, ev.Object) || !got.CreatedAt.Equal(ev.CreatedAt) {
			t.Fatalf("event %s changed: object ID of %d bytes, object of %d; want %d and %d",
				ev.ID, len(got.ObjectID), len(got.Object), len(ev.ObjectID), len(ev.Object))
		}
	}
}

// TestStoreFull checks that a store refuses an event once its events' or
// deliveries' numbers would not fit in a record, storing nothing, and
// where the limit falls.
func TestStoreFull(t *testing.T) {
	ctx := context.Background()
	s := New()
	subs := createSubs(t, s, "p", 2)
	s.events.n = maxRecords // as if full: the refusal comes before any record is touched
	ev := monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created"}
	if got, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: ev}); !errors.Is(err, monitehooks.ErrInvalid) || got.ID != "" {
		t.Fatalf("CreateEvent in a full store: %v, ID %q; want ErrInvalid and no ID", err, got.ID)
	}
	s.events.n, s.deliveries.n = 0, maxRecords-1
	if got, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: subs}); !errors.Is(err, monitehooks.ErrInvalid) || got.ID != "" {
		t.Fatalf("CreateEvent of 2 deliveries with room for 1: %v, ID %q; want ErrInvalid and no ID", err, got.ID)
	}
	for _, tc := range []struct {
		have uint32
		more int
		want bool
	}{{maxRecords - 2, 2, true}, {maxRecords - 1, 2, false}, {maxRecords, 0, true}, {maxRecords, 1, false}, {0, 0, true}} {
		if got := roomFor(tc.have, tc.more); got != tc.want {
			t.Errorf("roomFor(%d, %d) = %v; want %v", tc.have, tc.more, got, tc.want)
		}
	}
	if maxRecordBytes != math.MaxUint32 || maxRecords != math.MaxUint32 {
		t.Fatal("record limits no longer match their uint32 fields")
	}
}

// TestLookupPastFullChunk checks that an ID numbered one past the last
// record is not found when the last chunk is full, where a look-up that
// read past the table would index a chunk that does not exist.
func TestLookupPastFullChunk(t *testing.T) {
	ctx := context.Background()
	s := New()
	subs := createSubs(t, s, "p", 1)
	for range tableChunk {
		ev := monitehooks.Event{PartnerID: "p", ObjectType: "entity", Type: "created"}
		if _, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{Event: ev, SubscriptionIDs: subs}); err != nil {
			t.Fatal(err)
		}
	}
	const n = tableChunk + 1
	s.mu.RLock()
	defer s.mu.RUnlock()
	pastEvent := s.eventIDs.key.makeID(kindEvent, n, 0, new(maskBuf))
	pastDelivery := s.deliveryIDs.key.makeID(kindDelivery, n, 0, new(maskBuf))
	if e := s.eventLocked(pastEvent); e != nil {
		t.Fatalf("event ID %s one past the last event found", pastEvent)
	}
	if d, _ := s.deliveryByIDLocked(pastDelivery); d != nil {
		t.Fatalf("delivery ID %s one past the last delivery found", pastDelivery)
	}
}

// TestTableRelease checks that a chunk goes once all its records are
// released and it is full, and not before; that the records after it
// keep their numbers; and that the chunks let go at the front are dropped
// from the list.
func TestTableRelease(t *testing.T) {
	var tab table[int]
	const n = 4*tableChunk + 10
	for i := range n {
		*tab.add() = i + 1
	}
	// Release the second chunk but one record, then that one.
	for i := uint32(tableChunk); i < 2*tableChunk-1; i++ {
		tab.release(i)
	}
	if tab.get(tableChunk) == nil || *tab.get(tableChunk) != 0 || *tab.get(2*tableChunk - 1) != 2*tableChunk {
		t.Fatal("a chunk with a record left went, or released records were not zeroed")
	}
	tab.release(2*tableChunk - 1)
	if tab.get(tableChunk) != nil || tab.chunks[1] != nil || tab.off != 0 {
		t.Fatal("a chunk with every record released stayed")
	}
	// The first chunk: both go from the list.
	for i := range uint32(tableChunk) {
		tab.release(i)
	}
	if tab.off != 2 || len(tab.chunks) != 3 {
		t.Fatalf("off %d, %d chunks listed; want 2 and 3", tab.off, len(tab.chunks))
	}
	if got := *tab.at(3*tableChunk + 5); got != 3*tableChunk+6 {
		t.Fatalf("record %d = %d after the chunks before it went; want %d", 3*tableChunk+5, got, 3*tableChunk+6)
	}
	// The last chunk, not full, stays while it is written, though empty.
	for i := uint32(4 * tableChunk); i < n; i++ {
		tab.release(i)
	}
	if tab.get(4*tableChunk) == nil {
		t.Fatal("the chunk being filled went")
	}
	for i := n; i < 5*tableChunk; i++ {
		*tab.add() = i + 1
		tab.release(uint32(i))
	}
	if tab.get(4*tableChunk) != nil {
		t.Fatal("the chunk filled and released stayed")
	}
	got := 0
	for range tab.all {
		got++
	}
	if want := 2 * tableChunk; got != want { // chunks 2 and 3
		t.Fatalf("all yielded %d records; want %d", got, want)
	}
	if tab.get(5*tableChunk) != nil || tab.get(0) != nil {
		t.Fatal("get of a record never added, or of a chunk dropped, is not nil")
	}
}

// TestArenaRelease checks that text and object blocks go once no event
// uses them, never while they are written, and that what is left reads
// back.
func TestArenaRelease(t *testing.T) {
	var texts textArena
	var objects objectArena
	type put struct{ tb, to, ob, oo, n uint32 }
	var puts []put
	for i := range 3 * textBlock / 1000 {
		n := uint32(1000)
		if i%20 == 0 {
			n = maxBlockObject + 1 // its own block
		}
		b := bytes.Repeat([]byte{byte('a' + i%26)}, int(n))
		tb, to, _ := texts.put(b)
		ob, oo := objects.put(b, own(b))
		puts = append(puts, put{tb, to, ob, oo, n})
	}
	// Drop all but the last few; only the blocks still used, and the
	// ones being written, stay.
	keep := puts[len(puts)-3:]
	for _, p := range puts[:len(puts)-3] {
		texts.drop(p.tb)
		objects.drop(p.ob)
	}
	for _, p := range keep {
		want := bytes.Repeat([]byte{texts.get(p.tb, p.to, 1)[0]}, int(p.n))
		if got := texts.get(p.tb, p.to, p.n); got != string(want) {
			t.Fatalf("text of %d bytes changed", p.n)
		}
		if got := objects.get(p.ob, p.oo, p.n); !bytes.Equal(got, want) {
			t.Fatalf("object of %d bytes changed", p.n)
		}
	}
	held := func(refs []uint32) (n int) {
		for _, r := range refs {
			if r > 0 {
				n++
			}
		}
		return n
	}
	if n := held(texts.blocks.refs); n > 2 {
		t.Errorf("%d text blocks held with 3 texts left; want at most 2", n)
	}
	if n := held(objects.blocks.refs); n > 2 {
		t.Errorf("%d object blocks held with 3 objects left; want at most 2", n)
	}
	if texts.blocks.refs[0] == 0 || objects.blocks.refs[0] == 0 {
		t.Error("a block let go at the front is still listed")
	}
	for _, p := range keep {
		texts.drop(p.tb)
		objects.drop(p.ob)
	}
	// The blocks being written stay, with only the arena's count.
	if texts.blocks.refs[texts.curNum-texts.blocks.off] != 1 || objects.blocks.refs[objects.curNum-objects.blocks.off] != 1 {
		t.Error("the blocks being written lost the arena's count")
	}
}
