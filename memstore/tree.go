package memstore

// tree is the ordered index lists seek in: a B+ tree of ikeys, each a time
// and the sequence number of the record it stands for. Keys are unique (no
// two records share a sequence number), so a key is also a position that
// stays meaningful after its record is gone: a page token names one, and a
// list continues from there.
//
// Nodes hold no pointer: an inner node's children are in a table of the
// tree's (tree.kids), so the garbage collector scans none of the nodes,
// only that table, and a node is 1 KiB with no header. Keys are
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

// treeOrder is how many keys a node holds at most: a node is then
// 1 KiB.
const treeOrder = 63

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
	n    int   // keys held (in an inner node, also children)
	kids int32 // an inner node's children are tree.kids[kids]; 0 in a leaf
	keys [treeOrder]ikey
}

func (n *tnode) leaf() bool { return n.kids == 0 }

type tree struct {
	root   *tnode
	height int    // the levels of inner nodes above the leaves
	len    int    // keys held
	last   *tnode // the rightmost leaf
	// kids holds the children of each inner node; entry 0 is unused, and
	// free lists the entries given back.
	kids [][]*tnode
	free []int32
}

// newNode returns an empty leaf, or an empty inner node.
func (t *tree) newNode(inner bool) *tnode {
	n := new(tnode)
	if !inner {
		return n
	}
	kids := make([]*tnode, 0, treeOrder)
	if k := len(t.free); k > 0 {
		n.kids = t.free[k-1]
		t.free = t.free[:k-1]
		t.kids[n.kids] = kids
		return n
	}
	if len(t.kids) == 0 {
		t.kids = append(t.kids, nil)
	}
	n.kids = int32(len(t.kids))
	t.kids = append(t.kids, kids)
	return n
}

// freeNode gives back the children entry of an inner node leaving the
// tree.
func (t *tree) freeNode(n *tnode) {
	if n.kids != 0 {
		t.kids[n.kids] = nil
		t.free = append(t.free, n.kids)
		n.kids = 0
	}
}

// kid returns child i of an inner node.
func (t *tree) kid(n *tnode, i int) *tnode { return t.kids[n.kids][i] }

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
		n = t.kid(n, i)
	}
	j, _ := n.search(k)
	right, sep := t.insertAt(n, j, k, nil)
	if right != nil && n == t.last {
		t.last = right
	}
	for d := t.height - 1; right != nil && d >= 0; d-- {
		p := path[d]
		right, sep = t.insertAt(p.n, p.i+1, sep, right)
	}
	if right != nil {
		root := t.newNode(true)
		t.kids[root.kids] = append(t.kids[root.kids], t.root, right)
		root.n = 2
		root.keys[0], root.keys[1] = t.root.keys[0], sep
		t.root = root
		t.height++
	}
}

// insertAt puts k (and, in an inner node, the child kid) at position j
// of n. When n is full it splits, and returns the new right node and its
// lower bound, for the parent.
func (t *tree) insertAt(n *tnode, j int, k ikey, kid *tnode) (*tnode, ikey) {
	if n.n < treeOrder {
		copy(n.keys[j+1:n.n+1], n.keys[j:n.n])
		n.keys[j] = k
		if kid != nil {
			kids := append(t.kids[n.kids], nil)
			copy(kids[j+1:], kids[j:n.n])
			kids[j] = kid
			t.kids[n.kids] = kids
		}
		n.n++
		return nil, ikey{}
	}
	right := t.newNode(kid != nil)
	if j == treeOrder {
		// Appended at the end: keep this node full, start the next.
		right.keys[0] = k
		right.n = 1
		if kid != nil {
			t.kids[right.kids] = append(t.kids[right.kids], kid)
		}
		return right, k
	}
	h := treeOrder / 2
	right.n = copy(right.keys[:], n.keys[h:n.n])
	if kid != nil {
		kids := t.kids[n.kids]
		t.kids[right.kids] = append(t.kids[right.kids], kids[h:]...)
		clear(kids[h:])
		t.kids[n.kids] = kids[:h]
	}
	n.n = h
	if j <= h {
		t.insertAt(n, j, k, kid)
	} else {
		t.insertAt(right, j-h, k, kid)
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
		n = t.kid(n, i)
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
		n = t.kid(n, 0)
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
	for !n.leaf() {
		n = t.kid(n, 0)
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
		switch kids := t.kids[p.kids]; {
		case n.n == 0:
			t.removeKid(p, i)
		case i > 0 && kids[i-1].n+n.n <= treeOrder:
			t.absorb(kids[i-1], n, p.keys[i])
			t.removeKid(p, i)
		case i+1 < p.n && n.n+kids[i+1].n <= treeOrder:
			t.absorb(n, kids[i+1], p.keys[i+1])
			t.removeKid(p, i+1)
		default:
			break merging // nothing to merge with: the parent lost nothing
		}
		changed = true
		n = p
	}
	switch {
	case t.root.n == 0:
		*t = tree{}
		return
	case !t.root.leaf() && t.root.n == 1:
		for !t.root.leaf() && t.root.n == 1 {
			old := t.root
			t.root = t.kid(old, 0)
			t.freeNode(old)
			t.height--
		}
		changed = true
	}
	if changed {
		l := t.root
		for !l.leaf() {
			l = t.kid(l, l.n-1)
		}
		t.last = l
	}
}

// absorb appends the keys and children of r, the node right of n, whose
// lower bound is sep.
func (t *tree) absorb(n, r *tnode, sep ikey) {
	copy(n.keys[n.n:], r.keys[:r.n])
	if !n.leaf() {
		n.keys[n.n] = sep // r.keys[0] need not be a valid bound
		t.kids[n.kids] = append(t.kids[n.kids], t.kids[r.kids]...)
	}
	n.n += r.n
}

// removeKid removes child i of an inner node, and its bound.
func (t *tree) removeKid(n *tnode, i int) {
	kids := t.kids[n.kids]
	t.freeNode(kids[i])
	copy(n.keys[i:n.n-1], n.keys[i+1:n.n])
	copy(kids[i:], kids[i+1:])
	kids[n.n-1] = nil
	t.kids[n.kids] = kids[:n.n-1]
	n.n--
}

// titer is a position in a tree: a key, or the end on either side.
// Changing the tree invalidates it.
type titer struct {
	t     *tree
	path  [treeMaxDepth + 1]step // the last step is in the leaf
	depth int                    // the steps in path; 0 at the end
}

// seek returns the position of the first key ≥ k, or the end.
func (t *tree) seek(k ikey) titer {
	it := titer{t: t}
	if t.root == nil {
		return it
	}
	n := t.root
	for d := range t.height {
		i := n.route(k)
		it.path[d] = step{n, i}
		n = t.kid(n, i)
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
	it := titer{t: t}
	if t.root == nil {
		return it
	}
	it.depth = t.height + 1
	n := t.root
	for d := 0; ; d++ {
		it.path[d] = step{n, 0}
		if n.leaf() {
			return it
		}
		n = t.kid(n, 0)
	}
}

// lastKey returns the position of the greatest key, or the end.
func (t *tree) lastKey() titer {
	it := titer{t: t}
	if t.root == nil {
		return it
	}
	it.depth = t.height + 1
	n := t.root
	for d := 0; ; d++ {
		it.path[d] = step{n, n.n - 1}
		if n.leaf() {
			return it
		}
		n = t.kid(n, n.n-1)
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
		it.path[d+1] = step{it.t.kid(it.path[d].n, it.path[d].i), 0}
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
		kid := it.t.kid(it.path[d].n, it.path[d].i)
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
