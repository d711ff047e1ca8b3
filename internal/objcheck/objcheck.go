// Package objcheck checks the object snapshot of an event to emit: one
// JSON object, in valid UTF-8, whose top-level "id", if it has one, is the
// object's ID. [Check] does it in one pass, without allocating for the
// usual snapshot. An unexported reference built on encoding/json words the
// messages and defines the rules; FuzzCheckObject holds the two equal, and
// BenchmarkCheckObject measures what the one pass saves.
package objcheck

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"unicode/utf8"
)

// Messages of Check and checkSlow.
const (
	msgObjectNotJSON = "must be a JSON object"
	msgObjectUTF8    = "must be valid UTF-8"
	msgObjectID      = "has an \"id\" that is not the object_id"
)

// Check returns what is wrong with an event's object snapshot, or "",
// exactly as checkSlow does (see there for the rules: only the key "id"
// itself is the object's own ID, each time it occurs), but in one pass and
// without allocating for the usual snapshot. It falls back to checkSlow
// when scanObject cannot decide, and for an invalid snapshot, to word the
// message, a sentence fragment about the object such as "must be a JSON
// object".
func Check(b []byte, objectID string) string {
	switch scanObject(b, objectID) {
	case objectOK:
		return ""
	case objectWrongID:
		return msgObjectID
	}
	return checkSlow(b, objectID)
}

// checkSlow returns what is wrong with an event's object snapshot,
// or "": b must be one JSON object, with JSON whitespace (space, tab, CR,
// LF) only around it; it must be valid UTF-8 (it goes into the signed body
// as it is); and every top-level member whose key, unescaped, is exactly
// "id" must have the string value objectID, since the payload's object.id
// is the object ID. Other keys such as "ID" or "Id" are not the ID; a
// duplicated "id" must be objectID every time. (An earlier check decoded
// into struct{ ID any }, which matched keys case-insensitively and kept the
// last one, and trimmed Unicode spaces such as U+00A0 around the object.)
// An invalid object is "not a JSON object" before it is "not UTF-8".
func checkSlow(b []byte, objectID string) string {
	i := skipJSONSpace(b, 0)
	switch {
	case i == len(b) || b[i] != '{' || !json.Valid(b):
		return msgObjectNotJSON
	case !utf8.Valid(b):
		return msgObjectUTF8
	case !ownIDsAre(b, objectID):
		return msgObjectID
	}
	return ""
}

// ownIDsAre reports whether every top-level member of obj, a valid JSON
// object, whose key is exactly "id" after unescaping has the JSON string
// value objectID (also after unescaping).
func ownIDsAre(obj []byte, objectID string) bool {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil { // '{'
		return false
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return false
		}
		if key != "id" {
			if dec.Decode(new(json.RawMessage)) != nil {
				return false
			}
			continue
		}
		// A string value is a string Token; anything else is not one,
		// and an object or array value ends the walk here.
		if v, err := dec.Token(); err != nil || v != objectID {
			return false
		}
	}
	return true
}

// objectVerdict is what scanObject finds of an object snapshot.
type objectVerdict uint8

// Verdicts of scanObject, in the order in which a finding overrides an
// earlier one.
const (
	// objectInvalid: not one JSON object, or not valid UTF-8.
	objectInvalid objectVerdict = iota
	// objectOK: one JSON object in valid UTF-8, each top-level "id" the
	// string objectID.
	objectOK
	// objectSlow: one JSON object in valid UTF-8 whose IDs need decoding
	// or more comparing than scanObject does: a top-level key, or the
	// string value of a top-level "id", has an escape, or a second "id"
	// is a string as long as objectID (and no "id" is plainly wrong).
	objectSlow
	// objectWrongID: one JSON object in valid UTF-8 with a top-level
	// "id" that is not the string objectID.
	objectWrongID
)

// What scanObjectStack expects next.
const (
	wantValue = iota // a value
	wantKey          // a member's key
	wantID           // the value of a top-level "id"
)

// maxObjectDepth is how deeply encoding/json lets values nest (its
// maxNestingDepth); the object itself is depth 1.
const maxObjectDepth = 10000

// deepObjectStack holds what of scanObjectStack's bit-stack does not fit in
// its register: words of 63 levels each, the outermost first.
type deepObjectStack struct {
	n     int                         // words in use
	words [maxObjectDepth / 63]uint64 // enough, as 63 more levels are in the register
}

// scanObject judges the object snapshot b for Check in one pass,
// without allocating: see objectVerdict. b is the snapshot as given: JSON
// whitespace around the object is allowed, anything else is not. It accepts
// exactly what encoding/json.Valid does, nesting limit included, and then
// requires utf8.Valid.
//
// It keeps the kinds of the open containers in a bit-stack, in a register
// for the first 63 levels, which are all that a snapshot usually has; a
// deeper snapshot is scanned again with room on the stack for all of
// maxObjectDepth levels.
func scanObject(b []byte, objectID string) objectVerdict {
	if v, ok := scanObjectStack(b, objectID, nil); ok {
		return v
	}
	return scanObjectDeep(b, objectID)
}

// scanObjectDeep is scanObject for snapshots nested more than 63 levels. It
// is not inlined so that scanObject's frame stays small and is not zeroed.
//
//go:noinline
func scanObjectDeep(b []byte, objectID string) objectVerdict {
	var deep deepObjectStack
	v, _ := scanObjectStack(b, objectID, &deep)
	return v
}

// scanObjectStack is scanObject with deep as the bit-stack beyond the first
// 63 levels, or nil; ok is false if b nests deeper than 63 levels and deep
// is nil, and the verdict is then unknown.
//
// Its loop calls no function that is not inlined, and keeps few variables:
// else they would not all stay in registers.
func scanObjectStack(b []byte, objectID string, deep *deepObjectStack) (v objectVerdict, ok bool) {
	i := skipJSONSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return objectInvalid, true
	}
	b = b[:len(b):len(b)] // one register fewer: cap is len
	v = objectOK
	// stack has a bit for each open container (beyond those in deep), 1
	// for an object, the innermost in bit 0, below a 1 that marks the
	// bottom; stack is 0b11 in the top-level object.
	stack := uint64(1)
	want := wantValue
	idEnd := -1 // where the first "id" string ends, if it has len(objectID) bytes and no escapes
value:
	for {
		// A value, or a member's key, starts at or after b[i].
		i = skipJSONSpace(b, i)
		if i == len(b) {
			return objectInvalid, true
		}
		switch c := b[i]; {
		case c == '"':
			// The string ends at the first '"' that is not escaped.
			start := i + 1
			end := start
		str:
			for {
				end = plainStringEnd(b, end)
				if end == len(b) {
					return objectInvalid, true
				}
				switch c := b[end]; {
				case c == '"':
					break str
				case c == '\\':
					if want == wantID || want == wantKey && stack == 0b11 && (deep == nil || deep.n == 0) {
						// An "id" to unescape, or a top-level key that
						// may be "id".
						v = max(v, objectSlow)
						if want == wantID {
							want = wantValue
						}
					}
					if len(b)-end < 2 {
						return objectInvalid, true
					}
					switch b[end+1] {
					case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
						end += 2
					case 'u':
						if len(b)-end < 6 || !isHexDigit(b[end+2]) || !isHexDigit(b[end+3]) ||
							!isHexDigit(b[end+4]) || !isHexDigit(b[end+5]) {
							return objectInvalid, true
						}
						end += 6
					default:
						return objectInvalid, true
					}
				case c < ' ':
					return objectInvalid, true
				case c < utf8.RuneSelf: // in the last bytes (see plainStringEnd)
					end++
				default:
					// A multi-byte UTF-8 sequence, as utf8.DecodeRune takes
					// it: the second byte's range depends on the first.
					n, lo, hi := 2, byte(0x80), byte(0xbf)
					switch {
					case c < 0xc2 || c > 0xf4: // continuation, overlong, or too high
						return objectInvalid, true
					case c >= 0xf0:
						n = 4
						if c == 0xf0 {
							lo = 0x90 // not overlong
						} else if c == 0xf4 {
							hi = 0x8f // not above U+10FFFF
						}
					case c >= 0xe0:
						n = 3
						if c == 0xe0 {
							lo = 0xa0 // not overlong
						} else if c == 0xed {
							hi = 0x9f // not a surrogate
						}
					}
					if len(b)-end < n || b[end+1] < lo || b[end+1] > hi {
						return objectInvalid, true
					}
					for k := end + 2; k < end+n; k++ {
						if b[k]&0xc0 != 0x80 {
							return objectInvalid, true
						}
					}
					end += n
				}
			}
			i = end + 1
			switch want {
			case wantKey:
				want = wantValue
				if string(b[start:end]) == "id" && stack == 0b11 && (deep == nil || deep.n == 0) {
					want = wantID
				}
				if i = skipJSONSpace(b, i); i == len(b) || b[i] != ':' {
					return objectInvalid, true
				}
				i++
				continue
			case wantID:
				// Compared after the loop, which has no calls.
				want = wantValue
				switch {
				case end-start != len(objectID):
					v = objectWrongID
				case idEnd >= 0:
					v = max(v, objectSlow) // a second one, rare
				default:
					idEnd = end
				}
			}
		case want == wantKey:
			return objectInvalid, true
		case c == '{' || c == '[':
			if want == wantID {
				v = objectWrongID
			}
			want = wantValue
			if stack >= 1<<63 {
				// 63 levels: keep them in deep.
				if deep == nil {
					return objectInvalid, false
				}
				deep.words[deep.n] = stack
				deep.n++
				stack = 1
			}
			stack <<= 1
			if c == '{' {
				stack |= 1
			}
			if deep != nil && deep.n*63+bits.Len64(stack)-1 > maxObjectDepth {
				return objectInvalid, true
			}
			i = skipJSONSpace(b, i+1)
			if i == len(b) || b[i] != c+2 { // '}' is '{'+2, ']' is '['+2
				if c == '{' {
					want = wantKey
				}
				continue
			}
			// Empty: the closing bracket is handled below.
		default:
			if want == wantID {
				v = objectWrongID
			}
			want = wantValue
			switch {
			case c == '-' || '0' <= c && c <= '9':
				// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
				if c == '-' {
					i++
				}
				switch {
				case i < len(b) && b[i] == '0':
					i++
				case i < len(b) && '1' <= b[i] && b[i] <= '9':
					i = skipDigits(b, i+1)
				default:
					return objectInvalid, true
				}
				if i < len(b) && b[i] == '.' {
					j := skipDigits(b, i+1)
					if j == i+1 {
						return objectInvalid, true
					}
					i = j
				}
				if i < len(b) && b[i]|0x20 == 'e' {
					i++
					if i < len(b) && (b[i] == '+' || b[i] == '-') {
						i++
					}
					j := skipDigits(b, i)
					if j == i {
						return objectInvalid, true
					}
					i = j
				}
			case c == 't' && len(b)-i >= 4 && string(b[i:i+4]) == "true",
				c == 'n' && len(b)-i >= 4 && string(b[i:i+4]) == "null":
				i += 4
			case c == 'f' && len(b)-i >= 5 && string(b[i:i+5]) == "false":
				i += 5
			default:
				return objectInvalid, true
			}
		}
		// After a value: a comma, or the ends of containers.
		for {
			if i = skipJSONSpace(b, i); i == len(b) {
				return objectInvalid, true
			}
			inObject := stack&1 != 0
			if b[i] == ',' {
				i++
				if inObject {
					want = wantKey
				}
				continue value
			}
			if inObject && b[i] != '}' || !inObject && b[i] != ']' {
				return objectInvalid, true
			}
			i++
			if stack >>= 1; stack == 1 {
				if deep == nil || deep.n == 0 {
					break value // the end of the object
				}
				deep.n--
				stack = deep.words[deep.n]
			}
		}
	}
	switch {
	case skipJSONSpace(b, i) < len(b):
		return objectInvalid, true
	case v < objectWrongID && idEnd >= 0 && string(b[idEnd-len(objectID):idEnd]) != objectID:
		return objectWrongID, true
	}
	return v, true
}

// skipJSONSpace returns the index of the first byte at or after b[i] that
// is not JSON whitespace, or len(b).
func skipJSONSpace(b []byte, i int) int {
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainStringEnd returns the index of the first byte at or after b[i]
// that does not stand for itself in a JSON string, reading eight bytes at a
// time; if it is not in those, the index of the first of the fewer than
// eight bytes left. The bytes that stand for themselves are ASCII but for
// control characters, '"' and '\\'.
func plainStringEnd(b []byte, i int) int {
	for len(b)-i >= 8 {
		if m := specialStringBytes(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		i += 8
	}
	return i
}

// specialStringBytes returns, for eight bytes read little-endian into x, a
// word whose lowest set bit is the high bit of the first of those bytes
// that does not stand for itself in a JSON string (see plainStringEnd), or
// 0 if they all do. Bits above that one mean nothing. For a byte y that
// stands for itself, y^'"' and y^'\\' are in 1 to 0x7f and y-' ' is in 0 to
// 0x5f: less one, and that difference, neither borrow from the next byte
// nor set the high bit. For the first byte that does not, '"' or '\\' less
// one is 0xff, a control character less ' ' is at least 0xe0, and any
// other byte has the high bit itself.
func specialStringBytes(x uint64) uint64 {
	const ones = 0x0101010101010101
	quote, backslash := x^(ones*'"'), x^(ones*'\\')
	return ((quote - ones) | (backslash - ones) | (x - ones*' ') | x) & (ones * 0x80)
}

// isHexDigit reports whether c is a hexadecimal digit, in either case.
func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'f'
}

// skipDigits returns the index of the first byte at or after b[i] that is
// not a decimal digit, or len(b).
func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}
