package memstore

import (
	"math"
	"strings"
	"time"
)

// Records without pointers.
//
// Everything the store keeps for each event and each delivery lives in
// records that hold no pointers: a string is where its bytes are in an
// arena, a time is its seconds and nanoseconds, and an event, a delivery,
// a subscription's queue or a partner is a number. Memory without pointers
// is memory the garbage collector never scans and that is written without
// write barriers. A store that only grows would otherwise make every
// collection mark all of it, and storing an event would cost more the more
// events were stored before.
//
// Records are found by number in chunked tables, and a number is an
// ID's sequence number minus one: events and deliveries each have a
// sequence of their own (see idGen), which the store reads back from an
// ID with its key (see idKey), so the record of an ID is an index into a
// table and a comparison of the whole ID, whose random bits a caller
// cannot guess.
//
// Retention deletes records (see retention.go), mostly in the order they
// were made. A deleted record is zeroed, and a chunk whose records are all
// deleted is let go: its place in the table's list of chunks becomes nil,
// so the numbers of the records after it do not change, and the nils at
// the front of the list are dropped from it. A record that outlives its
// neighbours (a delivery still pending long after the others of its time
// finished, and its event, and its attempts) would keep a whole chunk
// alive for itself: once a chunk is down to sparseChunk records, they are
// moved out, each into a record of its own found by number in a map, and
// the chunk is let go. A moved event copies its text and object into the
// blocks being written. Text and object blocks count the events that use
// them and are let go when none does. So what a survivor keeps beyond
// itself is bounded: a chunk holds at least sparseChunk live records, a
// sixteenth of it, and a block is used by events of chunks still held.

const (
	// tableChunk is how many records a chunk of a table holds.
	tableChunk = 512

	// sparseChunk is how few live records a full chunk may keep before
	// they are moved out of it and it is let go.
	sparseChunk = tableChunk / 16

	// maxRecords is how many events, and how many deliveries, a store
	// holds at most: their numbers are uint32.
	maxRecords = math.MaxUint32

	// textBlock is the size of the blocks the text of events is written
	// into; a text larger than maxBlockText gets a block of its own.
	textBlock    = 64 << 10
	maxBlockText = 2 << 10

	// objectBlock is the size of the blocks object copies are cut from;
	// an object larger than maxBlockObject gets a block of its own, made
	// before the store's lock is taken.
	objectBlock    = 64 << 10
	maxBlockObject = 2 << 10
)

// table is a list of records, kept in chunks of fixed size so that an
// append never moves a record: a pointer to a record stays valid while
// more are added, until the record is released or its chunk evacuated.
type table[T any] struct {
	// chunks holds the chunks from number off on; a released chunk is nil.
	chunks []*[tableChunk]T
	live   []uint16                  // the records of each chunk not released
	used   [][tableChunk / 64]uint64 // which records of each chunk are not released
	off    uint32                    // the chunks released at the front and dropped
	n      uint32                    // the records ever added
	// moved holds the records moved out of sparse chunks, by number.
	moved map[uint32]*T
}

// add appends a zero record and returns it; its number is t.n-1.
func (t *table[T]) add() *T {
	i := t.n
	if i%tableChunk == 0 {
		t.chunks = append(t.chunks, new([tableChunk]T))
		t.live = append(t.live, 0)
		t.used = append(t.used, [tableChunk / 64]uint64{})
	}
	t.n++
	c, j := i/tableChunk-t.off, i%tableChunk
	t.live[c]++
	t.used[c][j/64] |= 1 << (j % 64)
	return &t.chunks[c][j]
}

// at returns record i, which must exist and not be released.
func (t *table[T]) at(i uint32) *T {
	if c := i/tableChunk - t.off; c < uint32(len(t.chunks)) && t.chunks[c] != nil {
		return &t.chunks[c][i%tableChunk]
	}
	return t.moved[i]
}

// get returns record i, or nil when there is none: i was never added, or
// was released and its chunk let go. A record released in a chunk still
// held comes back zeroed.
func (t *table[T]) get(i uint32) *T {
	if i >= t.n {
		return nil
	}
	if c := i/tableChunk - t.off; c < uint32(len(t.chunks)) && t.chunks[c] != nil {
		return &t.chunks[c][i%tableChunk]
	}
	return t.moved[i]
}

// release zeroes record i, which must exist, and lets its chunk go once
// every record of the chunk was released and the chunk is full. It
// reports whether the chunk, full, is down to sparseChunk records: the
// caller then moves them out with evacuate.
func (t *table[T]) release(i uint32) (sparse bool) {
	c, j := i/tableChunk-t.off, i%tableChunk
	if c >= uint32(len(t.chunks)) || t.chunks[c] == nil {
		delete(t.moved, i)
		return false
	}
	var zero T
	t.chunks[c][j] = zero
	t.used[c][j/64] &^= 1 << (j % 64)
	t.live[c]--
	if c == uint32(len(t.chunks))-1 && t.n%tableChunk != 0 {
		return false // the chunk being filled
	}
	if t.live[c] == 0 {
		t.drop(c)
		return false
	}
	return t.live[c] <= sparseChunk
}

// evacuate moves the records left in record i's chunk out of it, each
// into a record of its own, and lets the chunk go. fix, when not nil, is
// called with each record's old and new place before the old one is
// zeroed, for a record that points into itself.
func (t *table[T]) evacuate(i uint32, fix func(from, to *T)) {
	c := i/tableChunk - t.off
	first := i - i%tableChunk
	if t.moved == nil {
		t.moved = make(map[uint32]*T)
	}
	for j := range uint32(tableChunk) {
		if t.used[c][j/64]&(1<<(j%64)) == 0 {
			continue
		}
		from := &t.chunks[c][j]
		to := new(T)
		*to = *from
		if fix != nil {
			fix(from, to)
		}
		t.moved[first+j] = to
	}
	t.drop(c)
}

// drop lets chunk c (counted from t.off) go, and drops the chunks let go
// from the front of the list.
func (t *table[T]) drop(c uint32) {
	t.chunks[c], t.live[c], t.used[c] = nil, 0, [tableChunk / 64]uint64{}
	for len(t.chunks) > 0 && t.chunks[0] == nil {
		// Slicing from the front keeps the array; the next append that
		// outgrows it copies only the chunks still held.
		t.chunks, t.live, t.used = t.chunks[1:], t.live[1:], t.used[1:]
		t.off++
	}
}

// all yields the numbers and records of the table: those in chunks in the
// order they were added (records released in chunks still held are
// yielded, zeroed), then those moved out of chunks, in no order.
func (t *table[T]) all(yield func(uint32, *T) bool) {
	for c, chunk := range t.chunks {
		if chunk == nil {
			continue
		}
		first := (uint32(c) + t.off) * tableChunk
		for j := range min(tableChunk, t.n-first) {
			if !yield(first+j, &chunk[j]) {
				return
			}
		}
	}
	for i, r := range t.moved {
		if !yield(i, r) {
			return
		}
	}
}

// stamp is a time as a record keeps it: an instant, without location or
// monotonic reading. It is twelve bytes aligned to four, so that it packs
// with the four-byte fields around it in a record, where an int64 and an
// int32 would take sixteen.
type stamp struct {
	hi   int32  // the high half of the seconds since 1970-01-01 UTC
	lo   uint32 // the low half
	nsec int32  // in [0, 999999999]
}

func stampOf(t time.Time) stamp {
	sec := t.Unix()
	return stamp{hi: int32(sec >> 32), lo: uint32(sec), nsec: int32(t.Nanosecond())}
}

// unix returns the seconds since 1970-01-01 UTC.
func (s stamp) unix() int64 { return int64(s.hi)<<32 | int64(s.lo) }

// time returns the stamp as a time in UTC. The zero time's stamp gives
// the zero time back.
func (s stamp) time() time.Time {
	return time.Unix(s.unix(), int64(s.nsec)).UTC()
}

func (s stamp) compare(o stamp) int {
	switch a, b := s.unix(), o.unix(); {
	case a != b:
		if a < b {
			return -1
		}
		return 1
	case s.nsec != o.nsec:
		if s.nsec < o.nsec {
			return -1
		}
		return 1
	}
	return 0
}

func (s stamp) after(o stamp) bool { return s.compare(o) > 0 }

func (s stamp) before(o stamp) bool { return s.compare(o) < 0 }

// textArena holds the text of events. A block is written through a
// strings.Builder, which only appends: a string that String returned stays
// as it was while more is written, so the text of an event is a substring
// of its block, made without allocating or copying.
//
// Each block counts the events whose text it holds, and the block being
// written counts one more, for the arena; a block is let go when its count
// falls to zero. The strings
// handed out keep their block's memory alive for as long as their holders
// do: the arena only stops holding it.
type textArena struct {
	blocks blockList[string] // every block; the one being written is read from cur
	// cur is the block being written, number curNum, once there is one
	// (cur.Cap() > 0); its entry in blocks is "" until it is full.
	cur    strings.Builder
	curNum uint32
}

// writing reports whether block is the one being written.
func (a *textArena) writing(block uint32) bool {
	return block == a.curNum && a.cur.Cap() > 0
}

// put stores b and returns where it is, and the stored text.
func (a *textArena) put(b []byte) (block, off uint32, text string) {
	if len(b) > maxBlockText {
		block = a.blocks.add(string(b))
		return block, 0, *a.blocks.at(block)
	}
	if a.cur.Cap()-a.cur.Len() < len(b) {
		if a.cur.Cap() > 0 {
			*a.blocks.at(a.curNum) = a.cur.String()
			a.blocks.release(a.curNum) // the arena's count
		}
		a.cur = strings.Builder{}
		a.cur.Grow(textBlock)
		a.curNum = a.blocks.add("")
	}
	start := a.cur.Len()
	a.cur.Write(b)
	a.blocks.use(a.curNum)
	return a.curNum, uint32(start), a.cur.String()[start:]
}

// get returns the n bytes of text at off in the block.
func (a *textArena) get(block, off, n uint32) string {
	if a.writing(block) {
		return a.cur.String()[off : off+n]
	}
	return (*a.blocks.at(block))[off : off+n]
}

// drop notes that one text in the block is no longer used.
func (a *textArena) drop(block uint32) { a.blocks.release(block) }

// objectArena holds copies of events' objects, cut from blocks of bytes.
// Blocks count their objects (and the block being cut one more) and are
// let go as text blocks are.
type objectArena struct {
	blocks blockList[[]byte] // every block, in full
	free   []byte            // what is left of the block being cut
	curNum uint32            // its number, once there is one (cap(free) > 0)
}

// own returns a copy of an object over maxBlockObject bytes, to be stored
// by objectArena.put. It is made before the store's lock is taken.
func own(b []byte) []byte {
	if len(b) <= maxBlockObject {
		return nil
	}
	return append([]byte(nil), b...)
}

// put stores a copy of b, or ownCopy when it is not nil (a copy of b made
// by own), and returns where it is. An empty object is stored nowhere and
// must not be dropped.
func (a *objectArena) put(b, ownCopy []byte) (block, off uint32) {
	if ownCopy != nil {
		return a.blocks.add(ownCopy), 0
	}
	if len(b) == 0 {
		return 0, 0
	}
	if len(a.free) < len(b) {
		if cap(a.free) > 0 {
			a.blocks.release(a.curNum) // the arena's count
		}
		a.free = make([]byte, objectBlock)
		a.curNum = a.blocks.add(a.free)
	}
	off = uint32(objectBlock - len(a.free))
	copy(a.free, b)
	a.free = a.free[len(b):]
	a.blocks.use(a.curNum)
	return a.curNum, off
}

// get returns the object of n bytes at off in the block, nil when n is 0.
// The slice is full: an append to it cannot reach the next object.
func (a *objectArena) get(block, off, n uint32) []byte {
	if n == 0 {
		return nil
	}
	return (*a.blocks.at(block))[off : off+n : off+n]
}

// drop notes that one object in the block is no longer used.
func (a *objectArena) drop(block uint32) { a.blocks.release(block) }

// blockList is the blocks of an arena, numbered in the order they were
// added, each with a count of its users.
type blockList[T string | []byte] struct {
	blocks []T      // from number off on; a block let go is empty
	refs   []uint32 // the users of each block; 0 once it is let go
	off    uint32   // the blocks let go at the front and dropped
}

// add appends a block with one user and returns its number.
func (l *blockList[T]) add(b T) uint32 {
	l.blocks = append(l.blocks, b)
	l.refs = append(l.refs, 1)
	return l.off + uint32(len(l.blocks)-1)
}

// at returns block i, which must not have been let go.
func (l *blockList[T]) at(i uint32) *T { return &l.blocks[i-l.off] }

// use counts one more user of block i.
func (l *blockList[T]) use(i uint32) { l.refs[i-l.off]++ }

// release counts one user of block i less, and lets the block go when it
// has none.
func (l *blockList[T]) release(i uint32) {
	if l.refs[i-l.off]--; l.refs[i-l.off] > 0 {
		return
	}
	var empty T
	l.blocks[i-l.off] = empty
	for len(l.blocks) > 0 && l.refs[0] == 0 {
		l.blocks, l.refs = l.blocks[1:], l.refs[1:]
		l.off++
	}
}
