package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/internal/cli"
)

var servingLine = regexp.MustCompile(`^monitehooks: serving on (http://127\.0\.0\.1:[0-9]+/v1)$`)

// startServe runs serve on a free port and returns it and the API's URL
// from its first line.
func startServe(t *testing.T, args ...string) (*running, string) {
	t.Helper()
	return startServeEnv(t, nil, args...)
}

// startServeEnv is startServe with env as the environment.
func startServeEnv(t *testing.T, env map[string]string, args ...string) (*running, string) {
	t.Helper()
	r := startEnv(t, env, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	line := r.stdout.next(t, "serving")
	m := servingLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first stdout line = %q; want it to match %s", line, servingLine)
	}
	return r, m[1]
}

// apiRequest calls the API and returns the status and decoded body.
func apiRequest(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s %s answered %d with a body that is not a JSON object: %q", method, url, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, v
}

// delivery is a request a test receiver got.
type delivery struct {
	header http.Header
	body   []byte
}

// newTestReceiver starts a receiver that answers 200 and passes on every
// request it gets.
func newTestReceiver(t *testing.T) (*httptest.Server, chan delivery) {
	t.Helper()
	got := make(chan delivery, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- delivery{header: r.Header.Clone(), body: b}
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestServe(t *testing.T) {
	t.Parallel()
	r, api := startServe(t, "--token", "t1", "--token", "t2", "--retry-schedule", "0s,50ms", "--attempt-timeout", "5s")

	// The API answers at /v1 with the tokens, and only with them.
	if code, _ := apiRequest(t, "GET", api+"/webhook_subscriptions", "", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /webhook_subscriptions without a token = %d; want 401", code)
	}
	if code, _ := apiRequest(t, "GET", api+"/webhook_subscriptions", "dev-token", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /webhook_subscriptions with dev-token while --token is given = %d; want 401", code)
	}
	code, list := apiRequest(t, "GET", api+"/webhook_subscriptions", "t1", "")
	if code != http.StatusOK {
		t.Fatalf("GET /webhook_subscriptions = %d %v; want 200", code, list)
	}

	// A subscription of partner t1 to a local http:// receiver.
	rcv, got := newTestReceiver(t)
	code, sub := apiRequest(t, "POST", api+"/webhook_subscriptions", "t1",
		`{"object_type":"entity","url":"`+rcv.URL+`/hook"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /webhook_subscriptions = %d %v; want 201", code, sub)
	}
	secret, _ := sub["secret"].(string)

	// The tokens are different partners.
	if code, list := apiRequest(t, "GET", api+"/webhook_subscriptions", "t2", ""); code != http.StatusOK || len(list["data"].([]any)) != 0 {
		t.Errorf("GET /webhook_subscriptions as t2 = %d %v; want 200 and no subscription of t1", code, list)
	}

	// An event triggered through the API reaches the receiver, signed.
	tcode, tout, terr := run(t, "trigger", "--api", api, "--token", "t1", "entity", "created", "--entity-id", "ent-1")
	if tcode != 0 {
		t.Fatalf("Run(trigger) = %d; want 0\nstderr:\n%s", tcode, terr)
	}
	var ev struct {
		ID         string `json:"id"`
		ObjectType string `json:"object_type"`
		EventType  string `json:"event_type"`
		EntityID   string `json:"entity_id"`
	}
	if err := json.Unmarshal([]byte(tout), &ev); err != nil {
		t.Fatalf("trigger stdout %q: %v", tout, err)
	}
	if ev.ID == "" || ev.ObjectType != "entity" || ev.EventType != "created" || ev.EntityID != "ent-1" {
		t.Errorf("trigger printed %+v; want an id, entity, created, ent-1", ev)
	}
	select {
	case d := <-got:
		if id := d.header.Get(monitehooks.WebhookIDHeader); id != ev.ID {
			t.Errorf("delivery Webhook-Id = %q; want the event id %q", id, ev.ID)
		}
		if err := monitehooks.Verify(d.header.Get(monitehooks.SignatureHeader), d.body, monitehooks.VerifyParams{Secrets: []string{secret}}); err != nil {
			t.Errorf("delivery signature: %v", err)
		}
	case <-time.After(wait):
		t.Fatalf("no delivery within %v; serve stderr:\n%s", wait, r.stderr.String())
	}

	// A bad event type is the API's 422, reported by trigger.
	tcode, _, terr = run(t, "trigger", "--api", api, "--token", "t1", "entity", "bogus")
	if tcode != 1 || !strings.Contains(terr, `"bogus" is not an event type of entity`) || !strings.Contains(terr, "422") {
		t.Errorf("Run(trigger entity bogus) = %d, stderr %q; want 1 and the API's 422 message", tcode, terr)
	}

	if code := r.stop(t); code != 0 {
		t.Errorf("serve after cancellation = %d; want 0\nstderr:\n%s", code, r.stderr.String())
	}
	if extra := strings.TrimPrefix(r.stdout.String(), "monitehooks: serving on "+api+"\n"); extra != "" {
		t.Errorf("serve stdout after the first line = %q; want nothing", extra)
	}
	if !strings.Contains(r.stderr.String(), "monitehooks: stopped") {
		t.Errorf("serve stderr does not say it stopped:\n%s", r.stderr.String())
	}
}

func TestServeDevToken(t *testing.T) {
	t.Parallel()
	r, api := startServe(t, "--catalog", "monite")
	if code, body := apiRequest(t, "GET", api+"/webhook_subscriptions", "dev-token", ""); code != http.StatusOK {
		t.Errorf("GET /webhook_subscriptions with dev-token = %d %v; want 200", code, body)
	}
	// --catalog monite accepts Monite's types.
	code, body := apiRequest(t, "POST", api+"/events", "dev-token", `{"object_type":"payable","event_type":"paid"}`)
	if code != http.StatusCreated {
		t.Errorf("POST /events payable.paid with --catalog monite = %d %v; want 201", code, body)
	}
	if code := r.stop(t); code != 0 {
		t.Errorf("serve after cancellation = %d; want 0", code)
	}
	if !strings.Contains(r.stderr.String(), "dev-token") {
		t.Errorf("serve stderr does not mention dev-token:\n%s", r.stderr.String())
	}
}

func TestServeAddressInUse(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	code, stdout, stderr := run(t, "serve", "--addr", ln.Addr().String())
	if code != 1 {
		t.Errorf("Run(serve) on a busy address = %d; want 1", code)
	}
	if stdout != "" || !strings.Contains(stderr, "monitehooks serve: ") {
		t.Errorf("stdout = %q, stderr = %q; want no stdout and the error on stderr", stdout, stderr)
	}
}

func TestServeHealth(t *testing.T) {
	t.Parallel()
	r, api := startServe(t)
	// Outside /v1, without a token.
	code, body := apiRequest(t, "GET", strings.TrimSuffix(api, "/v1")+"/healthz", "", "")
	if code != http.StatusOK || body["status"] != "ok" || len(body) != 1 {
		t.Errorf("GET /healthz = %d %v; want 200 {\"status\":\"ok\"}", code, body)
	}
	if code := r.stop(t); code != 0 {
		t.Errorf("serve after cancellation = %d; want 0", code)
	}
}

// TestServeLogs checks --log-format and --log-level: logs go to stderr in
// the format and from the level asked, and stdout has only the serving
// line, once.
func TestServeLogs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantJSON   bool
		wantLevels []string // levels that must appear
		skipLevels []string // levels that must not
	}{
		{"json debug", []string{"--log-format", "json", "--log-level", "debug"}, true, []string{"DEBUG", "INFO"}, nil},
		{"text info", []string{"--log-format=text"}, false, []string{"INFO"}, []string{"DEBUG"}},
		{"warn", []string{"--log-level", "warn"}, false, nil, []string{"DEBUG", "INFO"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, api := startServe(t, tt.args...)
			apiRequest(t, "GET", strings.TrimSuffix(api, "/v1")+"/healthz", "", "") // logged at debug
			apiRequest(t, "GET", api+"/webhook_subscriptions", "dev-token", "")     // logged at info
			if code := r.stop(t); code != 0 {
				t.Fatalf("serve after cancellation = %d; want 0", code)
			}
			if got, want := r.stdout.String(), "monitehooks: serving on "+api+"\n"; got != want {
				t.Errorf("stdout = %q; want only %q", got, want)
			}
			stderr := r.stderr.String()
			levels := map[string]bool{}
			for _, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
				if line == "" {
					continue
				}
				if tt.wantJSON {
					var rec struct{ Level, Msg string }
					if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Msg == "" {
						t.Errorf("stderr line %q is not a JSON log record: %v", line, err)
					}
					levels[rec.Level] = true
					continue
				}
				m := regexp.MustCompile(`^time=\S+ level=([A-Z]+) msg=`).FindStringSubmatch(line)
				if m == nil {
					t.Errorf("stderr line %q is not a text log record", line)
					continue
				}
				levels[m[1]] = true
			}
			for _, l := range tt.wantLevels {
				if !levels[l] {
					t.Errorf("no %s record on stderr:\n%s", l, stderr)
				}
			}
			for _, l := range tt.skipLevels {
				if levels[l] {
					t.Errorf("a %s record on stderr:\n%s", l, stderr)
				}
			}
		})
	}
}

// TestCanceledBeforeStart checks that serve and listen, asked to stop
// before they start, do not listen: the address they are given is taken,
// so they would fail if they tried.
func TestCanceledBeforeStart(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, cmd := range []string{"serve", "listen"} {
		var stdout, stderr strings.Builder
		code := cli.RunEnv(ctx, []string{cmd, "--addr", ln.Addr().String()}, &stdout, &stderr, nil)
		if code != 0 || stdout.Len() > 0 || stderr.Len() > 0 {
			t.Errorf("Run(%s) with a canceled context = %d, stdout %q, stderr %q; want 0 and no output", cmd, code, stdout.String(), stderr.String())
		}
	}
}

// TestServeToListen runs the whole loop: serve delivers an event
// triggered through its API to listen, which answers each attempt as
// --respond says, and the emitter retries until listen answers 2xx.
func TestServeToListen(t *testing.T) {
	t.Parallel()
	// Retries at once; an attempt gives up after 2s, which is what ends
	// the hang.
	srv, api := startServe(t, "--retry-schedule", "0s,0s,0s,0s,0s,0s", "--attempt-timeout", "2s")
	lst, hook := startListen(t, "--respond", "500,503:0,hang,reset,201")

	code, sub := apiRequest(t, "POST", api+"/webhook_subscriptions", "dev-token", `{"object_type":"entity","url":"`+hook+`/hook"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /webhook_subscriptions = %d %v; want 201", code, sub)
	}
	if code, _, stderr := run(t, "trigger", "--api", api, "entity", "created", "--object", `{"name":"Acme"}`); code != 0 {
		t.Fatalf("Run(trigger) = %d; want 0\nstderr:\n%s", code, stderr)
	}

	zero := 0
	want := []listenLine{
		{Method: "POST", Status: 500},
		{Method: "POST", Status: 503, RetryAfter: &zero},
		{Method: "POST", Status: 0}, // hang
		{Method: "POST", Status: 0}, // reset
		{Method: "POST", Status: 201},
	}
	for i, w := range want {
		if diff := cmp.Diff(w, nextLine(t, lst, fmt.Sprintf("attempt %d", i+1))); diff != "" {
			t.Errorf("attempt %d line (-want +got):\n%s", i+1, diff)
		}
	}

	// The delivery log says the same once the emitter has recorded the
	// last attempt, which serve logs.
	for line := ""; !strings.Contains(line, `msg="monitehooks: delivered"`); {
		line = srv.stderr.next(t, "delivered")
	}
	_, list := apiRequest(t, "GET", api+"/webhook_deliveries", "dev-token", "")
	rows, _ := list["data"].([]any)
	if len(rows) != 1 {
		t.Fatalf("GET /webhook_deliveries = %v; want one delivery", list)
	}
	row := rows[0].(map[string]any)
	if row["was_successful"] != true || row["requests_made_count"] != float64(len(want)) || row["response_status_code"] != float64(201) {
		t.Errorf("delivery = %v; want successful after %d requests, the last answered 201", row, len(want))
	}
	if code := lst.stop(t); code != 0 {
		t.Errorf("listen after cancellation = %d; want 0", code)
	}
	if code := srv.stop(t); code != 0 {
		t.Errorf("serve after cancellation = %d; want 0", code)
	}
}
