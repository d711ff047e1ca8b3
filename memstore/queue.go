package memstore

// The claim indexes are three heaps (see heap.go):
//
//   - a subQueue's heap holds one subscription's claimable deliveries
//     (pending, and not leased or their lease ended), by dueBefore;
//   - Store.ready holds the non-empty subQueues, by their heads, so
//     ready.top().heap.top() is the oldest due claimable delivery of all;
//   - Store.leases holds the leased deliveries, by the end of their lease.
//
// A delivery is in at most one heap at a time (delivery.where says which)
// and delivery.idx is its position there, so it can be removed in
// O(log n) when its result is recorded.

// subQueue is one subscription's queue of claimable deliveries.
type subQueue struct {
	id    id
	idStr string              // id as text, shared by every claim and view
	num   uint32              // its number in Store.queueList
	heap  heap[uint32, byDue] // delivery numbers
	idx   int                 // position in Store.ready, -1 when not there
}

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

// byHead orders non-empty subQueues by their heads.
type byHead struct{ d *table[delivery] }

func (o byHead) less(a, b *subQueue) bool {
	return dueBefore(o.d, a.heap.top(), b.heap.top())
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
// subscription's queue and, when dn becomes the queue's head, moves the
// queue up in s.ready.
func (s *Store) enqueueLocked(dn uint32) {
	d := s.deliveries.at(dn)
	sq := s.queueList[d.queue]
	d.where = inQueue
	sq.heap.push(dn)
	switch {
	case sq.idx < 0:
		s.ready.push(sq)
	case d.idx == 0:
		// dn is the new head, due before the old one.
		s.ready.up(sq.idx)
	}
}

// dequeueLocked removes d from its subscription's queue and fixes s.ready.
func (s *Store) dequeueLocked(d *delivery) {
	sq := s.queueList[d.queue]
	i := int(d.idx)
	sq.heap.remove(i)
	d.where = inNothing
	switch {
	case sq.heap.len() == 0:
		s.ready.remove(sq.idx)
	case i == 0:
		// The head was removed; the new one is due later.
		s.ready.down(sq.idx)
	}
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
