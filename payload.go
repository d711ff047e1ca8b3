package monitehooks

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// A delivery's body is its event's payload in the subscription's format,
// with a few per-subscription values spliced in: the subscription's ID,
// and its name (settings format) or API version (subscriptions format).
// template holds the event's part of one format, rendered once per event
// and format; appendPayload splices the rest in per attempt.
type template struct {
	// buf holds the parts one after another: buf[:cut1] + name or version
	// + buf[cut1:cut2] + subscription ID + buf[cut2:cut3]; in the settings
	// format buf[cut3:] is the default name as a JSON string, for unnamed
	// subscriptions.
	buf              []byte
	cut1, cut2, cut3 int
}

// newTemplate renders ev's part of the format f. ev has been validated:
// Object, when set, is a JSON object. scratch is working space; the
// template's buffer is allocated once, at its final size.
func newTemplate(ev *Event, f APIFormat, scratch []byte) (t template, _ []byte) {
	b := scratch[:0]
	if f == FormatSettings {
		b = append(b, `{"id":`...)
		b = appendJSONString(b, ev.ID)
		b = append(b, `,"object_id":`...)
		b = appendJSONString(b, ev.ObjectID)
		b = append(b, `,"object_type":`...)
		b = appendJSONString(b, string(ev.ObjectType))
		b = append(b, `,"action":`...)
		b = appendJSONString(b, SettingsAction(ev.ObjectType, ev.Type))
		b = append(b, `,"name":`...)
		t.cut1 = len(b)
		if ev.EntityID != "" {
			b = append(b, `,"entity_id":`...)
			b = appendJSONString(b, ev.EntityID)
		}
		b = append(b, `,"webhook_subscription_id":`...)
		t.cut2 = len(b)
		b = append(b, `,"created_at":`...)
		b = appendJSONTime(b, ev.CreatedAt)
		b = append(b, '}')
		t.cut3 = len(b)
		b = appendJSONJoin(b, string(ev.ObjectType), ' ', string(ev.Type))
	} else {
		b = append(b, `{"id":`...)
		b = appendJSONString(b, ev.ID)
		b = append(b, `,"created_at":`...)
		b = appendJSONTime(b, ev.CreatedAt)
		b = append(b, `,"action":`...)
		b = appendJSONJoin(b, string(ev.ObjectType), '.', string(ev.Type))
		b = append(b, `,"api_version":`...)
		t.cut1 = len(b)
		b = append(b, `,"description":`...)
		b = appendJSONJoin(b, string(ev.ObjectType), '_', string(ev.Type))
		b = append(b, `,"entity_id":`...) // always present in this format
		if ev.EntityID != "" {
			b = appendJSONString(b, ev.EntityID)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"object":`...)
		b = appendObject(b, ev.ObjectID, ev.Object)
		b = append(b, `,"object_type":`...)
		b = appendJSONString(b, string(ev.ObjectType))
		b = append(b, `,"webhook_subscription_id":`...)
		t.cut2 = len(b)
		b = append(b, '}')
		t.cut3 = len(b)
	}
	t.buf = append([]byte(nil), b...)
	return t, b
}

// appendPayload appends the body of a delivery of the template's event to
// sub, whose format the template is in.
func (t *template) appendPayload(dst []byte, sub *Subscription) []byte {
	dst = append(dst, t.buf[:t.cut1]...)
	if sub.APIFormat == FormatSettings {
		if sub.Name == "" {
			dst = append(dst, t.buf[t.cut3:]...)
		} else {
			dst = appendJSONString(dst, sub.Name)
		}
	} else {
		version := sub.APIVersion
		if version == "" {
			version = DefaultAPIVersion
		}
		dst = appendJSONString(dst, version)
	}
	dst = append(dst, t.buf[t.cut1:t.cut2]...)
	dst = appendJSONString(dst, sub.ID)
	return append(dst, t.buf[t.cut2:t.cut3]...)
}

// seedActions maps the seed's event types to the verbs its settings-format
// payloads carry as "action".
var seedActions = map[EventType]string{"created": "create", "updated": "update", "deleted": "delete"}

// SettingsAction returns the "action" of a settings-format payload: the
// seed's verb (create, update, delete) for event types of [DefaultCatalog],
// and the event type itself for everything else.
func SettingsAction(ot ObjectType, et EventType) string {
	if DefaultCatalog.Has(ot, et) {
		return seedActions[et]
	}
	return string(et)
}

// appendObject appends the "object" of a subscriptions-format payload: the
// snapshot with the object's ID first, unless the snapshot has an "id" of
// its own (which Emit checked is the object ID). snapshot is empty or a
// valid JSON object.
func appendObject(dst []byte, objectID string, snapshot []byte) []byte {
	snapshot = bytes.TrimSpace(snapshot)
	if len(snapshot) == 0 {
		dst = append(dst, `{"id":`...)
		dst = appendJSONString(dst, objectID)
		return append(dst, '}')
	}
	if hasTopLevelKey(snapshot, "id") {
		return append(dst, snapshot...)
	}
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, objectID)
	rest := bytes.TrimSpace(snapshot[1:]) // after '{'
	if rest[0] != '}' {
		dst = append(dst, ',')
	}
	return append(dst, rest...)
}

// hasTopLevelKey reports whether obj, a valid JSON object, has the key at
// its top level. It scans without decoding, so it does not allocate for
// keys written without escapes.
func hasTopLevelKey(obj []byte, key string) bool {
	depth := 0
	expectKey := false
	for i := 0; i < len(obj); i++ {
		switch c := obj[i]; c {
		case '{':
			depth++
			expectKey = depth == 1
		case '[':
			depth++
		case '}', ']':
			depth--
		case ',':
			expectKey = depth == 1
		case '"':
			end, escaped := i+1, false
			for ; end < len(obj) && obj[end] != '"'; end++ {
				if obj[end] == '\\' {
					escaped = true
					end++
				}
			}
			if expectKey {
				s := obj[i+1 : end]
				if escaped {
					var k string
					if json.Unmarshal(obj[i:end+1], &k) == nil && k == key {
						return true
					}
				} else if string(s) == key {
					return true
				}
				expectKey = false
			}
			i = end
		}
	}
	return false
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendJSONChars(dst, s)
	return append(dst, '"')
}

// appendJSONJoin appends a, sep and b as one JSON string; sep needs no
// escaping.
func appendJSONJoin(dst []byte, a string, sep byte, b string) []byte {
	dst = append(dst, '"')
	dst = appendJSONChars(dst, a)
	dst = append(dst, sep)
	dst = appendJSONChars(dst, b)
	return append(dst, '"')
}

// appendJSONTime appends t in UTC as an RFC 3339 JSON string; t is within
// the years 1 to 9999, so it needs no escaping.
func appendJSONTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

// appendJSONChars appends s as the inside of a JSON string.
func appendJSONChars(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}
