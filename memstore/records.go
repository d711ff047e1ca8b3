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
// the front of the list are dropped from it. Text and object blocks count
// the events that use them and are let go when none does. A record that
// outlives its neighbours, such as a delivery still pending long after the
// others of its time finished, keeps its chunk, and its event the event's
// chunk and blocks: at most one chunk of each table and one block of each
// arena per such record, bounded, and given back when the record goes.
// Records are not moved to free that room: their number is their ID.

const (
	// tableChunk is how many records a chunk of a table holds.
	tableChunk = 512

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
// more are added, and until the record is released.
type table[T any] struct {
	// chunks holds the chunks from number off on; a released chunk is nil.
	chunks []*[tableChunk]T
	live   []uint16 // the records of each chunk not released
	off    uint32   // the chunks released at the front and dropped
	n      uint32   // the records ever added
}

// add appends a zero record and returns it; its number is t.n-1.
func (t *table[T]) add() *T {
	i := t.n
	if i%tableChunk == 0 {
		t.chunks = append(t.chunks, new([tableChunk]T))
		t.live = append(t.live, 0)
	}
	t.n++
	c := i/tableChunk - t.off
	t.live[c]++
	return &t.chunks[c][i%tableChunk]
}

// at returns record i, which must exist and not be released.
func (t *table[T]) at(i uint32) *T {
	return &t.chunks[i/tableChunk-t.off][i%tableChunk]
}

// get returns record i, or nil when there is none: i was never added, or
// its chunk was let go. A record released in a chunk still held comes
// back zeroed.
func (t *table[T]) get(i uint32) *T {
	c := i / tableChunk
	if i >= t.n || c < t.off || t.chunks[c-t.off] == nil {
		return nil
	}
	return &t.chunks[c-t.off][i%tableChunk]
}

// release zeroes record i, which must exist, and lets its chunk go once
// every record of the chunk was released and the chunk is full.
func (t *table[T]) release(i uint32) {
	c := i/tableChunk - t.off
	var zero T
	t.chunks[c][i%tableChunk] = zero
	t.live[c]--
	if t.live[c] > 0 || (c == uint32(len(t.chunks))-1 && t.n%tableChunk != 0) {
		return
	}
	t.chunks[c] = nil
	for len(t.chunks) > 0 && t.chunks[0] == nil {
		// Slicing from the front keeps the array; the next append that
		// outgrows it copies only the chunks still held.
		t.chunks, t.live = t.chunks[1:], t.live[1:]
		t.off++
	}
}

// all yields the numbers and records of the table, in the order they were
// added, skipping the chunks let go (records released in chunks still held
// are yielded, zeroed).
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
}

// stamp is a time as a record keeps it: an instant, without location or
// monotonic reading.
type stamp struct {
	sec  int64 // seconds since 1970-01-01 UTC
	nsec int32 // in [0, 999999999]
}

func stampOf(t time.Time) stamp {
	return stamp{sec: t.Unix(), nsec: int32(t.Nanosecond())}
}

// time returns the stamp as a time in UTC. The zero time's stamp gives
// the zero time back.
func (s stamp) time() time.Time {
	return time.Unix(s.sec, int64(s.nsec)).UTC()
}

func (s stamp) compare(o stamp) int {
	switch {
	case s.sec != o.sec:
		if s.sec < o.sec {
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
