package memstore

import (
	"crypto/rand"
	"encoding/binary"
	"strings"

	"github.com/google/uuid"
)

// id is a UUID in binary form. Records keep IDs this way and format them as
// strings only when they leave the store.
type id = uuid.UUID

// idBatch is how many IDs one read of crypto/rand provides.
const idBatch = 256

// idText is the length of an ID's canonical text form.
const idText = 36

// idGen makes the store's IDs: UUIDs of version 8 (RFC 9562's custom
// layout) whose first 48 bits, the sequence number, count up from 1 in the
// order the IDs are made, and whose other 74 bits are random. IDs therefore
// sort in creation order, so items created at the same instant (as under a
// test's frozen clock) list in the order they were made rather than at
// random; the random bits keep them unguessable, and the sequence number
// lets the store find a record without a map (see records.go). A store
// has one idGen per kind of ID, so each kind counts from 1.
//
// It makes IDs a batch at a time, from one read of crypto/rand, so that an
// ID costs no system call and no allocation of its own. takeText writes
// the text of an ID into a shared buffer that the IDs' strings point into;
// the store uses it for subscriptions, keeps an event's ID in the event's
// text, and writes a delivery's when it leaves the store. An idGen is
// owned by one Store, whose lock guards it: unlike uuid.EnableRandPool it
// changes no process-wide state.
type idGen struct {
	batch [idBatch]id
	used  int    // how many IDs of the batch were handed out
	seq   uint64 // the sequence number of the last ID of the batch
	// text holds the text of IDs handed out with takeText. A
	// strings.Builder only appends, so a string its String returned stays
	// as it was while more is written.
	text strings.Builder
}

// take returns the next ID.
func (g *idGen) take() id {
	if g.used == 0 || g.used == len(g.batch) {
		g.refill()
	}
	g.used++
	return g.batch[g.used-1]
}

// takeText returns the next ID and its text form.
func (g *idGen) takeText() (id, string) {
	u := g.take()
	if g.text.Cap()-g.text.Len() < idText {
		g.text = strings.Builder{} // the old buffer stays with its strings
		g.text.Grow(idBatch * idText)
	}
	var buf [idText]byte
	start := g.text.Len()
	g.text.Write(appendID(buf[:0], &u))
	return u, g.text.String()[start:]
}

// refill makes the next batch.
func (g *idGen) refill() {
	var random [idBatch * idRandom]byte
	// rand.Read never fails: it crashes the program when the system's
	// randomness source does.
	rand.Read(random[:])
	for i := range g.batch {
		u := &g.batch[i]
		g.seq++
		u[0], u[1], u[2] = byte(g.seq>>40), byte(g.seq>>32), byte(g.seq>>24)
		u[3], u[4], u[5] = byte(g.seq>>16), byte(g.seq>>8), byte(g.seq)
		copy(u[6:], random[i*idRandom:])
		u[6] = (u[6] & 0x0f) | 0x80 // version 8
		u[8] = (u[8] & 0x3f) | 0x80 // variant 10 (RFC 9562)
	}
	g.used = 0
}

// idRandom is how many random bytes an ID takes: all but the sequence
// number's, of which the version and variant then overwrite 6 bits.
const idRandom = 16 - 6

// appendID appends u in its canonical text form.
func appendID(dst []byte, u *id) []byte {
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexPairs[2*int(c)], hexPairs[2*int(c)+1])
	}
	return dst
}

// hexPairs holds the two lower-case hex digits of each byte value.
var hexPairs = func() (t [512]byte) {
	const digits = "0123456789abcdef"
	for i := range 256 {
		t[2*i], t[2*i+1] = digits[i>>4], digits[i&0xf]
	}
	return t
}()

// seqOf returns the sequence number of an ID the store made.
func seqOf(u *id) uint64 {
	return uint64(u[0])<<40 | uint64(u[1])<<32 | uint64(u[2])<<24 | uint64(u[3])<<16 | uint64(u[4])<<8 | uint64(u[5])
}

// parseID reads an ID in the canonical text form the store hands out
// (8-4-4-4-12 lower-case hex digits). It reports false for anything else,
// so a malformed ID is simply not found.
func parseID(s string) (u id, ok bool) {
	if len(s) != idText || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id{}, false
	}
	var bad byte
	for i, at := range idDigits {
		hi, lo := hexDigit[s[at]], hexDigit[s[at+1]]
		bad |= hi | lo
		u[i] = hi<<4 | lo
	}
	if bad > 0x0f {
		return id{}, false
	}
	return u, true
}

// idDigits holds where the two hex digits of each byte of an ID start in
// its text form.
var idDigits = [16]int{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

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
