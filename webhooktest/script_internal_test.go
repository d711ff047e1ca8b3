package webhooktest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseResponse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Response
	}{
		{"500", Status(500)},
		{"200", Status(200)},
		{"599", Status(599)},
		{"429:120", RetryAfter(429, 120)},
		{"hang", Hang()},
		{"reset", Reset()},
	} {
		got, err := parseResponse(tc.in)
		if err != nil {
			t.Errorf("parseResponse(%q): %v", tc.in, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b http.Header) bool { return cmp.Equal(map[string][]string(a), map[string][]string(b)) })); diff != "" {
			t.Errorf("parseResponse(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
	for _, in := range []string{"", "abc", "99", "100", "103", "199", "600", "429:x", "429:-1", "hang:1"} {
		if _, err := parseResponse(in); err == nil || !strings.Contains(err.Error(), in) {
			t.Errorf("parseResponse(%q) error = %v; want one quoting the item", in, err)
		}
	}
}
