package monitehooks

import (
	"bytes"
	"encoding/json"
	"sync"
	"time"
	"unicode/utf8"
)

// A delivery's body is its event's payload with a few per-subscription
// values spliced in (the subscription's ID, and its name or API version).
// template holds the event's part of both formats, rendered once per event
// and format; appendPayload splices the rest per attempt.
type template struct {
	// settings format: head + name + mid + subscription ID + tail.
	settingsHead, settingsMid, settingsTail []byte
	// defaultName is "<object_type> <event_type>", for unnamed
	// subscriptions.
	defaultName string
	// subscriptions format: head + api_version + mid + subscription ID +
	// tail.
	subsHead, subsMid, subsTail []byte
}

// newTemplate renders ev's part of both payload formats. ev has been
// validated: Object, when set, is a JSON object.
func newTemplate(ev *Event) *template {
	t := &template{defaultName: string(ev.ObjectType) + " " + string(ev.Type)}
	created := ev.CreatedAt.UTC().Format(time.RFC3339Nano)

	var b []byte
	b = append(b, `{"id":`...)
	b = appendJSONString(b, ev.ID)
	b = append(b, `,"object_id":`...)
	b = appendJSONString(b, ev.ObjectID)
	b = append(b, `,"object_type":`...)
	b = appendJSONString(b, string(ev.ObjectType))
	b = append(b, `,"action":`...)
	b = appendJSONString(b, SettingsAction(ev.ObjectType, ev.Type))
	b = append(b, `,"name":`...)
	t.settingsHead, b = b, nil
	if ev.EntityID != "" {
		b = append(b, `,"entity_id":`...)
		b = appendJSONString(b, ev.EntityID)
	}
	b = append(b, `,"webhook_subscription_id":`...)
	t.settingsMid, b = b, nil
	b = append(b, `,"created_at":`...)
	b = appendJSONString(b, created)
	b = append(b, '}')
	t.settingsTail, b = b, nil

	b = append(b, `{"id":`...)
	b = appendJSONString(b, ev.ID)
	b = append(b, `,"created_at":`...)
	b = appendJSONString(b, created)
	b = append(b, `,"action":`...)
	b = appendJSONString(b, string(ev.ObjectType)+"."+string(ev.Type))
	b = append(b, `,"api_version":`...)
	t.subsHead, b = b, nil
	b = append(b, `,"description":`...)
	b = appendJSONString(b, string(ev.ObjectType)+"_"+string(ev.Type))
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
	t.subsMid, b = b, nil
	t.subsTail = append(b, '}')
	return t
}

// appendPayload appends the body of a delivery of the template's event to
// sub.
func (t *template) appendPayload(dst []byte, sub *Subscription) []byte {
	if sub.APIFormat == FormatSettings {
		dst = append(dst, t.settingsHead...)
		name := sub.Name
		if name == "" {
			name = t.defaultName
		}
		dst = appendJSONString(dst, name)
		dst = append(dst, t.settingsMid...)
		dst = appendJSONString(dst, sub.ID)
		return append(dst, t.settingsTail...)
	}
	dst = append(dst, t.subsHead...)
	version := sub.APIVersion
	if version == "" {
		version = DefaultAPIVersion
	}
	dst = appendJSONString(dst, version)
	dst = append(dst, t.subsMid...)
	dst = appendJSONString(dst, sub.ID)
	return append(dst, t.subsTail...)
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
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
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
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// templateCache keeps the templates of recent events, so that an event's
// payload is rendered once however many subscriptions and attempts it has.
// It holds at most size templates, dropping the oldest first; a dropped
// template is rendered again if needed. It is safe for concurrent use.
type templateCache struct {
	mu    sync.Mutex // guards m, ring and next
	m     map[string]*template
	ring  []string // event IDs in insertion order
	next  int      // ring slot to fill next
	limit int
}

func newTemplateCache(limit int) *templateCache {
	return &templateCache{m: make(map[string]*template, limit), ring: make([]string, limit), limit: limit}
}

// get returns ev's template, rendering it on first use.
func (c *templateCache) get(ev *Event) *template {
	c.mu.Lock()
	t, ok := c.m[ev.ID]
	c.mu.Unlock()
	if ok {
		return t
	}
	t = newTemplate(ev)
	c.mu.Lock()
	defer c.mu.Unlock()
	if have, ok := c.m[ev.ID]; ok {
		return have // rendered concurrently
	}
	if old := c.ring[c.next]; old != "" {
		delete(c.m, old)
	}
	c.ring[c.next] = ev.ID
	c.next = (c.next + 1) % c.limit
	c.m[ev.ID] = t
	return t
}

// checkObject returns what is wrong with an event's object snapshot, or "":
// it must be one JSON object in valid UTF-8 (it goes into the signed body
// as it is), and an "id" of its own must be the event's object ID, since
// the payload's object.id is the object ID.
func checkObject(b []byte, objectID string) string {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || b[0] != '{' || !json.Valid(b):
		return "must be a JSON object"
	case !utf8.Valid(b):
		return "must be valid UTF-8"
	case hasTopLevelKey(b, "id"):
		var own struct{ ID any }
		if json.Unmarshal(b, &own) != nil || own.ID != objectID {
			return "has an \"id\" that is not the object_id"
		}
	}
	return ""
}
