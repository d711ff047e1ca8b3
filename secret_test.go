package monitehooks_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/monitehooks/monitehooks"
)

func TestNewSecret(t *testing.T) {
	t.Parallel()

	a, b := monitehooks.NewSecret(), monitehooks.NewSecret()
	for _, s := range []string{a, b} {
		rest, ok := strings.CutPrefix(s, monitehooks.SecretPrefix)
		if !ok {
			t.Fatalf("NewSecret() = %q; want prefix %q", s, monitehooks.SecretPrefix)
		}
		raw, err := base64.StdEncoding.Strict().DecodeString(rest)
		if err != nil {
			t.Fatalf("NewSecret() = %q; base64 decoding: %v", s, err)
		}
		if len(raw) != 32 {
			t.Errorf("NewSecret() = %q, %d bytes; want 32", s, len(raw))
		}
	}
	if a == b {
		t.Errorf("NewSecret() = %q twice; want different secrets", a)
	}
}
