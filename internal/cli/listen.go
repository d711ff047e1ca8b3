package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/monitehooks/monitehooks"
)

const listenUsage = `usage: monitehooks listen [--addr ADDR] [--secret S]... [--respond ITEM[,ITEM...]]

Run a recording webhook receiver. For every request it prints one JSON line
on stdout:

  {"received_at":"<RFC 3339>","method":"POST","path":"/hook",
   "headers":{"Content-Type":"application/json",…},"body":{…},
   "signature_verified":true,"status":503,"retry_after":30}

"headers" maps each canonical header name to its value; a header sent more
than once has its values joined with ", ". "body" is the body itself when it
is JSON, and a string otherwise. "signature_verified" says whether the
Monite-Signature header verifies against one of the --secret values (it is
false when no --secret is given). "status" is what listen answered: a
status code, or 0 when it sent no answer (hang and reset). "retry_after"
is the seconds of the Retry-After header it sent, and is there only when
it sent one. The line is printed when the request has been read, before
the answer, so a hanging request shows at once.

POST requests take the --respond items in turn, one each, then get 200.
Other methods get 405 and take no item; bodies over 1 MiB get 413 and
take none either. stderr tells where it listens, and why a signature did
not verify. SIGINT or SIGTERM stops it gracefully, exit 0; hanging
requests are then cut off.

Flags:

  --addr ADDR       address to listen on; port 0 picks a free one
                    (default 127.0.0.1:9000)
  --secret S        a subscription's secret (whsec_…) to verify signatures
                    with; repeat it to accept several, as during a rotation
  --respond LIST    comma-separated answers to the first POST requests, in
                    order; each item is one of:
                      CODE          a status code from 200 to 599, such as 500
                      CODE:SECONDS  that status with Retry-After: SECONDS,
                                    such as 503:30 or 429:120
                      hang          no answer: hold the request until the
                                    client gives up (its timeout)
                      reset         no answer: close the connection at once
                                    (a TCP reset)
                    for example --respond 500,503:30,hang,reset,201
`

// maxListenBody is the largest request body listen records.
const maxListenBody = monitehooks.DefaultMaxBodyBytes

func parseListen(cmd *command, args []string, _ func(string) string) (runFunc, error) {
	fs := newFlagSet(cmd)
	addr := addrFlag(fs, "addr", "127.0.0.1:9000")
	secrets := stringsFlag(fs, "secret", checkSecretLike)
	replies := repliesFlag(fs, "respond")
	pos, err := parseFlags(cmd, fs, args)
	if err != nil {
		return nil, err
	}
	if err := noArguments(cmd, pos); err != nil {
		return nil, err
	}
	return func(ctx context.Context, stdout, stderr io.Writer) int {
		return runListen(ctx, cmd, *addr, *secrets, *replies, stdout, stderr)
	}, nil
}

func runListen(ctx context.Context, cmd *command, addr string, secrets []string, replies []reply, stdout, stderr io.Writer) int {
	if ctx.Err() != nil {
		return exitOK // stopped before it started
	}
	rec := &recorder{secrets: secrets, replies: replies, stdout: stdout, stderr: stderr, stopping: make(chan struct{})}
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
	close(rec.stopping) // cut hanging requests off, or Shutdown would wait for them
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.shutdown(sctx); err != nil && code == exitOK {
		rec.logf("monitehooks listen: shutdown: %v", err)
	}
	return code
}

// recorder is listen's handler: it prints each request as a JSON line and
// answers the scripted replies. It is safe for concurrent use.
type recorder struct {
	secrets  []string      // read only
	stopping chan struct{} // closed when listen stops

	mu      sync.Mutex // guards replies, and the writes to stdout and stderr
	replies []reply    // the answers still to give to POST requests, first first
	stdout  io.Writer
	stderr  io.Writer
}

// record is one JSON line of listen.
type record struct {
	ReceivedAt        string            `json:"received_at"`
	Method            string            `json:"method"`
	Path              string            `json:"path"`
	Headers           map[string]string `json:"headers"`
	Body              any               `json:"body"`
	SignatureVerified bool              `json:"signature_verified"`
	Status            int               `json:"status"`
	RetryAfter        *int              `json:"retry_after,omitempty"`
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

	rec.mu.Lock()
	rp := rec.next(r.Method, readErr)
	rec.print(line, rp, sigErr)
	rec.mu.Unlock()
	rec.answer(w, r, rp)
}

// print writes the line of a request answered rp, and on stderr why its
// signature did not verify, if sigErr says so. Call it with rec.mu held.
func (rec *recorder) print(line record, rp reply, sigErr error) {
	if rp.kind == replyStatus {
		line.Status = rp.status
	}
	if rp.retryAfter >= 0 {
		line.RetryAfter = &rp.retryAfter
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(line); err != nil {
		// Only a body json.Valid accepted is raw; this cannot happen.
		fmt.Fprintf(rec.stderr, "monitehooks: %s %s: cannot record the request: %v\n", line.Method, line.Path, err)
	}
	rec.stdout.Write(buf.Bytes())
	if sigErr != nil {
		fmt.Fprintf(rec.stderr, "monitehooks: %s %s: signature not verified: %v\n", line.Method, line.Path, sigErr)
	}
}

// next returns the reply to a request with the method whose body read
// ended with readErr, taking a --respond item if it is its turn. Call it
// with rec.mu held.
func (rec *recorder) next(method string, readErr error) reply {
	switch {
	case method != http.MethodPost:
		return reply{kind: replyStatus, status: http.StatusMethodNotAllowed, retryAfter: -1}
	case isTooLarge(readErr):
		return reply{kind: replyStatus, status: http.StatusRequestEntityTooLarge, retryAfter: -1}
	case len(rec.replies) == 0:
		return okReply
	}
	rp := rec.replies[0]
	rec.replies = rec.replies[1:]
	return rp
}

// answer gives the reply rp to the request r.
func (rec *recorder) answer(w http.ResponseWriter, r *http.Request, rp reply) {
	switch rp.kind {
	case replyReset:
		abort(w)
	case replyHang:
		select {
		case <-r.Context().Done(): // the client gave up
		case <-rec.stopping:
		}
		abort(w) // still no answer, whatever ended the wait
	default:
		if rp.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", http.MethodPost)
		}
		if rp.retryAfter >= 0 {
			w.Header().Set("Retry-After", strconv.Itoa(rp.retryAfter))
		}
		w.WriteHeader(rp.status)
	}
}

// logf prints a line on stderr.
func (rec *recorder) logf(format string, args ...any) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	fmt.Fprintf(rec.stderr, format+"\n", args...)
}

// isTooLarge reports whether a body read failed for being over the limit.
func isTooLarge(err error) bool {
	_, ok := errors.AsType[*http.MaxBytesError](err)
	return ok
}
