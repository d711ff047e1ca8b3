package objcheck

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// Snapshots of a typical object, about 250 bytes, without and with an "id"
// of its own.
var (
	objcheckPlain  = []byte(`{"name":"Acme Corporation","status":"active","legal_form":"GmbH","address":{"line1":"Hauptstrasse 1","city":"Berlin","postal_code":"10115","country":"DE"},"email":"billing@acme.example","phone":"+49301234567","tax_id":"DE123456789","note":"xxxxxxxx"}`)
	objcheckWithID = []byte(`{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","name":"Acme Corporation","status":"active","legal_form":"GmbH","address":{"line1":"Hauptstrasse 1","city":"Berlin","postal_code":"10115","country":"DE"},"email":"billing@acme.example","phone":"+49301234567","tax_id":"DE123456789","note":"xxxxxxxx"}`)
	objcheckID     = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
)

// verdictNames names the objectVerdicts in test messages.
var verdictNames = map[objectVerdict]string{
	objectInvalid: "objectInvalid",
	objectOK:      "objectOK",
	objectWrongID: "objectWrongID",
	objectSlow:    "objectSlow",
}

// nestedArrays returns an object whose member "a" opens arrays until the
// depth is depth (the object itself being depth 1), and closes them all.
func nestedArrays(depth int) string {
	return `{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}"
}

// nestedMixed returns an object whose member "a" opens arrays and objects
// in turn until the depth is depth, with a value inside, and closes them,
// each container holding a value after the nested one.
func nestedMixed(depth int) string {
	var open, close strings.Builder
	open.WriteString(`{"a":`)
	closers := []string{`,"z":0}`}
	for d := 2; d <= depth; d++ {
		if d%2 == 0 {
			open.WriteString(`[`)
			closers = append(closers, `,1]`)
		} else {
			open.WriteString(`{"k":`)
			closers = append(closers, `,"z":0}`)
		}
	}
	for i := len(closers) - 1; i >= 0; i-- {
		close.WriteString(closers[i])
	}
	return open.String() + "true" + close.String()
}

// objcheckCases are snapshots with their verdict, for the object ID "o1"
// unless id is set, and their message.
var objcheckCases = []struct {
	name, in, id string
	want         objectVerdict
	msg          string
}{
	// Objects and what is not one.
	{"empty", "", "", objectInvalid, msgObjectNotJSON},
	{"whitespace", " \t\r\n", "", objectInvalid, msgObjectNotJSON},
	{"empty object", `{}`, "", objectOK, ""},
	{"spaced object", " {} ", "", objectOK, ""},
	{"JSON whitespace", "\t\r\n { \t\r\n\"a\" \n:\r 1 \t}\n\r\t ", "", objectOK, ""},
	{"vertical tab before", "\v{}", "", objectInvalid, msgObjectNotJSON},
	{"form feed after", "{}\f", "", objectInvalid, msgObjectNotJSON},
	{"NBSP before", "\u00a0{}", "", objectInvalid, msgObjectNotJSON},
	{"NUL after", "{}\x00", "", objectInvalid, msgObjectNotJSON},
	{"array", `[1]`, "", objectInvalid, msgObjectNotJSON},
	{"string", `"s"`, "", objectInvalid, msgObjectNotJSON},
	{"number", `1`, "", objectInvalid, msgObjectNotJSON},
	{"null", `null`, "", objectInvalid, msgObjectNotJSON},
	{"member", `{"a":1}`, "", objectOK, ""},
	{"members", `{"a":1,"b":"x","c":[],"d":{}}`, "", objectOK, ""},
	{"trailing garbage", `{}x`, "", objectInvalid, msgObjectNotJSON},
	{"two objects", `{}{}`, "", objectInvalid, msgObjectNotJSON},
	{"two spaced objects", `{} {}`, "", objectInvalid, msgObjectNotJSON},
	{"unclosed", `{`, "", objectInvalid, msgObjectNotJSON},
	{"unclosed member", `{"a":1`, "", objectInvalid, msgObjectNotJSON},
	{"unclosed after comma", `{"a":1,`, "", objectInvalid, msgObjectNotJSON},
	{"close only", `}`, "", objectInvalid, msgObjectNotJSON},
	{"key only", `{"a"}`, "", objectInvalid, msgObjectNotJSON},
	{"no value", `{"a":}`, "", objectInvalid, msgObjectNotJSON},
	{"no colon", `{"a" 1}`, "", objectInvalid, msgObjectNotJSON},
	{"trailing comma", `{"a":1,}`, "", objectInvalid, msgObjectNotJSON},
	{"leading comma", `{,"a":1}`, "", objectInvalid, msgObjectNotJSON},
	{"no comma", `{"a":1 "b":2}`, "", objectInvalid, msgObjectNotJSON},
	{"number key", `{1:2}`, "", objectInvalid, msgObjectNotJSON},
	{"single quotes", `{'a':1}`, "", objectInvalid, msgObjectNotJSON},
	{"nested", `{"a":[1,[2,{"b":[]}],{}],"c":{"d":{"e":[true,false,null]}},"f":[[[]]]}`, "", objectOK, ""},
	{"array trailing comma", `{"a":[1,]}`, "", objectInvalid, msgObjectNotJSON},
	{"array leading comma", `{"a":[,1]}`, "", objectInvalid, msgObjectNotJSON},
	{"array closed by brace", `{"a":[1}`, "", objectInvalid, msgObjectNotJSON},
	{"object closed by bracket", `{"a":{]}`, "", objectInvalid, msgObjectNotJSON},
	{"member in array", `{"a":["b":1]}`, "", objectInvalid, msgObjectNotJSON},
	{"extra bracket", `{"a":[1]]}`, "", objectInvalid, msgObjectNotJSON},
	{"extra brace", `{"a":{}}}`, "", objectInvalid, msgObjectNotJSON},

	// Strings.
	{"escapes", `{"a":"\"\\\/\b\f\n\r\t"}`, "", objectOK, ""},
	{"u escapes", `{"a":"\u00e9\u00E9\uD83D\uDE00\u0000"}`, "", objectOK, ""},
	{"lone surrogates", `{"a":"\ud800 \udc00 \uDE00\uD83D"}`, "", objectOK, ""},
	{"escape x", `{"a":"\x"}`, "", objectInvalid, msgObjectNotJSON},
	{"escape quote", `{"a":"\'"}`, "", objectInvalid, msgObjectNotJSON},
	{"escape U", `{"a":"\U0041"}`, "", objectInvalid, msgObjectNotJSON},
	{"short u escape", `{"a":"\u12"}`, "", objectInvalid, msgObjectNotJSON},
	{"u escape not hex", `{"a":"\u12G4"}`, "", objectInvalid, msgObjectNotJSON},
	{"escape at end", `{"a":"\`, "", objectInvalid, msgObjectNotJSON},
	{"escaped closing quote", `{"a":"\"}`, "", objectInvalid, msgObjectNotJSON},
	{"unterminated", `{"a":"b}`, "", objectInvalid, msgObjectNotJSON},
	{"NUL in string", "{\"a\":\"\x00\"}", "", objectInvalid, msgObjectNotJSON},
	{"US in string", "{\"a\":\"\x1f\"}", "", objectInvalid, msgObjectNotJSON},
	{"newline in string", "{\"a\":\"\n\"}", "", objectInvalid, msgObjectNotJSON},
	{"tab in key", "{\"\t\":1}", "", objectInvalid, msgObjectNotJSON},
	{"DEL in string", "{\"a\":\"\x7f\"}", "", objectOK, ""},
	{"UTF-8", `{"é":"é 🙂 €"}`, "", objectOK, ""},
	{"U+FFFD", "{\"a\":\"\uFFFD\"}", "", objectOK, ""},

	// Numbers and literals.
	{"numbers", `{"a":[-0,0,1e5,1E+2,1e-2,-1.5e+10,0.0,123,-9.99E-0]}`, "", objectOK, ""},
	{"leading zero", `{"a":01}`, "", objectInvalid, msgObjectNotJSON},
	{"negative leading zero", `{"a":-01}`, "", objectInvalid, msgObjectNotJSON},
	{"bare point", `{"a":1.}`, "", objectInvalid, msgObjectNotJSON},
	{"point exponent", `{"a":1.e5}`, "", objectInvalid, msgObjectNotJSON},
	{"leading point", `{"a":.5}`, "", objectInvalid, msgObjectNotJSON},
	{"bare minus", `{"a":-}`, "", objectInvalid, msgObjectNotJSON},
	{"plus", `{"a":+1}`, "", objectInvalid, msgObjectNotJSON},
	{"bare exponent", `{"a":1e}`, "", objectInvalid, msgObjectNotJSON},
	{"signed bare exponent", `{"a":1e+}`, "", objectInvalid, msgObjectNotJSON},
	{"hex", `{"a":0x1}`, "", objectInvalid, msgObjectNotJSON},
	{"NaN", `{"a":NaN}`, "", objectInvalid, msgObjectNotJSON},
	{"number at end", `{"a":1`, "", objectInvalid, msgObjectNotJSON},
	{"literals", `{"a":true,"b":false,"c":null}`, "", objectOK, ""},
	{"tru", `{"a":tru}`, "", objectInvalid, msgObjectNotJSON},
	{"fals", `{"a":fals}`, "", objectInvalid, msgObjectNotJSON},
	{"nul", `{"a":nul}`, "", objectInvalid, msgObjectNotJSON},
	{"truncated true", `{"a":t`, "", objectInvalid, msgObjectNotJSON},
	{"truncated false", `{"a":fal`, "", objectInvalid, msgObjectNotJSON},
	{"truex", `{"a":truex}`, "", objectInvalid, msgObjectNotJSON},
	{"nulll", `{"a":nulll}`, "", objectInvalid, msgObjectNotJSON},
	{"True", `{"a":True}`, "", objectInvalid, msgObjectNotJSON},
	{"trux", `{"a":trux}`, "", objectInvalid, msgObjectNotJSON},
	{"nulx", `{"a":nulx}`, "", objectInvalid, msgObjectNotJSON},
	{"falsx", `{"a":falsx}`, "", objectInvalid, msgObjectNotJSON},

	// UTF-8.
	{"bad byte in string", "{\"a\":\"\xff\"}", "", objectInvalid, msgObjectUTF8},
	{"bad byte in key", "{\"\xff\":1}", "", objectInvalid, msgObjectUTF8},
	{"bad byte outside", "{\"a\":1}\xff", "", objectInvalid, msgObjectNotJSON},
	{"bad byte in object", "{\xff}", "", objectInvalid, msgObjectNotJSON},
	{"bad byte, unterminated", "{\"a\":\"\xff\"", "", objectInvalid, msgObjectNotJSON},
	{"overlong slash", "{\"a\":\"\xc0\xaf\"}", "", objectInvalid, msgObjectUTF8},
	{"overlong 3 bytes", "{\"a\":\"\xe0\x80\xaf\"}", "", objectInvalid, msgObjectUTF8},
	{"surrogate", "{\"a\":\"\xed\xa0\x80\"}", "", objectInvalid, msgObjectUTF8},
	{"above U+10FFFF", "{\"a\":\"\xf4\x90\x80\x80\"}", "", objectInvalid, msgObjectUTF8},
	{"truncated sequence", "{\"a\":\"\xe2\x82\"}", "", objectInvalid, msgObjectUTF8},
	{"continuation byte", "{\"a\":\"\x80\"}", "", objectInvalid, msgObjectUTF8},

	// The object's own ID.
	{"id", `{"id":"o1"}`, "o1", objectOK, ""},
	{"spaced id", ` { "id" : "o1" , "b" : 2 } `, "o1", objectOK, ""},
	{"other id", `{"id":"o2"}`, "o1", objectWrongID, msgObjectID},
	{"longer id", `{"id":"o12"}`, "o1", objectWrongID, msgObjectID},
	{"empty id", `{"id":""}`, "o1", objectWrongID, msgObjectID},
	{"number id", `{"id":1}`, "1", objectWrongID, msgObjectID},
	{"null id", `{"id":null}`, "o1", objectWrongID, msgObjectID},
	{"true id", `{"id":true}`, "o1", objectWrongID, msgObjectID},
	{"false id", `{"id":false}`, "o1", objectWrongID, msgObjectID},
	{"object id", `{"id":{"id":"o1"}}`, "o1", objectWrongID, msgObjectID},
	{"array id", `{"id":["o1"]}`, "o1", objectWrongID, msgObjectID},
	{"empty array id", `{"id":[]}`, "o1", objectWrongID, msgObjectID},
	{"nested id", `{"a":{"id":"zzz"}}`, "o1", objectOK, ""},
	{"id in array", `{"a":[{"id":"zzz"}],"b":"id"}`, "o1", objectOK, ""},
	{"id as value", `{"a":"id","b":{"c":"id"}}`, "o1", objectOK, ""},
	{"second id wrong", `{"id":"o1","id":"x"}`, "o1", objectWrongID, msgObjectID},
	{"second id wrong, same length", `{"id":"o1","id":"o2"}`, "o1", objectSlow, msgObjectID},
	{"first id wrong", `{"id":"x","id":"o1"}`, "o1", objectWrongID, msgObjectID},
	{"ids", `{"id":"o1","a":1,"id":"o1"}`, "o1", objectSlow, ""},
	{"second id not a string", `{"id":"o1","id":1}`, "o1", objectWrongID, msgObjectID},
	{"first id not a string", `{"id":null,"id":"o1"}`, "o1", objectWrongID, msgObjectID},
	{"second id escaped", `{"id":"x","id":"o\u0031"}`, "o1", objectWrongID, msgObjectID},
	{"escaped key id", `{"\u0069d":"x"}`, "o1", objectSlow, msgObjectID},
	{"escaped key id ok", `{"\u0069d":"o1"}`, "o1", objectSlow, ""},
	{"escaped key other", `{"a\n":"x"}`, "o1", objectSlow, ""},
	{"escaped key, wrong id", `{"i\u0064":"o1","id":"x"}`, "o1", objectWrongID, msgObjectID},
	{"escaped nested key", `{"a":{"\u0069d":"x"}}`, "o1", objectOK, ""},
	{"escaped id", `{"id":"o\u0031"}`, "o1", objectSlow, ""},
	{"escaped other id", `{"id":"o\u0032"}`, "o1", objectSlow, msgObjectID},
	{"escaped quote id", `{"id":"a\"b"}`, `a"b`, objectSlow, ""},
	{"lone surrogate id", `{"id":"\ud800"}`, "\uFFFD", objectSlow, ""},
	{"ID", `{"ID":"x"}`, "o1", objectOK, ""},
	{"Id", `{"Id":"x","iD":1}`, "o1", objectOK, ""},
	{"UTF-8 id", `{"id":"é🙂"}`, "é🙂", objectOK, ""},
	{"invalid UTF-8 id", "{\"id\":\"\xff\"}", "\xff", objectInvalid, msgObjectUTF8},
	{"wrong id, not JSON", `{"id":1,}`, "o1", objectInvalid, msgObjectNotJSON},
	{"wrong id, bad UTF-8", "{\"id\":1,\"a\":\"\xff\"}", "o1", objectInvalid, msgObjectUTF8},
	{"typical", string(objcheckPlain), objcheckID, objectOK, ""},
	{"typical with id", string(objcheckWithID), objcheckID, objectOK, ""},
	{"typical with other id", string(objcheckWithID), "3fa85f64", objectWrongID, msgObjectID},

	// Depth: the object is depth 1; encoding/json allows 10000 levels;
	// scanObject rescans beyond 63 and keeps 63 levels a word.
	{"depth 63", nestedArrays(63), "", objectOK, ""},
	{"depth 64", nestedArrays(64), "", objectOK, ""},
	{"depth 10000", nestedArrays(10000), "", objectOK, ""},
	{"depth 10001", nestedArrays(10001), "", objectInvalid, msgObjectNotJSON},
	{"mixed depth 63", nestedMixed(63), "", objectOK, ""},
	{"mixed depth 64", nestedMixed(64), "", objectOK, ""},
	{"mixed depth 126", nestedMixed(126), "", objectOK, ""},
	{"mixed depth 127", nestedMixed(127), "", objectOK, ""},
	{"mixed depth 200", nestedMixed(200), "", objectOK, ""},
	{"mixed depth 9955", nestedMixed(9955), "", objectOK, ""},
	{"mixed depth 10000", nestedMixed(10000), "", objectOK, ""},
	{"mixed depth 10001", nestedMixed(10001), "", objectInvalid, msgObjectNotJSON},
	{"deep, wrong id", `{"id":1,"a":` + nestedArrays(100) + "}", "o1", objectWrongID, msgObjectID},
	{"deep, wrong id after", `{"a":` + nestedArrays(100) + `,"id":"o2"}`, "o1", objectWrongID, msgObjectID},
	{"deep, nested id", `{"a":` + strings.Repeat(`{"id":1,"a":`, 70) + "{}" + strings.Repeat("}", 70) + "}", "o1", objectOK, ""},
	{"deep, id", `{"id":"o1","a":` + nestedArrays(100) + "}", "o1", objectOK, ""},
	{"deep, escaped key", `{"\u0069d":"o1","a":` + nestedArrays(100) + "}", "o1", objectSlow, ""},
	{"deep, mismatched", `{"a":` + strings.Repeat("[", 99) + "}" + strings.Repeat("]", 98) + "}", "", objectInvalid, msgObjectNotJSON},
	{"deep, unclosed", `{"a":` + strings.Repeat("[", 99), "", objectInvalid, msgObjectNotJSON},
	{"deep, bad UTF-8", `{"a":` + strings.Repeat("[", 99) + "\"\xff\"" + strings.Repeat("]", 99) + "}", "", objectInvalid, msgObjectUTF8},
}

func TestScanObject(t *testing.T) {
	for _, c := range objcheckCases {
		b := []byte(c.in)
		name := fmt.Sprintf("%s %.60q", c.name, c.in)
		if validObject(b) != (c.want != objectInvalid) {
			t.Errorf("%s: the case's verdict %s contradicts json.Valid and utf8.Valid", name, verdictNames[c.want])
		}
		if got := scanObject(b, c.id); got != c.want {
			t.Errorf("%s: scanObject = %s, want %s", name, verdictNames[got], verdictNames[c.want])
		}
	}
}

func TestCheckObjectFast(t *testing.T) {
	for _, c := range objcheckCases {
		b := []byte(c.in)
		name := fmt.Sprintf("%s %.60q", c.name, c.in)
		if got := Check(b, c.id); got != c.msg {
			t.Errorf("%s: Check = %q, want %q", name, got, c.msg)
		}
		if got := checkSlow(b, c.id); got != c.msg {
			t.Errorf("%s: checkSlow = %q, want %q", name, got, c.msg)
		}
	}
}

// FuzzCheckObject checks scanObject against encoding/json and utf8, and
// Check against checkSlow.
func FuzzCheckObject(f *testing.F) {
	for _, c := range objcheckCases {
		if len(c.in) < 1000 {
			f.Add([]byte(c.in), c.id)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, objectID string) {
		checkObjectAgrees(t, b, objectID)
		// Also with the object's own ID, if it has one, as an arbitrary
		// objectID rarely is.
		var own map[string]any
		if json.Unmarshal(b, &own) == nil {
			if id, ok := own["id"].(string); ok && id != objectID {
				checkObjectAgrees(t, b, id)
			}
		}
	})
}

// validObject reports whether b is one JSON object in valid UTF-8, as
// encoding/json and unicode/utf8 tell.
func validObject(b []byte) bool {
	rest := bytes.TrimLeft(b, " \t\r\n")
	return len(rest) > 0 && rest[0] == '{' && json.Valid(b) && utf8.Valid(b)
}

// checkObjectAgrees checks scanObject and Check for one input.
func checkObjectAgrees(t *testing.T, b []byte, objectID string) {
	t.Helper()
	v := scanObject(b, objectID)
	if validObject(b) != (v != objectInvalid) {
		t.Fatalf("scanObject(%q, %q) = %s; json.Valid %v, utf8.Valid %v", b, objectID, verdictNames[v], json.Valid(b), utf8.Valid(b))
	}
	slow := checkSlow(b, objectID)
	if v == objectOK && slow != "" || v == objectWrongID && slow != msgObjectID {
		t.Fatalf("scanObject(%q, %q) = %s; checkSlow = %q", b, objectID, verdictNames[v], slow)
	}
	if fast := Check(b, objectID); fast != slow {
		t.Fatalf("Check(%q, %q) = %q; checkSlow = %q", b, objectID, fast, slow)
	}
}

// standsForItself reports whether c stands for itself in a JSON string.
func standsForItself(c byte) bool {
	return ' ' <= c && c < utf8.RuneSelf && c != '"' && c != '\\'
}

// TestSpecialStringBytes checks the first byte that specialStringBytes
// finds against standsForItself: every byte at every place, after bytes
// that stand for themselves and before various others, then random words.
func TestSpecialStringBytes(t *testing.T) {
	check := func(w [8]byte) {
		t.Helper()
		want := 0
		for want < 8 && standsForItself(w[want]) {
			want++
		}
		if got := bits.TrailingZeros64(specialStringBytes(binary.LittleEndian.Uint64(w[:]))) / 8; got != want {
			t.Fatalf("specialStringBytes(%q) finds byte %d, want %d", w, got, want)
		}
	}
	for at := range 8 {
		for c := range 256 {
			for _, after := range []byte{'a', ' ', '!', '#', '[', ']', '~', 0x7f, '"', '\\', 0, 0x1f, 0x80, 0xff} {
				var w [8]byte
				for k := range w {
					switch {
					case k < at:
						w[k] = 'a'
					case k == at:
						w[k] = byte(c)
					default:
						w[k] = after
					}
				}
				check(w)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	edges := []byte{0, 0x1f, ' ', '!', '"', '#', '[', '\\', ']', 0x7f, 0x80, 0xff}
	for range 200000 {
		var w [8]byte
		for k := range w {
			if r.IntN(4) == 0 {
				w[k] = edges[r.IntN(len(edges))]
			} else {
				w[k] = byte(r.UintN(256))
			}
		}
		check(w)
	}
}

func TestScanObjectAllocs(t *testing.T) {
	for _, obj := range [][]byte{objcheckPlain, objcheckWithID} {
		var v objectVerdict
		allocs := testing.AllocsPerRun(1000, func() { v = scanObject(obj, objcheckID) })
		if allocs != 0 || v != objectOK {
			t.Errorf("scanObject(%.20s…) = %s with %v allocations, want objectOK with none", obj, verdictNames[v], allocs)
		}
		var msg string
		allocs = testing.AllocsPerRun(1000, func() { msg = Check(obj, objcheckID) })
		if allocs != 0 || msg != "" {
			t.Errorf("Check(%.20s…) = %q with %v allocations, want \"\" with none", obj, msg, allocs)
		}
	}
}

// checkObjectJSONValid is the check as it was before scanObject, kept as
// the benchmark's baseline.
func checkObjectJSONValid(b []byte, objectID string) string {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || b[0] != '{' || !json.Valid(b):
		return msgObjectNotJSON
	case !utf8.Valid(b):
		return msgObjectUTF8
	case hasTopLevelKey(b, "id"):
		var own struct{ ID any }
		if json.Unmarshal(b, &own) != nil || own.ID != objectID {
			return msgObjectID
		}
	}
	return ""
}

// hasTopLevelKey is the key scan of the baseline, a copy of the one that
// package monitehooks keeps for rendering payloads.
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

// BenchmarkCheckObject compares Check with the check it replaced,
// which ran json.Valid, utf8.Valid and a key scan one after another.
func BenchmarkCheckObject(b *testing.B) {
	objects := []struct {
		name string
		obj  []byte
	}{{"plain", objcheckPlain}, {"with_id", objcheckWithID}}
	checks := []struct {
		name  string
		check func([]byte, string) string
	}{{"fast", Check}, {"json.Valid", checkObjectJSONValid}}
	for _, c := range checks {
		b.Run(c.name, func(b *testing.B) {
			for _, o := range objects {
				b.Run(o.name, func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(len(o.obj)))
					for b.Loop() {
						if c.check(o.obj, objcheckID) != "" {
							b.Fatal("rejected")
						}
					}
				})
			}
		})
	}
}
