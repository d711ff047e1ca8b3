package memstore

// The claim indexes are three kinds of binary min-heap, written out rather
// than built on container/heap so that they neither allocate nor go through
// interface calls:
//
//   - a subQueue holds one subscription's claimable deliveries (pending,
//     and not leased or their lease ended), ordered by dueBefore;
//   - Store.ready holds the non-empty subQueues, ordered by their heads, so
//     ready[0].heap[0] is the oldest due claimable delivery of all;
//   - Store.leases holds the leased deliveries, ordered by the end of their
//     lease.
//
// A delivery is in at most one heap at a time (delivery.where says which)
// and delivery.idx is its position there, so it can be removed in
// O(log n) when its result is recorded.

// subQueue is one subscription's queue of claimable deliveries.
type subQueue struct {
	id    id
	idStr string   // id as text, shared by every claim and view
	num   uint32   // its number in Store.queueList
	heap  []uint32 // delivery numbers, a min-heap by dueBefore
	idx   int      // position in Store.ready, -1 when not there
}

// lease is an entry of Store.leases.
type lease struct {
	end stamp
	d   uint32 // the delivery's number
}

// dueBefore reports whether a is due before b: earlier NextAttemptAt, then
// lower ID.
func dueBefore(a, b *delivery) bool {
	if c := a.next.compare(b.next); c != 0 {
		return c < 0
	}
	return idLess(&a.id, &b.id)
}

// queueLocked returns the queue of the subscription, making it if needed;
// idStr is the subscription's ID as text. s.mu must be held for writing.
func (s *Store) queueLocked(subID id, idStr string) *subQueue {
	sq := s.queues[subID]
	if sq == nil {
		sq = &subQueue{id: subID, idStr: idStr, num: uint32(len(s.queueList)), idx: -1}
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
	d.idx = int32(len(sq.heap))
	sq.heap = append(sq.heap, dn)
	s.queueUp(sq, int(d.idx))
	switch {
	case sq.idx < 0:
		s.readyPush(sq)
	case d.idx == 0:
		s.readyUp(sq.idx)
	}
}

// dequeueLocked removes d from its subscription's queue and fixes s.ready.
func (s *Store) dequeueLocked(d *delivery) {
	sq := s.queueList[d.queue]
	i := int(d.idx)
	last := len(sq.heap) - 1
	if i != last {
		s.queueSwap(sq, i, last)
	}
	sq.heap = sq.heap[:last]
	if i != last {
		if !s.queueDown(sq, i) {
			s.queueUp(sq, i)
		}
	}
	d.where, d.idx = inNothing, -1
	if len(sq.heap) == 0 {
		s.readyRemove(sq.idx)
		return
	}
	if i == 0 {
		// The head was removed; the new one is due later.
		s.readyDown(sq.idx)
	}
}

// queueBefore reports whether the delivery at i in the queue is due before
// the one at j.
func (s *Store) queueBefore(sq *subQueue, i, j int) bool {
	return dueBefore(s.deliveries.at(sq.heap[i]), s.deliveries.at(sq.heap[j]))
}

func (s *Store) queueSwap(sq *subQueue, i, j int) {
	h := sq.heap
	h[i], h[j] = h[j], h[i]
	s.deliveries.at(h[i]).idx, s.deliveries.at(h[j]).idx = int32(i), int32(j)
}

func (s *Store) queueUp(sq *subQueue, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !s.queueBefore(sq, i, p) {
			return
		}
		s.queueSwap(sq, i, p)
		i = p
	}
}

// queueDown sifts the element at i down and reports whether it moved.
func (s *Store) queueDown(sq *subQueue, i int) bool {
	start, n := i, len(sq.heap)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && s.queueBefore(sq, r, c) {
			c = r
		}
		if !s.queueBefore(sq, c, i) {
			break
		}
		s.queueSwap(sq, i, c)
		i = c
	}
	return i > start
}

// Store.ready, a heap of non-empty queues by their heads.

// readyBefore reports whether queue a's head is due before queue b's.
func (s *Store) readyBefore(a, b *subQueue) bool {
	return dueBefore(s.deliveries.at(a.heap[0]), s.deliveries.at(b.heap[0]))
}

func (s *Store) readySwap(i, j int) {
	h := s.ready
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}

func (s *Store) readyPush(sq *subQueue) {
	sq.idx = len(s.ready)
	s.ready = append(s.ready, sq)
	s.readyUp(sq.idx)
}

func (s *Store) readyRemove(i int) {
	sq := s.ready[i]
	last := len(s.ready) - 1
	if i != last {
		s.readySwap(i, last)
	}
	s.ready[last] = nil
	s.ready = s.ready[:last]
	if i != last && !s.readyDown(i) {
		s.readyUp(i)
	}
	sq.idx = -1
}

func (s *Store) readyUp(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !s.readyBefore(s.ready[i], s.ready[p]) {
			return
		}
		s.readySwap(i, p)
		i = p
	}
}

func (s *Store) readyDown(i int) bool {
	start, n := i, len(s.ready)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && s.readyBefore(s.ready[r], s.ready[c]) {
			c = r
		}
		if !s.readyBefore(s.ready[c], s.ready[i]) {
			break
		}
		s.readySwap(i, c)
		i = c
	}
	return i > start
}

// Store.leases, a heap of leased deliveries by lease end.

func (s *Store) leaseBefore(i, j int) bool {
	a, b := &s.leases[i], &s.leases[j]
	if c := a.end.compare(b.end); c != 0 {
		return c < 0
	}
	return idLess(&s.deliveries.at(a.d).id, &s.deliveries.at(b.d).id)
}

func (s *Store) leaseSwap(i, j int) {
	h := s.leases
	h[i], h[j] = h[j], h[i]
	s.deliveries.at(h[i].d).idx, s.deliveries.at(h[j].d).idx = int32(i), int32(j)
}

// leasePushLocked records that delivery dn is leased until end.
func (s *Store) leasePushLocked(dn uint32, end stamp) {
	d := s.deliveries.at(dn)
	d.where = inLeases
	d.idx = int32(len(s.leases))
	s.leases = append(s.leases, lease{end: end, d: dn})
	s.leaseUp(int(d.idx))
}

// leaseRemoveLocked removes d from s.leases.
func (s *Store) leaseRemoveLocked(d *delivery) {
	i := int(d.idx)
	last := len(s.leases) - 1
	if i != last {
		s.leaseSwap(i, last)
	}
	s.leases = s.leases[:last]
	if i != last && !s.leaseDown(i) {
		s.leaseUp(i)
	}
	d.where, d.idx = inNothing, -1
}

func (s *Store) leaseUp(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !s.leaseBefore(i, p) {
			return
		}
		s.leaseSwap(i, p)
		i = p
	}
}

func (s *Store) leaseDown(i int) bool {
	start, n := i, len(s.leases)
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && s.leaseBefore(r, c) {
			c = r
		}
		if !s.leaseBefore(c, i) {
			break
		}
		s.leaseSwap(i, c)
		i = c
	}
	return i > start
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
