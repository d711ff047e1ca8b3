package cli

import (
	"context"
	"flag"
	"io"
	"runtime/debug"
	"time"
)

// RunEnv is Run reading the environment from env instead of os.Getenv.
func RunEnv(ctx context.Context, args []string, stdout, stderr io.Writer, env map[string]string) int {
	return run(ctx, args, stdout, stderr, func(k string) string { return env[k] })
}

// VersionText is versionText.
func VersionText(info *debug.BuildInfo) string { return versionText(info) }

// RetentionFlag parses args with serve's --retention and returns what it
// holds.
func RetentionFlag(args ...string) (time.Duration, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	d := retentionFlag(fs, "retention")
	err := fs.Parse(args)
	return *d, err
}

// ServeStore parses a serve command line, with env as the environment,
// and returns the --store and --lease it holds (the lease 0 for the
// emitter's default).
func ServeStore(args []string, env map[string]string) (store string, lease time.Duration, err error) {
	p, err := parseServeParams(lookup("serve"), args, func(k string) string { return env[k] })
	return p.store, p.lease, err
}

// StoreError is storeError.
func StoreError(store string, err error) string { return storeError(store, err) }
