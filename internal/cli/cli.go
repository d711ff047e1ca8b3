package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Exit codes of [Run] and [Main].
const (
	exitOK      = 0 // success, or a graceful stop on a signal
	exitFailure = 1 // the command ran and failed
	exitUsage   = 2 // bad command line
)

// shutdownTimeout bounds a graceful stop: serve and listen exit within it
// (and so within the 10 s the design promises) even when an attempt or a
// request hangs.
const shutdownTimeout = 9 * time.Second

const usageText = `monitehooks runs Monite-style webhooks on your machine: a fake Monite to
develop a webhook receiver against, and a recording receiver to watch what
is sent.

Usage:

	monitehooks <command> [flags] [arguments]

Commands:

	demo        run a fake Monite and a receiver, deliver one event of every type
	serve       serve the webhook REST API at /v1, in memory, SQLite or PostgreSQL
	listen      record the requests sent to it, one JSON line each
	trigger     emit an event through a running API (POST /events)
	events      list the events of a running API
	deliveries  list the delivery log of a running API: status, attempts, errors
	redeliver   send a delivery again
	recover     send again what failed for good to a subscription since a time
	version     print the version (also: monitehooks --version)
	help        print this help, or a command's: monitehooks help <command>

Flags are written with one dash or two (-addr or --addr), before or after
the arguments. The commands that call a running API (trigger, events,
deliveries, redeliver, recover) take its URL and token from --api and
--token, or else from the environment variables MONITEHOOKS_API and
MONITEHOOKS_TOKEN. Those that print API resources print a table for
people, or with --json JSON lines: each resource as the API answers it.
serve takes its store from --store, or else from MONITEHOOKS_STORE.

Exit status: 0 on success (and after a graceful stop on SIGINT or
SIGTERM), 1 on failure, 2 on a usage error, which is told in one line on
stderr.
`

// runFunc runs a parsed command line: it writes results to stdout and
// diagnostics to stderr, and returns the exit status. The end of ctx
// stands for SIGINT or SIGTERM.
type runFunc func(ctx context.Context, stdout, stderr io.Writer) int

// command is one subcommand.
type command struct {
	name  string
	usage string // the full help of the command, ending in a newline
	// parse reads the command's arguments, those after its name, and
	// returns what to run; or flag.ErrHelp when they ask for the help; or
	// a *usageError. It does no I/O: it neither listens, nor connects, nor
	// opens files. getenv reads the environment.
	parse func(cmd *command, args []string, getenv func(string) string) (runFunc, error)
}

// commands returns the subcommands, in the order the usage lists them.
func commands() []*command {
	return []*command{
		{name: "demo", usage: demoUsage, parse: parseDemo},
		{name: "serve", usage: serveUsage, parse: parseServe},
		{name: "listen", usage: listenUsage, parse: parseListen},
		{name: "trigger", usage: triggerUsage, parse: parseTrigger},
		{name: "events", usage: eventsUsage, parse: parseEvents},
		{name: "deliveries", usage: deliveriesUsage, parse: parseDeliveries},
		{name: "redeliver", usage: redeliverUsage, parse: parseRedeliver},
		{name: "recover", usage: recoverUsage, parse: parseRecover},
		{name: "version", usage: versionUsage, parse: parseVersion},
	}
}

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

// Main runs the monitehooks command with os.Args, the standard streams and
// the environment, and returns its exit status. The first SIGINT or
// SIGTERM stops the command gracefully; a second one ends the process at
// once. Main keeps no state between calls.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Once the first signal has arrived, restore the default behavior so
	// that a second one kills a shutdown that takes too long.
	context.AfterFunc(ctx, stop)
	return Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
}

// Run runs the monitehooks command with args (without the program name),
// writing results to stdout and logs and errors to stderr, and returns the
// exit status: 0 on success, 1 on failure, 2 on a usage error. It reads
// the environment with os.Getenv.
//
// Canceling ctx stands for SIGINT or SIGTERM: serve and listen stop
// gracefully and return 0; demo and the commands that call an API give
// up and return 1. When ctx
// has ended before Run is called, no command listens, connects or opens a
// file: the command line is only parsed, and help, version and
// trigger --list print what they print.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return run(ctx, args, stdout, stderr, os.Getenv)
}

// run is Run reading the environment with getenv.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	f, err := parse(args, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	return f(ctx, stdout, stderr)
}

// parse reads a whole command line and returns what to run, or a
// *usageError.
func parse(args []string, getenv func(string) string) (runFunc, error) {
	if len(args) == 0 {
		return nil, &usageError{msg: "no command given"}
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		return parseHelp(args[1:])
	case "-version", "--version":
		name = "version"
	}
	c := lookup(name)
	if c == nil {
		if strings.HasPrefix(name, "-") {
			return nil, &usageError{msg: fmt.Sprintf("flag %q given before a command", name)}
		}
		return nil, &usageError{msg: fmt.Sprintf("unknown command %q", name)}
	}
	f, err := c.parse(c, args[1:], getenv)
	if errors.Is(err, flag.ErrHelp) {
		return printText(c.usage), nil
	}
	return f, err
}

// parseHelp reads the arguments of help: none, or a command.
func parseHelp(args []string) (runFunc, error) {
	switch {
	case len(args) == 0 || len(args) == 1 && args[0] == "help":
		return printText(usageText), nil
	case len(args) > 1:
		return nil, &usageError{who: "help", msg: fmt.Sprintf("want at most one command, got %d arguments", len(args))}
	}
	c := lookup(args[0])
	if c == nil {
		return nil, &usageError{who: "help", msg: fmt.Sprintf("unknown command %q", args[0])}
	}
	return printText(c.usage), nil
}

// printText returns a runFunc printing text on stdout.
func printText(text string) runFunc {
	return func(_ context.Context, stdout, _ io.Writer) int {
		fmt.Fprint(stdout, text)
		return exitOK
	}
}

// usageError is a bad command line. Its Error is one line: the problem,
// then where to read the usage.
type usageError struct {
	who   string // the command the problem is with ("help" included), or "" for the program
	topic string // the command whose help applies, or "" for the program's
	msg   string // the problem
}

// usageErrorf returns a *usageError about cmd's arguments.
func usageErrorf(cmd *command, format string, args ...any) error {
	return &usageError{who: cmd.name, topic: cmd.name, msg: fmt.Sprintf(format, args...)}
}

// oneLine escapes line breaks, so that a message stays on its line
// whatever text it quotes.
var oneLine = strings.NewReplacer("\r", `\r`, "\n", `\n`)

func (e *usageError) Error() string {
	who, topic := "monitehooks", "monitehooks help"
	if e.who != "" {
		who += " " + e.who
	}
	if e.topic != "" {
		topic += " " + e.topic
	}
	return fmt.Sprintf("%s: %s; run '%s' for usage", who, oneLine.Replace(e.msg), topic)
}

// newFlagSet returns a flag set for cmd that reports errors to its caller
// and prints nothing itself.
func newFlagSet(cmd *command) *flag.FlagSet {
	fs := flag.NewFlagSet("monitehooks "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return fs
}

// parseArgs parses args with fs, letting flags stand before, between and
// after the positional arguments (the flag package alone stops at the
// first of them), and returns the positional arguments. After "--" every
// argument is positional.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// parseFlags parses a command's arguments with fs and returns the
// positional ones. It returns flag.ErrHelp for -h or -help, and a
// *usageError naming the flag for a bad one.
func parseFlags(cmd *command, fs *flag.FlagSet, args []string) ([]string, error) {
	pos, err := parseArgs(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return nil, err
	case err != nil:
		return nil, usageErrorf(cmd, "%s", flagError(err))
	}
	return pos, nil
}

// flagMention matches where the flag package's errors name a flag, as
// "-name".
var flagMention = regexp.MustCompile(`^(flag provided but not defined: |invalid value ".*?" for flag |invalid boolean value ".*?" for |flag needs an argument: )-`)

// flagError words an error of the flag package naming the flag as the
// usage does, "--name".
func flagError(err error) string {
	return flagMention.ReplaceAllString(err.Error(), "${1}--")
}

// noArguments reports positional arguments to a command that takes none.
func noArguments(cmd *command, pos []string) error {
	if len(pos) > 0 {
		return usageErrorf(cmd, "unexpected argument %q: the command takes flags only", pos[0])
	}
	return nil
}

// failure prints a command's failure on stderr and returns exitFailure.
func failure(cmd *command, stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "monitehooks %s: %s\n", cmd.name, fmt.Sprintf(format, args...))
	return exitFailure
}
