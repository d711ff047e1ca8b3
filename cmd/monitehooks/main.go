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
//	serve    serve the webhook REST API at http://ADDR/v1 over an in-memory
//	         store, with POST /events; flags --addr, --token (repeatable;
//	         the n-th belongs to partner "partner-n", and without any the
//	         token "dev-token" is accepted), --retry-schedule,
//	         --attempt-timeout and --catalog default|monite
//	listen   a recording receiver printing one JSON line per request on
//	         stdout; flags --addr, --secret (repeatable) to verify
//	         signatures with, and --respond STATUS,… to script its answers
//	trigger  emit an event with POST <api>/events and print the event
//	         resource; trigger [--api URL] [--token T] OBJECT_TYPE
//	         EVENT_TYPE [--object-id ID] [--entity-id ID]
//	help     print the usage, or a command's: monitehooks help serve
//
// Flags are written with one dash or two, before or after the arguments.
// The exit status is 0 on success and after a graceful stop on SIGINT or
// SIGTERM, 1 on failure, and 2 on a usage error.
package main

import (
	"os"

	"github.com/monitehooks/monitehooks/internal/cli"
)

func main() { os.Exit(cli.Main()) }
