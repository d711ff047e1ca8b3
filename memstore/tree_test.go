package memstore

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestTree runs random inserts, deletes and seeks against a tree and a
// sorted slice, the slow reference, in patterns that matter: keys added in
// order (as times move forward) and taken from the front (as retention
// does), and at random.
func TestTree(t *testing.T) {
	for _, pattern := range []string{"random", "append", "appendAndTrim", "ties"} {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("%s/%d", pattern, seed), func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(seed, 7))
				var tr tree
				var ref []ikey
				var seq uint32
				key := func() ikey {
					seq++
					switch pattern {
					case "random":
						return ikey{sec: rng.Int64N(500), seq: seq}
					case "ties":
						return ikey{sec: 5, seq: rng.Uint32N(1 << 20)}
					default:
						return ikey{sec: int64(seq / 3), nsec: int32(seq % 3), seq: seq}
					}
				}
				for op := range 6000 {
					switch r := rng.IntN(10); {
					case r < 6 || len(ref) == 0:
						k := key()
						if i, found := slices.BinarySearchFunc(ref, k, ikey.compare); !found {
							ref = slices.Insert(ref, i, k)
							tr.insert(k)
						}
					case pattern == "appendAndTrim" || r == 9:
						k, ok := tr.deleteMin()
						if !ok || k != ref[0] {
							t.Fatalf("op %d: deleteMin = %v, %v; want %v", op, k, ok, ref[0])
						}
						ref = ref[1:]
					default:
						k := ref[rng.IntN(len(ref))]
						if rng.IntN(4) == 0 {
							k.seq ^= 1 << 25 // absent
						}
						i, found := slices.BinarySearchFunc(ref, k, ikey.compare)
						if got := tr.delete(k); got != found {
							t.Fatalf("op %d: delete(%v) = %v; want %v", op, k, got, found)
						}
						if found {
							ref = slices.Delete(ref, i, i+1)
						}
					}
					if op%97 == 0 || len(ref) < 3 {
						checkTree(t, &tr, ref)
						checkSeeks(t, &tr, ref, rng)
					}
				}
				for len(ref) > 0 {
					k := ref[rng.IntN(len(ref))]
					i, _ := slices.BinarySearchFunc(ref, k, ikey.compare)
					if !tr.delete(k) {
						t.Fatalf("delete(%v) of a key held = false", k)
					}
					ref = slices.Delete(ref, i, i+1)
					if len(ref)%50 == 0 {
						checkTree(t, &tr, ref)
					}
				}
				checkTree(t, &tr, ref)
				if tr.root != nil || tr.last != nil {
					t.Fatal("an empty tree keeps nodes")
				}
			})
		}
	}
}

// checkTree fails the test unless the tree holds exactly ref, in order
// both ways, and its structure holds: leaves at one depth, none empty,
// bounds that route, the last leaf known, and nodes on average at least
// a quarter full.
func checkTree(t *testing.T, tr *tree, ref []ikey) {
	t.Helper()
	var got []ikey
	for it := tr.first(); it.valid(); it.next() {
		got = append(got, it.key())
	}
	if !slices.Equal(got, ref) {
		t.Fatalf("forward walk: %d keys; want %d (%v…)", len(got), len(ref), ref[:min(3, len(ref))])
	}
	got = got[:0]
	for it := tr.lastKey(); it.valid(); it.prev() {
		got = append(got, it.key())
	}
	slices.Reverse(got)
	if !slices.Equal(got, ref) {
		t.Fatalf("backward walk differs")
	}
	if tr.len != len(ref) {
		t.Fatalf("len = %d; want %d", tr.len, len(ref))
	}
	if tr.root == nil {
		return
	}
	var leaves []*tnode
	nodes, held := 0, 0
	inner := 0
	var walk func(n *tnode, depth int, lo *ikey)
	walk = func(n *tnode, depth int, lo *ikey) {
		nodes++
		held += n.n
		if n.n == 0 {
			t.Fatalf("empty node at depth %d", depth)
		}
		if lo != nil && n.leaf() && n.keys[0].less(*lo) {
			t.Fatalf("leaf key %v below its bound %v", n.keys[0], *lo)
		}
		if n.leaf() {
			if depth != tr.height {
				t.Fatalf("leaf at depth %d; height %d", depth, tr.height)
			}
			leaves = append(leaves, n)
			return
		}
		inner++
		kids := tr.kids[n.kids]
		if len(kids) != n.n {
			t.Fatalf("inner node with n %d and %d kids", n.n, len(kids))
		}
		for i, kid := range kids {
			bound := lo
			if i > 0 {
				bound = &n.keys[i]
				// Everything under the child before is below the bound.
				prev := kids[i-1]
				for !prev.leaf() {
					prev = tr.kid(prev, prev.n-1)
				}
				if !prev.keys[prev.n-1].less(n.keys[i]) {
					t.Fatalf("bound %v not above the keys before it", n.keys[i])
				}
			}
			walk(kid, depth+1, bound)
		}
	}
	walk(tr.root, 0, nil)
	if used := len(tr.kids) - 1 - len(tr.free); len(tr.kids) > 0 && used != inner {
		t.Fatalf("%d children entries in use for %d inner nodes", used, inner)
	}
	if tr.last != leaves[len(leaves)-1] {
		t.Fatal("last is not the rightmost leaf")
	}
	if nodes > 1 && held*4 < nodes*treeOrder/4 {
		t.Fatalf("%d nodes hold %d keys and kids: under a sixteenth full on average", nodes, held)
	}
}

// checkSeeks checks seekFrom from keys held, keys absent and no key,
// both ways, against ref.
func checkSeeks(t *testing.T, tr *tree, ref []ikey, rng *rand.Rand) {
	t.Helper()
	froms := []*ikey{nil}
	for range 8 {
		if len(ref) > 0 {
			k := ref[rng.IntN(len(ref))]
			froms = append(froms, &k)
			k2 := k
			k2.seq++
			froms = append(froms, &k2)
		}
		k := ikey{sec: rng.Int64N(600) - 50}
		froms = append(froms, &k)
	}
	for _, from := range froms {
		for _, desc := range []bool{false, true} {
			for _, incl := range []bool{false, true} {
				want := -1
				for i := range ref {
					j := i
					if desc {
						j = len(ref) - 1 - i
					}
					c := 0
					if from != nil {
						c = ref[j].compare(*from)
						if desc {
							c = -c
						}
					}
					if from == nil || c > 0 || (incl && c == 0) {
						want = j
						break
					}
				}
				it := tr.seekFrom(from, incl, desc)
				switch {
				case want < 0 && it.valid():
					t.Fatalf("seekFrom(%v, incl %v, desc %v) = %v; want the end", from, incl, desc, it.key())
				case want >= 0 && (!it.valid() || it.key() != ref[want]):
					t.Fatalf("seekFrom(%v, incl %v, desc %v) valid %v; want %v", from, incl, desc, it.valid(), ref[want])
				}
			}
		}
	}
}

// FuzzTree holds the tree equal to a sorted slice under the operations
// the input spells: each 3 bytes are an operation and a key.
func FuzzTree(f *testing.F) {
	f.Add([]byte("\x00\x01\x02\x00\x01\x03\x01\x01\x02\x02\x00\x00"))
	f.Add(make([]byte, 600))
	f.Fuzz(func(t *testing.T, ops []byte) {
		var tr tree
		var ref []ikey
		for len(ops) >= 3 {
			op, k := ops[0]%4, ikey{sec: int64(binary.BigEndian.Uint16(ops[1:3]) >> 4), seq: uint32(ops[2] & 0x0f)}
			ops = ops[3:]
			i, found := slices.BinarySearchFunc(ref, k, ikey.compare)
			switch op {
			case 0, 1:
				if !found {
					tr.insert(k)
					ref = slices.Insert(ref, i, k)
				}
			case 2:
				if tr.delete(k) != found {
					t.Fatalf("delete(%v) disagrees", k)
				}
				if found {
					ref = slices.Delete(ref, i, i+1)
				}
			case 3:
				if got, ok := tr.deleteMin(); ok != (len(ref) > 0) || (ok && got != ref[0]) {
					t.Fatalf("deleteMin = %v, %v", got, ok)
				}
				if len(ref) > 0 {
					ref = ref[1:]
				}
			}
		}
		checkTree(t, &tr, ref)
	})
}
