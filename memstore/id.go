package memstore

import (
	"crypto/rand"
	"encoding/binary"
	"sync"

	"github.com/google/uuid"
)

// id is a UUID in binary form. Records keep IDs this way and format them as
// strings only when they leave the store.
type id = uuid.UUID

// idBatch is how many IDs one read of crypto/rand provides.
const idBatch = 256

// idGen makes the store's IDs: UUIDs of version 8 (RFC 9562's custom
// layout) whose first 48 bits count up from 1 in the order the IDs are
// made, and whose other 74 bits are random. IDs therefore sort in creation
// order, so items created at the same instant (as under a test's frozen
// clock) list in the order they were made rather than at random; the
// random bits keep them unguessable. The random bytes come from a buffer
// of crypto/rand bytes refilled a batch at a time, so that an ID costs no
// system call and no allocation. It is owned by one Store: unlike
// uuid.EnableRandPool it changes no process-wide state.
type idGen struct {
	mu   sync.Mutex         // guards buf, used and seq
	buf  [idBatch * 16]byte // random bytes not yet handed out start at used
	used int                // bytes of buf already handed out
	seq  uint64             // the sequence number of the last ID made
}

// new returns a new ID.
func (g *idGen) new() id {
	var u id
	g.mu.Lock()
	g.take(&u)
	g.mu.Unlock()
	return u
}

// fillEvent sets the ID of e and of each of its deliveries.
func (g *idGen) fillEvent(e *event) {
	g.mu.Lock()
	g.take(&e.id)
	for i := range e.more {
		g.take(&e.more[i].id)
	}
	if e.first.ev != nil {
		g.take(&e.first.id)
	}
	g.mu.Unlock()
}

// take sets u to the next ID; g.mu must be held.
func (g *idGen) take(u *id) {
	if g.used == 0 || g.used == len(g.buf) {
		// rand.Read never fails: it crashes the program when the system's
		// randomness source does.
		rand.Read(g.buf[:])
		g.used = 0
	}
	copy(u[:], g.buf[g.used:g.used+16])
	g.used += 16
	g.seq++
	u[0], u[1], u[2] = byte(g.seq>>40), byte(g.seq>>32), byte(g.seq>>24)
	u[3], u[4], u[5] = byte(g.seq>>16), byte(g.seq>>8), byte(g.seq)
	u[6] = (u[6] & 0x0f) | 0x80 // version 8
	u[8] = (u[8] & 0x3f) | 0x80 // variant 10 (RFC 9562)
}

// parseID reads an ID in the canonical text form the store hands out
// (8-4-4-4-12 lower-case hex digits). It reports false for anything else,
// so a malformed ID is simply not found.
func parseID(s string) (u id, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id{}, false
	}
	j := 0
	for i := 0; i < 36; i += 2 {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++
		}
		hi, lo := hexDigit[s[i]], hexDigit[s[i+1]]
		if hi|lo > 0x0f {
			return id{}, false
		}
		u[j] = hi<<4 | lo
		j++
	}
	return u, true
}

// hexDigit maps a lower-case hex digit to its value and every other byte
// to 0xff.
var hexDigit = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c - '0'
	}
	for c := byte('a'); c <= 'f'; c++ {
		t[c] = c - 'a' + 10
	}
	return t
}()

// idLess reports whether a sorts before b, byte by byte: the order of their
// canonical text forms.
func idLess(a, b *id) bool {
	ah, bh := binary.BigEndian.Uint64(a[:8]), binary.BigEndian.Uint64(b[:8])
	if ah != bh {
		return ah < bh
	}
	return binary.BigEndian.Uint64(a[8:]) < binary.BigEndian.Uint64(b[8:])
}
