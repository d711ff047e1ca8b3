package monitehooks_test

import (
	"testing"

	"github.com/monitehooks/monitehooks"
)

func TestValidationKindValid(t *testing.T) {
	tests := []struct {
		kind monitehooks.ValidationKind
		want bool
	}{
		{monitehooks.KindMissing, true},
		{monitehooks.KindInvalid, true},
		{monitehooks.KindEnum, true},
		{monitehooks.KindTooLong, true},
		{monitehooks.KindURL, true},
		{monitehooks.KindJSON, true},
		{"", false},
		{"Missing", false},
		{"value_error", false}, // the REST API's word, not a kind
		{"url_parsing", false},
	}
	for _, tt := range tests {
		if got := tt.kind.Valid(); got != tt.want {
			t.Errorf("ValidationKind(%q).Valid() = %v; want %v", tt.kind, got, tt.want)
		}
	}
}
