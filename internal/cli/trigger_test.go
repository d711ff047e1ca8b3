package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/internal/cli"
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
		{"connection refused", closed.URL, "cannot connect to the API at " + closed.URL + ": connection refused (is monitehooks serve running there? --api and $MONITEHOOKS_API name another)"},
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

func TestTriggerObject(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "entity.json")
	if err := os.WriteFile(file, []byte("{\n  \"name\": \"Acme\",\n  \"tags\": [1, 2]\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notObject := filepath.Join(dir, "list.json")
	if err := os.WriteFile(notObject, []byte(`[1]`), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, got := fakeAPIRaw(t)
	tests := []struct {
		name       string
		object     string
		wantCode   int
		wantObject string // the "object" sent, compacted
		wantStderr string
	}{
		{name: "inline", object: `{"name": "Acme"}`, wantObject: `{"name":"Acme"}`},
		{name: "file", object: "@" + file, wantObject: `{"name":"Acme","tags":[1,2]}`},
		{name: "missing file", object: "@" + filepath.Join(dir, "nope.json"), wantCode: 2,
			wantStderr: `monitehooks trigger: invalid value "@` + filepath.Join(dir, "nope.json") + `" for flag --object: open ` + filepath.Join(dir, "nope.json") + ": no such file or directory; run 'monitehooks help trigger' for usage\n"},
		{name: "file not an object", object: "@" + notObject, wantCode: 2,
			wantStderr: `monitehooks trigger: invalid value "@` + notObject + `" for flag --object: ` + notObject + " does not hold a JSON object; run 'monitehooks help trigger' for usage\n"},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, "trigger", "--api", srv.URL, "--object", tt.object, "entity", "updated")
		if code != tt.wantCode {
			t.Errorf("%s: Run = %d; want %d\nstderr:\n%s", tt.name, code, tt.wantCode, stderr)
			continue
		}
		if tt.wantCode != 0 {
			if stderr != tt.wantStderr {
				t.Errorf("%s: stderr = %q; want %q", tt.name, stderr, tt.wantStderr)
			}
			continue
		}
		var body struct {
			Object json.RawMessage `json:"object"`
		}
		if err := json.Unmarshal(<-got, &body); err != nil {
			t.Fatal(err)
		}
		if string(body.Object) != tt.wantObject {
			t.Errorf("%s: object sent = %s; want %s", tt.name, body.Object, tt.wantObject)
		}
	}
}

// fakeAPIRaw answers every request 201 {"id":"ev-1"} and passes on its
// body.
func fakeAPIRaw(t *testing.T) (*httptest.Server, chan []byte) {
	t.Helper()
	got := make(chan []byte, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- b
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"ev-1"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestTriggerList(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args    []string
		catalog *monitehooks.Catalog
	}{
		{[]string{"trigger", "--list"}, monitehooks.DefaultCatalog},
		{[]string{"trigger", "--catalog", "default", "--list"}, monitehooks.DefaultCatalog},
		{[]string{"trigger", "--list", "--catalog=monite"}, monitehooks.MoniteCatalog},
		// No API is needed: these point nowhere.
		{[]string{"trigger", "--list", "--api", "http://127.0.0.1:1/v1"}, monitehooks.DefaultCatalog},
	} {
		code, stdout, stderr := run(t, tt.args...)
		if code != 0 || stderr != "" {
			t.Errorf("Run(%q) = %d, stderr %q; want 0 and nothing", tt.args, code, stderr)
		}
		var want strings.Builder
		for _, ot := range tt.catalog.ObjectTypes() {
			fmt.Fprintf(&want, "%s:", ot)
			for _, et := range tt.catalog.EventTypes(ot) {
				fmt.Fprintf(&want, " %s", et)
			}
			want.WriteString("\n")
		}
		if diff := cmp.Diff(want.String(), stdout); diff != "" {
			t.Errorf("Run(%q) stdout (-want +got):\n%s", tt.args, diff)
		}
	}
	// The seed's catalog, as the issue shows it.
	_, stdout, _ := run(t, "trigger", "--list")
	if !strings.Contains(stdout, "\nentity: created updated\n") {
		t.Errorf("trigger --list printed:\n%s\nwant a line %q", stdout, "entity: created updated")
	}
}

// TestTriggerEnvironment checks that MONITEHOOKS_API and MONITEHOOKS_TOKEN
// stand in for --api and --token, and that each flag wins over its
// variable.
func TestTriggerEnvironment(t *testing.T) {
	t.Parallel()
	envSrv, envGot := fakeAPI(t, http.StatusCreated, `{"id":"ev-1"}`)
	flagSrv, flagGot := fakeAPI(t, http.StatusCreated, `{"id":"ev-1"}`)
	env := map[string]string{"MONITEHOOKS_API": envSrv.URL + "/v1/", "MONITEHOOKS_TOKEN": "env-token"}
	tests := []struct {
		name    string
		flags   []string
		got     chan map[string]string
		wantReq string
	}{
		{"environment", nil, envGot, "POST /v1/events Bearer env-token application/json"},
		{"--api wins", []string{"--api", flagSrv.URL}, flagGot, "POST /events Bearer env-token application/json"},
		{"--token wins", []string{"--token", "flag-token"}, envGot, "POST /v1/events Bearer flag-token application/json"},
	}
	for _, tt := range tests {
		var stdout, stderr strings.Builder
		args := append([]string{"trigger", "entity", "created"}, tt.flags...)
		if code := cli.RunEnv(t.Context(), args, &stdout, &stderr, env); code != 0 {
			t.Errorf("%s: Run = %d; want 0\nstderr:\n%s", tt.name, code, stderr.String())
			continue
		}
		if req := <-tt.got; req["(request)"] != tt.wantReq {
			t.Errorf("%s: request = %q; want %q", tt.name, req["(request)"], tt.wantReq)
		}
	}
}

func TestTriggerCanceled(t *testing.T) {
	t.Parallel()
	srv, got := fakeAPI(t, http.StatusCreated, `{"id":"ev-1"}`)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var stdout, stderr strings.Builder
	if code := cli.Run(ctx, []string{"trigger", "--api", srv.URL, "entity", "created"}, &stdout, &stderr); code != 1 {
		t.Errorf("Run with a canceled context = %d; want 1", code)
	}
	if stderr.String() != "monitehooks trigger: interrupted\n" {
		t.Errorf("stderr = %q; want the interruption", stderr.String())
	}
	select {
	case req := <-got:
		t.Errorf("the API got a request, %v; want none", req)
	default:
	}
}
