package cli_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
	"github.com/monitehooks/monitehooks/internal/cli"
	"github.com/monitehooks/monitehooks/internal/stack"
)

// wait is how long a test waits for something that takes milliseconds.
const wait = 10 * time.Second

// lineBuffer is an io.Writer, safe for concurrent use, that keeps what is
// written and passes every complete line on a channel.
type lineBuffer struct {
	mu      sync.Mutex // guards buf and partial
	buf     bytes.Buffer
	partial []byte
	lines   chan string // every complete line, without its newline
}

func newLineBuffer() *lineBuffer { return &lineBuffer{lines: make(chan string, 1024)} }

func (b *lineBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	b.partial = append(b.partial, p...)
	for {
		i := bytes.IndexByte(b.partial, '\n')
		if i < 0 {
			break
		}
		select {
		case b.lines <- string(b.partial[:i]):
		default:
			panic("lineBuffer: more lines than a test reads")
		}
		b.partial = b.partial[i+1:]
	}
	return len(p), nil
}

// String returns everything written so far.
func (b *lineBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// next returns the next line written, failing the test when none comes
// in time.
func (b *lineBuffer) next(t *testing.T, what string) string {
	t.Helper()
	select {
	case line := <-b.lines:
		return line
	case <-time.After(wait):
		t.Fatalf("no %s line within %v; output so far:\n%s", what, wait, b.String())
		return ""
	}
}

// running is a Run in progress.
type running struct {
	cancel context.CancelFunc
	stdout *lineBuffer
	stderr *lineBuffer
	done   chan struct{} // closed when Run has returned
	code   int           // Run's result; read after done is closed
}

// start calls cli.Run with args, and an empty environment, in a
// goroutine. The test's cleanup stops it if the test has not.
func start(t *testing.T, args ...string) *running {
	t.Helper()
	return startEnv(t, nil, args...)
}

// startEnv is start with env as the environment.
func startEnv(t *testing.T, env map[string]string, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, stdout: newLineBuffer(), stderr: newLineBuffer(), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.code = cli.RunEnv(ctx, args, r.stdout, r.stderr, env)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// stop cancels Run's context, as SIGINT does, and returns its exit code,
// failing the test when it does not return within 10 s.
func (r *running) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
		return r.code
	case <-time.After(10 * time.Second):
		t.Fatalf("Run did not return within 10s of the cancellation; stderr:\n%s", r.stderr.String())
		return -1
	}
}

// run calls cli.Run with an empty environment, so that the tests do not
// depend on MONITEHOOKS_API or MONITEHOOKS_TOKEN, and returns its exit
// code and output.
func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.RunEnv(t.Context(), args, &out, &errOut, nil)
	return code, out.String(), errOut.String()
}

// apiCall is a request an API double got.
type apiCall struct {
	method, target, auth, body string // target is the path and query
}

// cannedAPI answers every request with status and answer, and passes
// each request on.
func cannedAPI(t *testing.T, status int, answer string) (*httptest.Server, chan apiCall) {
	t.Helper()
	got := make(chan apiCall, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- apiCall{method: r.Method, target: r.URL.RequestURI(), auth: r.Header.Get("Authorization"), body: string(b)}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

// nextCall returns the next request the API double got, failing the
// test when there is none: every command has made its call by the time
// it returns.
func nextCall(t *testing.T, got chan apiCall) apiCall {
	t.Helper()
	select {
	case c := <-got:
		return c
	default:
		t.Fatal("the API got no request")
		return apiCall{}
	}
}

// apiBundle is a real API (package httpapi, assembled by internal/stack)
// on an httptest server, whose clock stays at apiNow, with one attempt
// per delivery, and a receiver whose paths answer as they say.
type apiBundle struct {
	api      string // the API's URL, ending in /v1; the token is apiToken
	receiver string // the receiver's URL: /ok answers 200, /no 500, /rs closes the connection
	// done gets every delivery that succeeds or fails for good.
	done chan monitehooks.DeliveryInfo
}

const apiToken = "tk"

// apiNow is the API's clock: every time it writes is this one.
var apiNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func setupAPI(t *testing.T) *apiBundle {
	t.Helper()
	auth, err := httpapi.StaticTokens(map[string]string{apiToken: "partner-1"})
	if err != nil {
		t.Fatal(err)
	}
	b := &apiBundle{done: make(chan monitehooks.DeliveryInfo, 64)}
	st, err := stack.New(t.Context(), &stack.Config{
		Authenticator:        auth,
		RetryPolicy:          &monitehooks.Schedule{Delays: []time.Duration{0}},
		AttemptTimeout:       wait,
		Now:                  func() time.Time { return apiNow },
		AllowInsecureURLs:    true,
		AllowPrivateNetworks: true,
		Observer:             &monitehooks.Observer{DeliveryDone: func(d monitehooks.DeliveryInfo) { b.done <- d }},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(st.Handler)
	t.Cleanup(func() {
		srv.Close()
		st.Emitter.Close()
	})
	b.api = srv.URL + stack.APIPrefix

	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch r.URL.Path {
		case "/no":
			w.WriteHeader(http.StatusInternalServerError)
		case "/rs":
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}
	}))
	t.Cleanup(rcv.Close)
	b.receiver = rcv.URL
	return b
}

// subscribe subscribes the receiver's path to entity events and returns
// the subscription's ID.
func (b *apiBundle) subscribe(t *testing.T, path string) string {
	t.Helper()
	code, sub := apiRequest(t, "POST", b.api+"/webhook_subscriptions", apiToken, `{"object_type":"entity","url":"`+b.receiver+path+`"}`)
	if code != http.StatusCreated {
		t.Fatalf("POST /webhook_subscriptions = %d %v; want 201", code, sub)
	}
	return sub["id"].(string)
}

// settle waits until n deliveries have succeeded or failed for good.
func (b *apiBundle) settle(t *testing.T, n int) {
	t.Helper()
	for i := range n {
		select {
		case <-b.done:
		case <-time.After(wait):
			t.Fatalf("%d of %d deliveries done within %v", i, n, wait)
		}
	}
}

// cli runs the command line with the API's --api and --token after it.
func (b *apiBundle) cli(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return run(t, append(args, "--api", b.api, "--token", apiToken)...)
}

// parseTable reads a table the commands print: it checks that each
// column, named in header, starts at the same place on every line, and
// returns the cells of the lines after the header.
func parseTable(t *testing.T, out string, header []string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	starts := make([]int, len(header))
	for i, h := range header {
		starts[i] = strings.Index(lines[0], h)
		if starts[i] < 0 || (i > 0 && starts[i] <= starts[i-1]) {
			t.Fatalf("header %q does not have the columns %q in order", lines[0], header)
		}
	}
	var rows [][]string
	for _, line := range lines[1:] {
		row := make([]string, len(header))
		for i, s := range starts {
			end := len(line)
			if i+1 < len(starts) {
				end = starts[i+1]
			}
			if s >= len(line) || line[s] == ' ' || (i > 0 && line[s-1] != ' ') || end > len(line) {
				t.Fatalf("in the table\n%s\nthe line %q has no cell starting under %q", out, line, header[i])
			}
			row[i] = strings.TrimRight(line[s:end], " ")
		}
		rows = append(rows, row)
	}
	return rows
}
