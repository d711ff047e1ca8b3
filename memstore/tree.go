package memstore

// tree is the ordered index lists seek in: a B+ tree of record numbers,
// ordered by (time, number), where a number's time is its record's, read
// through the tree's keyer: an event's CreatedAt, a delivery's UpdatedAt,
// and so on. A key (an ikey) is that pair. Keys are unique (no two
// records share a number), so a key is also a position that stays
// meaningful after its record is gone: a page token names one, and a list
// continues from there.
//
// A leaf holds only the numbers, four bytes each, 255 to a 1 KiB leaf:
// storing an event with one delivery adds six keys to trees, and the
// first write to new memory is much of what a key costs (see
// BenchmarkEmit). So comparing with a key in a leaf reads its record's
// time, and the record must show the time the key was added with for as
// long as the key is in the tree: a record whose time changes (a
// delivery's UpdatedAt) leaves the tree before the change and comes back
// after it. Inner nodes, one for every 30 or so leaves, keep whole keys,
// so routing reads no record; appending compares with the greatest key,
// which the tree keeps, and deleting finds a key in its leaf by its
// number, so neither reads a record either.
//
// Leaves hold no pointer, and inner nodes only their links to their
// children, so the garbage collector scans little of a tree. Keys are mostly added in increasing
// order (times move forward), so a key greater than every other goes
// straight into the last leaf, and a full last node is split by starting a
// new one rather than in halves: a tree filled in order has full leaves.
// Removing keys merges a node with a neighbour when together they fit in
// one, and drops a node left empty, so a tree emptied from the front, as
// retention does, gives its memory back as it goes.
//
// Inner nodes route by lower bounds: keys[i] is at most every key under
// child i and above every key under child i-1. A bound is not updated when
// the key it was copied from leaves the tree; it stays a valid bound.
// keys[0] routes nothing and is not kept up to date.

const (
	// leafOrder is how many numbers a leaf holds at most: a leaf is then
	// 1 KiB.
	leafOrder = 255
	// innerOrder is how many children an inner node has at most.
	innerOrder = 32
	// treeMaxDepth is more levels of inner nodes than a tree of
	// maxRecords keys needs.
	treeMaxDepth = 8
)

// ikey is a key of a tree: a time, then a record's number plus one (its
// sequence number).
type ikey struct {
	t   stamp
	seq uint32
}

func keyOf(t stamp, seq uint32) ikey { return ikey{t: t, seq: seq} }

// at returns the key's time.
func (k ikey) at() stamp { return k.t }

func (k ikey) compare(o ikey) int {
	if c := k.t.compare(o.t); c != 0 {
		return c
	}
	switch {
	case k.seq < o.seq:
		return -1
	case k.seq > o.seq:
		return 1
	}
	return 0
}

// less reports whether k comes before o; it is compare(o) < 0, small
// enough to be inlined.
func (k ikey) less(o ikey) bool {
	if a, b := k.t.unix(), o.t.unix(); a != b {
		return a < b
	}
	if k.t.nsec != o.t.nsec {
		return k.t.nsec < o.t.nsec
	}
	return k.seq < o.seq
}

// keyer reads the time a tree orders a record by. The store's lock must
// be held.
type keyer interface {
	// timeOf returns the time of the record with the sequence number.
	timeOf(seq uint32) stamp
}

// leaf is a leaf of a tree: sequence numbers in key order.
type leaf struct {
	n    int32
	seqs [leafOrder]uint32
}

// inner is an inner node of a tree. Its children are leaves when bottom
// is set, inner nodes otherwise.
type inner struct {
	n      int // children
	bottom bool
	keys   [innerOrder]ikey
	inners [innerOrder]*inner
	leaves [innerOrder]*leaf
}

// tree is a B+ tree of record numbers (see above). Its zero value is not
// usable: by must be set.
type tree struct {
	by       keyer
	root     *inner // the root when height > 0
	rootLeaf *leaf  // the root when height is 0, unless the tree is empty
	height   int    // the levels of inner nodes above the leaves
	len      int    // keys held
	last     *leaf  // the rightmost leaf
	// max is the greatest key, when maxKnown: keys keep their times
	// while in the tree, so it is until it leaves. Appending compares
	// with it without reading a record.
	max      ikey
	maxKnown bool
}

// newTree returns an empty tree ordered by the keyer's times.
func newTree(by keyer) tree { return tree{by: by} }

// keyAt returns the key of the number seq.
func (t *tree) keyAt(seq uint32) ikey { return keyOf(t.by.timeOf(seq), seq) }

// route returns the child of an inner node that k belongs under.
func (n *inner) route(k ikey) int {
	// The last i ≥ 1 with keys[i] ≤ k, or 0.
	lo, hi := 1, n.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if k.less(n.keys[m]) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo - 1
}

// search returns the first i whose key is ≥ k in a leaf, and whether it
// is k.
func (t *tree) search(l *leaf, k ikey) (int, bool) {
	lo, hi := 0, int(l.n)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.keyAt(l.seqs[m]).less(k) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < int(l.n) && l.seqs[lo] == k.seq && t.keyAt(l.seqs[lo]) == k
}

// step is an inner node on the path from the root and the child taken
// there.
type step struct {
	n *inner
	i int
}

// descend returns the leaf k belongs in, noting the path to it.
func (t *tree) descend(k ikey, path *[treeMaxDepth]step) *leaf {
	if t.height == 0 {
		return t.rootLeaf
	}
	n := t.root
	for d := range t.height {
		i := n.route(k)
		path[d] = step{n, i}
		if n.bottom {
			return n.leaves[i]
		}
		n = n.inners[i]
	}
	panic("memstore: a tree's inner nodes end above its leaves")
}

// insert adds k, which the tree must not hold; the record of k.seq must
// show k's time.
func (t *tree) insert(k ikey) {
	t.len++
	if l := t.last; l != nil && l.n < leafOrder && t.maxKnown && t.max.less(k) {
		l.seqs[l.n] = k.seq
		l.n++
		t.max = k
		return
	}
	if t.len == 1 {
		l := &leaf{n: 1}
		l.seqs[0] = k.seq
		t.rootLeaf, t.last = l, l
		t.max, t.maxKnown = k, true
		return
	}
	if !t.maxKnown {
		l := t.last
		t.max, t.maxKnown = t.keyAt(l.seqs[l.n-1]), true
	}
	if t.max.less(k) {
		t.max = k
	}
	var path [treeMaxDepth]step
	l := t.descend(k, &path)
	j, _ := t.search(l, k)
	right, sep := t.leafInsert(l, j, k)
	if right == nil {
		return
	}
	if l == t.last {
		t.last = right
	}
	var up *inner
	d := t.height - 1
	if d >= 0 {
		up, sep = t.innerInsert(path[d].n, path[d].i+1, sep, nil, right)
		for d--; up != nil && d >= 0; d-- {
			up, sep = t.innerInsert(path[d].n, path[d].i+1, sep, up, nil)
		}
		if up == nil {
			return
		}
	}
	// The root split: a new root above the two halves.
	root := &inner{n: 2}
	root.keys[1] = sep
	if t.height == 0 {
		root.bottom = true
		root.leaves[0], root.leaves[1] = t.rootLeaf, right
		t.rootLeaf = nil
	} else {
		root.inners[0], root.inners[1] = t.root, up
	}
	t.root = root
	t.height++
}

// leafInsert puts k at position j of l. When l is full it splits, and
// returns the new right leaf and its lower bound, for the parent.
func (t *tree) leafInsert(l *leaf, j int, k ikey) (*leaf, ikey) {
	if l.n < leafOrder {
		copy(l.seqs[j+1:l.n+1], l.seqs[j:l.n])
		l.seqs[j] = k.seq
		l.n++
		return nil, ikey{}
	}
	right := new(leaf)
	if j == leafOrder {
		// Appended at the end: keep this leaf full, start the next.
		right.seqs[0] = k.seq
		right.n = 1
		return right, k
	}
	const h = leafOrder / 2
	right.n = int32(copy(right.seqs[:], l.seqs[h:l.n]))
	l.n = h
	if j <= h {
		t.leafInsert(l, j, k)
	} else {
		t.leafInsert(right, j-h, k)
	}
	return right, t.keyAt(right.seqs[0])
}

// innerInsert puts the child (in or lf, by n.bottom) and its lower bound
// k at position j of n. When n is full it splits, and returns the new
// right node and its lower bound, for the parent.
func (t *tree) innerInsert(n *inner, j int, k ikey, in *inner, lf *leaf) (*inner, ikey) {
	if n.n < innerOrder {
		copy(n.keys[j+1:n.n+1], n.keys[j:n.n])
		n.keys[j] = k
		if n.bottom {
			copy(n.leaves[j+1:n.n+1], n.leaves[j:n.n])
			n.leaves[j] = lf
		} else {
			copy(n.inners[j+1:n.n+1], n.inners[j:n.n])
			n.inners[j] = in
		}
		n.n++
		return nil, ikey{}
	}
	right := &inner{bottom: n.bottom}
	if j == innerOrder {
		// Appended at the end: keep this node full, start the next.
		right.n = 1
		right.keys[0] = k
		right.inners[0], right.leaves[0] = in, lf
		return right, k
	}
	const h = innerOrder / 2
	right.n = copy(right.keys[:], n.keys[h:n.n])
	copy(right.inners[:], n.inners[h:n.n])
	copy(right.leaves[:], n.leaves[h:n.n])
	clear(n.inners[h:])
	clear(n.leaves[h:])
	n.n = h
	if j <= h {
		t.innerInsert(n, j, k, in, lf)
	} else {
		t.innerInsert(right, j-h, k, in, lf)
	}
	return right, right.keys[0]
}

// delete removes k and reports whether the tree held it; the record of
// k.seq must still show k's time. It reads no record: k's leaf is found
// by the inner nodes' keys, and k in it by its number, which no other key
// has.
func (t *tree) delete(k ikey) bool {
	if t.len == 0 {
		return false
	}
	var path [treeMaxDepth]step
	l := t.descend(k, &path)
	for j, seq := range l.seqs[:l.n] {
		if seq == k.seq {
			t.removeAt(path[:t.height], l, j)
			return true
		}
	}
	return false
}

// deleteMin removes and returns the least key; ok is false when the tree
// is empty.
func (t *tree) deleteMin() (k ikey, ok bool) {
	if t.len == 0 {
		return ikey{}, false
	}
	var path [treeMaxDepth]step
	l := t.rootLeaf
	if t.height > 0 {
		n := t.root
		for d := 0; l == nil; d++ {
			path[d] = step{n, 0}
			if n.bottom {
				l = n.leaves[0]
			} else {
				n = n.inners[0]
			}
		}
	}
	k = t.keyAt(l.seqs[0])
	t.removeAt(path[:t.height], l, 0)
	return k, true
}

// min returns the least key; ok is false when the tree is empty.
func (t *tree) min() (k ikey, ok bool) {
	it := t.first()
	if !it.valid() {
		return ikey{}, false
	}
	return it.key(), true
}

// removeAt removes the number at position j of leaf l, at the end of
// path, and rebalances: a node left empty is dropped, and one under a
// quarter full is merged with a neighbour when both fit in one node.
func (t *tree) removeAt(path []step, l *leaf, j int) {
	if l == t.last && j == int(l.n)-1 {
		t.maxKnown = false
	}
	copy(l.seqs[j:l.n-1], l.seqs[j+1:l.n])
	l.n--
	t.len--
	if t.len == 0 {
		*t = tree{by: t.by}
		return
	}
	changed := false
	d := len(path) - 1
	if d >= 0 && l.n < leafOrder/4 {
		p, i := path[d].n, path[d].i
		switch {
		case l.n == 0:
			t.removeKid(p, i)
		case i > 0 && p.leaves[i-1].n+l.n <= leafOrder:
			absorbLeaf(p.leaves[i-1], l)
			t.removeKid(p, i)
		case i+1 < p.n && l.n+p.leaves[i+1].n <= leafOrder:
			absorbLeaf(l, p.leaves[i+1])
			t.removeKid(p, i+1)
		default:
			d = -1 // nothing to merge with: the parent lost nothing
		}
		changed = d >= 0
		for d--; d >= 0 && path[d+1].n.n < innerOrder/4; d-- {
			n := path[d+1].n
			p, i := path[d].n, path[d].i
			switch {
			case n.n == 0:
				t.removeKid(p, i)
			case i > 0 && p.inners[i-1].n+n.n <= innerOrder:
				absorbInner(p.inners[i-1], n, p.keys[i])
				t.removeKid(p, i)
			case i+1 < p.n && n.n+p.inners[i+1].n <= innerOrder:
				absorbInner(n, p.inners[i+1], p.keys[i+1])
				t.removeKid(p, i+1)
			default:
				d = -1
			}
		}
	}
	for t.height > 0 && t.root.n == 1 {
		if t.root.bottom {
			t.rootLeaf, t.root = t.root.leaves[0], nil
		} else {
			t.root = t.root.inners[0]
		}
		t.height--
		changed = true
	}
	if changed {
		t.last = t.lastLeaf()
	}
}

// lastLeaf returns the rightmost leaf of a tree that is not empty.
func (t *tree) lastLeaf() *leaf {
	if t.height == 0 {
		return t.rootLeaf
	}
	n := t.root
	for !n.bottom {
		n = n.inners[n.n-1]
	}
	return n.leaves[n.n-1]
}

// absorbLeaf appends the numbers of r, the leaf right of l.
func absorbLeaf(l, r *leaf) {
	copy(l.seqs[l.n:], r.seqs[:r.n])
	l.n += r.n
}

// absorbInner appends the children of r, the node right of n, whose lower
// bound is sep.
func absorbInner(n, r *inner, sep ikey) {
	copy(n.keys[n.n:], r.keys[:r.n])
	n.keys[n.n] = sep // r.keys[0] need not be a valid bound
	copy(n.inners[n.n:], r.inners[:r.n])
	copy(n.leaves[n.n:], r.leaves[:r.n])
	n.n += r.n
}

// removeKid removes child i of an inner node, and its bound.
func (t *tree) removeKid(n *inner, i int) {
	copy(n.keys[i:n.n-1], n.keys[i+1:n.n])
	copy(n.inners[i:n.n-1], n.inners[i+1:n.n])
	copy(n.leaves[i:n.n-1], n.leaves[i+1:n.n])
	n.n--
	n.inners[n.n], n.leaves[n.n] = nil, nil
}

// titer is a position in a tree: a key, or the end on either side.
// Changing the tree invalidates it.
type titer struct {
	t    *tree
	path [treeMaxDepth]step // the inner nodes above the leaf
	leaf *leaf              // nil at the end
	i    int                // the position in leaf
}

// seek returns the position of the first key ≥ k, or the end.
func (t *tree) seek(k ikey) titer {
	it := titer{t: t}
	if t.len == 0 {
		return it
	}
	it.leaf = t.descend(k, &it.path)
	it.i, _ = t.search(it.leaf, k)
	if it.i == int(it.leaf.n) {
		it.nextLeaf()
	}
	return it
}

// first returns the position of the least key, or the end.
func (t *tree) first() titer { return t.edge(false) }

// lastKey returns the position of the greatest key, or the end.
func (t *tree) lastKey() titer { return t.edge(true) }

// edge returns the position of the least key, or of the greatest when
// right is set, or the end.
func (t *tree) edge(right bool) titer {
	it := titer{t: t}
	if t.len == 0 {
		return it
	}
	if t.height == 0 {
		it.leaf = t.rootLeaf
	} else {
		it.down(0, t.root, right)
	}
	if right {
		it.i = int(it.leaf.n) - 1
	}
	return it
}

// down walks from n, at depth d, to its leftmost leaf (or rightmost when
// right is set), noting the path.
func (it *titer) down(d int, n *inner, right bool) {
	for {
		i := 0
		if right {
			i = n.n - 1
		}
		it.path[d] = step{n, i}
		if n.bottom {
			it.leaf = n.leaves[i]
			return
		}
		n = n.inners[i]
		d++
	}
}

// valid reports whether the position is at a key.
func (it *titer) valid() bool { return it.leaf != nil }

// seq returns the sequence number at the position, which must be valid.
func (it *titer) seq() uint32 { return it.leaf.seqs[it.i] }

// key returns the key at the position, which must be valid.
func (it *titer) key() ikey { return it.t.keyAt(it.seq()) }

// next moves to the following key, or the end.
func (it *titer) next() {
	if it.i++; it.i < int(it.leaf.n) {
		return
	}
	it.nextLeaf()
}

// nextLeaf moves from past the end of a leaf to the first key of the next
// one, or the end.
func (it *titer) nextLeaf() {
	d := it.t.height - 1
	for d >= 0 && it.path[d].i+1 >= it.path[d].n.n {
		d--
	}
	if d < 0 {
		it.leaf = nil
		return
	}
	it.sideways(d, it.path[d].i+1, false)
}

// prev moves to the key before, or the end.
func (it *titer) prev() {
	if it.i > 0 {
		it.i--
		return
	}
	d := it.t.height - 1
	for d >= 0 && it.path[d].i == 0 {
		d--
	}
	if d < 0 {
		it.leaf = nil
		return
	}
	it.sideways(d, it.path[d].i-1, true)
}

// sideways takes child i of the inner node at depth d of the path, and
// goes down to its leftmost key (or rightmost when right is set).
func (it *titer) sideways(d, i int, right bool) {
	n := it.path[d].n
	it.path[d].i = i
	if n.bottom {
		it.leaf = n.leaves[i]
	} else {
		it.down(d+1, n.inners[i], right)
	}
	it.i = 0
	if right {
		it.i = int(it.leaf.n) - 1
	}
}

// seekFrom returns the position a walk in list order starts from: the
// first key after from (at or after it when incl) ascending, or the first
// before it (at or before when incl) descending; from the first or last
// key when from is nil.
func (t *tree) seekFrom(from *ikey, incl, desc bool) titer {
	switch {
	case from == nil && desc:
		return t.lastKey()
	case from == nil:
		return t.first()
	}
	it := t.seek(*from)
	if !desc {
		if !incl && it.valid() && it.key() == *from {
			it.next()
		}
		return it
	}
	if !it.valid() {
		return t.lastKey()
	}
	if !incl || it.key() != *from {
		it.prev()
	}
	return it
}

// advance moves one key in list order.
func (it *titer) advance(desc bool) {
	if desc {
		it.prev()
	} else {
		it.next()
	}
}
