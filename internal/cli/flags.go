package cli

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/monitehooks/monitehooks"
)

// stringsFlag defines a repeatable flag: each use appends its value, after
// check accepts it.
func stringsFlag(fs *flag.FlagSet, name, usage string, check func(v string, seen []string) error) *[]string {
	var vals []string
	fs.Func(name, usage, func(v string) error {
		if err := check(v, vals); err != nil {
			return err
		}
		vals = append(vals, v)
		return nil
	})
	return &vals
}

// checkSecretLike accepts a token or secret: non-empty, given once,
// without spaces or control characters (they could not travel in a header
// unchanged).
func checkSecretLike(v string, seen []string) error {
	switch {
	case v == "":
		return errors.New("must not be empty")
	case strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return errors.New("must not contain spaces or control characters")
	case slices.Contains(seen, v):
		return errors.New("given twice")
	}
	return nil
}

// positiveDurationFlag defines a flag holding a duration above zero.
func positiveDurationFlag(fs *flag.FlagSet, name string, value time.Duration, usage string) *time.Duration {
	d := value
	fs.Func(name, usage, func(v string) error {
		parsed, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("not a duration such as 15s or 1m30s")
		}
		if parsed <= 0 {
			return errors.New("must be positive")
		}
		d = parsed
		return nil
	})
	return &d
}

// scheduleFlag defines a flag holding a retry schedule, a comma-separated
// list of durations. It holds nil until set.
func scheduleFlag(fs *flag.FlagSet, name, usage string) *monitehooks.RetryPolicy {
	var policy monitehooks.RetryPolicy
	fs.Func(name, usage, func(v string) error {
		s, err := monitehooks.ParseSchedule(v)
		if err != nil {
			return err
		}
		policy = s
		return nil
	})
	return &policy
}

// catalogs are the catalogs --catalog names.
var catalogs = map[string]*monitehooks.Catalog{
	"default": monitehooks.DefaultCatalog,
	"monite":  monitehooks.MoniteCatalog,
}

// catalogFlag defines a flag naming a catalog: default or monite.
func catalogFlag(fs *flag.FlagSet, name, usage string) **monitehooks.Catalog {
	c := monitehooks.DefaultCatalog
	fs.Func(name, usage, func(v string) error {
		found, ok := catalogs[v]
		if !ok {
			return errors.New(`must be "default" or "monite"`)
		}
		c = found
		return nil
	})
	return &c
}

// statusesFlag defines a flag holding a comma-separated list of final HTTP
// status codes, 200 to 599: a 1xx is informational, and net/http's server
// would follow it with a 200. Each use replaces the list.
func statusesFlag(fs *flag.FlagSet, name, usage string) *[]int {
	var codes []int
	fs.Func(name, usage, func(v string) error {
		var parsed []int
		for i, part := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(part))
			if err != nil || n < 200 || n > 599 {
				return fmt.Errorf("item %d: %q is not a final HTTP status code, from 200 to 599", i+1, part)
			}
			parsed = append(parsed, n)
		}
		codes = parsed
		return nil
	})
	return &codes
}
