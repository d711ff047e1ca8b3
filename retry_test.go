package monitehooks_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
)

func TestScheduleDelay(t *testing.T) {
	t.Parallel()
	s := &monitehooks.Schedule{Delays: []time.Duration{0, 50 * time.Millisecond, 100 * time.Millisecond}}
	var got []time.Duration
	for n := 0; ; n++ {
		d, ok := s.Delay(n)
		if !ok {
			break
		}
		got = append(got, d)
	}
	if diff := cmp.Diff(s.Delays, got); diff != "" {
		t.Errorf("delays (-want +got):\n%s", diff)
	}
	if _, ok := s.Delay(-1); ok {
		t.Errorf("Delay(-1) ok; want no attempt -1")
	}
}

func TestScheduleJitter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rand float64
		want time.Duration
	}{
		{"lowest", 0, 90 * time.Second},
		{"middle", 0.5, 100 * time.Second},
		{"highest", 0.999999, 110 * time.Second},
	}
	for _, tt := range tests {
		s := &monitehooks.Schedule{Delays: []time.Duration{0, 100 * time.Second}, Jitter: 0.1, Rand: func() float64 { return tt.rand }}
		if d, _ := s.Delay(0); d != 0 {
			t.Errorf("%s: Delay(0) = %v; want an immediate first attempt unjittered", tt.name, d)
		}
		d, _ := s.Delay(1)
		if diff := d - tt.want; diff < -time.Millisecond || diff > time.Millisecond {
			t.Errorf("%s: Delay(1) = %v; want %v", tt.name, d, tt.want)
		}
	}
	// The default policy keeps its base schedule apart from the jitter.
	def := monitehooks.DefaultRetryPolicy()
	want := []time.Duration{0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}
	if diff := cmp.Diff(want, def.Delays); diff != "" || def.Jitter != 0.1 {
		t.Errorf("default schedule (-want +got):\n%s jitter %v", diff, def.Jitter)
	}
	for n := range want {
		d, ok := def.Delay(n)
		lo, hi := want[n]-want[n]/10, want[n]+want[n]/10
		if !ok || d < lo || d > hi {
			t.Errorf("default Delay(%d) = %v, %v; want within [%v, %v]", n, d, ok, lo, hi)
		}
	}
}

func TestParseSchedule(t *testing.T) {
	t.Parallel()
	s, err := monitehooks.ParseSchedule("0s, 50ms,100ms")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]time.Duration{0, 50 * time.Millisecond, 100 * time.Millisecond}, s.Delays); diff != "" {
		t.Errorf("ParseSchedule (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "5", "1s,,2s", "-1s", "1s,x"} {
		if _, err := monitehooks.ParseSchedule(bad); err == nil || !strings.Contains(err.Error(), "retry schedule") {
			t.Errorf("ParseSchedule(%q) error = %v; want a retry schedule error", bad, err)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 11, 6, 49, 55, 0, time.UTC)
	tests := []struct {
		header string
		want   time.Duration
		ok     bool
	}{
		{"120", 120 * time.Second, true},
		{" 7 ", 7 * time.Second, true},
		{"0", 0, true},
		{"-5", 0, false},
		{"", 0, false},
		{"soon", 0, false},
		{"99999999999999999999", 0, false},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	}
	for _, tt := range tests {
		d, ok := monitehooks.ParseRetryAfter(tt.header, now)
		if d != tt.want || ok != tt.ok {
			t.Errorf("parseRetryAfter(%q) = %v, %v; want %v, %v", tt.header, d, ok, tt.want, tt.ok)
		}
	}
}

// FuzzParseRetryAfter feeds receivers' Retry-After headers, outside input,
// to the parser: it must not panic and never answer a negative delay.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "0", "-1", "", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999999999", " 5 ", "1e3"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 11, 6, 49, 55, 0, time.UTC)
	f.Fuzz(func(t *testing.T, h string) {
		d, ok := monitehooks.ParseRetryAfter(h, now)
		if d < 0 || (!ok && d != 0) {
			t.Errorf("parseRetryAfter(%q) = %v, %v", h, d, ok)
		}
	})
}

// FuzzParseSchedule feeds the CLI's --retry-schedule value to the parser.
func FuzzParseSchedule(f *testing.F) {
	for _, s := range []string{"0s,5s,5m", "", "1s,,2s", "-1s", "1h,x", "0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sched, err := monitehooks.ParseSchedule(s)
		if err != nil {
			return
		}
		for i, d := range sched.Delays {
			if d < 0 {
				t.Errorf("ParseSchedule(%q): delay %d is %v", s, i, d)
			}
		}
	})
}
