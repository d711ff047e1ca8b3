package memstore

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// tkey returns the key of a time in seconds and nanoseconds since 1970
// and a sequence number.
func tkey(sec int64, nsec int32, seq uint32) ikey {
	return keyOf(stampOf(time.Unix(sec, int64(nsec))), seq)
}

// testKeyer is the records' times, for trees in tests: the time of each
// sequence number.
type testKeyer map[uint32]stamp

func (k testKeyer) timeOf(seq uint32) stamp { return k[seq] }

// TestTree runs random inserts, deletes, moves and seeks against a tree
// and a sorted slice, the slow reference, in patterns that matter: keys
// added in order (as times move forward) and taken from the front (as
// retention does), and at random.
func TestTree(t *testing.T) {
	for _, pattern := range []string{"random", "append", "appendAndTrim", "ties"} {
		for seed := range uint64(4) {
			t.Run(fmt.Sprintf("%s/%d", pattern, seed), func(t *testing.T) {
				t.Parallel()
				rng := rand.New(rand.NewPCG(seed, 7))
				times := testKeyer{}
				tr := newTree(times)
				var ref []ikey
				var seq uint32
				key := func() ikey {
					seq++
					switch pattern {
					case "random":
						return tkey(rng.Int64N(500), 0, seq)
					case "ties":
						return tkey(5, 0, rng.Uint32N(1<<20))
					default:
						return tkey(int64(seq/3), int32(seq%3), seq)
					}
				}
				maxHeight := 0
				insert := func(k ikey) {
					if i, found := slices.BinarySearchFunc(ref, k, ikey.compare); !found {
						ref = slices.Insert(ref, i, k)
						times[k.seq] = k.at()
						tr.insert(k)
						maxHeight = max(maxHeight, tr.height)
					}
				}
				for op := range 40_000 {
					switch r := rng.IntN(10); {
					case r < 6 || len(ref) == 0:
						insert(key())
					case pattern == "appendAndTrim" || r == 9:
						k, ok := tr.deleteMin()
						if !ok || k != ref[0] {
							t.Fatalf("op %d: deleteMin = %v, %v; want %v", op, k, ok, ref[0])
						}
						ref = ref[1:]
					case pattern == "random" && r == 8:
						// A record's time changes: its key leaves, and comes
						// back with the new time.
						i := rng.IntN(len(ref))
						k := ref[i]
						if !tr.delete(k) {
							t.Fatalf("op %d: delete(%v) of a key held = false", op, k)
						}
						ref = slices.Delete(ref, i, i+1)
						k.t = stampOf(time.Unix(rng.Int64N(500), 0))
						insert(k)
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
					if op%997 == 0 || len(ref) < 3 {
						checkTree(t, &tr, ref)
					}
					if op%4999 == 0 || len(ref) < 3 {
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
					if len(ref)%500 == 0 {
						checkTree(t, &tr, ref)
					}
				}
				if maxHeight < 2 && pattern != "appendAndTrim" {
					t.Errorf("the tree was never more than %d levels of inner nodes high: the test misses splits and merges of inner nodes", maxHeight)
				}
				checkTree(t, &tr, ref)
				if tr.root != nil || tr.rootLeaf != nil || tr.last != nil {
					t.Fatal("an empty tree keeps nodes")
				}
			})
		}
	}
}

// checkTree fails the test unless the tree holds exactly ref, in order
// both ways, and its structure holds: leaves at one depth, none empty,
// bounds that route, the last leaf known, and nodes on average at least
// a sixteenth full.
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
	if tr.maxKnown && tr.max != ref[len(ref)-1] {
		t.Fatalf("max = %v; the greatest key is %v", tr.max, ref[len(ref)-1])
	}
	if tr.height == 0 {
		if (tr.rootLeaf == nil) != (len(ref) == 0) || tr.root != nil || tr.last != tr.rootLeaf {
			t.Fatalf("a tree of height 0 with %d keys: root leaf %v, root %v", len(ref), tr.rootLeaf != nil, tr.root != nil)
		}
		if tr.rootLeaf != nil && tr.rootLeaf.n == 0 {
			t.Fatal("an empty root leaf")
		}
		return
	}
	var leaves []*leaf
	leafNodes, inners, seqs, kids := 0, 0, 0, 0
	// lastOf returns the greatest key under child i of n.
	lastOf := func(n *inner, i int) ikey {
		for !n.bottom {
			n, i = n.inners[i], n.inners[i].n-1
		}
		l := n.leaves[i]
		return tr.keyAt(l.seqs[l.n-1])
	}
	var walk func(n *inner, depth int, lo *ikey)
	walk = func(n *inner, depth int, lo *ikey) {
		inners++
		kids += n.n
		if n.n == 0 {
			t.Fatalf("empty inner node at depth %d", depth)
		}
		for i := range n.n {
			bound := lo
			if i > 0 {
				bound = &n.keys[i]
				if !lastOf(n, i-1).less(n.keys[i]) {
					t.Fatalf("bound %v not above the keys before it", n.keys[i])
				}
			}
			if !n.bottom {
				if n.leaves[i] != nil || n.inners[i] == nil {
					t.Fatalf("inner node at depth %d with a leaf, or without its child %d", depth, i)
				}
				walk(n.inners[i], depth+1, bound)
				continue
			}
			if depth != tr.height-1 || n.inners[i] != nil || n.leaves[i] == nil {
				t.Fatalf("bottom node at depth %d of %d, child %d not a leaf", depth, tr.height, i)
			}
			l := n.leaves[i]
			leafNodes++
			seqs += int(l.n)
			if l.n == 0 {
				t.Fatal("empty leaf")
			}
			if bound != nil && tr.keyAt(l.seqs[0]).less(*bound) {
				t.Fatalf("leaf key %v below its bound %v", tr.keyAt(l.seqs[0]), *bound)
			}
			leaves = append(leaves, l)
		}
		for i := n.n; i < innerOrder; i++ {
			if n.inners[i] != nil || n.leaves[i] != nil {
				t.Fatalf("inner node keeps child %d past its %d", i, n.n)
			}
		}
	}
	walk(tr.root, 0, nil)
	if tr.last != leaves[len(leaves)-1] {
		t.Fatal("last is not the rightmost leaf")
	}
	if leafNodes > 1 && seqs*16 < leafNodes*leafOrder {
		t.Fatalf("%d leaves hold %d keys: under a sixteenth full on average", leafNodes, seqs)
	}
	if inners > 1 && kids*16 < inners*innerOrder {
		t.Fatalf("%d inner nodes hold %d children: under a sixteenth full on average", inners, kids)
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
		k := tkey(rng.Int64N(600)-50, 0, 0)
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
// the input spells: each 4 bytes are an operation, a record's number and
// a time. A record keeps its time while its key is in the tree. Runs of
// keys make trees of several levels out of short inputs.
func FuzzTree(f *testing.F) {
	f.Add([]byte("\x00\x00\x01\x02\x00\x00\x01\x03\x02\x00\x01\x02\x03\x00\x00\x00"))
	f.Add([]byte("\x01\x00\x01\x02\x01\x00\x02\x03\x01\x00\x03\x01\x04\x00\x02\x00\x05\x00\x01\x09"))
	f.Add(make([]byte, 600))
	f.Fuzz(func(t *testing.T, ops []byte) {
		times := testKeyer{}
		tr := newTree(times)
		var ref []ikey
		find := func(seq uint32) (ikey, int, bool) {
			k, ok := times[seq]
			if !ok {
				return ikey{}, 0, false
			}
			i, _ := slices.BinarySearchFunc(ref, keyOf(k, seq), ikey.compare)
			return keyOf(k, seq), i, true
		}
		insert := func(k ikey) {
			if _, _, held := find(k.seq); !held {
				i, _ := slices.BinarySearchFunc(ref, k, ikey.compare)
				times[k.seq] = k.at()
				tr.insert(k)
				ref = slices.Insert(ref, i, k)
			}
		}
		remove := func(seq uint32) {
			k, i, held := find(seq)
			if !held {
				k = tkey(int64(seq%16), 0, seq)
			}
			if tr.delete(k) != held {
				t.Fatalf("delete(%v) disagrees", k)
			}
			if held {
				ref = slices.Delete(ref, i, i+1)
				delete(times, seq)
			}
		}
		const run = 200
		for len(ops) >= 4 {
			op, seq, sec := ops[0]%6, uint32(ops[1])<<8|uint32(ops[2])+1, int64(ops[3]%16)
			ops = ops[4:]
			runStart := 1<<20 + seq*run
			switch op {
			case 0:
				insert(tkey(sec, 0, seq))
			case 1:
				for j := range uint32(run) {
					insert(tkey(sec+int64(j/8), 0, runStart+j))
				}
			case 2:
				remove(seq)
			case 3:
				if got, ok := tr.deleteMin(); ok != (len(ref) > 0) || (ok && got != ref[0]) {
					t.Fatalf("deleteMin = %v, %v", got, ok)
				}
				if len(ref) > 0 {
					delete(times, ref[0].seq)
					ref = ref[1:]
				}
			case 4:
				for j := range uint32(run) {
					remove(runStart + j)
				}
			case 5:
				if _, _, held := find(seq); held {
					remove(seq)
					insert(tkey(sec, 0, seq))
				}
			}
		}
		checkTree(t, &tr, ref)
	})
}
