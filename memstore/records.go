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
// cannot guess. Nothing is ever removed from the store, so a chunk,
// a text block or an object block lives as long as the store, as its
// records would.

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

// table is an append-only list of records, kept in chunks of fixed size
// so that an append never moves a record: a pointer to a record stays
// valid while more are added.
type table[T any] struct {
	chunks []*[tableChunk]T
	n      uint32
}

// add appends a zero record and returns it; its number is t.n-1.
func (t *table[T]) add() *T {
	i := t.n
	if i%tableChunk == 0 {
		t.chunks = append(t.chunks, new([tableChunk]T))
	}
	t.n++
	return &t.chunks[i/tableChunk][i%tableChunk]
}

// at returns record i, which must exist.
func (t *table[T]) at(i uint32) *T {
	return &t.chunks[i/tableChunk][i%tableChunk]
}

// all yields the numbers and records of the table, in the order they were
// added.
func (t *table[T]) all(yield func(uint32, *T) bool) {
	for i := range t.n {
		if !yield(i, t.at(i)) {
			return
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

// textArena holds the text of events. A block is written through a
// strings.Builder, which only appends: a string that String returned stays
// as it was while more is written, so the text of an event is a substring
// of its block, made without allocating or copying.
type textArena struct {
	blocks []string // every block; the one being written is read from cur
	// cur is the block being written, number curNum, once there is one
	// (cur.Cap() > 0); blocks[curNum] is "" until it is full.
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
		a.blocks = append(a.blocks, string(b))
		return uint32(len(a.blocks) - 1), 0, a.blocks[len(a.blocks)-1]
	}
	if a.cur.Cap()-a.cur.Len() < len(b) {
		if a.cur.Cap() > 0 {
			a.blocks[a.curNum] = a.cur.String()
		}
		a.cur = strings.Builder{}
		a.cur.Grow(textBlock)
		a.curNum = uint32(len(a.blocks))
		a.blocks = append(a.blocks, "")
	}
	start := a.cur.Len()
	a.cur.Write(b)
	return a.curNum, uint32(start), a.cur.String()[start:]
}

// get returns the n bytes of text at off in the block.
func (a *textArena) get(block, off, n uint32) string {
	b := a.blocks[block]
	if a.writing(block) {
		b = a.cur.String()
	}
	return b[off : off+n]
}

// objectArena holds copies of events' objects, cut from blocks of bytes.
type objectArena struct {
	blocks [][]byte // every block, in full
	free   []byte   // what is left of the block being cut
	curNum uint32   // its number
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
// by own), and returns where it is.
func (a *objectArena) put(b, ownCopy []byte) (block, off uint32) {
	if ownCopy != nil {
		a.blocks = append(a.blocks, ownCopy)
		return uint32(len(a.blocks) - 1), 0
	}
	if len(b) == 0 {
		return 0, 0
	}
	if len(a.free) < len(b) {
		a.free = make([]byte, objectBlock)
		a.curNum = uint32(len(a.blocks))
		a.blocks = append(a.blocks, a.free)
	}
	off = uint32(objectBlock - len(a.free))
	copy(a.free, b)
	a.free = a.free[len(b):]
	return a.curNum, off
}

// get returns the object of n bytes at off in the block, nil when n is 0.
// The slice is full: an append to it cannot reach the next object.
func (a *objectArena) get(block, off, n uint32) []byte {
	if n == 0 {
		return nil
	}
	return a.blocks[block][off : off+n : off+n]
}
