package cli

import (
	"context"
	"io"
	"runtime/debug"
)

// RunEnv is Run reading the environment from env instead of os.Getenv.
func RunEnv(ctx context.Context, args []string, stdout, stderr io.Writer, env map[string]string) int {
	return run(ctx, args, stdout, stderr, func(k string) string { return env[k] })
}

// VersionText is versionText.
func VersionText(info *debug.BuildInfo) string { return versionText(info) }
