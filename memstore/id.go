package memstore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	mrand "math/rand/v2"
	"strings"
	"sync"

	"github.com/google/uuid"
)

// id is a UUID in binary form. Records keep IDs this way and format them as
// strings only when they leave the store.
type id = uuid.UUID

// idTextBlock is how many IDs' text one buffer of takeText holds.
const idTextBlock = 256

// idText is the length of an ID's canonical text form.
const idText = 36

// The kinds of ID a store makes. Each has its own sequence, and the kind
// is part of what an ID's mask is computed from, so that IDs of two kinds
// with the same random bits say nothing about each other.
const (
	kindSubscription byte = 1 + iota
	kindEvent
	kindDelivery
)

// idKey is a store's secret for its IDs: an AES-128 key drawn when the
// store is made, which never leaves it.
//
// An ID is a random (version 4) UUID whose 122 free bits are two fields:
//
//   - r, 58 random bits, fresh for each ID;
//   - m, 64 bits: the ID's sequence number (see idGen) XOR the first 64
//     bits of AES(key, kind ‖ r).
//
// Without the key, m is indistinguishable from random bits, so nothing in
// an ID counts anything; with it, the store reads the sequence number back
// from any ID (one AES block, about 30 ns) and finds the record without a
// map (see records.go). The sequence number is a starting point, not a
// proof: the store then compares the whole ID with the one the record
// holds, so an ID that was not made by this store, made by another process
// or before a restart (another key), or forged, finds nothing, and IDs of
// different stores do not collide but by the chance of 122 random bits.
//
// The mask is one AES block per ID, not a keyed permutation of the
// sequence number (a Feistel network with AES as its round function would
// be four blocks, about 120 ns per ID here, of which Emit makes two): r is
// the nonce of a one-block stream cipher. Two IDs of one kind with the
// same r (one pair in about 2^29 IDs) would show the XOR of their sequence
// numbers to someone who noticed; nothing else is shown.
type idKey struct {
	block cipher.Block
	bufs  sync.Pool // of *maskBuf, for seqOf
}

// newIDKey draws a key.
func newIDKey() *idKey {
	var key [16]byte
	// rand.Read never fails: it crashes the program when the system's
	// randomness source does.
	rand.Read(key[:])
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic("memstore: " + err.Error()) // only for a key of the wrong size
	}
	return &idKey{block: block}
}

// randomMask keeps the 58 bits of r.
const randomMask = 1<<58 - 1

// maskBuf is the room mask works in. Given to an interface method
// (cipher.Block.Encrypt), a buffer on the stack would move to the heap at
// every call: idGen keeps one, and idKey.seqOf takes one from a pool, so
// that neither allocates.
type maskBuf [2 * aes.BlockSize]byte

// mask returns the mask of the IDs of the kind whose random bits are r,
// using buf. It is safe for concurrent use with distinct bufs.
func (k *idKey) mask(kind byte, r uint64, buf *maskBuf) uint64 {
	in, out := buf[:aes.BlockSize], buf[aes.BlockSize:]
	binary.BigEndian.PutUint64(in[:8], uint64(kind)<<56)
	binary.BigEndian.PutUint64(in[8:], r)
	k.block.Encrypt(out, in)
	return binary.BigEndian.Uint64(out[:8])
}

// makeID returns the ID of the kind with the sequence number seq and the
// random bits r (of which 58 are used), using buf.
func (k *idKey) makeID(kind byte, seq, r uint64, buf *maskBuf) id {
	r &= randomMask
	return packID(seq^k.mask(kind, r, buf), r)
}

// packID lays the fields out as a version 4 UUID: m in the first 64 free
// bits, r (58 bits) in the others. It writes each half of the UUID at
// once: byte by byte, reading the UUID back stalls on the stores.
func packID(m, r uint64) id {
	hi := m&^0xffff | 0x4000 | (m>>12&0x0f)<<8 | m>>4&0xff // version 4 in bits 12-15
	lo := (0x80|(m&0x0f)<<2|r>>56&0x03)<<56 | r&(1<<56-1)  // variant 10 (RFC 9562) in bits 62-63
	var u id
	binary.BigEndian.PutUint64(u[:8], hi)
	binary.BigEndian.PutUint64(u[8:], lo)
	return u
}

// seqOf returns the sequence number u has if this store made it as an ID
// of the kind; for any other UUID, a number that means nothing, which the
// caller finds out by comparing u with the ID of the record it names. It
// is safe for concurrent use.
func (k *idKey) seqOf(kind byte, u *id) uint64 {
	m, r := idFields(u)
	buf, _ := k.bufs.Get().(*maskBuf)
	if buf == nil {
		buf = new(maskBuf)
	}
	seq := m ^ k.mask(kind, r, buf)
	k.bufs.Put(buf)
	return seq
}

// idFields reads back the fields packID lays out, ignoring the version
// and variant bits.
func idFields(u *id) (m, r uint64) {
	hi, lo := binary.BigEndian.Uint64(u[:8]), binary.BigEndian.Uint64(u[8:])
	m = hi&^0xffff | (hi>>8&0x0f)<<12 | (hi&0xff)<<4 | lo>>58&0x0f
	r = lo & randomMask
	return m, r
}

// idGen makes the store's IDs of one kind (see idKey), numbering them
// 1, 2, 3, … in the order it makes them. The numbers stay inside the
// store: it indexes its tables with them and orders items created at the
// same instant by them, while the IDs it hands out show nothing of them.
//
// Its random bits come from a ChaCha8 generator (math/rand/v2's, a
// cryptographically secure one) seeded from crypto/rand, so that an ID
// costs no system call and no allocation of its own. takeText writes the
// text of an ID into a shared buffer that the IDs' strings point into;
// the store uses it for subscriptions, keeps an event's ID in the event's
// text, and writes a delivery's when it leaves the store. An idGen is
// owned by one Store, whose lock guards it: unlike uuid.EnableRandPool it
// changes no process-wide state.
type idGen struct {
	key  *idKey
	kind byte
	rng  *mrand.ChaCha8
	seq  uint64  // the sequence number of the last ID made
	buf  maskBuf // take's room for the mask
	// text holds the text of IDs handed out with takeText. A
	// strings.Builder only appends, so a string its String returned stays
	// as it was while more is written.
	text strings.Builder
}

// newIDGen returns the generator of the IDs of the kind under the key.
func newIDGen(key *idKey, kind byte) idGen {
	var seed [32]byte
	rand.Read(seed[:]) // never fails; see newIDKey
	return idGen{key: key, kind: kind, rng: mrand.NewChaCha8(seed)}
}

// take returns the next ID.
func (g *idGen) take() id {
	g.seq++
	return g.key.makeID(g.kind, g.seq, g.rng.Uint64(), &g.buf)
}

// takeText returns the next ID and its text form.
func (g *idGen) takeText() (id, string) {
	u := g.take()
	if g.text.Cap()-g.text.Len() < idText {
		g.text = strings.Builder{} // the old buffer stays with its strings
		g.text.Grow(idTextBlock * idText)
	}
	var buf [idText]byte
	start := g.text.Len()
	g.text.Write(appendID(buf[:0], &u))
	return u, g.text.String()[start:]
}

// seqOf returns the sequence number of an ID of the generator's kind (see
// idKey.seqOf), and false when it is not one the generator has made so
// far.
func (g *idGen) seqOf(u *id) (uint64, bool) {
	seq := g.key.seqOf(g.kind, u)
	return seq, seq >= 1 && seq <= g.seq
}

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
