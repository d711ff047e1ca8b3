package monitehooks

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// RetryPolicy decides when each attempt of a delivery is made.
// Implementations must be safe for concurrent use.
type RetryPolicy interface {
	// Delay returns the delay before attempt n (0 is the first attempt,
	// counted from the event's emission; later ones from the previous
	// attempt), and false when no attempt n is to be made.
	Delay(n int) (time.Duration, bool)
}

// Schedule is a [RetryPolicy] from a list of delays: the delay before each
// attempt, so its length is the number of attempts. Schedule{Delays:
// []time.Duration{0, 50 * time.Millisecond, 100 * time.Millisecond}} makes
// three attempts in all.
//
// Jitter spreads retries out: each non-zero delay d becomes a uniformly
// random value in [d - Jitter·d, d + Jitter·d]. The base delays are kept
// apart from the jitter so that tests can pin it at 0.
type Schedule struct {
	// Delays lists the delay before each attempt.
	Delays []time.Duration
	// Jitter is the fraction, from 0 to 1, by which delays vary. 0 means
	// none.
	Jitter float64
	// Rand returns a number in [0, 1); it drives the jitter. Defaults to
	// math/rand/v2's Float64.
	Rand func() float64
}

// DefaultRetrySchedule is the delay before each attempt of the default
// schedule: immediately, then 5s, 5m, 30m, 2h, 5h, 10h and 10h.
var DefaultRetrySchedule = []time.Duration{
	0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute,
	2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// DefaultJitter is the jitter of the default schedule: ±10%.
const DefaultJitter = 0.1

// DefaultRetryPolicy returns the default schedule, DefaultRetrySchedule
// with DefaultJitter.
func DefaultRetryPolicy() *Schedule {
	return &Schedule{Delays: DefaultRetrySchedule, Jitter: DefaultJitter}
}

// Delay implements [RetryPolicy].
func (s *Schedule) Delay(n int) (time.Duration, bool) {
	if n < 0 || n >= len(s.Delays) {
		return 0, false
	}
	d := s.Delays[n]
	if d <= 0 || s.Jitter <= 0 {
		return max(d, 0), true
	}
	r := rand.Float64
	if s.Rand != nil {
		r = s.Rand
	}
	j := min(s.Jitter, 1)
	return d + time.Duration((2*r()-1)*j*float64(d)), true
}

// ParseSchedule reads a comma-separated list of durations, such as
// "0s,5s,5m", into a Schedule without jitter.
func ParseSchedule(s string) (*Schedule, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fmt.Errorf("monitehooks: retry schedule: empty")
	}
	var delays []time.Duration
	for i, part := range strings.Split(s, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil {
			return nil, fmt.Errorf("monitehooks: retry schedule: item %d: %w", i+1, err)
		}
		if d < 0 {
			return nil, fmt.Errorf("monitehooks: retry schedule: item %d: %s is negative", i+1, part)
		}
		delays = append(delays, d)
	}
	return &Schedule{Delays: delays}, nil
}

// parseRetryAfter reads a Retry-After header, in seconds or as an HTTP
// date, as a delay from now. ok is false when the header is absent or
// unreadable.
func parseRetryAfter(h string, now time.Time) (d time.Duration, ok bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*365*time.Hour/time.Second) {
			secs = int64(24 * 365 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(h)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
