package cli_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
)

var listeningLine = regexp.MustCompile(`^monitehooks: listening on (http://127\.0\.0\.1:[0-9]+)$`)

func TestListen(t *testing.T) {
	t.Parallel()
	const (
		oldSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		newSecret = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	)
	r := start(t, "listen", "--addr", "127.0.0.1:0", "--secret", oldSecret, "--respond", "500,201", "--secret", newSecret)
	line := r.stderr.next(t, "listening")
	m := listeningLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first stderr line = %q; want it to match %s", line, listeningLine)
	}
	url := m[1]

	body := `{"id":"ev-1","object_type":"entity","action":"update"}`
	tests := []struct {
		name         string
		path         string
		body         string
		signature    string
		wantStatus   int
		wantBody     any
		wantVerified bool
	}{
		{name: "signed", path: "/hook", body: body, signature: monitehooks.Sign([]byte(body), time.Now(), newSecret),
			wantStatus: 500, wantBody: map[string]any{"id": "ev-1", "object_type": "entity", "action": "update"}, wantVerified: true},
		{name: "unsigned", path: "/other", body: body,
			wantStatus: 201, wantBody: map[string]any{"id": "ev-1", "object_type": "entity", "action": "update"}},
		{name: "wrong secret", path: "/hook", body: body, signature: monitehooks.Sign([]byte(body), time.Now(), "whsec_wrong"),
			wantStatus: 200, wantBody: map[string]any{"id": "ev-1", "object_type": "entity", "action": "update"}},
		{name: "not JSON", path: "/hook", body: "hello <world>", signature: monitehooks.Sign([]byte("hello <world>"), time.Now(), oldSecret),
			wantStatus: 200, wantBody: "hello <world>", wantVerified: true},
		{name: "empty", path: "/", body: "", wantStatus: 200, wantBody: ""},
	}
	// One after the other: each request takes the next --respond status.
	for _, tt := range tests {
		req, err := http.NewRequestWithContext(t.Context(), "POST", url+tt.path, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Add("X-Repeated", "a")
		req.Header.Add("X-Repeated", "b")
		if tt.signature != "" {
			req.Header.Set(monitehooks.SignatureHeader, tt.signature)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s: POST: %v", tt.name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.wantStatus {
			t.Errorf("%s: status = %d; want %d", tt.name, resp.StatusCode, tt.wantStatus)
		}

		line := r.stdout.next(t, tt.name+" JSON")
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			t.Fatalf("%s: stdout line %q is not a JSON object: %v", tt.name, line, err)
		}
		keys := make([]string, 0, len(raw))
		for k := range raw {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if diff := cmp.Diff([]string{"body", "headers", "method", "path", "received_at", "signature_verified"}, keys); diff != "" {
			t.Errorf("%s: keys (-want +got):\n%s", tt.name, diff)
		}
		var rec struct {
			ReceivedAt        time.Time         `json:"received_at"`
			Method            string            `json:"method"`
			Path              string            `json:"path"`
			Headers           map[string]string `json:"headers"`
			Body              any               `json:"body"`
			SignatureVerified bool              `json:"signature_verified"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%s: stdout line %q: %v", tt.name, line, err)
		}
		if rec.Method != "POST" || rec.Path != tt.path || rec.ReceivedAt.IsZero() {
			t.Errorf("%s: method, path, received_at = %q, %q, %v; want POST, %q and a time", tt.name, rec.Method, rec.Path, rec.ReceivedAt, tt.path)
		}
		if diff := cmp.Diff(tt.wantBody, rec.Body); diff != "" {
			t.Errorf("%s: body (-want +got):\n%s", tt.name, diff)
		}
		if rec.SignatureVerified != tt.wantVerified {
			t.Errorf("%s: signature_verified = %v; want %v", tt.name, rec.SignatureVerified, tt.wantVerified)
		}
		if got := rec.Headers["X-Repeated"]; got != "a, b" {
			t.Errorf("%s: headers[X-Repeated] = %q; want %q", tt.name, got, "a, b")
		}
		if got := rec.Headers[monitehooks.SignatureHeader]; got != tt.signature && tt.signature != "" {
			t.Errorf("%s: headers[%s] = %q; want %q", tt.name, monitehooks.SignatureHeader, got, tt.signature)
		}
	}

	if code := r.stop(t); code != 0 {
		t.Errorf("listen after cancellation = %d; want 0\nstderr:\n%s", code, r.stderr.String())
	}
	if n := strings.Count(r.stdout.String(), "\n"); n != len(tests) {
		t.Errorf("listen printed %d lines; want %d:\n%s", n, len(tests), r.stdout.String())
	}
}

func TestListenWithoutSecret(t *testing.T) {
	t.Parallel()
	r := start(t, "listen", "--addr", "127.0.0.1:0")
	m := listeningLine.FindStringSubmatch(r.stderr.next(t, "listening"))
	if m == nil {
		t.Fatal("no listening line on stderr")
	}
	body := `{"a":1}`
	req, _ := http.NewRequestWithContext(t.Context(), "PUT", m[1]+"/x", strings.NewReader(body))
	req.Header.Set(monitehooks.SignatureHeader, monitehooks.Sign([]byte(body), time.Now(), "whsec_any"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status = %d; want 200", resp.StatusCode)
	}
	line := r.stdout.next(t, "JSON")
	if !strings.Contains(line, `"method":"PUT"`) || !strings.Contains(line, `"signature_verified":false`) || !strings.Contains(line, `"body":{"a":1}`) {
		t.Errorf("line = %s; want PUT, the JSON body and signature_verified false", line)
	}
	if code := r.stop(t); code != 0 {
		t.Errorf("listen after cancellation = %d; want 0", code)
	}
}
