package sqlstore

import (
	"crypto/rand"
	"encoding/hex"

	"github.com/google/uuid"
)

// newID returns a random (version 4) UUID in canonical text form: it
// counts nothing, and does not collide with another store's, process's or
// restart's but by the chance of 122 random bits.
func newID() string { return uuid.NewString() }

// validID reports whether s is a UUID in the canonical text form the
// store hands out (lower-case, hyphenated). Anything else names nothing,
// and is answered "not found" without asking the database, where
// PostgreSQL would refuse to cast it.
func validID(s string) bool {
	if len(s) != 36 {
		return false
	}
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

// newLeaseToken returns a random lease token: 128 bits in hex, so that a
// token cannot be guessed, nor confused with another claim's.
func newLeaseToken() string {
	var b [16]byte
	rand.Read(b[:]) // never fails: see crypto/rand.Read
	return hex.EncodeToString(b[:])
}
