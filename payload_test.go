package monitehooks_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/internal/objcheck"
)

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"uote`, `back\slash`, "ctl\x00\x1f\n\r\t", "é ünïcode 🙂", "bad\xffutf8", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := monitehooks.AppendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("appendJSONString(%q) = %s, not a JSON string: %v", s, b, err)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); utf8.ValidString(s) && got != want {
			t.Errorf("round trip of %q = %q", s, got)
		}
	})
}

// FuzzPayload renders both formats of arbitrary events for arbitrary
// subscriptions and checks, by decoding them, that each is one JSON object
// with exactly the fields docs/webhooks.md gives ("Payload formats").
func FuzzPayload(f *testing.F) {
	f.Add("ev-1", "obj-1", "ent-1", "entity", "created", `{"name":"Acme"}`, "My hook", "sub-1", "2024-05-25", int64(1700000000123456789))
	f.Add(`e"v`, "o\xffid", "", "role", "deleted", "", "", "s\u2028", "", int64(0))
	f.Add("e", "o", "", "payment", "updated", ` {"id":"o","n":[1,{"id":2}]} `, "\x00", "s", "2020-01-01", int64(-1))
	f.Fuzz(func(t *testing.T, id, objectID, entityID, ot, et, object, name, subID, version string, ns int64) {
		ev := &monitehooks.Event{ID: id, ObjectID: objectID, EntityID: entityID, ObjectType: monitehooks.ObjectType(ot),
			Type: monitehooks.EventType(et), CreatedAt: time.Unix(0, ns)}
		if object != "" {
			ev.Object = []byte(object)
			if objcheck.Check(ev.Object, objectID) != "" {
				return // Emit refuses it
			}
		}
		// Each invalid byte becomes U+FFFD, as encoding/json does.
		str := func(s string) string { return string([]rune(s)) }
		var entity any
		if entityID != "" {
			entity = str(entityID)
		}
		created := ev.CreatedAt.UTC().Format(time.RFC3339Nano)
		for _, format := range []monitehooks.APIFormat{monitehooks.FormatSettings, monitehooks.FormatSubscriptions} {
			sub := &monitehooks.Subscription{ID: subID, Name: name, APIVersion: version, APIFormat: format}
			body := monitehooks.RenderPayload(ev, sub)
			var got map[string]any
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("%s payload %s: %v", format, body, err)
			}
			var want map[string]any
			if format == monitehooks.FormatSettings {
				wantName := name
				if name == "" {
					wantName = ot + " " + et
				}
				want = map[string]any{"id": str(id), "object_id": str(objectID), "object_type": str(ot),
					"action": str(monitehooks.SettingsAction(ev.ObjectType, ev.Type)), "name": str(wantName),
					"webhook_subscription_id": str(subID), "created_at": created}
				if entity != nil {
					want["entity_id"] = entity
				}
			} else {
				wantVersion := version
				if version == "" {
					wantVersion = monitehooks.DefaultAPIVersion
				}
				obj := map[string]any{"id": str(objectID)}
				if object != "" {
					obj = nil
					if err := json.Unmarshal([]byte(object), &obj); err != nil {
						t.Fatal(err)
					}
					obj["id"] = str(objectID)
				}
				want = map[string]any{"id": str(id), "created_at": created, "action": str(ot + "." + et),
					"api_version": str(wantVersion), "description": str(ot + "_" + et), "entity_id": entity,
					"object": obj, "object_type": str(ot), "webhook_subscription_id": str(subID)}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s payload %s (-want +got):\n%s", format, body, diff)
			}
		}
	})
}

func TestAppendObject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, snapshot, want string
	}{
		{"none", "", `{"id":"o1"}`},
		{"empty object", "{ }", `{"id":"o1"}`},
		{"fields", `{"a":1,"b":[2]}`, `{"id":"o1","a":1,"b":[2]}`},
		{"own id kept", `{"id":"other","a":1}`, `{"id":"other","a":1}`},
		{"spaces", " \n{\n \"a\" : 1 }\n", "{\"id\":\"o1\",\"a\" : 1 }"},
		{"nested id is not the object's", `{"owner":{"id":"x"},"list":[{"id":1}]}`, `{"id":"o1","owner":{"id":"x"},"list":[{"id":1}]}`},
		{"id as a value", `{"ref":"id","k":["id"]}`, `{"id":"o1","ref":"id","k":["id"]}`},
		{"escaped id key", `{"\u0069d":"own"}`, `{"\u0069d":"own"}`},
		{"escaped quote in a string", `{"a":"x\"id","b":1}`, `{"id":"o1","a":"x\"id","b":1}`},
		{"id after nesting", `{"a":{"b":[1,{"c":2}]},"id":"own"}`, `{"a":{"b":[1,{"c":2}]},"id":"own"}`},
	}
	for _, tt := range tests {
		got := string(monitehooks.AppendObject(nil, "o1", []byte(tt.snapshot)))
		if got != tt.want {
			t.Errorf("%s: appendObject = %s; want %s", tt.name, got, tt.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("%s: %s is not valid JSON", tt.name, got)
		}
	}
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"short", "ok", "ok"},
		{"cut at 1 KiB", strings.Repeat("a", 2000), strings.Repeat("a", 1024)},
		{"cut at a rune boundary", strings.Repeat("a", 1023) + "é", strings.Repeat("a", 1023)},
		{"invalid replaced", "a\xffb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		got := monitehooks.Excerpt([]byte(tt.in))
		if got != tt.want || len(got) > monitehooks.MaxResponseExcerpt || !utf8.ValidString(got) {
			t.Errorf("%s: excerpt = %q (%d bytes); want %q", tt.name, got, len(got), tt.want)
		}
	}
	if got := monitehooks.Excerpt([]byte(strings.Repeat("\xff", 2000))); len(got) > monitehooks.MaxResponseExcerpt {
		t.Errorf("excerpt of invalid bytes is %d bytes; want at most %d", len(got), monitehooks.MaxResponseExcerpt)
	}
}
