package sqlstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
)

// TestTimes: times come back as the instants given, to the nanosecond,
// in UTC; the zero time is kept; a time the store cannot keep is refused.
func TestTimes(t *testing.T) {
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			o.prepare(t)
			s, err := o.open(t, sqlstore.Config{})
			if err != nil {
				t.Fatal(err)
			}
			zone := time.FixedZone("UTC+5:30", 5*3600+1800)
			created := time.Date(2026, 1, 2, 3, 4, 5, 123456789, zone)
			expires := time.Date(2262, 4, 11, 0, 0, 0, 1, time.UTC)
			in := monitehooks.Subscription{
				PartnerID: "p", ObjectType: "entity", Status: monitehooks.StatusEnabled,
				Secrets:   []monitehooks.Secret{{Value: "whsec_a"}, {Value: "whsec_b", ExpiresAt: expires}},
				CreatedAt: created, UpdatedAt: created.Add(1),
			}
			sub, err := s.CreateSubscription(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.GetSubscription(t.Context(), "p", sub.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.CreatedAt.Equal(created) || got.CreatedAt.Location() != time.UTC || !got.UpdatedAt.Equal(created.Add(1)) {
				t.Errorf("CreatedAt, UpdatedAt = %v, %v; want %v, %v in UTC", got.CreatedAt, got.UpdatedAt, created, created.Add(1))
			}
			if !got.FailingSince.IsZero() || !got.Secrets[0].ExpiresAt.IsZero() || !got.Secrets[1].ExpiresAt.Equal(expires) {
				t.Errorf("FailingSince %v, expiries %v, %v; want zero, zero, %v", got.FailingSince, got.Secrets[0].ExpiresAt, got.Secrets[1].ExpiresAt, expires)
			}

			for _, bad := range []time.Time{time.Date(2263, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC)} {
				in.CreatedAt = bad
				if _, err := s.CreateSubscription(t.Context(), in); !errors.Is(err, monitehooks.ErrInvalid) {
					t.Errorf("CreateSubscription created at %v: err = %v; want one wrapping ErrInvalid", bad, err)
				}
			}

			// Bounds past what the store keeps are fine: they bound nothing.
			far := time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
			old := time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)
			for _, p := range []monitehooks.ListParams{{CreatedLT: far}, {CreatedGT: old}, {CreatedLTE: far, CreatedGTE: old}} {
				page, err := s.ListSubscriptions(t.Context(), "p", p)
				if err != nil || len(page.Data) != 1 {
					t.Errorf("ListSubscriptions(%+v) = %d items, %v; want 1", p, len(page.Data), err)
				}
			}
			for _, p := range []monitehooks.ListParams{{CreatedGT: far}, {CreatedLT: old}} {
				page, err := s.ListSubscriptions(t.Context(), "p", p)
				if err != nil || len(page.Data) != 0 {
					t.Errorf("ListSubscriptions(%+v) = %d items, %v; want none", p, len(page.Data), err)
				}
			}
		})
	}
}
