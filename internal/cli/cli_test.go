package cli_test

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/internal/cli"
)

func TestHelp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		args       []string
		wantStdout []string // substrings
	}{
		{name: "help", args: []string{"help"}, wantStdout: []string{"Commands:", "demo", "serve", "listen", "trigger", "events", "deliveries", "redeliver", "recover", "version", "MONITEHOOKS_API"}},
		{name: "-h", args: []string{"-h"}, wantStdout: []string{"Commands:"}},
		{name: "--help", args: []string{"--help"}, wantStdout: []string{"Commands:"}},
		{name: "help help", args: []string{"help", "help"}, wantStdout: []string{"Commands:"}},
		{name: "help serve", args: []string{"help", "serve"}, wantStdout: []string{"usage: monitehooks serve", "--retry-schedule", "partner-1", "/healthz", "--log-format", "pending",
			"--ca-file", "--client-cert", "--client-key", "--proxy", "HTTPS_PROXY"}},
		{name: "serve -h", args: []string{"serve", "-h"}, wantStdout: []string{"usage: monitehooks serve"}},
		{name: "serve --help after flags", args: []string{"serve", "--addr", ":0", "--help"}, wantStdout: []string{"usage: monitehooks serve"}},
		{name: "listen --help", args: []string{"listen", "--help"}, wantStdout: []string{"usage: monitehooks listen", "hang", "reset", "retry_after"}},
		{name: "help trigger", args: []string{"help", "trigger"}, wantStdout: []string{"usage: monitehooks trigger", "--object", "--list", "MONITEHOOKS_TOKEN"}},
		{name: "help events", args: []string{"help", "events"}, wantStdout: []string{"usage: monitehooks events", "--object-type", "--limit", "--order", "--json", "MONITEHOOKS_API"}},
		{name: "help deliveries", args: []string{"help", "deliveries"}, wantStdout: []string{"usage: monitehooks deliveries", "--event", "--subscription", "LAST ERROR", "--json"}},
		{name: "redeliver -h", args: []string{"redeliver", "-h"}, wantStdout: []string{"usage: monitehooks redeliver", "DELIVERY_ID", "Webhook-Id"}},
		{name: "recover --help", args: []string{"recover", "--help"}, wantStdout: []string{"usage: monitehooks recover", "--since", "RFC 3339", "24h", "requeued"}},
		{name: "help version", args: []string{"help", "version"}, wantStdout: []string{"usage: monitehooks version"}},
		{name: "demo -help", args: []string{"demo", "-help"}, wantStdout: []string{"usage: monitehooks demo"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := run(t, tt.args...)
			if code != 0 || stderr != "" {
				t.Errorf("Run(%q) = %d, stderr %q; want 0 and no stderr", tt.args, code, stderr)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("Run(%q) stdout does not contain %q:\n%s", tt.args, want, stdout)
				}
			}
		})
	}
}

// usageErrorTests are command lines Run refuses, with the one line it
// prints on stderr for each, less the hint that ends it.
var usageErrorTests = []struct {
	name string
	args []string
	env  map[string]string
	want string
}{
	// The command.
	{"no command", nil, nil, `monitehooks: no command given`},
	{"unknown command", []string{"bogus"}, nil, `monitehooks: unknown command "bogus"`},
	{"flag before command", []string{"--addr", "x", "serve"}, nil, `monitehooks: flag "--addr" given before a command`},
	{"help two commands", []string{"help", "serve", "listen"}, nil, `monitehooks help: want at most one command, got 2 arguments`},
	{"help unknown", []string{"help", "bogus"}, nil, `monitehooks help: unknown command "bogus"`},
	{"version argument", []string{"version", "now"}, nil, `monitehooks version: unexpected argument "now": the command takes flags only`},
	{"--version flag", []string{"--version", "--short"}, nil, `monitehooks version: flag provided but not defined: --short`},
	{"demo argument", []string{"demo", "now"}, nil, `monitehooks demo: unexpected argument "now": the command takes flags only`},

	// serve.
	{"serve unknown flag", []string{"serve", "--bogus"}, nil, `monitehooks serve: flag provided but not defined: --bogus`},
	{"serve missing value", []string{"serve", "--addr"}, nil, `monitehooks serve: flag needs an argument: --addr`},
	{"serve bad addr", []string{"serve", "--addr", "localhost"}, nil, `monitehooks serve: invalid value "localhost" for flag --addr: must be HOST:PORT with a port from 0 to 65535, such as 127.0.0.1:8080, or 127.0.0.1:0 for a free port`},
	{"serve port too high", []string{"serve", "--addr", ":65536"}, nil, `monitehooks serve: invalid value ":65536" for flag --addr: must be HOST:PORT with a port from 0 to 65535, such as 127.0.0.1:8080, or 127.0.0.1:0 for a free port`},
	{"serve line break", []string{"serve", "--addr", "a\nb"}, nil, `monitehooks serve: invalid value "a\nb" for flag --addr: must be HOST:PORT with a port from 0 to 65535, such as 127.0.0.1:8080, or 127.0.0.1:0 for a free port`},
	{"serve bad schedule", []string{"serve", "--retry-schedule", "garbage"}, nil, `monitehooks serve: invalid value "garbage" for flag --retry-schedule: must be comma-separated durations of 0s or more, such as 0s,5s,1m (item 1: time: invalid duration "garbage")`},
	{"serve empty schedule", []string{"serve", "--retry-schedule="}, nil, `monitehooks serve: invalid value "" for flag --retry-schedule: must be comma-separated durations of 0s or more, such as 0s,5s,1m (empty)`},
	{"serve negative schedule", []string{"serve", "--retry-schedule", "0s,-1s"}, nil, `monitehooks serve: invalid value "0s,-1s" for flag --retry-schedule: must be comma-separated durations of 0s or more, such as 0s,5s,1m (item 2: -1s is negative)`},
	{"serve zero timeout", []string{"serve", "--attempt-timeout", "0s"}, nil, `monitehooks serve: invalid value "0s" for flag --attempt-timeout: must be a positive duration such as 15s or 1m30s`},
	{"serve bad timeout", []string{"serve", "--attempt-timeout", "soon"}, nil, `monitehooks serve: invalid value "soon" for flag --attempt-timeout: must be a positive duration such as 15s or 1m30s`},
	{"serve bad catalog", []string{"serve", "--catalog", "nope"}, nil, `monitehooks serve: invalid value "nope" for flag --catalog: must be "default" or "monite"`},
	{"serve empty token", []string{"serve", "--token", ""}, nil, `monitehooks serve: invalid value "" for flag --token: must be non-empty, without spaces or control characters`},
	{"serve token with space", []string{"serve", "--token", "a b"}, nil, `monitehooks serve: invalid value "a b" for flag --token: must be non-empty, without spaces or control characters`},
	{"serve token twice", []string{"serve", "--token", "a", "--token", "a"}, nil, `monitehooks serve: invalid value "a" for flag --token: given twice: give each value once`},
	{"serve bad log format", []string{"serve", "--log-format", "xml"}, nil, `monitehooks serve: invalid value "xml" for flag --log-format: must be "text" or "json"`},
	{"serve bad log level", []string{"serve", "--log-level=trace"}, nil, `monitehooks serve: invalid value "trace" for flag --log-level: must be "debug", "info", "warn" or "error"`},
	{"serve argument", []string{"serve", "extra"}, nil, `monitehooks serve: unexpected argument "extra": the command takes flags only`},
	{"serve empty ca file", []string{"serve", "--ca-file="}, nil, `monitehooks serve: invalid value "" for flag --ca-file: must be a non-empty file name`},
	{"serve cert without key", []string{"serve", "--client-cert", "c.pem"}, nil, `monitehooks serve: --client-cert and --client-key go together: give both, or neither`},
	{"serve key without cert", []string{"serve", "--ca-file", "ca.pem", "--client-key", "k.pem"}, nil, `monitehooks serve: --client-cert and --client-key go together: give both, or neither`},
	{"serve empty client key", []string{"serve", "--client-cert", "c.pem", "--client-key", ""}, nil, `monitehooks serve: invalid value "" for flag --client-key: must be a non-empty file name`},
	{"serve empty proxy", []string{"serve", "--proxy", ""}, nil, `monitehooks serve: invalid value "" for flag --proxy: must be a proxy URL, such as http://proxy.internal:3128, or env`},
	{"serve proxy without scheme", []string{"serve", "--proxy", "proxy.internal:3128"}, nil, `monitehooks serve: invalid value for flag --proxy: proxy URL proxy.internal:3128: scheme must be http, https, socks5 or socks5h`},
	{"serve proxy scheme", []string{"serve", "--proxy", "ftp://proxy.internal"}, nil, `monitehooks serve: invalid value for flag --proxy: proxy URL ftp://proxy.internal: scheme must be http, https, socks5 or socks5h`},
	{"serve proxy with path, password kept out", []string{"serve", "--proxy", "http://user:secret@proxy.internal/path"}, nil, `monitehooks serve: invalid value for flag --proxy: proxy URL http://user:xxxxx@proxy.internal/path: must be scheme://[user:password@]host[:port]`},
	{"serve proxy not a URL, password kept out", []string{"serve", "--proxy", "http://user:secret@proxy/%zz"}, nil, `monitehooks serve: invalid value for flag --proxy: the proxy URL is not a valid URL`},
	{"serve proxy ENV", []string{"serve", "--proxy", "ENV"}, nil, `monitehooks serve: invalid value for flag --proxy: proxy URL ENV: scheme must be http, https, socks5 or socks5h`},

	// listen.
	{"listen respond too low", []string{"listen", "--respond", "99"}, nil, `monitehooks listen: invalid value "99" for flag --respond: item 1, "99": not a status code from 200 to 599, CODE:SECONDS, hang or reset`},
	{"listen respond informational", []string{"listen", "--respond", "503,100"}, nil, `monitehooks listen: invalid value "503,100" for flag --respond: item 2, "100": not a status code from 200 to 599, CODE:SECONDS, hang or reset`},
	{"listen respond too high", []string{"listen", "--respond", "200,600"}, nil, `monitehooks listen: invalid value "200,600" for flag --respond: item 2, "600": not a status code from 200 to 599, CODE:SECONDS, hang or reset`},
	{"listen respond word", []string{"listen", "--respond", "500,Hang"}, nil, `monitehooks listen: invalid value "500,Hang" for flag --respond: item 2, "Hang": not a status code from 200 to 599, CODE:SECONDS, hang or reset`},
	{"listen respond empty item", []string{"listen", "--respond", "hang,,reset"}, nil, `monitehooks listen: invalid value "hang,,reset" for flag --respond: item 2, "": not a status code from 200 to 599, CODE:SECONDS, hang or reset`},
	{"listen respond bad seconds", []string{"listen", "--respond", "503:soon"}, nil, `monitehooks listen: invalid value "503:soon" for flag --respond: item 1, "503:soon": the SECONDS of CODE:SECONDS must be a whole number of seconds, such as 503:30`},
	{"listen respond negative seconds", []string{"listen", "--respond", "429:-1"}, nil, `monitehooks listen: invalid value "429:-1" for flag --respond: item 1, "429:-1": the SECONDS of CODE:SECONDS must be a whole number of seconds, such as 503:30`},
	{"listen respond huge seconds", []string{"listen", "--respond", "429:99999999999"}, nil, `monitehooks listen: invalid value "429:99999999999" for flag --respond: item 1, "429:99999999999": the SECONDS of CODE:SECONDS must be a whole number of seconds, such as 503:30`},
	{"listen empty secret", []string{"listen", "--secret="}, nil, `monitehooks listen: invalid value "" for flag --secret: must be non-empty, without spaces or control characters`},
	{"listen bad addr", []string{"listen", "--addr", "9000"}, nil, `monitehooks listen: invalid value "9000" for flag --addr: must be HOST:PORT with a port from 0 to 65535, such as 127.0.0.1:9000, or 127.0.0.1:0 for a free port`},

	// trigger.
	{"trigger one argument", []string{"trigger", "entity"}, nil, `monitehooks trigger: want the arguments OBJECT_TYPE and EVENT_TYPE, got 1 argument(s)`},
	{"trigger three arguments", []string{"trigger", "entity", "created", "more"}, nil, `monitehooks trigger: want the arguments OBJECT_TYPE and EVENT_TYPE, got 3 argument(s)`},
	{"trigger bad api", []string{"trigger", "--api", "ftp://x", "entity", "created"}, nil, `monitehooks trigger: invalid value "ftp://x" for flag --api: must be an http:// or https:// URL without query, such as http://127.0.0.1:8080/v1`},
	{"trigger api with query", []string{"trigger", "--api", "http://x/v1?a=b", "entity", "created"}, nil, `monitehooks trigger: invalid value "http://x/v1?a=b" for flag --api: must be an http:// or https:// URL without query, such as http://127.0.0.1:8080/v1`},
	{"trigger api without value", []string{"trigger", "entity", "created", "--api"}, nil, `monitehooks trigger: flag needs an argument: --api`},
	{"trigger bad token", []string{"trigger", "--token", "", "entity", "created"}, nil, `monitehooks trigger: invalid value "" for flag --token: must be non-empty, without spaces or control characters`},
	{"trigger unknown flag after arguments", []string{"trigger", "entity", "created", "--bogus"}, nil, `monitehooks trigger: flag provided but not defined: --bogus`},
	{"trigger empty object id", []string{"trigger", "--object-id=", "entity", "created"}, nil, `monitehooks trigger: invalid value "" for flag --object-id: must be a non-empty ID`},
	{"trigger empty entity id", []string{"trigger", "--entity-id", "", "entity", "created"}, nil, `monitehooks trigger: invalid value "" for flag --entity-id: must be a non-empty ID`},
	{"trigger object array", []string{"trigger", "--object", "[1]", "entity", "created"}, nil, `monitehooks trigger: invalid value "[1]" for flag --object: must be a JSON object, such as {"name":"Acme"}, or @FILE naming a file that holds one`},
	{"trigger object not JSON", []string{"trigger", "--object", "{name:1}", "entity", "created"}, nil, `monitehooks trigger: invalid value "{name:1}" for flag --object: must be a JSON object, such as {"name":"Acme"}, or @FILE naming a file that holds one`},
	{"trigger object no file", []string{"trigger", "--object", "@", "entity", "created"}, nil, `monitehooks trigger: invalid value "@" for flag --object: must be a JSON object, such as {"name":"Acme"}, or @FILE naming a file that holds one`},
	{"trigger list argument", []string{"trigger", "--list", "entity"}, nil, `monitehooks trigger: unexpected argument "entity": --list takes no arguments`},
	{"trigger list object", []string{"trigger", "--list", "--object", "{}"}, nil, `monitehooks trigger: --object describes an event to emit and does not go with --list`},
	{"trigger list bad bool", []string{"trigger", "--list=maybe"}, nil, `monitehooks trigger: invalid boolean value "maybe" for --list: must be true or false`},
	{"trigger list bad catalog", []string{"trigger", "--list", "--catalog", "all"}, nil, `monitehooks trigger: invalid value "all" for flag --catalog: must be "default" or "monite"`},
	{"trigger catalog without list", []string{"trigger", "--catalog", "monite", "entity", "created"}, nil, `monitehooks trigger: --catalog goes with --list only: the API checks an event against its own catalog`},
	{"trigger bad api in environment", []string{"trigger", "entity", "created"}, map[string]string{"MONITEHOOKS_API": "localhost:8080"},
		`monitehooks trigger: invalid value "localhost:8080" of MONITEHOOKS_API: must be an http:// or https:// URL without query, such as http://127.0.0.1:8080/v1`},
	{"trigger bad token in environment", []string{"trigger", "entity", "created"}, map[string]string{"MONITEHOOKS_TOKEN": "two words"},
		`monitehooks trigger: invalid value of MONITEHOOKS_TOKEN: must be non-empty, without spaces or control characters`},

	// events and deliveries.
	{"events argument", []string{"events", "entity"}, nil, `monitehooks events: unexpected argument "entity": the command takes flags only`},
	{"events limit zero", []string{"events", "--limit", "0"}, nil, `monitehooks events: invalid value "0" for flag --limit: must be a whole number from 1 to 100`},
	{"events limit too high", []string{"events", "--limit=101"}, nil, `monitehooks events: invalid value "101" for flag --limit: must be a whole number from 1 to 100`},
	{"events limit word", []string{"events", "--limit", "all"}, nil, `monitehooks events: invalid value "all" for flag --limit: must be a whole number from 1 to 100`},
	{"events bad order", []string{"events", "--order", "newest"}, nil, `monitehooks events: invalid value "newest" for flag --order: must be "desc" or "asc"`},
	{"events empty object type", []string{"events", "--object-type="}, nil, `monitehooks events: invalid value "" for flag --object-type: must be a non-empty object type`},
	{"events empty event type", []string{"events", "--event-type", ""}, nil, `monitehooks events: invalid value "" for flag --event-type: must be a non-empty event type`},
	{"events bad json", []string{"events", "--json=yes please"}, nil, `monitehooks events: invalid boolean value "yes please" for --json: must be true or false`},
	{"events bad api in environment", []string{"events"}, map[string]string{"MONITEHOOKS_API": "127.0.0.1:8080/v1"},
		`monitehooks events: invalid value "127.0.0.1:8080/v1" of MONITEHOOKS_API: must be an http:// or https:// URL without query, such as http://127.0.0.1:8080/v1`},
	{"deliveries argument", []string{"deliveries", "d-1"}, nil, `monitehooks deliveries: unexpected argument "d-1": the command takes flags only`},
	{"deliveries empty event", []string{"deliveries", "--event", ""}, nil, `monitehooks deliveries: invalid value "" for flag --event: must be a non-empty ID, without spaces or control characters`},
	{"deliveries subscription with space", []string{"deliveries", "--subscription", "a b"}, nil, `monitehooks deliveries: invalid value "a b" for flag --subscription: must be a non-empty ID, without spaces or control characters`},
	{"deliveries status", []string{"deliveries", "--status", "failed"}, nil, `monitehooks deliveries: flag provided but not defined: --status`},
	{"deliveries bad token", []string{"deliveries", "--token", "a\tb"}, nil, `monitehooks deliveries: invalid value "a\tb" for flag --token: must be non-empty, without spaces or control characters`},

	// redeliver and recover.
	{"redeliver no argument", []string{"redeliver"}, nil, `monitehooks redeliver: want the argument DELIVERY_ID, got 0 argument(s)`},
	{"redeliver two arguments", []string{"redeliver", "d-1", "d-2"}, nil, `monitehooks redeliver: want the argument DELIVERY_ID, got 2 argument(s)`},
	{"redeliver empty ID", []string{"redeliver", ""}, nil, `monitehooks redeliver: invalid DELIVERY_ID "": must be a non-empty ID, without spaces or control characters`},
	{"redeliver ID with line break", []string{"redeliver", "d\n1"}, nil, `monitehooks redeliver: invalid DELIVERY_ID "d\n1": must be a non-empty ID, without spaces or control characters`},
	{"redeliver unknown flag", []string{"redeliver", "d-1", "--limit", "1"}, nil, `monitehooks redeliver: flag provided but not defined: --limit`},
	{"recover no since", []string{"recover", "s-1"}, nil, `monitehooks recover: --since is required: an RFC 3339 time, or a duration meaning that long ago, such as 24h`},
	{"recover no argument", []string{"recover", "--since", "1h"}, nil, `monitehooks recover: want the argument SUBSCRIPTION_ID, got 0 argument(s)`},
	{"recover bad since", []string{"recover", "s-1", "--since", "yesterday"}, nil, `monitehooks recover: invalid value "yesterday" for flag --since: must be an RFC 3339 time, such as 2026-01-02T15:04:05Z, or a positive duration meaning that long ago, such as 24h or 90m`},
	{"recover negative since", []string{"recover", "s-1", "--since=-1h"}, nil, `monitehooks recover: invalid value "-1h" for flag --since: must be an RFC 3339 time, such as 2026-01-02T15:04:05Z, or a positive duration meaning that long ago, such as 24h or 90m`},
	{"recover since in days", []string{"recover", "s-1", "--since", "2d"}, nil, `monitehooks recover: invalid value "2d" for flag --since: must be an RFC 3339 time, such as 2026-01-02T15:04:05Z, or a positive duration meaning that long ago, such as 24h or 90m`},
	{"recover since without zone", []string{"recover", "s-1", "--since", "2026-01-02T15:04:05"}, nil, `monitehooks recover: invalid value "2026-01-02T15:04:05" for flag --since: must be an RFC 3339 time, such as 2026-01-02T15:04:05Z, or a positive duration meaning that long ago, such as 24h or 90m`},
	{"recover empty ID", []string{"recover", "", "--since", "1h"}, nil, `monitehooks recover: invalid SUBSCRIPTION_ID "": must be a non-empty ID, without spaces or control characters`},
	{"recover bad token in environment", []string{"recover", "s-1", "--since", "1h"}, map[string]string{"MONITEHOOKS_TOKEN": "a b"},
		`monitehooks recover: invalid value of MONITEHOOKS_TOKEN: must be non-empty, without spaces or control characters`},
}

// TestUsageErrors checks that a bad command line gets one line on stderr
// naming the problem and where the usage is, exit status 2, and nothing
// on stdout.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range usageErrorTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr strings.Builder
			code := cli.RunEnv(t.Context(), tt.args, &stdout, &stderr, tt.env)
			if code != 2 {
				t.Errorf("Run(%q) = %d; want 2", tt.args, code)
			}
			if stdout.Len() > 0 {
				t.Errorf("Run(%q) stdout = %q; want nothing", tt.args, stdout.String())
			}
			want := usageLine(tt.want)
			if diff := cmp.Diff(want, stderr.String()); diff != "" {
				t.Errorf("Run(%q) stderr (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

// usageLine returns the line Run prints for a usage problem: the problem,
// then where the usage of the command it names is.
func usageLine(problem string) string {
	who, _, _ := strings.Cut(problem, ": ")
	topic := "monitehooks help"
	if cmd, ok := strings.CutPrefix(who, "monitehooks "); ok && cmd != "help" {
		topic += " " + cmd
	}
	return problem + "; run '" + topic + "' for usage\n"
}

// TestEnvironmentIgnoredWhenFlagsGiven checks that the flags win over bad
// values in the environment: those are not even read.
func TestEnvironmentIgnoredWhenFlagsGiven(t *testing.T) {
	t.Parallel()
	srv, got := fakeAPI(t, 201, `{"id":"ev-1"}`)
	env := map[string]string{"MONITEHOOKS_API": "not a URL", "MONITEHOOKS_TOKEN": "not a token"}
	var stdout, stderr strings.Builder
	if code := cli.RunEnv(t.Context(), []string{"trigger", "--api", srv.URL, "--token", "tk", "entity", "created"}, &stdout, &stderr, env); code != 0 {
		t.Fatalf("Run = %d; want 0\nstderr:\n%s", code, stderr.String())
	}
	if req := <-got; req["(request)"] != "POST /events Bearer tk application/json" {
		t.Errorf("request = %q; want POST /events with the flag's token", req["(request)"])
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		code, stdout, stderr := run(t, args...)
		if code != 0 || stderr != "" {
			t.Errorf("Run(%q) = %d, stderr %q; want 0 and nothing", args, code, stderr)
		}
		lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
		if lines[0] != "monitehooks "+monitehooks.Version {
			t.Errorf("Run(%q) first line = %q; want %q", args, lines[0], "monitehooks "+monitehooks.Version)
		}
		if len(lines) < 2 || !strings.Contains(lines[1], runtime.Version()) {
			t.Errorf("Run(%q) printed %q; want the Go version %s on the second line", args, stdout, runtime.Version())
		}
	}
}

func TestVersionText(t *testing.T) {
	t.Parallel()
	platform := runtime.GOOS + "/" + runtime.GOARCH
	tests := []struct {
		name string
		info *debug.BuildInfo
		want string
	}{
		{"no build info", nil, "monitehooks " + monitehooks.Version + "\nbuilt with " + runtime.Version() + " for " + platform + "\n"},
		{"no VCS", &debug.BuildInfo{GoVersion: "go1.26.0"}, "monitehooks " + monitehooks.Version + "\nbuilt with go1.26.0 for " + platform + "\n"},
		{"clean commit", &debug.BuildInfo{GoVersion: "go1.26.0", Settings: []debug.BuildSetting{
			{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "0123abcd"}, {Key: "vcs.modified", Value: "false"},
		}}, "monitehooks " + monitehooks.Version + "\nbuilt with go1.26.0 for " + platform + "\ncommit 0123abcd\n"},
		{"dirty commit", &debug.BuildInfo{GoVersion: "go1.26.0", Settings: []debug.BuildSetting{
			{Key: "vcs.modified", Value: "true"}, {Key: "vcs.revision", Value: "0123abcd"},
		}}, "monitehooks " + monitehooks.Version + "\nbuilt with go1.26.0 for " + platform + "\ncommit 0123abcd (dirty)\n"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, cli.VersionText(tt.info)); diff != "" {
			t.Errorf("%s: VersionText (-want +got):\n%s", tt.name, diff)
		}
	}
}
