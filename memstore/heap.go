package memstore

import "slices"

// heap is a binary min-heap of items in the order O gives. O is told the
// position of every item the heap places or moves, and of every item it
// removes, so that the item's owner can keep it and later remove the item
// from the middle of the heap, or move it up or down after its key
// changed, in O(log n): container/heap's Remove and Fix, without an
// interface value.
//
// O's methods are called through the instantiation's dictionary, never
// inlined: the compiler makes one body for all types of a shape. On the
// claim path that costs a few percent (BenchmarkClaimRecord); func fields
// in place of O cost more.
type heap[T any, O heapOrder[T]] struct {
	items []T
	order O
}

// heapOrder orders the items of a heap and keeps their positions.
type heapOrder[T any] interface {
	// less reports whether a comes before b.
	less(a, b T) bool
	// moved records that x is now at position i, or no longer in the
	// heap when i is -1.
	moved(x T, i int)
}

// len returns how many items the heap holds.
func (h *heap[T, O]) len() int { return len(h.items) }

// top returns the first item. The heap must not be empty.
func (h *heap[T, O]) top() T { return h.items[0] }

// push adds x.
func (h *heap[T, O]) push(x T) {
	if n := len(h.items); n == cap(h.items) {
		// Double the room: append grows a large slice by a quarter, so
		// that a heap filled to n items would have allocated and copied
		// about 5n in all, the fresh memory a backlog's every delivery
		// pays for; doubling makes it 2n.
		h.items = slices.Grow(h.items, max(n, 8))
	}
	h.items = append(h.items, x)
	if i := len(h.items) - 1; !h.up(i) {
		h.order.moved(x, i)
	}
}

// remove removes the item at position i and returns it.
func (h *heap[T, O]) remove(i int) T {
	x, last := h.items[i], len(h.items)-1
	if i != last {
		h.items[i] = h.items[last]
	}
	var zero T
	h.items[last] = zero // keep nothing alive
	h.items = h.items[:last]
	if i != last && !h.down(i) && !h.up(i) {
		h.order.moved(h.items[i], i)
	}
	h.order.moved(x, -1)
	return x
}

// up moves the item at position i towards the top to its place, and
// reports whether it moved.
func (h *heap[T, O]) up(i int) bool {
	x, start := h.items[i], i
	for i > 0 {
		p := (i - 1) / 2
		if !h.order.less(x, h.items[p]) {
			break
		}
		h.items[i] = h.items[p]
		h.order.moved(h.items[i], i)
		i = p
	}
	if i == start {
		return false
	}
	h.items[i] = x
	h.order.moved(x, i)
	return true
}

// down moves the item at position i away from the top to its place, and
// reports whether it moved.
func (h *heap[T, O]) down(i int) bool {
	x, start, n := h.items[i], i, len(h.items)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && h.order.less(h.items[r], h.items[c]) {
			c = r
		}
		if !h.order.less(h.items[c], x) {
			break
		}
		h.items[i] = h.items[c]
		h.order.moved(h.items[i], i)
		i = c
	}
	if i == start {
		return false
	}
	h.items[i] = x
	h.order.moved(x, i)
	return true
}
