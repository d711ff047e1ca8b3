package cli_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks/internal/cli"
)

// deliveryHeader is the header of the deliveries table.
var deliveryHeader = []string{"ID", "STATUS", "ATTEMPTS", "LAST CODE", "NEXT ATTEMPT", "URL", "LAST ERROR"}

// TestDeliveriesTable checks the table and the query against an API
// double: "-" for what is null, times to the second in UTC, a long error
// cut to 72 characters.
func TestDeliveriesTable(t *testing.T) {
	t.Parallel()
	longErr := "connection: Post \"https://hooks.example/a\": " + strings.Repeat("x", 100) + ": connection refused"
	answer, _ := json.Marshal(map[string]any{"data": []map[string]any{
		{"id": "d-3", "status": "pending", "requests_made_count": 2, "response_status_code": nil, "next_attempt_at": "2026-01-02T03:09:05.5Z",
			"url": "https://hooks.example/a", "last_error": longErr, "event_id": "ev-1", "was_successful": false},
		{"id": "d-2", "status": "failed", "requests_made_count": 8, "response_status_code": 500, "next_attempt_at": nil,
			"url": "https://hooks.example/b", "last_error": nil},
		{"id": "d-1", "status": "failed", "requests_made_count": 0, "response_status_code": nil, "next_attempt_at": nil,
			"url": nil, "last_error": "subscription_unavailable: the subscription was deleted\nretry"},
	}})
	srv, got := cannedAPI(t, http.StatusOK, string(answer))
	code, stdout, stderr := run(t, "deliveries", "--api", srv.URL+"/v1")
	if code != 0 {
		t.Fatalf("Run = %d; want 0\nstderr:\n%s", code, stderr)
	}
	want := "" +
		"ID   STATUS   ATTEMPTS  LAST CODE  NEXT ATTEMPT          URL                      LAST ERROR\n" +
		"d-3  pending  2         -          2026-01-02T03:09:05Z  https://hooks.example/a  connection: …" + strings.Repeat("x", 39) + ": connection refused\n" +
		"d-2  failed   8         500        -                     https://hooks.example/b  -\n" +
		`d-1  failed   0         -          -                     -                        "subscription_unavailable: the subscription was deleted\nretry"` + "\n"
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if c := nextCall(t, got); c.method != "GET" || c.target != "/v1/webhook_deliveries?limit=20&order=desc" || c.auth != "Bearer dev-token" {
		t.Errorf("request = %+v; want GET /v1/webhook_deliveries?limit=20&order=desc with dev-token", c)
	}

	if code, _, stderr := run(t, "deliveries", "--api", srv.URL, "--event", "ev-1", "--subscription=sub-1", "--limit=5", "--order=asc"); code != 0 {
		t.Fatalf("Run = %d; want 0\nstderr:\n%s", code, stderr)
	}
	if c := nextCall(t, got); c.target != "/webhook_deliveries?event_id=ev-1&limit=5&order=asc&webhook_subscription_id=sub-1" {
		t.Errorf("request target = %q; want the flags in the query", c.target)
	}
}

// TestRedeliverRecoverRequests checks what redeliver and recover send,
// and what they print, against an API double.
func TestRedeliverRecoverRequests(t *testing.T) {
	t.Parallel()
	row, rowCalls := cannedAPI(t, http.StatusOK, `{"id":"d/1","status":"pending","requests_made_count":1,"response_status_code":503,"next_attempt_at":"2026-01-02T03:04:05Z","url":"https://hooks.example/","last_error":null}`)
	code, stdout, stderr := run(t, "redeliver", "--api", row.URL, "d/1")
	if code != 0 {
		t.Fatalf("Run(redeliver) = %d; want 0\nstderr:\n%s", code, stderr)
	}
	want := "" +
		"ID   STATUS   ATTEMPTS  LAST CODE  NEXT ATTEMPT          URL                     LAST ERROR\n" +
		"d/1  pending  1         503        2026-01-02T03:04:05Z  https://hooks.example/  -\n"
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("redeliver stdout (-want +got):\n%s", diff)
	}
	if c := nextCall(t, rowCalls); c.method != "POST" || c.target != "/webhook_deliveries/d%2F1/redeliver" || c.body != "" {
		t.Errorf("request = %+v; want POST /webhook_deliveries/d%%2F1/redeliver without a body", c)
	}
	if code, stdout, _ := run(t, "redeliver", "--api", row.URL, "--json", "d/1"); code != 0 || !strings.HasPrefix(stdout, `{"id":"d/1","status":"pending",`) || strings.Count(stdout, "\n") != 1 {
		t.Errorf("Run(redeliver --json) = %d, stdout %q; want 0 and the row on one line", code, stdout)
	}

	requeued, got := cannedAPI(t, http.StatusOK, `{"requeued": 3}`)
	for _, tt := range []struct {
		args       []string
		wantStdout string
	}{
		{[]string{"recover", "sub-1", "--since", "2026-01-02T05:04:05+02:00"}, "requeued 3\n"},
		{[]string{"recover", "--json", "--since=2026-01-02T03:04:05.25Z", "sub-1"}, `{"requeued":3}` + "\n"},
	} {
		code, stdout, stderr := run(t, append(tt.args, "--api", requeued.URL+"/v1/")...)
		if code != 0 || stdout != tt.wantStdout {
			t.Errorf("Run(%q) = %d, stdout %q; want 0 and %q\nstderr:\n%s", tt.args, code, stdout, tt.wantStdout, stderr)
		}
	}
	for _, wantBody := range []string{`{"since":"2026-01-02T03:04:05Z"}`, `{"since":"2026-01-02T03:04:05.25Z"}`} {
		c := nextCall(t, got)
		if c.method != "POST" || c.target != "/v1/webhook_subscriptions/sub-1/recover" || c.body != wantBody {
			t.Errorf("request = %+v; want POST /v1/webhook_subscriptions/sub-1/recover %s", c, wantBody)
		}
	}

	// A duration means that long before the command runs.
	before := time.Now()
	if code, _, stderr := run(t, "recover", "sub-1", "--since", "36h", "--api", requeued.URL); code != 0 {
		t.Fatalf("Run(recover --since 36h) = %d\nstderr:\n%s", code, stderr)
	}
	after := time.Now()
	var body struct{ Since time.Time }
	if err := json.Unmarshal([]byte(nextCall(t, got).body), &body); err != nil {
		t.Fatal(err)
	}
	if lo, hi := before.Add(-36*time.Hour), after.Add(-36*time.Hour); body.Since.Before(lo.Truncate(time.Nanosecond)) || body.Since.After(hi) || body.Since.Location() != time.UTC {
		t.Errorf("since = %v; want a UTC time from %v to %v", body.Since, lo, hi)
	}

	// An answer without the count is an error, whatever --json says.
	odd, _ := cannedAPI(t, http.StatusOK, `{"requeud":3}`)
	for _, asJSON := range []string{"--json=false", "--json"} {
		code, stdout, stderr := run(t, "recover", "sub-1", "--since", "1h", "--api", odd.URL, asJSON)
		if want := `monitehooks recover: the API's answer has no "requeued" count: {"requeud":3}` + "\n"; code != 1 || stdout != "" || stderr != want {
			t.Errorf("Run(recover %s) of an odd answer = %d, stdout %q, stderr %q; want 1, nothing and %q", asJSON, code, stdout, stderr, want)
		}
	}
}

// TestDeliveriesAPI lists, redelivers and recovers deliveries of the real
// API: one succeeds, one gets a 500 and one no answer at all.
func TestDeliveriesAPI(t *testing.T) {
	t.Parallel()
	b := setupAPI(t)
	subs := map[string]string{}
	for _, path := range []string{"/ok", "/no", "/rs"} {
		subs[path] = b.subscribe(t, path)
	}
	code, stdout, stderr := b.cli(t, "trigger", "entity", "created")
	if code != 0 {
		t.Fatalf("trigger = %d\nstderr:\n%s", code, stderr)
	}
	var ev struct{ ID string }
	json.Unmarshal([]byte(stdout), &ev)
	b.settle(t, 3)

	// --json prints the API's rows as they are.
	_, list := apiRequest(t, "GET", b.api+"/webhook_deliveries?order=desc", apiToken, "")
	_, stdout, _ = b.cli(t, "deliveries", "--json")
	var lines []any
	ids := map[string]string{} // by the URL's path
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("--json line %q: %v", line, err)
		}
		lines = append(lines, row)
		ids[strings.TrimPrefix(row["url"].(string), b.receiver)] = row["id"].(string)
	}
	if diff := cmp.Diff(list["data"], lines); diff != "" {
		t.Errorf("--json lines (-API's data +got):\n%s", diff)
	}

	rowOK := []string{ids["/ok"], "succeeded", "1", "200", "-", b.receiver + "/ok", "-"}
	rowNo := []string{ids["/no"], "failed", "1", "500", "-", b.receiver + "/no", "-"}
	tests := []struct {
		name string
		args []string
		want [][]string // sorted by URL
	}{
		{"all", nil, [][]string{rowNo, rowOK, {ids["/rs"], "failed", "1", "-", "-", b.receiver + "/rs", "(an error)"}}},
		{"subscription", []string{"--subscription", subs["/no"]}, [][]string{rowNo}},
		{"event", []string{"--event", ev.ID, "--order", "asc", "--limit", "2"}, nil}, // two of the three
		{"unknown event", []string{"--event", "00000000-0000-4000-8000-000000000000"}, nil},
		{"event not a UUID", []string{"--event", "ev-1"}, nil},
	}
	for _, tt := range tests {
		code, stdout, stderr := b.cli(t, append([]string{"deliveries"}, tt.args...)...)
		if code != 0 {
			t.Errorf("%s: Run = %d; want 0\nstderr:\n%s", tt.name, code, stderr)
			continue
		}
		got := parseTable(t, stdout, deliveryHeader)
		slices.SortFunc(got, func(a, b []string) int { return strings.Compare(a[5], b[5]) })
		for _, row := range got {
			// The error's words are the network's: its class is ours.
			if strings.HasSuffix(row[5], "/rs") && strings.HasPrefix(row[6], "connection: ") {
				row[6] = "(an error)"
			}
		}
		if tt.name == "event" {
			if len(got) != 2 {
				t.Errorf("%s: %d rows; want 2:\n%s", tt.name, len(got), stdout)
			}
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: table (-want +got):\n%s", tt.name, diff)
		}
	}

	// redeliver answers the row, pending again and due now; the emitter
	// then tries again.
	code, stdout, stderr = b.cli(t, "redeliver", ids["/no"])
	if code != 0 {
		t.Fatalf("redeliver = %d\nstderr:\n%s", code, stderr)
	}
	want := [][]string{{ids["/no"], "pending", "1", "500", "2026-01-02T03:04:05Z", b.receiver + "/no", "-"}}
	if diff := cmp.Diff(want, parseTable(t, stdout, deliveryHeader)); diff != "" {
		t.Errorf("redeliver table (-want +got):\n%s", diff)
	}
	b.settle(t, 1)
	_, stdout, _ = b.cli(t, "deliveries", "--subscription", subs["/no"])
	if got := parseTable(t, stdout, deliveryHeader); len(got) != 1 || got[0][1] != "failed" || got[0][2] != "2" {
		t.Errorf("after redeliver, deliveries printed\n%s\nwant the delivery failed after 2 attempts", stdout)
	}

	// recover requeues what failed for good since the time; the API's
	// clock stamped every delivery apiNow.
	for _, tt := range []struct {
		args       []string
		wantStdout string
		wantDone   int
	}{
		{[]string{subs["/rs"], "--since", "2026-01-02T03:04:05Z"}, "requeued 1\n", 1},
		{[]string{subs["/rs"], "--since", "2026-01-02T04:04:05+01:00", "--json"}, `{"requeued":1}` + "\n", 1},
		{[]string{subs["/rs"], "--since", "2026-01-02T03:04:06Z"}, "requeued 0\n", 0},
		{[]string{subs["/ok"], "--since", "2026-01-01T00:00:00Z"}, "requeued 0\n", 0},
	} {
		code, stdout, stderr := b.cli(t, append([]string{"recover"}, tt.args...)...)
		if code != 0 || stdout != tt.wantStdout {
			t.Errorf("recover %q = %d, stdout %q; want 0 and %q\nstderr:\n%s", tt.args, code, stdout, tt.wantStdout, stderr)
		}
		b.settle(t, tt.wantDone)
	}
	_, stdout, _ = b.cli(t, "deliveries", "--subscription", subs["/rs"])
	if got := parseTable(t, stdout, deliveryHeader); len(got) != 1 || got[0][1] != "failed" || got[0][2] != "3" || !strings.HasPrefix(got[0][6], "connection: ") {
		t.Errorf("after recover, deliveries printed\n%s\nwant the delivery failed after 3 attempts, with a connection error", stdout)
	}

	// Unknown IDs: a one-line error, exit 1.
	for _, tt := range []struct {
		args       []string
		wantStderr string
	}{
		{[]string{"redeliver", "00000000-0000-4000-8000-000000000000"},
			`monitehooks redeliver: delivery "00000000-0000-4000-8000-000000000000" not found (the API answered 404 Not Found: not found)` + "\n"},
		{[]string{"redeliver", "d-1"}, `monitehooks redeliver: delivery "d-1" not found (the API answered 404 Not Found: not found)` + "\n"},
		{[]string{"redeliver", ".."}, `monitehooks redeliver: delivery ".." not found (the API answered 404 Not Found: not found)` + "\n"},
		{[]string{"recover", "sub-1", "--since", "1h"},
			`monitehooks recover: subscription "sub-1" not found (the API answered 404 Not Found: webhook subscription not found)` + "\n"},
	} {
		code, stdout, stderr := b.cli(t, tt.args...)
		if code != 1 || stdout != "" || stderr != tt.wantStderr {
			t.Errorf("Run(%q) = %d, stdout %q, stderr %q; want 1, nothing and %q", tt.args, code, stdout, stderr, tt.wantStderr)
		}
	}
}

// TestAPICommandsCanceled checks that the commands calling an API call
// nothing once the context has ended, and say so in one line.
func TestAPICommandsCanceled(t *testing.T) {
	t.Parallel()
	srv, got := cannedAPI(t, http.StatusOK, `{"data":[]}`)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, args := range [][]string{
		{"events"}, {"deliveries", "--event", "ev-1"}, {"redeliver", "d-1"}, {"recover", "s-1", "--since", "1h"},
	} {
		var stdout, stderr strings.Builder
		code := cli.RunEnv(ctx, append(args, "--api", srv.URL), &stdout, &stderr, nil)
		if want := "monitehooks " + args[0] + ": interrupted\n"; code != 1 || stdout.Len() > 0 || stderr.String() != want {
			t.Errorf("Run(%q) with a canceled context = %d, stdout %q, stderr %q; want 1, nothing and %q", args, code, stdout.String(), stderr.String(), want)
		}
	}
	select {
	case c := <-got:
		t.Errorf("the API got %+v; want no request", c)
	default:
	}
}
