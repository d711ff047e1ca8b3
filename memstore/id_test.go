package memstore

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestIDGen(t *testing.T) {
	g := newIDGen(newIDKey(), kindEvent)
	seen := make(map[id]bool)
	texts := make(map[id]string)
	rising := 0
	var prev id
	const n = 3 * idTextBlock // across text buffers
	for i := range n {
		var u id
		if i%3 == 0 {
			u = g.take()
		} else {
			var text string
			u, text = g.takeText()
			texts[u] = text
		}
		if seq, ok := g.seqOf(&u); !ok || seq != uint64(i+1) {
			t.Fatalf("ID %s is number %d (%v); want %d", u, seq, ok, i+1)
		}
		if seen[u] {
			t.Fatalf("ID %s made twice", u)
		}
		seen[u] = true
		if u.Version() != 4 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("ID %s: version %d, variant %v; want 4, RFC 4122", u, u.Version(), u.Variant())
		}
		if back, ok := parseID(u.String()); !ok || back != u {
			t.Fatalf("parseID(%s) = %s, %v", u, back, ok)
		}
		if i > 0 && bytes.Compare(u[:6], prev[:6]) > 0 {
			rising++
		}
		prev = u
	}
	// Random IDs rise from one to the next about half the time; counters
	// (or a v7 timestamp) nearly always.
	if rising < n*2/5 || rising > n*3/5 {
		t.Errorf("the first 6 bytes rose from one ID to the next %d times in %d; want about half: they count", rising, n-1)
	}
	// Checked at the end: later IDs' text must not overwrite earlier ones'.
	for u, text := range texts {
		if text != u.String() {
			t.Fatalf("ID %s has the text %s", u, text)
		}
	}
	// IDs not made yet, and those of another kind, are not the
	// generator's.
	next := g.key.makeID(kindEvent, n+1, 0, new(maskBuf))
	if _, ok := g.seqOf(&next); ok {
		t.Errorf("ID number %d, not made yet, is taken for one the generator made", n+1)
	}
	other := g.key.makeID(kindDelivery, 1, 0, new(maskBuf))
	if seq, ok := g.seqOf(&other); ok && seq == 1 {
		t.Errorf("delivery ID number 1 reads as event ID number 1")
	}
}

// TestIDKey checks that the sequence number comes back from every ID,
// whatever it and the random bits are, and the layout: every one of the
// 122 free bits of a version 4 UUID belongs to one field, so that a UUID
// differing from a store's ID anywhere differs in its number or its random
// bits, and the store's comparison of whole IDs tells them apart.
func TestIDKey(t *testing.T) {
	k := newIDKey()
	for _, seq := range []uint64{0, 1, 2, 1 << 32, math.MaxUint64} {
		for _, r := range []uint64{0, 1, randomMask, math.MaxUint64, 0x0123456789abcdef} {
			u := k.makeID(kindDelivery, seq, r, new(maskBuf))
			if u.Version() != 4 || u.Variant() != uuid.RFC4122 {
				t.Fatalf("makeID(%d, %#x) = %s: version %d, variant %v", seq, r, u, u.Version(), u.Variant())
			}
			if got := k.seqOf(kindDelivery, &u); got != seq {
				t.Fatalf("seqOf(makeID(%d, %#x)) = %d", seq, r, got)
			}
		}
	}
	for range 100 {
		u := uuid.New() // version 4
		m, r := idFields(&u)
		if r > randomMask || packID(m, r) != u {
			t.Fatalf("packID(idFields(%s)) = %s", u, packID(m, r))
		}
		free := 0
		for bit := range 128 {
			v := u
			v[bit/8] ^= 0x80 >> (bit % 8)
			if v.Version() != 4 || v.Variant() != uuid.RFC4122 {
				continue
			}
			free++
			if m2, r2 := idFields(&v); m2 == m && r2 == r {
				t.Fatalf("bit %d of %s belongs to no field", bit, u)
			}
		}
		if free != 122 {
			t.Fatalf("%d free bits; want 122", free)
		}
	}
}

// TestIDsOfTwoStores checks that two keys make different IDs from the same
// numbers and random bits, and that a large sample of IDs of two
// generators has no ID in common.
func TestIDsOfTwoStores(t *testing.T) {
	a, b := newIDGen(newIDKey(), kindEvent), newIDGen(newIDKey(), kindEvent)
	if a.key.makeID(kindEvent, 1, 42, new(maskBuf)) == b.key.makeID(kindEvent, 1, 42, new(maskBuf)) {
		t.Fatal("two keys make the same ID from the same number and random bits")
	}
	const n = 200_000
	seen := make(map[id]bool, n)
	for range n {
		seen[a.take()] = true
	}
	for range n {
		if u := b.take(); seen[u] {
			t.Fatalf("both stores made the ID %s", u)
		}
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

// BenchmarkID compares the store's ID source with uuid.NewRandom,
// which reads crypto/rand (and allocates) for every ID.
func BenchmarkID(b *testing.B) {
	b.Run("idGen", func(b *testing.B) {
		g := newIDGen(newIDKey(), kindEvent)
		b.ReportAllocs()
		for b.Loop() {
			_ = g.take()
		}
	})
	b.Run("idGen+text", func(b *testing.B) {
		g := newIDGen(newIDKey(), kindEvent)
		b.ReportAllocs()
		for b.Loop() {
			_, _ = g.takeText()
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

func BenchmarkParseID(b *testing.B) {
	const s = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
	for b.Loop() {
		if _, ok := parseID(s); !ok {
			b.Fatal("not parsed")
		}
	}
}
