package memstore

import (
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestIDGen(t *testing.T) {
	var g idGen
	seen := make(map[id]bool)
	texts := make(map[id]string)
	prev := ""
	for i := range 3 * idBatch { // across refills and text buffers
		var u id
		if i%3 == 0 {
			u = g.take()
		} else {
			var text string
			u, text = g.takeText()
			texts[u] = text
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
	// Checked at the end: later IDs' text must not overwrite earlier ones'.
	for u, text := range texts {
		if text != u.String() {
			t.Fatalf("ID %s has the text %s", u, text)
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

// BenchmarkID compares the store's batched ID source with uuid.NewRandom,
// which reads crypto/rand (and allocates) for every ID.
func BenchmarkID(b *testing.B) {
	b.Run("idGen", func(b *testing.B) {
		var g idGen
		b.ReportAllocs()
		for b.Loop() {
			_ = g.take()
		}
	})
	b.Run("idGen+text", func(b *testing.B) {
		var g idGen
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
