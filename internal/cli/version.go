package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/monitehooks/monitehooks"
)

const versionUsage = `usage: monitehooks version
       monitehooks --version

Print the version of monitehooks on the first line, "monitehooks <version>",
then the Go version and platform it was built with and, when the build
recorded it (go build or go install in a VCS checkout), the commit it was
built from, followed by "(dirty)" when the working tree had uncommitted
changes:

  monitehooks 0.1.0
  built with go1.26.0 for linux/amd64
  commit 0123456789abcdef0123456789abcdef01234567 (dirty)
`

func parseVersion(cmd *command, args []string, _ func(string) string) (runFunc, error) {
	fs := newFlagSet(cmd)
	pos, err := parseFlags(cmd, fs, args)
	if err != nil {
		return nil, err
	}
	if err := noArguments(cmd, pos); err != nil {
		return nil, err
	}
	return func(_ context.Context, stdout, _ io.Writer) int {
		info, _ := debug.ReadBuildInfo()
		fmt.Fprint(stdout, versionText(info))
		return exitOK
	}, nil
}

// versionText words the version of monitehooks and what info, which may
// be nil, says of the build.
func versionText(info *debug.BuildInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "monitehooks %s\n", monitehooks.Version)
	goVersion := runtime.Version()
	if info != nil && info.GoVersion != "" {
		goVersion = info.GoVersion
	}
	fmt.Fprintf(&b, "built with %s for %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	var revision, dirty string
	if info != nil {
		for _, s := range info.Settings {
			switch {
			case s.Key == "vcs.revision":
				revision = s.Value
			case s.Key == "vcs.modified" && s.Value == "true":
				dirty = " (dirty)"
			}
		}
	}
	if revision != "" {
		fmt.Fprintf(&b, "commit %s%s\n", revision, dirty)
	}
	return b.String()
}
