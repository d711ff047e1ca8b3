package monitehooks

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Header names and defaults of the signing scheme.
const (
	// SignatureHeader carries the signature of a delivery:
	// "t=<unix seconds>,v1=<hex>[,v1=<hex>…]".
	SignatureHeader = "Monite-Signature"
	// WebhookIDHeader carries the event ID, stable across retries, so
	// receivers can drop duplicates.
	WebhookIDHeader = "Webhook-Id"
	// DefaultTolerance is how far a signature's timestamp may be from the
	// verifier's clock, in either direction, when VerifyParams.Tolerance is
	// zero.
	DefaultTolerance = 5 * time.Minute
	// DefaultMaxBodyBytes is the largest request body [VerifyMiddleware]
	// reads.
	DefaultMaxBodyBytes = 1 << 20
)

// Signature errors. [Verify] returns these, or errors wrapping them; test
// with [errors.Is].
var (
	// ErrNoSignature: the signature header is missing or empty.
	ErrNoSignature = errors.New("monitehooks: missing signature header")
	// ErrMalformedSignature: the signature header is present but garbled:
	// no t or t given twice, t not decimal unix seconds, a v1 that is not
	// 64 hex digits, an empty element or one without '=', a space, …
	ErrMalformedSignature = errors.New("monitehooks: malformed signature header")
	// ErrNoValidSignature: the header is well-formed but none of its v1
	// signatures was made with any of the accepted secrets over this body
	// and timestamp.
	ErrNoValidSignature = errors.New("monitehooks: no valid signature")
	// ErrTimestampTooOld: the signature's timestamp is further in the past
	// than the tolerance allows.
	ErrTimestampTooOld = errors.New("monitehooks: signature timestamp too old")
	// ErrTimestampTooNew: the signature's timestamp is further in the
	// future than the tolerance allows.
	ErrTimestampTooNew = errors.New("monitehooks: signature timestamp too new")
)

// Details of ErrMalformedSignature, built once so that returning them does
// not allocate.
var (
	errEmptyElement = fmt.Errorf("%w: empty element", ErrMalformedSignature)
	errNoEquals     = fmt.Errorf("%w: element without '='", ErrMalformedSignature)
	errEmptyKey     = fmt.Errorf("%w: element with an empty key", ErrMalformedSignature)
	errBadByte      = fmt.Errorf("%w: space or control character", ErrMalformedSignature)
	errNoTimestamp  = fmt.Errorf("%w: no t", ErrMalformedSignature)
	errDupTimestamp = fmt.Errorf("%w: t given twice", ErrMalformedSignature)
	errBadTimestamp = fmt.Errorf("%w: t is not decimal unix seconds", ErrMalformedSignature)
	errBadV1        = fmt.Errorf("%w: v1 is not 64 hex digits", ErrMalformedSignature)
)

// Misuse of Verify. They are not wrapped sentinels because no request can
// cause them: only the caller's configuration.
var (
	errNoSecrets   = errors.New("monitehooks: VerifyParams.Secrets is empty")
	errEmptySecret = errors.New("monitehooks: VerifyParams.Secrets holds an empty secret")
)

// AppendSignature appends to dst the value of a [SignatureHeader] for body
// sent at t, "t=<unix seconds>,v1=<hex>[,v1=<hex>…]", with one v1 per secret
// in the order given, and returns the extended slice. Each v1 is the
// lower-case hex HMAC-SHA256 of "<unix seconds>.<body>" keyed with the
// whole secret string, "whsec_" prefix included. t is truncated to the
// second and must not be before 1970.
//
// Secrets should not be empty: with no secrets AppendSignature appends
// only "t=<unix seconds>", which [Verify] rejects with
// [ErrNoValidSignature].
//
// AppendSignature does not allocate when dst has room for the result, which
// is 2+len(unix seconds)+68*len(secrets) bytes.
func AppendSignature(dst, body []byte, t time.Time, secrets []string) []byte {
	m := getMAC()
	defer putMAC(m)
	dst = append(dst, "t="...)
	dst = append(dst, m.setUnix(t.Unix())...)
	for _, secret := range secrets {
		dst = append(dst, ",v1="...)
		dst = hex.AppendEncode(dst, m.sum(secret, body))
	}
	return dst
}

// Sign returns the value of a [SignatureHeader] for body sent at t, signed
// with each secret. See [AppendSignature].
func Sign(body []byte, t time.Time, secrets ...string) string {
	var buf [2 + 20 + 2*(4+2*sha256.Size)]byte // room for two secrets
	return string(AppendSignature(buf[:0], body, t, secrets))
}

// VerifyParams configures [Verify] and [VerifyMiddleware].
type VerifyParams struct {
	// Secrets are the accepted secrets, each a whole "whsec_…" string.
	// During a rotation give every live secret; a signature made with any
	// of them is accepted. Required: with none, or with an empty string
	// among them, Verify returns an error.
	Secrets []string
	// Tolerance is how far the signature's timestamp may be from Now, in
	// either direction; a timestamp exactly Tolerance away is accepted.
	// Negative disables the check. Defaults to [DefaultTolerance].
	Tolerance time.Duration
	// Now is the clock. Defaults to [time.Now].
	Now func() time.Time
}

// Verify checks that header, the value of a [SignatureHeader], signs body
// with one of p.Secrets at a time within p.Tolerance of p.Now. It returns
// nil when it does.
//
// The header is parsed strictly: elements separated by ',' with no spaces,
// each "key=value"; "t" exactly once, as unix seconds in decimal without
// sign or leading zeros; "v1" any number of times, each 64 hex digits; other
// keys (such as Stripe's "v0") are ignored. Checks run in this order, and
// the first failing one decides the error: a missing or empty header
// ([ErrNoSignature]); a garbled one ([ErrMalformedSignature]); the timestamp
// ([ErrTimestampTooOld], [ErrTimestampTooNew]); then every v1 is compared in
// constant time with the HMAC-SHA256 of "<t>.<body>" under every secret
// ([ErrNoValidSignature] when none matches, including when the header has
// no v1). Misconfigured params (no secrets, or an empty one) are reported
// before anything else with an error wrapping none of these.
//
// body must be the raw request body, exactly as received. Verify does not
// allocate.
func Verify(header string, body []byte, p VerifyParams) error {
	if len(p.Secrets) == 0 {
		return errNoSecrets
	}
	for _, s := range p.Secrets {
		if s == "" {
			return errEmptySecret
		}
	}
	ts, unix, err := parseSignature(header)
	if err != nil {
		return err
	}
	if p.Tolerance >= 0 {
		tol := p.Tolerance
		if tol == 0 {
			tol = DefaultTolerance
		}
		now := time.Now
		if p.Now != nil {
			now = p.Now
		}
		// time.Unix overflows past maxUnix, a time billions of years
		// ahead: clamped there, t stays too new under any tolerance short
		// of the largest Duration (where Sub saturates).
		n, t := now(), time.Unix(min(unix, maxUnix), 0)
		if n.Sub(t) > tol {
			return ErrTimestampTooOld
		}
		if t.Sub(n) > tol {
			return ErrTimestampTooNew
		}
	}

	m := getMAC()
	defer putMAC(m)
	m.setTimestamp(ts)
	for _, secret := range p.Secrets {
		want := m.sum(secret, body)
		for rest := header; rest != ""; {
			var k, v string
			k, v, rest = nextElement(rest)
			if k != "v1" {
				continue
			}
			var got [sha256.Size]byte
			decodeHex(got[:], v)
			if hmac.Equal(got[:], want) {
				return nil
			}
		}
	}
	return ErrNoValidSignature
}

// VerifyMiddleware returns a handler that protects next, a receiver of
// deliveries, with [Verify]. It reads the raw request body, at most
// [DefaultMaxBodyBytes] (a larger one gets 413 Request Entity Too Large),
// and verifies the [SignatureHeader] against it with p. On success it calls
// next with the body replaced by a reader over the exact bytes read and
// ContentLength set to their number. On failure it answers 400 Bad Request
// with a short plain-text message naming the error, never a secret, and
// does not call next. Misconfigured params (no secrets) get 500 Internal
// Server Error.
func VerifyMiddleware(p VerifyParams, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, DefaultMaxBodyBytes))
		if err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				http.Error(w, "monitehooks: request body too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "monitehooks: cannot read request body", http.StatusBadRequest)
			return
		}
		if err := Verify(r.Header.Get(SignatureHeader), body, p); err != nil {
			code := http.StatusBadRequest
			if errors.Is(err, errNoSecrets) || errors.Is(err, errEmptySecret) {
				code = http.StatusInternalServerError
			}
			http.Error(w, err.Error(), code)
			return
		}
		r2 := r.WithContext(r.Context()) // a shallow copy: next gets its own Body
		r2.Body = io.NopCloser(bytes.NewReader(body))
		r2.ContentLength = int64(len(body))
		next.ServeHTTP(w, r2)
	})
}

// parseSignature validates a signature header and returns its t as written
// and as a number.
func parseSignature(header string) (ts string, unix int64, err error) {
	if header == "" {
		return "", 0, ErrNoSignature
	}
	for i := 0; i < len(header); i++ {
		if c := header[i]; c <= ' ' || c == 0x7f {
			return "", 0, errBadByte
		}
	}
	seenT := false
	for rest := header; ; {
		elem, after, more := strings.Cut(rest, ",")
		if elem == "" {
			return "", 0, errEmptyElement
		}
		k, v, ok := strings.Cut(elem, "=")
		switch {
		case !ok:
			return "", 0, errNoEquals
		case k == "":
			return "", 0, errEmptyKey
		case k == "t":
			if seenT {
				return "", 0, errDupTimestamp
			}
			seenT = true
			n, ok := parseUnix(v)
			if !ok {
				return "", 0, errBadTimestamp
			}
			ts, unix = v, n
		case k == "v1":
			if !isHex64(v) {
				return "", 0, errBadV1
			}
		}
		if !more {
			break
		}
		rest = after
	}
	if !seenT {
		return "", 0, errNoTimestamp
	}
	return ts, unix, nil
}

// nextElement splits the first element off a header parseSignature
// accepted.
func nextElement(s string) (key, value, rest string) {
	elem, rest, _ := strings.Cut(s, ",")
	key, value, _ = strings.Cut(elem, "=")
	return key, value, rest
}

// maxUnix is the largest unix time a time.Time holds: it counts seconds
// from year 1 in an int64.
const maxUnix = 1<<63 - 1 - 62135596800

// parseUnix parses non-negative decimal seconds without sign or leading
// zeros, the form strconv.FormatInt gives, so that the signed "<t>" is the
// same whether a verifier reuses the header's digits or formats the parsed
// number again.
func parseUnix(s string) (int64, bool) {
	if s == "" || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

func isHex64(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if _, ok := fromHex(s[i]); !ok {
			return false
		}
	}
	return true
}

// decodeHex decodes s, which isHex64 accepted, into dst.
func decodeHex(dst []byte, s string) {
	for i := range dst {
		hi, _ := fromHex(s[2*i])
		lo, _ := fromHex(s[2*i+1])
		dst[i] = hi<<4 | lo
	}
}

func fromHex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// macState computes HMAC-SHA256 over "<t>.<body>" for one timestamp and
// any number of keys. crypto/hmac allocates a fresh state per key; this one
// is pooled and keeps every buffer it hands to the hash inside itself, so
// signing and verifying do not allocate.
type macState struct {
	h   hash.Hash
	ts  []byte // "<t>.", backed by tsBuf
	key [sha256.BlockSize]byte
	pad [sha256.BlockSize]byte
	out [sha256.Size]byte

	tsBuf [24]byte
}

var macPool = sync.Pool{New: func() any { return &macState{h: sha256.New()} }}

func getMAC() *macState { return macPool.Get().(*macState) }

// putMAC returns m to the pool without anything derived from a key: the
// padded key, and the hash state, from which HMACs could be forged.
func putMAC(m *macState) {
	m.h.Reset()
	clear(m.key[:])
	clear(m.pad[:])
	clear(m.out[:])
	macPool.Put(m)
}

// setTimestamp sets the t that sum signs, as written in a header that
// parseSignature accepted, so at most 19 digits.
func (m *macState) setTimestamp(t string) {
	m.ts = append(append(m.tsBuf[:0], t...), '.')
}

// setUnix sets the t that sum signs, as seconds, and returns its digits.
func (m *macState) setUnix(t int64) []byte {
	m.ts = append(strconv.AppendInt(m.tsBuf[:0], t, 10), '.')
	return m.ts[:len(m.ts)-1]
}

// sum returns HMAC-SHA256(key, "<t>." + body) (RFC 2104). The result is
// valid until the next call.
func (m *macState) sum(key string, body []byte) []byte {
	clear(m.key[:])
	if len(key) > sha256.BlockSize {
		m.h.Reset()
		for rest := key; rest != ""; {
			n := copy(m.pad[:], rest)
			m.h.Write(m.pad[:n])
			rest = rest[n:]
		}
		m.h.Sum(m.key[:0])
	} else {
		copy(m.key[:], key)
	}

	for i, b := range m.key {
		m.pad[i] = b ^ 0x36
	}
	m.h.Reset()
	m.h.Write(m.pad[:])
	m.h.Write(m.ts)
	m.h.Write(body)
	inner := m.h.Sum(m.out[:0])

	for i, b := range m.key {
		m.pad[i] = b ^ 0x5c
	}
	m.h.Reset()
	m.h.Write(m.pad[:])
	m.h.Write(inner)
	return m.h.Sum(m.out[:0])
}
