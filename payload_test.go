package monitehooks_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/monitehooks/monitehooks"
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
