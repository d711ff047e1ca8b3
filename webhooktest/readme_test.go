package webhooktest_test

import (
	"os"
	"strings"
	"testing"
)

// TestReadmePartnerExample keeps the README's harness example true: each
// of its lines, apart from those with an elision ("…"), is a line of
// TestPartnerHandler, which runs.
func TestReadmePartnerExample(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("partner_test.go")
	if err != nil {
		t.Fatal(err)
	}
	// The example is the first Go block after the README names its source.
	_, example, ok := strings.Cut(string(readme), "(from `webhooktest/partner_test.go`)")
	if ok {
		_, example, ok = strings.Cut(example, "```go\n")
	}
	if ok {
		example, _, ok = strings.Cut(example, "```")
	}
	if !ok {
		t.Fatal("README.md has no Go block after \"(from `webhooktest/partner_test.go`)\"")
	}
	_, test, ok := strings.Cut(string(src), "\nfunc TestPartnerHandler(")
	if ok {
		test, _, ok = strings.Cut(test, "\n}\n")
	}
	if !ok {
		t.Fatal("partner_test.go has no func TestPartnerHandler")
	}

	have := map[string]bool{}
	for line := range strings.Lines(test) {
		have[strings.TrimSpace(line)] = true
	}
	for line := range strings.Lines(example) {
		line = strings.TrimSpace(line)
		if line == "" || strings.Contains(line, "…") || strings.HasPrefix(line, "func TestPartnerHandler(") {
			continue
		}
		if !have[line] {
			t.Errorf("README.md shows a line that TestPartnerHandler does not have:\n\t%s", line)
		}
	}
}
