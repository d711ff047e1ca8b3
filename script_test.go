package monitehooks_test

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/monitehooks/monitehooks/internal/cli"
	"github.com/monitehooks/monitehooks/webhooktest"
)

// TestMain lets scripts run the CLI as "exec monitehooks …": testscript
// re-executes this test binary under that name.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"monitehooks": func() { os.Exit(cli.Main()) },
	})
}

// TestScripts runs the scenarios in testdata/*.txtar, each against its own
// fake Monite (webhooktest.ScriptSetup) with the harness's commands.
// TESTSCRIPT_UPDATE=1 rewrites their expected files.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Setup: func(env *testscript.Env) error {
			return webhooktest.ScriptSetup(env, &webhooktest.ServerConfig{
				Tokens: map[string]string{"test-token": "partner-1", "other-token": "partner-2"},
			})
		},
		Cmds:          scriptCommands(),
		UpdateScripts: os.Getenv("TESTSCRIPT_UPDATE") != "",
	})
}

// scriptCommands are the harness's commands (webhooktest.Commands) and
// two more, for the scripts that run the CLI in the background
// (testdata/cli_*.txtar):
//
//	fetch [-token T] METHOD URL [BODY]
//	    Send a request to any URL, such as a "monitehooks serve" the
//	    script started, and print "HTTP <status>" and the body. Fails on
//	    a status >= 400; with !, on one below 400.
//	waitfile FILE REGEXP [VAR]
//	    Wait until a line of FILE matches REGEXP, and set $VAR to the
//	    first group of the match. testscript shows the output of a
//	    background command only once it ends, so such a command writes
//	    to files: exec sh -c 'exec monitehooks … >out 2>err' &name&
func scriptCommands() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	cmds := webhooktest.Commands()
	cmds["fetch"] = cmdFetch
	cmds["waitfile"] = cmdWaitFile
	return cmds
}

func cmdFetch(ts *testscript.TestScript, neg bool, args []string) {
	const usage = "usage: fetch [-token T] METHOD URL [BODY]"
	var token string
	if len(args) >= 2 && args[0] == "-token" {
		token, args = args[1], args[2:]
	}
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("%s", usage)
	}
	var body io.Reader
	if len(args) == 3 {
		body = strings.NewReader(args[2])
	}
	req, err := http.NewRequest(args[0], args[1], body)
	ts.Check(err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := (&http.Client{Timeout: webhooktest.DefaultWait}).Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "HTTP %d\n%s", resp.StatusCode, b)
	if len(b) > 0 && b[len(b)-1] != '\n' {
		fmt.Fprintln(ts.Stdout())
	}
	switch {
	case neg && resp.StatusCode < 400:
		ts.Fatalf("fetch %s %s: status %d; want an error status", args[0], args[1], resp.StatusCode)
	case !neg && resp.StatusCode >= 400:
		ts.Fatalf("fetch %s %s: status %d: %s", args[0], args[1], resp.StatusCode, b)
	}
}

func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! waitfile")
	}
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: waitfile FILE REGEXP [VAR]")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	if len(args) == 3 && re.NumSubexp() < 1 {
		ts.Fatalf("waitfile: REGEXP %q has no group to set $%s to", args[1], args[2])
	}
	// The file has no way to signal a write: look at it every few
	// milliseconds until the deadline.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	deadline := time.NewTimer(webhooktest.DefaultWait)
	defer deadline.Stop()
	for {
		b, _ := os.ReadFile(ts.MkAbs(args[0])) // not there yet is not an error
		if m := re.FindSubmatch(b); m != nil {
			if len(args) == 3 {
				ts.Setenv(args[2], string(m[1]))
			}
			return
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			ts.Fatalf("waitfile: no line of %s matches %q within %v; it holds:\n%s", args[0], args[1], webhooktest.DefaultWait, b)
		}
	}
}
