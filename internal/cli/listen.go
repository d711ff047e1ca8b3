package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/monitehooks/monitehooks"
)

const listenUsage = `usage: monitehooks listen [--addr ADDR] [--secret S]... [--respond STATUS[,STATUS...]]

Run a recording webhook receiver. For every request it prints one JSON line
on stdout:

  {"received_at":"<RFC 3339>","method":"POST","path":"/hook",
   "headers":{"Content-Type":"application/json",…},"body":{…},
   "signature_verified":true}

"headers" maps each canonical header name to its value; a header sent more
than once has its values joined with ", ". "body" is the body itself when it
is JSON, and a string otherwise. "signature_verified" says whether the
Monite-Signature header verifies against one of the --secret values (it is
false when no --secret is given). Bodies over 1 MiB are answered 413.

It answers the --respond statuses in turn, one per request, then 200 to
every request after them. stderr tells where it listens, and why a
signature did not verify. SIGINT or SIGTERM stops it gracefully, exit 0.

Flags:

  --addr ADDR       address to listen on; port 0 picks a free one
                    (default 127.0.0.1:9000)
  --secret S        a subscription's secret (whsec_…) to verify signatures
                    with; repeat it to accept several, as during a rotation
  --respond LIST    comma-separated HTTP statuses (200 to 599) to answer the
                    first requests with, such as 500,503,201
`

// maxListenBody is the largest request body listen records.
const maxListenBody = monitehooks.DefaultMaxBodyBytes

func parseListen(cmd *command, args []string, _ func(string) string) (runFunc, error) {
	fs := newFlagSet(cmd)
	addr := addrFlag(fs, "addr", "127.0.0.1:9000")
	secrets := stringsFlag(fs, "secret", checkSecretLike)
	respond := statusesFlag(fs, "respond")
	pos, err := parseFlags(cmd, fs, args)
	if err != nil {
		return nil, err
	}
	if err := noArguments(cmd, pos); err != nil {
		return nil, err
	}
	return func(ctx context.Context, stdout, stderr io.Writer) int {
		return runListen(ctx, cmd, *addr, *secrets, *respond, stdout, stderr)
	}, nil
}

func runListen(ctx context.Context, cmd *command, addr string, secrets []string, statuses []int, stdout, stderr io.Writer) int {
	if ctx.Err() != nil {
		return exitOK // stopped before it started
	}
	rec := &recorder{secrets: secrets, statuses: statuses, stdout: stdout, stderr: stderr}
	srv, err := startServer(addr, rec, nil)
	if err != nil {
		return failure(cmd, stderr, "%v", err)
	}
	rec.logf("monitehooks: listening on %s", srv.url())
	if len(rec.secrets) == 0 {
		rec.logf("monitehooks: no --secret given; signature_verified will be false")
	}

	code := exitOK
	select {
	case <-ctx.Done():
	case <-srv.done:
		rec.logf("monitehooks listen: server stopped: %v", srv.err)
		code = exitFailure
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.shutdown(sctx); err != nil && code == exitOK {
		rec.logf("monitehooks listen: shutdown: %v", err)
	}
	return code
}

// recorder is listen's handler: it prints each request as a JSON line and
// answers the scripted statuses. It is safe for concurrent use.
type recorder struct {
	secrets []string // read only

	mu       sync.Mutex // guards statuses, and the writes to stdout and stderr
	statuses []int      // the answers still to give, first first
	stdout   io.Writer
	stderr   io.Writer
}

// record is one JSON line of listen.
type record struct {
	ReceivedAt        string            `json:"received_at"`
	Method            string            `json:"method"`
	Path              string            `json:"path"`
	Headers           map[string]string `json:"headers"`
	Body              any               `json:"body"`
	SignatureVerified bool              `json:"signature_verified"`
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := time.Now()
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, maxListenBody))
	line := record{
		ReceivedAt: received.UTC().Format(time.RFC3339Nano),
		Method:     r.Method,
		Path:       r.URL.Path,
		Headers:    make(map[string]string, len(r.Header)),
		Body:       string(body),
	}
	for name, vals := range r.Header {
		line.Headers[name] = strings.Join(vals, ", ")
	}
	if len(body) > 0 && json.Valid(body) {
		line.Body = json.RawMessage(body)
	}
	var sigErr error
	switch {
	case readErr != nil:
		sigErr = fmt.Errorf("body not read: %w", readErr)
	case len(rec.secrets) == 0:
	default:
		sigErr = monitehooks.Verify(r.Header.Get(monitehooks.SignatureHeader), body, monitehooks.VerifyParams{Secrets: rec.secrets})
		line.SignatureVerified = sigErr == nil
	}

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(line); err != nil {
		// Only a body json.Valid accepted is raw; this cannot happen.
		http.Error(w, "monitehooks listen: cannot record the request", http.StatusInternalServerError)
		return
	}

	rec.mu.Lock()
	status := http.StatusOK
	if _, tooBig := errors.AsType[*http.MaxBytesError](readErr); tooBig {
		status = http.StatusRequestEntityTooLarge
	} else if len(rec.statuses) > 0 {
		status, rec.statuses = rec.statuses[0], rec.statuses[1:]
	}
	rec.stdout.Write(buf.Bytes())
	if sigErr != nil {
		fmt.Fprintf(rec.stderr, "monitehooks: %s %s: signature not verified: %v\n", r.Method, r.URL.Path, sigErr)
	}
	rec.mu.Unlock()

	w.WriteHeader(status)
}

// logf prints a line on stderr.
func (rec *recorder) logf(format string, args ...any) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	fmt.Fprintf(rec.stderr, format+"\n", args...)
}
