package memstore

// The claim indexes are three heaps (see heap.go) and a ring (ring.go):
//
//   - a subQueue's heap holds one subscription's claimable deliveries
//     (pending, and not leased or their lease ended), by dueBefore;
//   - Store.ring holds the queues with due work, which take turns;
//   - Store.waiting holds the other non-empty queues, by their heads, so
//     that a claim moves those that came due into the ring, earliest
//     first;
//   - Store.leases holds the leased deliveries, by the end of their lease.
//
// A delivery is in at most one heap at a time (delivery.where says which)
// and delivery.idx is its position there, so it can be removed in
// O(log n) when its result is recorded. A queue is in the ring, in
// Store.waiting, or, empty, in neither (subQueue.state says which). The
// ring is kept lazily: a queue in it may have become empty, or its head
// not due, since it joined; a claim finds that out when the queue's turn
// comes and takes it out of the ring without a turn.

// subQueue is one subscription's queue of claimable deliveries.
type subQueue struct {
	id    id
	idStr string              // id as text, shared by every claim and view
	num   uint32              // its number in Store.queueList
	heap  heap[uint32, byDue] // delivery numbers
	state uint8               // a queue* constant
	idx   int                 // position in Store.waiting, -1 when not there
	turn  uint64              // the ring's round of its last turn; 0 for none
	hold  stamp               // no delivery is claimable before it (see HoldSubscription)
	// created is the index by creation of the subscription's deliveries
	// of partner number createdOf (see Store.subIndexLocked), once it has
	// some: a subscription has one partner, and this spares CreateEvent a
	// map look-up per delivery.
	created   *tree
	createdOf uint32
}

// Where a queue is.
const (
	queueIdle    uint8 = iota // empty, in neither the ring nor Store.waiting
	queueWaiting              // in Store.waiting: its head was not due when last looked at
	queueInRing               // in Store.ring, or set aside during a claim to go back there
)

// lease is an entry of Store.leases.
type lease struct {
	end stamp
	d   uint32 // the delivery's number
}

// dueBefore reports whether delivery a is due before delivery b: earlier
// NextAttemptAt, then created first (a lower number).
func dueBefore(d *table[delivery], a, b uint32) bool {
	if c := d.at(a).next.compare(d.at(b).next); c != 0 {
		return c < 0
	}
	return a < b
}

// byDue orders the delivery numbers of a subQueue by dueBefore.
type byDue struct{ d *table[delivery] }

func (o byDue) less(a, b uint32) bool  { return dueBefore(o.d, a, b) }
func (o byDue) moved(dn uint32, i int) { o.d.at(dn).idx = int32(i) }

// byHead orders the non-empty subQueues of Store.waiting by when their
// heads are claimable, then by the order the heads were created.
type byHead struct{ d *table[delivery] }

func (o byHead) less(a, b *subQueue) bool {
	na, nb := a.heap.top(), b.heap.top()
	if c := a.claimableAt(o.d.at(na)).compare(b.claimableAt(o.d.at(nb))); c != 0 {
		return c < 0
	}
	return na < nb // in the order they were created
}

// claimableAt returns when the queue's delivery d is claimable: at its
// NextAttemptAt, or at the end of the queue's hold.
func (sq *subQueue) claimableAt(d *delivery) stamp {
	if sq.hold.after(d.next) {
		return sq.hold
	}
	return d.next
}
func (o byHead) moved(sq *subQueue, i int) { sq.idx = i }

// byLeaseEnd orders leases by their end, then by delivery number.
type byLeaseEnd struct{ d *table[delivery] }

func (o byLeaseEnd) less(a, b lease) bool {
	if c := a.end.compare(b.end); c != 0 {
		return c < 0
	}
	return a.d < b.d
}
func (o byLeaseEnd) moved(l lease, i int) { o.d.at(l.d).idx = int32(i) }

// queueLocked returns the queue of the subscription, making it if needed;
// idStr is the subscription's ID as text. s.mu must be held for writing.
func (s *Store) queueLocked(subID id, idStr string) *subQueue {
	sq := s.queues[subID]
	if sq == nil {
		sq = &subQueue{id: subID, idStr: idStr, num: uint32(len(s.queueList)), idx: -1}
		sq.heap.order = byDue{&s.deliveries}
		s.queues[subID] = sq
		s.queueList = append(s.queueList, sq)
	}
	return sq
}

// enqueueLocked makes delivery dn claimable: it adds dn to its
// subscription's queue, and an empty queue to s.waiting, or moves the queue
// up in s.waiting when dn becomes its head. A queue in the ring stays
// where it is.
func (s *Store) enqueueLocked(dn uint32) {
	d := s.deliveries.at(dn)
	sq := s.queueList[d.queue]
	d.where = inQueue
	sq.heap.push(dn)
	switch sq.state {
	case queueIdle:
		s.waiting.push(sq)
		sq.state = queueWaiting
	case queueWaiting:
		if d.idx == 0 {
			s.fixWaitingLocked(sq) // dn is the new head
		}
	}
}

// dequeueLocked removes d from its subscription's queue and fixes
// s.waiting. A queue in the ring stays there, even empty.
func (s *Store) dequeueLocked(d *delivery) {
	sq := s.queueList[d.queue]
	i := int(d.idx)
	sq.heap.remove(i)
	d.where = inNothing
	if sq.state != queueWaiting {
		return
	}
	switch {
	case sq.heap.len() == 0:
		s.waiting.remove(sq.idx)
		sq.state = queueIdle
	case i == 0:
		s.fixWaitingLocked(sq) // the head was removed
	}
}

// fixWaitingLocked moves the queue to its place in s.waiting after its
// head or its hold changed. A new head is due before the old one, and a
// removed head's successor after it, but under a hold they may be
// claimable at the same time and sort by ID either way. s.mu must be
// held.
func (s *Store) fixWaitingLocked(sq *subQueue) {
	if !s.waiting.up(sq.idx) {
		s.waiting.down(sq.idx)
	}
}

// headDueLocked reports whether the queue's first delivery is claimable
// at now. s.mu must be held.
func (s *Store) headDueLocked(sq *subQueue, now stamp) bool {
	return sq.heap.len() > 0 && !s.headAtLocked(sq).after(now)
}

// headAtLocked returns when the first delivery of the non-empty queue is
// claimable. s.mu must be held.
func (s *Store) headAtLocked(sq *subQueue) stamp {
	return sq.claimableAt(s.deliveries.at(sq.heap.top()))
}

// joinDueLocked moves the queues of s.waiting whose heads are due at now
// into the ring, the earliest due first.
func (s *Store) joinDueLocked(now stamp) {
	for s.waiting.len() > 0 && s.headDueLocked(s.waiting.top(), now) {
		sq := s.waiting.remove(0)
		sq.state = queueInRing
		s.ring.join(sq)
	}
}

// turnLocked returns the queue whose turn is next, its head due at now,
// or nil when no queue in the ring has due work. Queues ahead of it that
// have become empty or whose head is not due leave the ring without a
// turn.
func (s *Store) turnLocked(now stamp) *subQueue {
	for {
		sq := s.ring.peek()
		if sq == nil || s.headDueLocked(sq, now) {
			return sq
		}
		s.parkLocked(s.ring.drop())
	}
}

// parkLocked files a queue taken out of the ring: in s.waiting when it
// has deliveries, in neither when it is empty.
func (s *Store) parkLocked(sq *subQueue) {
	if sq.heap.len() == 0 {
		sq.state = queueIdle
		return
	}
	sq.state = queueWaiting
	s.waiting.push(sq)
}

// leasePushLocked records that delivery dn is leased until end.
func (s *Store) leasePushLocked(dn uint32, end stamp) {
	s.deliveries.at(dn).where = inLeases
	s.leases.push(lease{end: end, d: dn})
}

// leaseRemoveLocked removes d from s.leases.
func (s *Store) leaseRemoveLocked(d *delivery) {
	s.leases.remove(int(d.idx))
	d.where = inNothing
}

// unhookLocked takes d out of whichever claim index holds it.
func (s *Store) unhookLocked(d *delivery) {
	switch d.where {
	case inQueue:
		s.dequeueLocked(d)
	case inLeases:
		s.leaseRemoveLocked(d)
	}
}
