package cli_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeAPI answers POST /v1/events with answer and status, and passes on
// each request's token and body.
func fakeAPI(t *testing.T, status int, answer string) (*httptest.Server, chan map[string]string) {
	t.Helper()
	got := make(chan map[string]string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var body map[string]string
		json.Unmarshal(b, &body)
		body["(request)"] = r.Method + " " + r.URL.Path + " " + r.Header.Get("Authorization") + " " + r.Header.Get("Content-Type")
		got <- body
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestTriggerFlagsAnywhere(t *testing.T) {
	t.Parallel()
	const answer = "{\n  \"id\": \"ev-1\",\n  \"object_type\": \"entity\"\n}\n"
	srv, got := fakeAPI(t, http.StatusCreated, answer)
	api := srv.URL + "/v1"
	tests := []struct {
		name string
		args []string
	}{
		{"flags first", []string{"--api", api, "--token", "tk", "--object-id", "o1", "--entity-id", "e1", "entity", "created"}},
		{"flags last", []string{"entity", "created", "--api=" + api, "--token=tk", "--object-id=o1", "--entity-id", "e1"}},
		{"flags between", []string{"--entity-id", "e1", "entity", "-api", api + "/", "created", "-token", "tk", "-object-id", "o1"}},
		{"terminator", []string{"--api", api, "--token", "tk", "--object-id", "o1", "--entity-id", "e1", "--", "entity", "created"}},
	}
	want := map[string]string{
		"object_type": "entity", "event_type": "created", "object_id": "o1", "entity_id": "e1",
		"(request)": "POST /v1/events Bearer tk application/json",
	}
	for _, tt := range tests {
		code, stdout, stderr := run(t, append([]string{"trigger"}, tt.args...)...)
		if code != 0 {
			t.Errorf("%s: Run = %d; want 0\nstderr:\n%s", tt.name, code, stderr)
			continue
		}
		if diff := cmp.Diff(want, <-got); diff != "" {
			t.Errorf("%s: request (-want +got):\n%s", tt.name, diff)
		}
		if want := `{"id":"ev-1","object_type":"entity"}` + "\n"; stdout != want {
			t.Errorf("%s: stdout = %q; want %q", tt.name, stdout, want)
		}
	}
}

func TestTriggerDefaults(t *testing.T) {
	t.Parallel()
	srv, got := fakeAPI(t, http.StatusCreated, `{"id":"ev-1"}`)
	if code, _, stderr := run(t, "trigger", "role", "deleted", "--api", srv.URL+"/v1"); code != 0 {
		t.Fatalf("Run = %d; want 0\nstderr:\n%s", code, stderr)
	}
	want := map[string]string{"object_type": "role", "event_type": "deleted", "(request)": "POST /v1/events Bearer dev-token application/json"}
	if diff := cmp.Diff(want, <-got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
}

func TestTriggerErrors(t *testing.T) {
	t.Parallel()
	unauthorized, _ := fakeAPI(t, http.StatusUnauthorized, `{"error":{"message":"missing or invalid bearer token"}}`)
	invalid, _ := fakeAPI(t, http.StatusUnprocessableEntity,
		`{"detail":[{"loc":["body","event_type"],"msg":"\"x\" is not an event type of entity","type":"enum"}]}`)
	notJSON, _ := fakeAPI(t, http.StatusBadGateway, "upstream down")
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	tests := []struct {
		name       string
		api        string
		wantStderr string
	}{
		{"401", unauthorized.URL, "the API answered 401 Unauthorized: missing or invalid bearer token"},
		{"422", invalid.URL, `the API answered 422 Unprocessable Entity: body.event_type: "x" is not an event type of entity`},
		{"not JSON", notJSON.URL, `the API answered 502 Bad Gateway: "upstream down"`},
		{"connection refused", closed.URL, "connection refused"},
	}
	for _, tt := range tests {
		code, stdout, stderr := run(t, "trigger", "--api", tt.api, "entity", "x")
		if code != 1 {
			t.Errorf("%s: Run = %d; want 1", tt.name, code)
		}
		if stdout != "" {
			t.Errorf("%s: stdout = %q; want nothing", tt.name, stdout)
		}
		if !strings.HasPrefix(stderr, "monitehooks trigger: ") || !strings.Contains(stderr, tt.wantStderr) {
			t.Errorf("%s: stderr = %q; want it to contain %q", tt.name, stderr, tt.wantStderr)
		}
	}
}
