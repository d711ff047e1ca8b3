package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"syscall"
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
	r, url := startListen(t, "--secret", oldSecret, "--respond", "500:7, 201", "--secret", newSecret)

	body := `{"id":"ev-1","object_type":"entity","action":"update"}`
	tests := []struct {
		name         string
		path         string
		body         string
		signature    string
		wantStatus   int
		wantRetry    string // the Retry-After header, if any
		wantBody     any
		wantVerified bool
	}{
		{name: "signed", path: "/hook", body: body, signature: monitehooks.Sign([]byte(body), time.Now(), newSecret),
			wantStatus: 500, wantRetry: "7", wantBody: map[string]any{"id": "ev-1", "object_type": "entity", "action": "update"}, wantVerified: true},
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
		if got := resp.Header.Get("Retry-After"); got != tt.wantRetry {
			t.Errorf("%s: Retry-After = %q; want %q", tt.name, got, tt.wantRetry)
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
		wantKeys := []string{"body", "headers", "method", "path", "received_at", "signature_verified", "status"}
		if tt.wantRetry != "" {
			wantKeys = []string{"body", "headers", "method", "path", "received_at", "retry_after", "signature_verified", "status"}
		}
		if diff := cmp.Diff(wantKeys, keys); diff != "" {
			t.Errorf("%s: keys (-want +got):\n%s", tt.name, diff)
		}
		var rec struct {
			ReceivedAt        time.Time         `json:"received_at"`
			Method            string            `json:"method"`
			Path              string            `json:"path"`
			Headers           map[string]string `json:"headers"`
			Body              any               `json:"body"`
			SignatureVerified bool              `json:"signature_verified"`
			Status            int               `json:"status"`
			RetryAfter        json.RawMessage   `json:"retry_after"`
		}
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%s: stdout line %q: %v", tt.name, line, err)
		}
		if rec.Status != tt.wantStatus || string(rec.RetryAfter) != tt.wantRetry {
			t.Errorf("%s: status, retry_after = %d, %s; want %d, %q", tt.name, rec.Status, rec.RetryAfter, tt.wantStatus, tt.wantRetry)
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
	r, url := startListen(t)
	body := `{"a":1}`
	req, _ := http.NewRequestWithContext(t.Context(), "POST", url+"/x", strings.NewReader(body))
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
	if !strings.Contains(line, `"signature_verified":false`) || !strings.Contains(line, `"body":{"a":1}`) || !strings.Contains(line, `"status":200}`) {
		t.Errorf("line = %s; want the JSON body, signature_verified false and status 200", line)
	}
	if code := r.stop(t); code != 0 {
		t.Errorf("listen after cancellation = %d; want 0", code)
	}
}

// startListen runs listen with args on a free port and returns it and
// its URL, from its first line on stderr.
func startListen(t *testing.T, args ...string) (*running, string) {
	t.Helper()
	r := start(t, append([]string{"listen", "--addr", "127.0.0.1:0"}, args...)...)
	line := r.stderr.next(t, "listening")
	m := listeningLine.FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first stderr line = %q; want it to match %s", line, listeningLine)
	}
	return r, m[1]
}

// listenLine is the part of a line of listen the tests check.
type listenLine struct {
	Method     string `json:"method"`
	Status     int    `json:"status"`
	RetryAfter *int   `json:"retry_after"`
}

// nextLine decodes the next line listen prints.
func nextLine(t *testing.T, r *running, what string) listenLine {
	t.Helper()
	raw := r.stdout.next(t, what)
	var l listenLine
	if err := json.Unmarshal([]byte(raw), &l); err != nil {
		t.Fatalf("%s: line %q: %v", what, raw, err)
	}
	return l
}

// TestListenReplies follows the --respond items in turn: other methods
// than POST take none, and every kind of item does what it says, as a
// client sees it over the wire.
func TestListenReplies(t *testing.T) {
	t.Parallel()
	r, url := startListen(t, "--respond", "503:30,hang,reset,201")
	thirty := 30

	// A GET takes no item: 405, Allow: POST.
	resp, err := http.Get(url + "/hook")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" {
		t.Errorf("GET: status %d, Allow %q; want 405 and POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if diff := cmp.Diff(listenLine{Method: "GET", Status: 405}, nextLine(t, r, "GET")); diff != "" {
		t.Errorf("GET line (-want +got):\n%s", diff)
	}

	// 503:30 answers 503 with Retry-After: 30.
	resp, err = http.Post(url+"/hook", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "30" {
		t.Errorf("POST 1: status %d, Retry-After %q; want 503 and 30", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if diff := cmp.Diff(listenLine{Method: "POST", Status: 503, RetryAfter: &thirty}, nextLine(t, r, "503")); diff != "" {
		t.Errorf("503 line (-want +got):\n%s", diff)
	}

	// hang answers nothing until the client gives up: here, once the line
	// is printed. The client then has an error, not an answer.
	ctx, giveUp := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, "POST", url+"/hook", strings.NewReader("{}"))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("answered %d", resp.StatusCode)
		}
		errc <- err
	}()
	if diff := cmp.Diff(listenLine{Method: "POST", Status: 0}, nextLine(t, r, "hang")); diff != "" {
		t.Errorf("hang line (-want +got):\n%s", diff)
	}
	giveUp()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("hanging POST = %v; want the client's own cancellation", err)
		}
	case <-time.After(wait):
		t.Fatalf("the hanging POST did not end within %v of its cancellation", wait)
	}

	// reset closes the connection with a TCP reset and no answer, as a raw
	// client sees it.
	conn, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(wait))
	if _, err := io.WriteString(conn, "POST /hook HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(conn)
	if len(got) > 0 || !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("reset: read %q, %v; want nothing and ECONNRESET", got, err)
	}
	if diff := cmp.Diff(listenLine{Method: "POST", Status: 0}, nextLine(t, r, "reset")); diff != "" {
		t.Errorf("reset line (-want +got):\n%s", diff)
	}

	// Then 201, and 200 once the list is used up.
	for _, want := range []int{201, 200, 200} {
		resp, err = http.Post(url+"/hook", "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want || resp.Header.Get("Retry-After") != "" {
			t.Errorf("POST: status %d, Retry-After %q; want %d and none", resp.StatusCode, resp.Header.Get("Retry-After"), want)
		}
		if diff := cmp.Diff(listenLine{Method: "POST", Status: want}, nextLine(t, r, fmt.Sprint(want))); diff != "" {
			t.Errorf("%d line (-want +got):\n%s", want, diff)
		}
	}
	if code := r.stop(t); code != 0 {
		t.Errorf("listen after cancellation = %d; want 0\nstderr:\n%s", code, r.stderr.String())
	}
}

// TestListenStopCutsHangOff checks that a hanging request does not hold
// listen's graceful stop: the stop cuts it off without an answer, and the
// shutdown does not run into its deadline.
func TestListenStopCutsHangOff(t *testing.T) {
	t.Parallel()
	r, url := startListen(t, "--respond", "hang")
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Post(url+"/hook", "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("answered %d", resp.StatusCode)
		}
		errc <- err
	}()
	nextLine(t, r, "hang")
	if code := r.stop(t); code != 0 {
		t.Errorf("listen after cancellation = %d; want 0", code)
	}
	select {
	case err := <-errc:
		if errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "answered") {
			t.Errorf("hanging POST = %v; want a connection error", err)
		}
	case <-time.After(wait):
		t.Fatal("the hanging POST did not end when listen stopped")
	}
	if strings.Contains(r.stderr.String(), "shutdown") {
		t.Errorf("listen stderr tells of a shutdown problem:\n%s", r.stderr.String())
	}
}
