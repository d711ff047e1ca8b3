package cli_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/internal/cli"
)

// TestServeStoreFlag checks what --store, MONITEHOOKS_STORE and --lease
// accept, and that the flag beats the variable.
func TestServeStoreFlag(t *testing.T) {
	t.Parallel()
	const pg = "postgres://app:hunter2@db.internal:5432/app?sslmode=disable"
	tests := []struct {
		name      string
		args      []string
		env       string // MONITEHOOKS_STORE
		wantStore string
		wantLease time.Duration
	}{
		{"default", nil, "", "memory", 0},
		{"flag memory", []string{"--store", "memory"}, "", "memory", 0},
		{"flag sqlite", []string{"--store", "sqlite:/var/lib/x.db"}, "", "sqlite:/var/lib/x.db", 0},
		{"flag sqlite relative", []string{"--store=sqlite:x.db"}, "", "sqlite:x.db", 0},
		{"flag postgres", []string{"--store", pg}, "", pg, 0},
		{"flag postgresql", []string{"--store", "postgresql://db/app"}, "", "postgresql://db/app", 0},
		{"env", nil, "sqlite:env.db", "sqlite:env.db", 0},
		{"env postgres", nil, pg, pg, 0},
		{"flag beats env", []string{"--store", "sqlite:flag.db"}, "sqlite:env.db", "sqlite:flag.db", 0},
		{"flag memory beats env", []string{"--store", "memory"}, pg, "memory", 0},
		{"flag beats a bad env", []string{"--store", "memory"}, "mysql://x", "memory", 0},
		{"lease", []string{"--lease", "2m"}, "", "memory", 2 * time.Minute},
		{"lease over a short attempt timeout", []string{"--lease", "3s", "--attempt-timeout", "2s"}, "", "memory", 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store, lease, err := cli.ServeStore(tt.args, map[string]string{"MONITEHOOKS_STORE": tt.env})
			if err != nil || store != tt.wantStore || lease != tt.wantLease {
				t.Errorf("serve %q with MONITEHOOKS_STORE=%q: store %q, lease %v, err %v; want %q, %v, no error",
					tt.args, tt.env, store, lease, err, tt.wantStore, tt.wantLease)
			}
		})
	}
}

// TestServeStoreUsage checks that a bad --store, MONITEHOOKS_STORE or
// --lease is a usage error naming it, before anything is opened, and
// that no password reaches the message.
func TestServeStoreUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  string // MONITEHOOKS_STORE
		want string // in the one line on stderr
	}{
		{"empty", []string{"--store", ""}, "", `invalid value "" for flag --store: must be "memory", sqlite:PATH or a postgres://`},
		{"unknown scheme", []string{"--store", "mysql://root@db/x"}, "", `invalid value "mysql://root@db/x" for flag --store`},
		{"capitalized", []string{"--store", "Memory"}, "", `invalid value "Memory" for flag --store`},
		{"sqlite without a path", []string{"--store", "sqlite:"}, "", `invalid value "sqlite:" for flag --store: must be`},
		{"sqlite with a query", []string{"--store", "sqlite:x.db?mode=ro"}, "", `an SQLite path may not be empty nor hold ? or #`},
		{"postgres not a URL", []string{"--store", "postgres://app:hunter2@db:port/app"}, "",
			`invalid value "postgres://…" for flag --store: must be "memory", sqlite:PATH or a postgres:// (postgresql://) URL; this one is not a URL: invalid port ":port" after host`},
		{"env", nil, "bogus", `invalid value "bogus" for MONITEHOOKS_STORE: must be "memory"`},
		{"env not a URL", nil, "postgresql://app:hunter2@db:port/app", `invalid value "postgresql://…" for MONITEHOOKS_STORE`},
		{"lease zero", []string{"--lease", "0s"}, "", `invalid value "0s" for flag --lease: must be a positive duration`},
		{"lease negative", []string{"--lease", "-1m"}, "", `invalid value "-1m" for flag --lease: must be a positive duration`},
		{"lease not a duration", []string{"--lease", "long"}, "", `invalid value "long" for flag --lease`},
		{"lease under the attempt timeout", []string{"--lease", "10s"}, "", `--lease 10s must be longer than --attempt-timeout 15s`},
		{"lease equal to the attempt timeout", []string{"--lease", "2s", "--attempt-timeout", "2s"}, "", `--lease 2s must be longer than --attempt-timeout 2s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr strings.Builder
			args := append([]string{"serve", "--addr", "127.0.0.1:0"}, tt.args...)
			code := cli.RunEnv(t.Context(), args, &stdout, &stderr, map[string]string{"MONITEHOOKS_STORE": tt.env})
			msg := stderr.String()
			if code != 2 || stdout.Len() > 0 {
				t.Errorf("Run(%q) = %d, stdout %q; want 2 and no stdout", args, code, stdout.String())
			}
			if !strings.HasPrefix(msg, "monitehooks serve: ") || !strings.Contains(msg, tt.want) ||
				!strings.HasSuffix(msg, "; run 'monitehooks help serve' for usage\n") || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr = %q; want one usage line containing %q", msg, tt.want)
			}
			if strings.Contains(msg, "hunter2") {
				t.Errorf("stderr = %q; it shows the password", msg)
			}
		})
	}
}

// TestServeStoreUnreachable: a PostgreSQL server that does not answer at
// start stops serve with one line naming the store, without its
// password, and exit 1. Nothing listens on port 1, so the connection is
// refused at once; connect_timeout bounds it anyway. Without
// sslmode=disable, pgx tries twice, with TLS and without, and says so in
// an error of several lines.
func TestServeStoreUnreachable(t *testing.T) {
	t.Parallel()
	for _, store := range []string{
		"postgres://postgres:hunter2@127.0.0.1:1/x?sslmode=disable&connect_timeout=5",
		"postgresql://postgres@127.0.0.1:1/x?connect_timeout=5&password=hunter2",
	} {
		code, stdout, stderr := run(t, "serve", "--addr", "127.0.0.1:0", "--store", store)
		if code != 1 || stdout != "" {
			t.Errorf("serve --store %s = %d, stdout %q; want 1 and no stdout", store, code, stdout)
		}
		wantStart := "monitehooks serve: store " + strings.Replace(strings.Replace(store, ":hunter2@", ":xxxxx@", 1), "password=hunter2", "password=xxxxx", 1)
		if strings.Contains(store, "password=") { // the query is re-encoded, its keys sorted
			wantStart = "monitehooks serve: store postgresql://postgres@127.0.0.1:1/x?connect_timeout=5&password=xxxxx"
		}
		if !strings.HasPrefix(stderr, wantStart+": ") || !strings.Contains(stderr, "connection refused") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("stderr = %q; want one line starting %q and saying the connection was refused", stderr, wantStart)
		}
		if strings.Contains(stderr, "hunter2") {
			t.Errorf("stderr = %q; it shows the password", stderr)
		}
	}
}

// TestStoreError: the message about a store that did not open is one
// line, and no password of the URL is in it, even where the driver's
// error quotes one.
func TestStoreError(t *testing.T) {
	t.Parallel()
	err := errors.New("failed to connect:\n\tas app with s3cr3t\n\tas app with pw2\r")
	for _, tc := range []struct{ store, want string }{
		{"postgres://app:s3cr3t@db/app?sslpassword=pw2",
			"store postgres://app:xxxxx@db/app?sslpassword=xxxxx: failed to connect: as app with xxxxx; as app with xxxxx"},
		{"postgresql://app@db/app?password=s3cr3t",
			"store postgresql://app@db/app?password=xxxxx: failed to connect: as app with xxxxx; as app with pw2"},
		{"sqlite:s3cr3t.db", "store sqlite:s3cr3t.db: failed to connect: as app with s3cr3t; as app with pw2"},
	} {
		if got := cli.StoreError(tc.store, err); got != tc.want {
			t.Errorf("storeError(%q) = %q; want %q", tc.store, got, tc.want)
		}
	}
}

// TestServeStoreNotADatabase: an SQLite file that is not a database
// fails the migrations at start: exit 1, with a line naming the store.
func TestServeStoreNotADatabase(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "serve", "--addr", "127.0.0.1:0", "--store", "sqlite:"+path)
	if code != 1 || stdout != "" {
		t.Errorf("serve on a text file = %d, stdout %q; want 1 and no stdout", code, stdout)
	}
	if want := "monitehooks serve: store sqlite:" + path + ": "; !strings.HasPrefix(stderr, want) ||
		!strings.Contains(stderr, "not a database") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr = %q; want one line starting %q that says the file is not a database", stderr, want)
	}
}

// TestServeSQLiteRestart: a serve started again on the SQLite file of
// one that stopped has its subscription, whose secret still signs, its
// events and its delivery log. The second serve takes the store from
// MONITEHOOKS_STORE.
func TestServeSQLiteRestart(t *testing.T) {
	t.Parallel()
	store := "sqlite:" + filepath.Join(t.TempDir(), "monitehooks.db")
	rcv, got := newTestReceiver(t)

	// The first serve: a subscription, an event, its delivery.
	r, api := startServe(t, "--store", store, "--retry-schedule", "0s")
	code, sub := apiRequest(t, "POST", api+"/webhook_subscriptions", devTokenForTests, `{"object_type":"entity","url":"`+rcv.URL+`/hook"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /webhook_subscriptions = %d %v; want 201", code, sub)
	}
	subID, secret := sub["id"].(string), sub["secret"].(string)
	first := emitAndReceive(t, api, got, secret)
	// serve logs the delivery once it is recorded.
	for line := ""; !strings.Contains(line, `msg="monitehooks: delivered"`); {
		line = r.stderr.next(t, "delivered")
	}
	if code := r.stop(t); code != 0 {
		t.Fatalf("first serve after cancellation = %d; want 0\nstderr:\n%s", code, r.stderr.String())
	}

	// The second serve, on the same file.
	r, api = startServeEnv(t, map[string]string{"MONITEHOOKS_STORE": store}, "--retry-schedule", "0s")
	if !strings.Contains(r.stderr.String(), "store="+store) {
		t.Errorf("the second serve does not log the store of MONITEHOOKS_STORE:\n%s", r.stderr.String())
	}
	code, got1 := apiRequest(t, "GET", api+"/webhook_subscriptions/"+subID, devTokenForTests, "")
	if code != http.StatusOK || got1["url"] != rcv.URL+"/hook" || got1["status"] != "enabled" {
		t.Errorf("GET /webhook_subscriptions/%s after the restart = %d %v; want 200, the subscription, enabled", subID, code, got1)
	}
	code, events := apiRequest(t, "GET", api+"/events", devTokenForTests, "")
	if rows, _ := events["data"].([]any); code != http.StatusOK || len(rows) != 1 || rows[0].(map[string]any)["id"] != first {
		t.Errorf("GET /events after the restart = %d %v; want the event %s", code, events, first)
	}
	code, log := apiRequest(t, "GET", api+"/webhook_deliveries", devTokenForTests, "")
	rows, _ := log["data"].([]any)
	if code != http.StatusOK || len(rows) != 1 {
		t.Fatalf("GET /webhook_deliveries after the restart = %d %v; want one delivery", code, log)
	}
	if row := rows[0].(map[string]any); row["event_id"] != first || row["was_successful"] != true || row["requests_made_count"] != float64(1) {
		t.Errorf("delivery after the restart = %v; want the event %s, successful after 1 request", row, first)
	}
	// The secret made before the restart signs what is sent after it.
	emitAndReceive(t, api, got, secret)
	if code := r.stop(t); code != 0 {
		t.Errorf("second serve after cancellation = %d; want 0\nstderr:\n%s", code, r.stderr.String())
	}
}

// emitAndReceive emits an entity event through the API, waits until
// the receiver gets it, checks that its signature verifies with secret,
// and returns the event's ID.
func emitAndReceive(t *testing.T, api string, got chan delivery, secret string) string {
	t.Helper()
	code, ev := apiRequest(t, "POST", api+"/events", devTokenForTests, `{"object_type":"entity","event_type":"created"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /events = %d %v; want 201", code, ev)
	}
	id, _ := ev["id"].(string)
	select {
	case d := <-got:
		if got := d.header.Get(monitehooks.WebhookIDHeader); got != id {
			t.Errorf("delivery Webhook-Id = %q; want %q", got, id)
		}
		if err := monitehooks.Verify(d.header.Get(monitehooks.SignatureHeader), d.body, monitehooks.VerifyParams{Secrets: []string{secret}}); err != nil {
			t.Errorf("delivery of %s does not verify with the subscription's secret: %v", id, err)
		}
		var body struct{ ID string }
		if err := json.Unmarshal(d.body, &body); err != nil || body.ID != id {
			t.Errorf("delivery body %s: %v; want the id %s", d.body, err, id)
		}
	case <-time.After(wait):
		t.Fatalf("no delivery of %s within %v", id, wait)
	}
	return id
}
