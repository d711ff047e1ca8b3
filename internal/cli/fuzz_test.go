package cli_test

import (
	"context"
	"strings"
	"testing"

	"github.com/monitehooks/monitehooks/internal/cli"
)

// FuzzArgs runs command lines, split on spaces, through Run with a context
// already canceled: Run then parses them and runs only what needs neither
// network nor files (help, version, trigger --list; the commands calling
// an API say they were interrupted), so no input listens, connects or
// opens a file. Whatever the arguments, Run must not panic,
// must exit 0, 1 or 2, and must word a usage error (2) in one line on
// stderr and nothing on stdout.
func FuzzArgs(f *testing.F) {
	for _, tt := range usageErrorTests {
		f.Add(strings.Join(tt.args, " "))
	}
	for _, s := range []string{
		"help", "--help", "help serve", "version", "--version",
		"serve --addr 127.0.0.1:0 --token a --token b --retry-schedule 0s,1s --attempt-timeout 5s --catalog monite --log-format json --log-level debug",
		"serve --ca-file ca.pem --client-cert client.pem --client-key client.key --proxy env",
		"serve --proxy http://user:password@proxy.internal:3128",
		"listen --addr :0 --secret whsec_a --respond 500,503:30,hang,reset,201",
		"trigger --list --catalog monite",
		`trigger entity created --api http://127.0.0.1:1/v1 --token t --object-id o --entity-id e --object {"a":1}`,
		"trigger --object @/dev/null entity created -- --list",
		"events --api http://127.0.0.1:1/v1 --object-type entity --event-type created --limit 100 --order asc --json",
		"deliveries --event ev-1 --subscription sub-1 --limit 1 --order desc --json=false",
		"redeliver --json -- d-1",
		"recover s-1 --since 2026-01-02T15:04:05+02:00 --json",
		"recover --since 36h s-1",
		"demo",
	} {
		f.Add(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f.Fuzz(func(t *testing.T, line string) {
		var args []string
		if line != "" {
			args = strings.Split(line, " ")
		}
		var stdout, stderr strings.Builder
		code := cli.RunEnv(ctx, args, &stdout, &stderr, nil)
		lines := strings.Count(stderr.String(), "\n")
		switch code {
		case 0:
			if stderr.Len() > 0 {
				t.Errorf("Run(%q) = 0 with stderr %q; want none", args, stderr.String())
			}
		case 1:
			if lines != 1 || !strings.HasPrefix(stderr.String(), "monitehooks ") {
				t.Errorf("Run(%q) = 1 with stderr %q; want one line", args, stderr.String())
			}
		case 2:
			if stdout.Len() > 0 {
				t.Errorf("Run(%q) = 2 with stdout %q; want none", args, stdout.String())
			}
			if lines != 1 || !strings.HasPrefix(stderr.String(), "monitehooks") || !strings.HasSuffix(stderr.String(), "' for usage\n") {
				t.Errorf("Run(%q) = 2 with stderr %q; want one line ending in where the usage is", args, stderr.String())
			}
		default:
			t.Errorf("Run(%q) = %d; want 0, 1 or 2", args, code)
		}
	})
}
