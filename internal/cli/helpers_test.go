package cli_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks/internal/cli"
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
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, stdout: newLineBuffer(), stderr: newLineBuffer(), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.code = cli.RunEnv(ctx, args, r.stdout, r.stderr, nil)
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
