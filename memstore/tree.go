package memstore

// tree is the ordered index lists seek in: a B+ tree of ikeys, each a time
// and the sequence number of the record it stands for. Keys are unique (no
// two records share a sequence number), so a key is also a position that
// stays meaningful after its record is gone: a page token names one, and a
// list continues from there.
//
// A leaf is an array of keys and holds no pointer, so the garbage
// collector scans only the inner nodes, one in about 60 leaves. Keys are
// mostly added in increasing order (times move forward), so a key greater
// than every other goes straight into the last leaf, and a full last leaf
// is split by starting a new one rather than in halves: a tree filled in
// order has full leaves. Removing keys merges a node with a neighbour when
// together they fit in one, and drops a node left empty, so a tree emptied
// from the front, as retention does, gives its memory back as it goes.
//
// Inner nodes route by lower bounds: keys[i] is at most every key under
// kids[i] and above every key under kids[i-1]. A bound is not updated when
// the key it was copied from is removed; it stays a valid bound. keys[0]
// of an inner node routes nothing and is not kept up to date.

// treeOrder is how many keys a node holds at most: a node, with the
// header the runtime gives an object of its size with pointers, is then
// 1 KiB.
const treeOrder = 61

// treeMaxDepth is more levels than a tree of maxRecords keys needs.
const treeMaxDepth = 8

// ikey is a key of a tree: a time, then a sequence number.
type ikey struct {
	sec  int64
	nsec int32
	seq  uint32
}

func keyOf(t stamp, seq uint32) ikey { return ikey{sec: t.sec, nsec: t.nsec, seq: seq} }

// at returns the key's time.
func (k ikey) at() stamp { return stamp{sec: k.sec, nsec: k.nsec} }

func (k ikey) compare(o ikey) int {
	switch {
	case k.sec != o.sec:
		if k.sec < o.sec {
			return -1
		}
		return 1
	case k.nsec != o.nsec:
		if k.nsec < o.nsec {
			return -1
		}
		return 1
	case k.seq != o.seq:
		if k.seq < o.seq {
			return -1
		}
		return 1
	}
	return 0
}

func (k ikey) less(o ikey) bool { return k.compare(o) < 0 }

type tnode struct {
	kids []*tnode // nil in a leaf
	n    int      // keys held (in an inner node, also kids held)
	keys [treeOrder]ikey
}

type tree struct {
	root   *tnode
	height int    // the levels of inner nodes above the leaves
	len    int    // keys held
	last   *tnode // the rightmost leaf
}

// route returns the child of an inner node that k belongs under.
func (n *tnode) route(k ikey) int {
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

// search returns the first i with keys[i] ≥ k in a leaf, and whether it
// is k.
func (n *tnode) search(k ikey) (int, bool) {
	lo, hi := 0, n.n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if n.keys[m].less(k) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < n.n && n.keys[lo] == k
}

// step is a node on the path from the root and the position taken there.
type step struct {
	n *tnode
	i int
}

// insert adds k, which the tree must not hold.
func (t *tree) insert(k ikey) {
	t.len++
	if l := t.last; l != nil && l.n < treeOrder && l.keys[l.n-1].less(k) {
		l.keys[l.n] = k
		l.n++
		return
	}
	if t.root == nil {
		l := &tnode{n: 1}
		l.keys[0] = k
		t.root, t.last = l, l
		return
	}
	var path [treeMaxDepth]step
	n := t.root
	for d := range t.height {
		i := n.route(k)
		path[d] = step{n, i}
		n = n.kids[i]
	}
	j, _ := n.search(k)
	right, sep := n.insertAt(j, k, nil)
	if right != nil && n == t.last {
		t.last = right
	}
	for d := t.height - 1; right != nil && d >= 0; d-- {
		p := path[d]
		right, sep = p.n.insertAt(p.i+1, sep, right)
	}
	if right != nil {
		root := &tnode{kids: make([]*tnode, 2, treeOrder), n: 2}
		root.kids[0], root.kids[1] = t.root, right
		root.keys[0], root.keys[1] = t.root.keys[0], sep
		t.root = root
		t.height++
	}
}

// insertAt puts k (and, in an inner node, the child kid) at position j.
// When the node is full it splits, and returns the new right node and its
// lower bound, for the parent.
func (n *tnode) insertAt(j int, k ikey, kid *tnode) (*tnode, ikey) {
	if n.n < treeOrder {
		copy(n.keys[j+1:n.n+1], n.keys[j:n.n])
		n.keys[j] = k
		if kid != nil {
			n.kids = append(n.kids, nil)
			copy(n.kids[j+1:], n.kids[j:n.n])
			n.kids[j] = kid
		}
		n.n++
		return nil, ikey{}
	}
	right := &tnode{}
	if kid != nil {
		right.kids = make([]*tnode, 0, treeOrder)
	}
	if j == treeOrder {
		// Appended at the end: keep this node full, start the next.
		right.keys[0] = k
		right.n = 1
		if kid != nil {
			right.kids = append(right.kids, kid)
		}
		return right, k
	}
	h := treeOrder / 2
	right.n = copy(right.keys[:], n.keys[h:n.n])
	if kid != nil {
		right.kids = append(right.kids, n.kids[h:]...)
		clear(n.kids[h:])
		n.kids = n.kids[:h]
	}
	n.n = h
	if j <= h {
		n.insertAt(j, k, kid)
	} else {
		right.insertAt(j-h, k, kid)
	}
	return right, right.keys[0]
}

// delete removes k and reports whether the tree held it.
func (t *tree) delete(k ikey) bool {
	if t.root == nil {
		return false
	}
	var path [treeMaxDepth]step
	n := t.root
	for d := range t.height {
		i := n.route(k)
		path[d] = step{n, i}
		n = n.kids[i]
	}
	j, found := n.search(k)
	if !found {
		return false
	}
	copy(n.keys[j:n.n-1], n.keys[j+1:n.n])
	n.n--
	t.len--
	t.rebalance(path[:t.height], n)
	return true
}

// deleteMin removes and returns the least key; ok is false when the tree
// is empty.
func (t *tree) deleteMin() (k ikey, ok bool) {
	if t.root == nil {
		return ikey{}, false
	}
	var path [treeMaxDepth]step
	n := t.root
	for d := range t.height {
		path[d] = step{n, 0}
		n = n.kids[0]
	}
	k = n.keys[0]
	copy(n.keys[:n.n-1], n.keys[1:n.n])
	n.n--
	t.len--
	t.rebalance(path[:t.height], n)
	return k, true
}

// min returns the least key; ok is false when the tree is empty.
func (t *tree) min() (k ikey, ok bool) {
	if t.root == nil {
		return ikey{}, false
	}
	n := t.root
	for n.kids != nil {
		n = n.kids[0]
	}
	return n.keys[0], true
}

// rebalance fixes the tree after n, at the end of path, lost a key or a
// child: a node left empty is dropped, and one under a quarter full is
// merged with a neighbour when both fit in one node.
func (t *tree) rebalance(path []step, n *tnode) {
	changed := false
merging:
	for d := len(path) - 1; d >= 0 && n.n < treeOrder/4; d-- {
		p, i := path[d].n, path[d].i
		switch {
		case n.n == 0:
			p.removeKid(i)
		case i > 0 && p.kids[i-1].n+n.n <= treeOrder:
			p.kids[i-1].absorb(n, p.keys[i])
			p.removeKid(i)
		case i+1 < p.n && n.n+p.kids[i+1].n <= treeOrder:
			n.absorb(p.kids[i+1], p.keys[i+1])
			p.removeKid(i + 1)
		default:
			break merging // nothing to merge with: the parent lost nothing
		}
		changed = true
		n = p
	}
	switch {
	case t.root.n == 0:
		t.root, t.last, t.height = nil, nil, 0
		return
	case t.root.kids != nil && t.root.n == 1:
		for t.root.kids != nil && t.root.n == 1 {
			t.root = t.root.kids[0]
			t.height--
		}
		changed = true
	}
	if changed {
		l := t.root
		for l.kids != nil {
			l = l.kids[l.n-1]
		}
		t.last = l
	}
}

// absorb appends the keys and children of r, the node right of n, whose
// lower bound is sep.
func (n *tnode) absorb(r *tnode, sep ikey) {
	copy(n.keys[n.n:], r.keys[:r.n])
	if n.kids != nil {
		n.keys[n.n] = sep // r.keys[0] need not be a valid bound
		n.kids = append(n.kids, r.kids...)
	}
	n.n += r.n
}

// removeKid removes child i of an inner node and its bound.
func (n *tnode) removeKid(i int) {
	copy(n.keys[i:n.n-1], n.keys[i+1:n.n])
	copy(n.kids[i:], n.kids[i+1:])
	n.kids[n.n-1] = nil
	n.kids = n.kids[:n.n-1]
	n.n--
}

// titer is a position in a tree: a key, or the end on either side.
// Changing the tree invalidates it.
type titer struct {
	path  [treeMaxDepth + 1]step // the last step is in the leaf
	depth int                    // the steps in path; 0 at the end
}

// seek returns the position of the first key ≥ k, or the end.
func (t *tree) seek(k ikey) titer {
	var it titer
	if t.root == nil {
		return it
	}
	n := t.root
	for d := range t.height {
		i := n.route(k)
		it.path[d] = step{n, i}
		n = n.kids[i]
	}
	j, _ := n.search(k)
	it.path[t.height] = step{n, j}
	it.depth = t.height + 1
	if j == n.n {
		it.nextLeaf()
	}
	return it
}

// first returns the position of the least key, or the end.
func (t *tree) first() titer {
	var it titer
	if t.root == nil {
		return it
	}
	it.depth = t.height + 1
	n := t.root
	for d := 0; ; d++ {
		it.path[d] = step{n, 0}
		if n.kids == nil {
			return it
		}
		n = n.kids[0]
	}
}

// lastKey returns the position of the greatest key, or the end.
func (t *tree) lastKey() titer {
	var it titer
	if t.root == nil {
		return it
	}
	it.depth = t.height + 1
	n := t.root
	for d := 0; ; d++ {
		it.path[d] = step{n, n.n - 1}
		if n.kids == nil {
			return it
		}
		n = n.kids[n.n-1]
	}
}

// valid reports whether the position is at a key.
func (it *titer) valid() bool { return it.depth > 0 }

// key returns the key at the position, which must be valid.
func (it *titer) key() ikey {
	s := &it.path[it.depth-1]
	return s.n.keys[s.i]
}

// next moves to the following key, or the end.
func (it *titer) next() {
	s := &it.path[it.depth-1]
	if s.i++; s.i < s.n.n {
		return
	}
	it.nextLeaf()
}

// nextLeaf moves from past the end of a leaf to the first key of the next
// one, or the end.
func (it *titer) nextLeaf() {
	leaf := it.depth - 1
	d := leaf - 1
	for d >= 0 && it.path[d].i+1 >= it.path[d].n.n {
		d--
	}
	if d < 0 {
		it.depth = 0
		return
	}
	it.path[d].i++
	for ; d < leaf; d++ {
		it.path[d+1] = step{it.path[d].n.kids[it.path[d].i], 0}
	}
}

// prev moves to the key before, or the end.
func (it *titer) prev() {
	s := &it.path[it.depth-1]
	if s.i > 0 {
		s.i--
		return
	}
	leaf := it.depth - 1
	d := leaf - 1
	for d >= 0 && it.path[d].i == 0 {
		d--
	}
	if d < 0 {
		it.depth = 0
		return
	}
	it.path[d].i--
	for ; d < leaf; d++ {
		kid := it.path[d].n.kids[it.path[d].i]
		it.path[d+1] = step{kid, kid.n - 1}
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
