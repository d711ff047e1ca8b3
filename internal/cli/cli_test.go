package cli_test

import (
	"strings"
	"testing"
)

func TestUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string // substrings
		wantStderr []string // substrings
	}{
		{name: "no command", args: nil, wantCode: 2, wantStderr: []string{"Commands:", "demo", "serve", "listen", "trigger"}},
		{name: "help", args: []string{"help"}, wantCode: 0, wantStdout: []string{"Commands:", "demo", "serve", "listen", "trigger"}},
		{name: "-h", args: []string{"-h"}, wantCode: 0, wantStdout: []string{"Commands:"}},
		{name: "--help", args: []string{"--help"}, wantCode: 0, wantStdout: []string{"Commands:"}},
		{name: "help serve", args: []string{"help", "serve"}, wantCode: 0, wantStdout: []string{"usage: monitehooks serve", "--retry-schedule", "partner-1"}},
		{name: "help unknown", args: []string{"help", "bogus"}, wantCode: 2, wantStderr: []string{`unknown command "bogus"`, "Commands:"}},
		{name: "unknown command", args: []string{"bogus"}, wantCode: 2, wantStderr: []string{`unknown command "bogus"`, "Commands:"}},
		{name: "flag before command", args: []string{"--addr", "x", "serve"}, wantCode: 2, wantStderr: []string{"--addr", "Commands:"}},
		{name: "serve -h", args: []string{"serve", "-h"}, wantCode: 0, wantStdout: []string{"usage: monitehooks serve"}},
		{name: "serve unknown flag", args: []string{"serve", "--bogus"}, wantCode: 2, wantStderr: []string{"flag provided but not defined: --bogus", "usage: monitehooks serve"}},
		{name: "serve missing value", args: []string{"serve", "--addr"}, wantCode: 2, wantStderr: []string{"-addr"}},
		{name: "serve bad schedule", args: []string{"serve", "--retry-schedule", "garbage"}, wantCode: 2, wantStderr: []string{"invalid value \"garbage\" for flag --retry-schedule", "usage: monitehooks serve"}},
		{name: "serve empty schedule", args: []string{"serve", "--retry-schedule="}, wantCode: 2, wantStderr: []string{"-retry-schedule"}},
		{name: "serve negative schedule", args: []string{"serve", "--retry-schedule", "0s,-1s"}, wantCode: 2, wantStderr: []string{"-retry-schedule"}},
		{name: "serve zero timeout", args: []string{"serve", "--attempt-timeout", "0s"}, wantCode: 2, wantStderr: []string{"-attempt-timeout", "must be positive"}},
		{name: "serve bad timeout", args: []string{"serve", "--attempt-timeout", "soon"}, wantCode: 2, wantStderr: []string{"-attempt-timeout"}},
		{name: "serve bad catalog", args: []string{"serve", "--catalog", "nope"}, wantCode: 2, wantStderr: []string{"-catalog", `"default" or "monite"`}},
		{name: "serve empty token", args: []string{"serve", "--token", ""}, wantCode: 2, wantStderr: []string{"-token", "must not be empty"}},
		{name: "serve token twice", args: []string{"serve", "--token", "a", "--token", "a"}, wantCode: 2, wantStderr: []string{"-token", "given twice"}},
		{name: "serve argument", args: []string{"serve", "extra"}, wantCode: 2, wantStderr: []string{`unexpected argument "extra"`}},
		{name: "listen respond too low", args: []string{"listen", "--respond", "99"}, wantCode: 2, wantStderr: []string{"flag --respond", "usage: monitehooks listen"}},
		{name: "listen respond informational", args: []string{"listen", "--respond", "503,100"}, wantCode: 2, wantStderr: []string{"-respond", "item 2", "final HTTP status"}},
		{name: "listen respond too high", args: []string{"listen", "--respond", "200,600"}, wantCode: 2, wantStderr: []string{"-respond", "item 2"}},
		{name: "listen respond not a number", args: []string{"listen", "--respond", "500,abc"}, wantCode: 2, wantStderr: []string{"-respond"}},
		{name: "listen empty secret", args: []string{"listen", "--secret="}, wantCode: 2, wantStderr: []string{"-secret"}},
		{name: "trigger one argument", args: []string{"trigger", "entity"}, wantCode: 2, wantStderr: []string{"OBJECT_TYPE and EVENT_TYPE", "usage: monitehooks trigger"}},
		{name: "trigger three arguments", args: []string{"trigger", "entity", "created", "more"}, wantCode: 2, wantStderr: []string{"got 3"}},
		{name: "trigger bad api", args: []string{"trigger", "--api", "ftp://x", "entity", "created"}, wantCode: 2, wantStderr: []string{"-api"}},
		{name: "trigger api without value", args: []string{"trigger", "entity", "created", "--api"}, wantCode: 2, wantStderr: []string{"-api"}},
		{name: "trigger unknown flag after arguments", args: []string{"trigger", "entity", "created", "--bogus"}, wantCode: 2, wantStderr: []string{"-bogus"}},
		{name: "demo argument", args: []string{"demo", "now"}, wantCode: 2, wantStderr: []string{`unexpected argument "now"`, "usage: monitehooks demo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := run(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("Run(%q) = %d; want %d\nstderr:\n%s", tt.args, code, tt.wantCode, stderr)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("Run(%q) stdout does not contain %q:\n%s", tt.args, want, stdout)
				}
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("Run(%q) stderr does not contain %q:\n%s", tt.args, want, stderr)
				}
			}
			if tt.wantCode == 0 && stderr != "" {
				t.Errorf("Run(%q) stderr = %q; want nothing", tt.args, stderr)
			}
			if tt.wantCode == 2 && stdout != "" {
				t.Errorf("Run(%q) stdout = %q; want nothing", tt.args, stdout)
			}
		})
	}
}
