package monitehooks_test

import (
	"encoding/base64"
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
	// Keys come back as the same instant in UTC, whatever their year:
	// past 9999, where JSON's form of a time stops, too.
	for _, key := range []time.Time{
		time.Date(2026, 5, 6, 7, 8, 9, 10, time.UTC),
		time.Date(2026, 5, 6, 7, 8, 9, 10, time.FixedZone("x", -5*3600)),
		time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("x", -5*3600)).UTC(), // year 10000
		time.Date(1969, 12, 31, 23, 59, 59, 5, time.UTC),
		{},
	} {
		c.Key = key
		got, err := monitehooks.DecodeCursor(monitehooks.EncodeCursor(c))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(c, got); diff != "" || got.Key.Location() != time.UTC {
			t.Errorf("round trip of key %v (-want +got):\n%s; got key in %v, want UTC", key, diff, got.Key.Location())
		}
	}
	for _, bad := range []string{"", "!!!", "e30", "eyJpIjoiIn0",
		b64(`{"p":{"limit":5},"k":"0001-01-01T00:00:00Z","i":"x"}`), // the form before keys were seconds
		b64(`{"p":{"limit":5},"s":1,"n":1000000000,"i":"x"}`),
		b64(`{"p":{"limit":5},"s":1,"n":-1,"i":"x"}`),
	} {
		if _, err := monitehooks.DecodeCursor(bad); !errors.Is(err, monitehooks.ErrInvalidCursor) {
			t.Errorf("DecodeCursor(%q) error = %v; want ErrInvalidCursor", bad, err)
		}
	}
}

func TestListParamsValidate(t *testing.T) {
	t.Parallel()
	p := monitehooks.ListParams{Limit: 101, Sort: "name", Order: "up", Status: "lost",
		CreatedGT:  time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		CreatedLTE: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("far", 25*3600)),
		CreatedLT:  time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("x", -5*3600)), // writable as it is
	}
	var verr *monitehooks.ValidationError
	if err := p.Validate(); !errors.As(err, &verr) {
		t.Fatalf("Validate() = %v; want *ValidationError", err)
	}
	var fields []string
	for _, f := range verr.Fields {
		fields = append(fields, f.Field)
	}
	if diff := cmp.Diff([]string{"limit", "sort", "order", "status", "created_at__gt", "created_at__lte"}, fields); diff != "" {
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
	f.Add(b64(`{"p":{"limit":5},"s":-62135596800,"n":5,"i":"x","b":true}`))
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

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
