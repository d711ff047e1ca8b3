package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/internal/cli"
)

// TestRetentionFlag checks what --retention accepts and holds: the
// emitter's convention, in which keeping everything is negative.
func TestRetentionFlag(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		args []string
		want time.Duration
		bad  bool
	}{
		{nil, monitehooks.DefaultRetention, false},
		{[]string{"--retention", "2s"}, 2 * time.Second, false},
		{[]string{"--retention", "720h"}, 720 * time.Hour, false},
		{[]string{"--retention", "90d"}, 90 * 24 * time.Hour, false},
		{[]string{"--retention", "0"}, -1, false},
		{[]string{"--retention", "0s"}, -1, false},
		{[]string{"--retention", "0d"}, -1, false},
		{[]string{"--retention", "-1s"}, 0, true},
		{[]string{"--retention", "-3d"}, 0, true},
		{[]string{"--retention", "1.5d"}, 0, true},
		{[]string{"--retention", "999999999d"}, 0, true},
		{[]string{"--retention", "soon"}, 0, true},
	} {
		got, err := cli.RetentionFlag(tc.args...)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("--retention %v = %v, %v; want %v, error %v", tc.args, got, err, tc.want, tc.bad)
		}
	}
}

// TestServeRetention runs serve with --retention 2s and checks that a
// delivered event leaves GET /v1/events. That it goes within 2.5 s is
// proved on a clock the test moves (the root package's TestRetention):
// here, on the real clock of a machine that may be loaded, the test waits
// for it with a generous deadline.
func TestServeRetention(t *testing.T) {
	t.Parallel()
	r, api := startServe(t, "--retention", "2s", "--retry-schedule", "0s")
	rcv, got := newTestReceiver(t)
	if code, sub := apiRequest(t, "POST", api+"/webhook_subscriptions", devTokenForTests,
		`{"object_type":"entity","url":"`+rcv.URL+`/hook"}`); code != http.StatusCreated {
		t.Fatalf("POST /webhook_subscriptions = %d %v; want 201", code, sub)
	}
	code, out, errOut := run(t, "trigger", "--api", api, "--token", devTokenForTests, "entity", "created")
	if code != 0 {
		t.Fatalf("trigger = %d; stderr:\n%s", code, errOut)
	}
	var ev struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil || ev.ID == "" {
		t.Fatalf("trigger printed %q: %v", out, err)
	}
	select {
	case <-got:
	case <-time.After(wait):
		t.Fatalf("no delivery within %v; serve stderr:\n%s", wait, r.stderr.String())
	}
	listed := func() bool {
		code, list := apiRequest(t, "GET", api+"/events", devTokenForTests, "")
		if code != http.StatusOK {
			t.Fatalf("GET /events = %d %v", code, list)
		}
		return strings.Contains(fmt.Sprint(list["data"]), ev.ID)
	}
	if !listed() {
		t.Fatalf("event %s not listed right after its delivery", ev.ID)
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(30 * time.Second) // the retention is 2 s
	for listed() {
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("event %s still listed 30 s after its delivery, with --retention 2s; serve stderr:\n%s", ev.ID, r.stderr.String())
		}
	}
}

// devTokenForTests is the token serve accepts without --token.
const devTokenForTests = "dev-token"
