package httpapi_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/monitehooks/monitehooks/httpapi"
)

// TestStaticTokensRefuses checks that StaticTokens refuses a map that
// could not authenticate every partner it names, with an error that names
// the problem and never holds a token.
func TestStaticTokensRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		tokens  map[string]string
		wantErr string
	}{
		{"nil", nil, "no tokens"},
		{"empty", map[string]string{}, "no tokens"},
		{"empty token", map[string]string{"": "partner-1"}, `the token of partner "partner-1" is empty`},
		{"empty partner", map[string]string{"tok-secret": ""}, "a token maps to an empty partner ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			auth, err := httpapi.StaticTokens(tt.tokens)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("StaticTokens = %v, %v; want an error with %q", auth, err, tt.wantErr)
			}
			if auth != nil {
				t.Errorf("StaticTokens = %v with its error; want nil", auth)
			}
			if strings.Contains(err.Error(), "tok-secret") {
				t.Errorf("error %q holds the token", err)
			}
		})
	}
}

// TestStaticTokensCopies checks that changing the map after StaticTokens
// changes nothing.
func TestStaticTokensCopies(t *testing.T) {
	t.Parallel()
	tokens := map[string]string{tokenA: partnerA}
	auth, err := httpapi.StaticTokens(tokens)
	if err != nil {
		t.Fatalf("StaticTokens: %v", err)
	}
	tokens[tokenA] = partnerB
	tokens[tokenB] = partnerB
	for _, tt := range []struct {
		token string
		want  string
	}{
		{tokenA, partnerA},
		{tokenB, ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer "+tt.token)
		if got, _ := auth.Authenticate(r); got != tt.want {
			t.Errorf("Authenticate(%q) = %q; want %q", tt.token, got, tt.want)
		}
	}
}
