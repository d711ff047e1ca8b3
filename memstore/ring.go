package memstore

// ring is the round-robin of the subscription queues that have due work:
// every queue in it gets a turn (one claim) before any gets a second.
//
// It is two FIFOs: cur holds the queues yet to have their turn in this
// round, next those that have had it and still have due work. A turn is
// taken from the front of cur; when cur is empty, next becomes cur and a
// new round begins. A queue that joins the ring goes to the back of cur,
// so it has its turn before anyone's second, unless it has had its turn
// in this round already, when it goes to next. A queue set aside without
// a turn (Allow refused it) goes back to the front of cur.
//
// Each queue remembers the round of its last turn (subQueue.turn); rounds
// count from 1, so a queue that never had a turn has 0.
type ring struct {
	cur, next fifo
	round     uint64
}

// join adds a queue that was not in the ring.
func (r *ring) join(sq *subQueue) {
	if sq.turn == r.round {
		r.next.pushBack(sq)
	} else {
		r.cur.pushBack(sq)
	}
}

// peek returns the queue whose turn is next, or nil when the ring is
// empty.
func (r *ring) peek() *subQueue {
	if r.cur.len() > 0 {
		return r.cur.front()
	}
	if r.next.len() > 0 {
		return r.next.front()
	}
	return nil
}

// take removes the queue peek returns, for its turn: when it comes from
// next, a new round begins. The ring must not be empty.
func (r *ring) take() *subQueue {
	if r.cur.len() == 0 {
		r.cur, r.next = r.next, r.cur
		r.round++
	}
	return r.cur.popFront()
}

// drop removes the queue peek returns without a turn and without starting
// a round. The ring must not be empty.
func (r *ring) drop() *subQueue {
	if r.cur.len() > 0 {
		return r.cur.popFront()
	}
	return r.next.popFront()
}

// again puts back a queue that has had its turn in this round.
func (r *ring) again(sq *subQueue) { r.next.pushBack(sq) }

// putBack puts a queue taken from the ring, that did not have its turn,
// back at the front: the queues put back last come first.
func (r *ring) putBack(sq *subQueue) { r.cur.pushFront(sq) }

// fifo is a double-ended queue of subQueues in a circular buffer. Its zero
// value is empty.
type fifo struct {
	buf  []*subQueue // len(buf) is 0 or a power of two
	head int         // index of the front in buf
	n    int
}

func (f *fifo) len() int { return f.n }

// front returns the first queue. f must not be empty.
func (f *fifo) front() *subQueue { return f.buf[f.head] }

func (f *fifo) pushBack(sq *subQueue) {
	f.grow()
	f.buf[(f.head+f.n)&(len(f.buf)-1)] = sq
	f.n++
}

func (f *fifo) pushFront(sq *subQueue) {
	f.grow()
	f.head = (f.head - 1) & (len(f.buf) - 1)
	f.buf[f.head] = sq
	f.n++
}

// popFront removes and returns the first queue. f must not be empty.
func (f *fifo) popFront() *subQueue {
	sq := f.buf[f.head]
	f.buf[f.head] = nil
	f.head = (f.head + 1) & (len(f.buf) - 1)
	f.n--
	return sq
}

// all yields the queues from front to back.
func (f *fifo) all(yield func(*subQueue) bool) {
	for i := range f.n {
		if !yield(f.buf[(f.head+i)&(len(f.buf)-1)]) {
			return
		}
	}
}

// grow makes room for one more queue.
func (f *fifo) grow() {
	if f.n < len(f.buf) {
		return
	}
	buf := make([]*subQueue, max(8, 2*len(f.buf)))
	for i := range f.n {
		buf[i] = f.buf[(f.head+i)&(len(f.buf)-1)]
	}
	f.buf, f.head = buf, 0
}
