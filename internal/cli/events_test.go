package cli_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEventsTable checks the table and the query against an API double:
// times shown to the second in UTC, and values that would break the
// columns or reach the terminal as control sequences quoted.
func TestEventsTable(t *testing.T) {
	t.Parallel()
	srv, got := cannedAPI(t, http.StatusOK, `{"data":[
		{"id":"ev-2","object_type":"entity_user","event_type":"deleted","object_id":"u-1","entity_id":null,"created_at":"2026-01-02T05:04:05.999+02:00"},
		{"id":"ev-1","object_type":"entity","event_type":"created","object_id":"a\tb\u001b[2J","entity_id":"e","object":{"x":1},"created_at":"2026-01-02T03:04:05.123456Z"}
	],"next_pagination_token":null,"prev_pagination_token":null}`)
	code, stdout, stderr := run(t, "events", "--api", srv.URL+"/v1", "--token", "tk")
	if code != 0 {
		t.Fatalf("Run = %d; want 0\nstderr:\n%s", code, stderr)
	}
	want := "" +
		"ID    CREATED               OBJECT TYPE  EVENT TYPE  OBJECT ID\n" +
		"ev-2  2026-01-02T03:04:05Z  entity_user  deleted     u-1\n" +
		`ev-1  2026-01-02T03:04:05Z  entity       created     "a\tb\x1b[2J"` + "\n"
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	if c := nextCall(t, got); c.method != "GET" || c.target != "/v1/events?limit=20&order=desc" || c.auth != "Bearer tk" {
		t.Errorf("request = %+v; want GET /v1/events?limit=20&order=desc with the token", c)
	}

	code, _, stderr = run(t, "events", "--api", srv.URL, "--limit", "100", "--order", "asc", "--object-type", "entity", "--event-type", "created")
	if code != 0 {
		t.Fatalf("Run = %d; want 0\nstderr:\n%s", code, stderr)
	}
	if c := nextCall(t, got); c.target != "/events?event_type=created&limit=100&object_type=entity&order=asc" {
		t.Errorf("request target = %q; want the flags in the query", c.target)
	}
}

// TestEventsJSON checks that --json prints each event as the API wrote
// it, one line each, and nothing for an empty list.
func TestEventsJSON(t *testing.T) {
	t.Parallel()
	srv, _ := cannedAPI(t, http.StatusOK, `{"data":[{"id":"ev-2", "x": [1, 2]},{"id":"ev-1"}],"next_pagination_token":"n"}`)
	code, stdout, stderr := run(t, "events", "--api", srv.URL, "--json")
	if code != 0 {
		t.Fatalf("Run = %d; want 0\nstderr:\n%s", code, stderr)
	}
	if want := `{"id":"ev-2","x":[1,2]}` + "\n" + `{"id":"ev-1"}` + "\n"; stdout != want {
		t.Errorf("stdout = %q; want %q", stdout, want)
	}

	empty, _ := cannedAPI(t, http.StatusOK, `{"data":[]}`)
	if code, stdout, _ := run(t, "events", "--api", empty.URL, "--json"); code != 0 || stdout != "" {
		t.Errorf("Run(--json) of an empty list = %d, stdout %q; want 0 and nothing", code, stdout)
	}
	if code, stdout, _ := run(t, "events", "--api", empty.URL); code != 0 || stdout != "ID  CREATED  OBJECT TYPE  EVENT TYPE  OBJECT ID\n" {
		t.Errorf("Run of an empty list = %d, stdout %q; want 0 and the header alone", code, stdout)
	}
}

// TestListErrors checks the failures of the list commands: the API's
// error, and answers that are not a list. Nothing goes to stdout.
func TestListErrors(t *testing.T) {
	t.Parallel()
	unauthorized, _ := cannedAPI(t, http.StatusUnauthorized, `{"error":{"message":"missing or invalid bearer token"}}`)
	badLimit, _ := cannedAPI(t, http.StatusRequestedRangeNotSatisfiable, `{"error":{"message":"limit must be an integer from 1 to 100"}}`)
	noData, _ := cannedAPI(t, http.StatusOK, `{"items":[]}`)
	badItem, _ := cannedAPI(t, http.StatusOK, `{"data":[{"id":"d-1"},{"id":7}]}`)
	for _, tt := range []struct {
		name, api, cmd, wantStderr string
	}{
		{"401", unauthorized.URL, "events", "monitehooks events: the API answered 401 Unauthorized: missing or invalid bearer token\n"},
		{"416", badLimit.URL, "deliveries", "monitehooks deliveries: the API answered 416 Requested Range Not Satisfiable: limit must be an integer from 1 to 100\n"},
		{"no data", noData.URL, "events", `monitehooks events: GET ` + noData.URL + `/events?limit=20&order=desc: the answer has no "data" list` + "\n"},
		{"bad item", badItem.URL, "deliveries", "monitehooks deliveries: item 2 of the API's answer is not the JSON expected: json: cannot unmarshal number into Go struct field deliveryRow.id of type string\n"},
	} {
		code, stdout, stderr := run(t, tt.cmd, "--api", tt.api)
		if code != 1 || stdout != "" {
			t.Errorf("%s: Run = %d, stdout %q; want 1 and nothing", tt.name, code, stdout)
		}
		if stderr != tt.wantStderr {
			t.Errorf("%s: stderr = %q; want %q", tt.name, stderr, tt.wantStderr)
		}
	}
}

// TestEventsAPI lists events of the real API.
func TestEventsAPI(t *testing.T) {
	t.Parallel()
	b := setupAPI(t)
	for _, args := range [][]string{{"entity", "created", "--object-id", "obj-1"}, {"role", "deleted", "--object-id", "obj-2"}} {
		if code, _, stderr := b.cli(t, append([]string{"trigger"}, args...)...); code != 0 {
			t.Fatalf("trigger %q = %d\nstderr:\n%s", args, code, stderr)
		}
	}
	_, list := apiRequest(t, "GET", b.api+"/events", apiToken, "")
	data := list["data"].([]any)
	id := func(i int) string { return data[i].(map[string]any)["id"].(string) }

	tests := []struct {
		name string
		args []string
		want [][]string
	}{
		{"newest first", nil, [][]string{
			{id(1), "2026-01-02T03:04:05Z", "role", "deleted", "obj-2"},
			{id(0), "2026-01-02T03:04:05Z", "entity", "created", "obj-1"},
		}},
		{"oldest first", []string{"--order", "asc"}, [][]string{
			{id(0), "2026-01-02T03:04:05Z", "entity", "created", "obj-1"},
			{id(1), "2026-01-02T03:04:05Z", "role", "deleted", "obj-2"},
		}},
		{"limit", []string{"--limit", "1"}, [][]string{{id(1), "2026-01-02T03:04:05Z", "role", "deleted", "obj-2"}}},
		{"object type", []string{"--object-type", "entity"}, [][]string{{id(0), "2026-01-02T03:04:05Z", "entity", "created", "obj-1"}}},
		{"event type", []string{"--event-type", "deleted"}, [][]string{{id(1), "2026-01-02T03:04:05Z", "role", "deleted", "obj-2"}}},
		{"none", []string{"--object-type", "payment"}, nil},
	}
	for _, tt := range tests {
		code, stdout, stderr := b.cli(t, append([]string{"events"}, tt.args...)...)
		if code != 0 {
			t.Errorf("%s: Run = %d; want 0\nstderr:\n%s", tt.name, code, stderr)
			continue
		}
		got := parseTable(t, stdout, []string{"ID", "CREATED", "OBJECT TYPE", "EVENT TYPE", "OBJECT ID"})
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: table (-want +got):\n%s", tt.name, diff)
		}
	}

	// --json prints the API's events as they are, oldest first here.
	_, stdout, _ := b.cli(t, "events", "--json", "--order", "asc")
	var lines []any
	for _, line := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var v any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("--json line %q: %v", line, err)
		}
		lines = append(lines, v)
	}
	if diff := cmp.Diff(data, lines); diff != "" {
		t.Errorf("--json lines (-API's data +got):\n%s", diff)
	}
}
