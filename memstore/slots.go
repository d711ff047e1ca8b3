package memstore

// The store finds events and deliveries by ID without a map. Every ID the
// store makes carries a sequence number (see idGen), and an event's ID and
// its deliveries' IDs are made together: the event's, then its deliveries'
// in order, so delivery i of an event with sequence number n has n+1+i.
// The slot table maps each such number to the event that owns it, so a
// look-up is an index into the table and a comparison of the whole ID,
// whose random bits a caller cannot guess. Storing an event fills its
// slots, which costs no hashing and, most of the time, no allocation.
//
// Records and object copies come from blocks too: an event's record from a
// block of eventBlock records, and its object copy from a block of
// objectBlock bytes. Nothing is ever removed from the store, so a block
// lives as long as the store, as its records would.

const (
	// slotChunkBits is the log2 of the slots in one chunk of the table.
	slotChunkBits = 12
	slotChunk     = 1 << slotChunkBits

	// eventBlock is how many event records are allocated at a time.
	eventBlock = 128
	// objectBlock is the size of the blocks object copies are cut from;
	// objects larger than maxBlockObject get an allocation of their own,
	// made before the store's lock is taken.
	objectBlock    = 64 << 10
	maxBlockObject = 2 << 10
)

// slots is the slot table: chunk c holds the slots of the sequence numbers
// c·slotChunk to (c+1)·slotChunk−1. Chunks are made when first written.
type slots struct {
	chunks []*[slotChunk]*event
}

// set records that e owns the sequence numbers from first to last.
func (t *slots) set(first, last uint64, e *event) {
	for seq := first; seq <= last; seq++ {
		c := int(seq >> slotChunkBits)
		for c >= len(t.chunks) {
			t.chunks = append(t.chunks, nil)
		}
		if t.chunks[c] == nil {
			t.chunks[c] = new([slotChunk]*event)
		}
		t.chunks[c][seq&(slotChunk-1)] = e
	}
}

// owner returns the event that owns the sequence number, or nil.
func (t *slots) owner(seq uint64) *event {
	c := seq >> slotChunkBits
	if c >= uint64(len(t.chunks)) || t.chunks[c] == nil {
		return nil
	}
	return t.chunks[c][seq&(slotChunk-1)]
}

// eventLocked returns the event with the ID, or nil. s.mu must be held.
func (s *Store) eventLocked(eid id) *event {
	if e := s.slots.owner(seqOf(&eid)); e != nil && e.id == eid {
		return e
	}
	return nil
}

// deliveryByIDLocked returns the delivery with the ID, or nil. s.mu must
// be held.
func (s *Store) deliveryByIDLocked(did id) *delivery {
	seq := seqOf(&did)
	e := s.slots.owner(seq)
	if e == nil {
		return nil
	}
	i := seq - seqOf(&e.id) - 1 // wraps for the event's own ID
	if i >= uint64(e.numDeliveries()) {
		return nil
	}
	if d := e.delivery(int(i)); d.id == did {
		return d
	}
	return nil
}

// newEventLocked returns a zero event record. s.mu must be held.
func (s *Store) newEventLocked() *event {
	if len(s.freeEvents) == 0 {
		s.freeEvents = make([]event, eventBlock)
	}
	e := &s.freeEvents[0]
	s.freeEvents = s.freeEvents[1:]
	return e
}

// copyObjectLocked returns a copy of an event's object, of at most
// maxBlockObject bytes, nil when it is empty. s.mu must be held.
func (s *Store) copyObjectLocked(b []byte) []byte {
	n := len(b)
	if n == 0 {
		return nil
	}
	if len(s.freeBytes) < n {
		s.freeBytes = make([]byte, objectBlock)
	}
	c := s.freeBytes[:n:n] // full: an append to it cannot reach the next copy
	s.freeBytes = s.freeBytes[n:]
	copy(c, b)
	return c
}
