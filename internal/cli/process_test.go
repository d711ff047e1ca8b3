package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks/internal/cli"
)

// runMainEnv, set to 1, makes the test binary the monitehooks command:
// the tests that need serve as a process of its own, to kill it, run the
// binary again with it.
const runMainEnv = "MONITEHOOKS_CLI_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		os.Exit(cli.Main())
	}
	os.Exit(m.Run())
}

// processWait bounds what a test waits for from a process: starting, on
// a loaded machine, or stopping. It guards against a hang only.
const processWait = 60 * time.Second

// serveProcess is monitehooks serve running as a process of its own.
type serveProcess struct {
	cmd     *exec.Cmd
	api     string        // the API's URL, from the serving line
	errPath string        // the file of its stderr
	done    chan struct{} // closed when the process has ended
}

// startServeProcess starts serve on a free port with args, in an
// environment without MONITEHOOKS_ variables, and waits for its serving
// line. The test's cleanup kills it if the test has not ended it.
func startServeProcess(t *testing.T, args ...string) *serveProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{errPath: filepath.Join(t.TempDir(), "serve.err"), done: make(chan struct{})}
	errFile, err := os.Create(p.errPath)
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close() // the process has its own copy
	stdout := newLineBuffer()
	p.cmd = exec.Command(exe, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = stdout, errFile
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MONITEHOOKS_") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	p.cmd.Env = append(p.cmd.Env, runMainEnv+"=1")
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	select {
	case line := <-stdout.lines:
		m := servingLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("serve's first stdout line = %q; want it to match %s", line, servingLine)
		}
		p.api = m[1]
	case <-p.done:
		t.Fatalf("serve %q ended (%v) before it served; stderr:\n%s", args, p.cmd.ProcessState, p.stderr(t))
	case <-time.After(processWait):
		t.Fatalf("serve %q did not serve within %v; stderr:\n%s", args, processWait, p.stderr(t))
	}
	return p
}

// stderr returns what the process wrote on stderr so far.
func (p *serveProcess) stderr(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(p.errPath)
	if err != nil {
		t.Errorf("reading serve's stderr: %v", err)
	}
	return string(b)
}

// kill sends SIGKILL and waits until the process has ended.
func (p *serveProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	p.wait(t)
}

// stop sends SIGINT and returns the exit status.
func (p *serveProcess) stop(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatalf("SIGINT: %v", err)
	}
	p.wait(t)
	return p.cmd.ProcessState.ExitCode()
}

// wait waits until the process has ended.
func (p *serveProcess) wait(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(processWait):
		t.Fatalf("serve did not end within %v; stderr:\n%s", processWait, p.stderr(t))
	}
}
