package sqlstore

import (
	"fmt"
	"math"
	"time"

	"github.com/monitehooks/monitehooks"
)

// Times are stored as nanoseconds since 1970 UTC in BIGINT columns, not
// as timestamptz: PostgreSQL keeps microseconds, SQLite has no time type,
// and the store must give back the instants it was given, to the
// nanosecond, for lists to page by exact keys. Nanoseconds in an int64
// reach from 1677-09-21 to 2262-04-11; the zero time.Time, which the
// contract uses for "none" (a current secret's expiry, a succeeded
// delivery's next attempt), is stored as math.MinInt64, below every other
// time. A time outside that range is refused with an error wrapping
// monitehooks.ErrInvalid.

// zeroNs stands for the zero time.Time.
const zeroNs = math.MinInt64

var (
	minTime = time.Unix(0, math.MinInt64+1)
	maxTime = time.Unix(0, math.MaxInt64)
)

// toNs returns the stored form of t.
func toNs(what string, t time.Time) (int64, error) {
	if t.IsZero() {
		return zeroNs, nil
	}
	if t.Before(minTime) || t.After(maxTime) {
		return 0, fmt.Errorf("sqlstore: %s %v: the store keeps times from %v to %v: %w",
			what, t, minTime.UTC(), maxTime.UTC(), monitehooks.ErrInvalid)
	}
	return t.UnixNano(), nil
}

// fromNs reads a stored time back, in UTC.
func fromNs(ns int64) time.Time {
	if ns == zeroNs {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// clampNs returns t's place among stored times, for a bound of a query:
// a time before every storable one but the zero time maps to just above
// zeroNs, one after every storable one to math.MaxInt64.
func clampNs(t time.Time) int64 {
	switch {
	case t.IsZero():
		return zeroNs
	case t.Before(minTime):
		return math.MinInt64 + 1
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// createdRange turns the Created bounds of a list into an inclusive range
// [lo, hi] of stored times; ok is false when the range is empty.
func createdRange(p *monitehooks.ListParams) (lo, hi int64, ok bool) {
	lo, hi = math.MinInt64, math.MaxInt64
	if !p.CreatedGT.IsZero() {
		n := clampNs(p.CreatedGT)
		if n == math.MaxInt64 {
			return 0, 0, false
		}
		lo = max(lo, n+1)
	}
	if !p.CreatedGTE.IsZero() {
		lo = max(lo, clampNs(p.CreatedGTE))
	}
	if !p.CreatedLT.IsZero() {
		n := clampNs(p.CreatedLT)
		if n == math.MinInt64 {
			return 0, 0, false
		}
		hi = min(hi, n-1)
	}
	if !p.CreatedLTE.IsZero() {
		hi = min(hi, clampNs(p.CreatedLTE))
	}
	return lo, hi, lo <= hi
}
