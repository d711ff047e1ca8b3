package monitehooks

import (
	"crypto/rand"
	"encoding/base64"
)

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// secretBytes is how many random bytes a secret carries.
const secretBytes = 32

// NewSecret returns a new signing secret: [SecretPrefix] followed by the
// standard base64 encoding, with padding, of 32 bytes from crypto/rand.
// The whole string, prefix included, is the HMAC key of [Sign] and
// [Verify].
func NewSecret() string {
	var b [secretBytes]byte
	rand.Read(b[:]) // never fails since Go 1.24: it crashes the program instead
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:])
}
