// Command monitehooks runs Monite-style webhooks on your machine: a fake
// Monite to develop a webhook receiver against, and a recording receiver
// to watch what is sent.
//
// Usage:
//
//	monitehooks <command> [flags] [arguments]
//
// The commands are:
//
//	demo     run a fake Monite and a receiver in one process, subscribe to
//	         every object type through the REST API, emit one event of
//	         every catalog type, and print each delivery whose signature
//	         verified; exit 0 when all did
//	serve    serve the webhook REST API at http://ADDR/v1, with POST
//	         /events, and GET /healthz; flags --addr, --token (repeatable;
//	         the n-th belongs to partner "partner-n", and without any the
//	         token "dev-token" is accepted), --store memory|sqlite:PATH|
//	         postgres://… (default $MONITEHOOKS_STORE, else memory: a
//	         durable store keeps everything across restarts and crashes,
//	         and serve processes on one PostgreSQL database share the
//	         work), --lease, --retry-schedule, --attempt-timeout,
//	         --retention, --catalog default|monite, --log-format text|json
//	         and --log-level debug|info|warn|error
//	listen   a recording receiver printing one JSON line per request on
//	         stdout, with the status it answered; flags --addr, --secret
//	         (repeatable) to verify signatures with, and --respond to script
//	         its answers to POST requests: status codes, CODE:SECONDS for a
//	         Retry-After, hang and reset
//	trigger  emit an event with POST <api>/events and print the event
//	         resource; trigger [--api URL] [--token T] OBJECT_TYPE
//	         EVENT_TYPE [--object-id ID] [--entity-id ID] [--object
//	         JSON|@FILE]; --api and --token default to $MONITEHOOKS_API and
//	         $MONITEHOOKS_TOKEN; trigger --list [--catalog default|monite]
//	         prints the object and event types
//	version  print the version, the Go version and the VCS commit; also
//	         monitehooks --version
//	help     print the usage, or a command's: monitehooks help serve
//
// Flags are written with one dash or two, before or after the arguments.
// The exit status is 0 on success and after a graceful stop on SIGINT or
// SIGTERM, 1 on failure, and 2 on a usage error, which is told in one line
// on stderr. The whole reference is docs/cli.md.
package main

import (
	"os"

	"github.com/monitehooks/monitehooks/internal/cli"
)

func main() { os.Exit(cli.Main()) }
