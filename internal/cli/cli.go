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

	demo      run a fake Monite and a receiver, deliver one event of every type
	serve     serve the webhook REST API at /v1 over an in-memory store
	listen    record the requests sent to it, one JSON line each
	trigger   emit an event through a running API (POST /events)
	help      print this help, or a command's: monitehooks help <command>

Flags are written with one dash or two (-addr or --addr), before or after
the arguments. Exit status: 0 on success (and after a graceful stop on
SIGINT or SIGTERM), 1 on failure, 2 on a usage error.
`

// command is one subcommand.
type command struct {
	name  string
	usage string // the full help of the command, ending in a newline
	run   func(ctx context.Context, cmd *command, args []string, stdout, stderr io.Writer) int
}

// commands returns the subcommands, in the order the usage lists them.
func commands() []*command {
	return []*command{
		{name: "demo", usage: demoUsage, run: runDemo},
		{name: "serve", usage: serveUsage, run: runServe},
		{name: "listen", usage: listenUsage, run: runListen},
		{name: "trigger", usage: triggerUsage, run: runTrigger},
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

// Main runs the monitehooks command with os.Args and the standard streams,
// and returns its exit status. The first SIGINT or SIGTERM stops the
// command gracefully; a second one ends the process at once. Main keeps no
// state between calls.
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
// exit status: 0 on success, 1 on failure, 2 on a usage error. Canceling
// ctx stands for SIGINT or SIGTERM: serve and listen stop gracefully and
// return 0; demo and trigger give up and return 1.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText)
		return exitUsage
	}
	switch name := args[0]; name {
	case "help", "-h", "-help", "--help":
		if len(args) == 1 {
			fmt.Fprint(stdout, usageText)
			return exitOK
		}
		if len(args) > 2 {
			fmt.Fprintf(stderr, "monitehooks help: want at most one command, got %d arguments\n\n%s", len(args)-1, usageText)
			return exitUsage
		}
		c := lookup(args[1])
		if c == nil {
			fmt.Fprintf(stderr, "monitehooks help: unknown command %q\n\n%s", args[1], usageText)
			return exitUsage
		}
		fmt.Fprint(stdout, c.usage)
		return exitOK
	default:
		c := lookup(name)
		if c == nil {
			if strings.HasPrefix(name, "-") {
				fmt.Fprintf(stderr, "monitehooks: flag %s given before a command\n\n%s", name, usageText)
			} else {
				fmt.Fprintf(stderr, "monitehooks: unknown command %q\n\n%s", name, usageText)
			}
			return exitUsage
		}
		return c.run(ctx, c, args[1:], stdout, stderr)
	}
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

// parseCommandLine parses a command's arguments. When they are bad it
// prints the problem and the command's usage on stderr and returns
// ok false with the exit status to return; -h or -help prints the usage on
// stdout and returns ok false with status 0.
func parseCommandLine(cmd *command, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (pos []string, code int, ok bool) {
	pos, err := parseArgs(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, cmd.usage)
		return nil, exitOK, false
	case err != nil:
		return nil, usageError(cmd, stderr, "%s", flagError(err)), false
	}
	return pos, exitOK, true
}

// flagMention matches where the flag package's errors name a flag, as
// "-name".
var flagMention = regexp.MustCompile(`^(flag provided but not defined: |invalid value ".*?" for flag |invalid boolean value ".*?" for |flag needs an argument: )-`)

// flagError words an error of the flag package naming the flag as the
// usage does, "--name".
func flagError(err error) string {
	return flagMention.ReplaceAllString(err.Error(), "${1}--")
}

// usageError prints a usage problem and the command's usage on stderr and
// returns exitUsage.
func usageError(cmd *command, stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "monitehooks %s: %s\n\n%s", cmd.name, fmt.Sprintf(format, args...), cmd.usage)
	return exitUsage
}

// noArguments reports positional arguments to a command that takes none.
func noArguments(cmd *command, pos []string, stderr io.Writer) (int, bool) {
	if len(pos) > 0 {
		return usageError(cmd, stderr, "unexpected argument %q: the command takes flags only", pos[0]), false
	}
	return exitOK, true
}

// failure prints a command's failure on stderr and returns exitFailure.
func failure(cmd *command, stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "monitehooks %s: %s\n", cmd.name, fmt.Sprintf(format, args...))
	return exitFailure
}
