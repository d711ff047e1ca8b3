package monitehooks_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
)

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	c := monitehooks.Cursor{
		Params: monitehooks.ListParams{Limit: 10, Sort: monitehooks.SortUpdatedAt, Order: monitehooks.OrderDesc, ObjectType: "entity",
			CreatedGTE: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)},
		Key: time.Date(2026, 5, 6, 7, 8, 9, 10, time.UTC), ID: "3fa85f64-5717-4562-b3fc-2c963f66afa6", Before: true,
	}
	got, err := monitehooks.DecodeCursor(monitehooks.EncodeCursor(c))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "!!!", "e30", "eyJpIjoiIn0"} {
		if _, err := monitehooks.DecodeCursor(bad); !errors.Is(err, monitehooks.ErrInvalidCursor) {
			t.Errorf("DecodeCursor(%q) error = %v; want ErrInvalidCursor", bad, err)
		}
	}
}

func TestListParamsValidate(t *testing.T) {
	t.Parallel()
	p := monitehooks.ListParams{Limit: 101, Sort: "name", Order: "up", Status: "lost"}
	var verr *monitehooks.ValidationError
	if err := p.Validate(); !errors.As(err, &verr) {
		t.Fatalf("Validate() = %v; want *ValidationError", err)
	}
	var fields []string
	for _, f := range verr.Fields {
		fields = append(fields, f.Field)
	}
	if diff := cmp.Diff([]string{"limit", "sort", "order", "status"}, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if err := (&monitehooks.ListParams{}).Validate(); err != nil {
		t.Errorf("zero ListParams.Validate() = %v; want nil", err)
	}
}

// FuzzDecodeCursor feeds pagination tokens, outside input, to the decoder:
// it must not panic, and what it accepts must encode back to a token that
// decodes the same.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(monitehooks.EncodeCursor(monitehooks.Cursor{ID: "x", Params: monitehooks.ListParams{Limit: 5}}))
	f.Add("")
	f.Add("eyJwIjp7fSwiayI6IjAwMDEtMDEtMDFUMDA6MDA6MDBaIiwiaSI6IngifQ")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := monitehooks.DecodeCursor(token)
		if err != nil {
			if !errors.Is(err, monitehooks.ErrInvalidCursor) {
				t.Fatalf("DecodeCursor error %v does not wrap ErrInvalidCursor", err)
			}
			return
		}
		again, err := monitehooks.DecodeCursor(monitehooks.EncodeCursor(c))
		if err != nil || !cmp.Equal(c, again) {
			t.Errorf("re-encoded cursor decodes to %+v, %v; want %+v", again, err, c)
		}
	})
}
