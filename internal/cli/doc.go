// Package cli implements the monitehooks command: demo, serve, listen,
// trigger, events, deliveries, redeliver, recover and version.
//
// [Main] is the whole program; [Run] is its testable core, which takes the
// arguments (without the program name), the output streams and a context
// whose cancellation stands for SIGINT or SIGTERM. Neither keeps state
// between calls, so tests and testscript may run them many times in one
// process.
//
// # Parsing, then running
//
// Each command parses its whole command line first, with no I/O, into a
// function that runs it; a bad command line never starts anything. A
// command that calls a running API defines --api and --token with
// addAPIFlags, which falls back on MONITEHOOKS_API and MONITEHOOKS_TOKEN,
// and calls through apiClient.
//
// # Exit codes
//
//	0  success, including a graceful stop on SIGINT or SIGTERM
//	1  failure (a delivery that did not verify, an API error, an address
//	   already in use, a store serve cannot open, …)
//	2  usage error: an unknown command, a bad flag or a missing argument;
//	   one line on stderr names the problem and where the usage is
//
// # Output
//
// Results go to stdout, one stable line (or JSON line) per result: the
// serving address of serve, the JSON lines of listen, the event resource of
// trigger, the verified deliveries of demo. events, deliveries and
// redeliver print a table for people (text/tabwriter, values that are not
// printable quoted), or with --json the API's resources as JSON lines.
// Logs and diagnostics go to stderr.
package cli
