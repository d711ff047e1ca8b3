package cli

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/monitehooks/monitehooks"
)

// Every flag checks its value when it is parsed, and its error says what
// it accepts: the flag package words it as
// `invalid value "x" for flag --name: <error>`.

// stringsFlag defines a repeatable flag: each use appends its value, after
// check accepts it.
func stringsFlag(fs *flag.FlagSet, name string, check func(v string, seen []string) error) *[]string {
	var vals []string
	fs.Func(name, "", func(v string) error {
		if err := check(v, vals); err != nil {
			return err
		}
		vals = append(vals, v)
		return nil
	})
	return &vals
}

// isToken reports whether v is one non-empty token: no spaces, no
// control characters.
func isToken(v string) bool {
	return v != "" && strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}

// checkSecretLike accepts a token or secret: non-empty, given once,
// without spaces or control characters (they could not travel in a header
// unchanged).
func checkSecretLike(v string, seen []string) error {
	switch {
	case !isToken(v):
		return errors.New("must be non-empty, without spaces or control characters")
	case slices.Contains(seen, v):
		return errors.New("given twice: give each value once")
	}
	return nil
}

// nonEmptyFlag defines a flag holding a string that must not be empty;
// it holds "" until set.
func nonEmptyFlag(fs *flag.FlagSet, name, what string) *string {
	var s string
	fs.Func(name, "", func(v string) error {
		if v == "" {
			return fmt.Errorf("must be a non-empty %s", what)
		}
		s = v
		return nil
	})
	return &s
}

// errBadID says what an ID, as an argument or a flag, accepts. IDs are
// checked no further: the API answers 404 for one it does not know,
// whatever its shape.
var errBadID = errors.New("must be a non-empty ID, without spaces or control characters")

// idFlag defines a flag holding an ID; it holds "" until set.
func idFlag(fs *flag.FlagSet, name string) *string {
	var s string
	fs.Func(name, "", func(v string) error {
		if !isToken(v) {
			return errBadID
		}
		s = v
		return nil
	})
	return &s
}

// idArgument returns the one positional argument of cmd, an ID that its
// usage calls name (such as DELIVERY_ID).
func idArgument(cmd *command, pos []string, name string) (string, error) {
	switch {
	case len(pos) != 1:
		return "", usageErrorf(cmd, "want the argument %s, got %d argument(s)", name, len(pos))
	case !isToken(pos[0]):
		return "", usageErrorf(cmd, "invalid %s %q: %v", name, pos[0], errBadID)
	}
	return pos[0], nil
}

// intFlag defines a flag holding a whole number from lo to hi.
func intFlag(fs *flag.FlagSet, name string, value, lo, hi int) *int {
	n := value
	fs.Func(name, "", func(v string) error {
		parsed, err := strconv.Atoi(v)
		if err != nil || parsed < lo || parsed > hi {
			return fmt.Errorf("must be a whole number from %d to %d", lo, hi)
		}
		n = parsed
		return nil
	})
	return &n
}

// addrFlag defines a flag holding a TCP address to listen on, HOST:PORT
// with a port from 0 to 65535.
func addrFlag(fs *flag.FlagSet, name, value string) *string {
	s := value
	fs.Func(name, "", func(v string) error {
		_, port, err := net.SplitHostPort(v)
		if err == nil {
			_, err = strconv.ParseUint(port, 10, 16)
		}
		if err != nil {
			return fmt.Errorf("must be HOST:PORT with a port from 0 to 65535, such as %s, or 127.0.0.1:0 for a free port", value)
		}
		s = v
		return nil
	})
	return &s
}

// positiveDurationFlag defines a flag holding a duration above zero.
func positiveDurationFlag(fs *flag.FlagSet, name string, value time.Duration) *time.Duration {
	d := value
	fs.Func(name, "", func(v string) error {
		parsed, err := time.ParseDuration(v)
		if err != nil || parsed <= 0 {
			return errors.New("must be a positive duration such as 15s or 1m30s")
		}
		d = parsed
		return nil
	})
	return &d
}

// retentionFlag defines a flag holding a retention: a duration of 0 or
// more, or a whole number of days such as 90d. It holds the convention of
// EmitterConfig.Retention: the flag's 0, which keeps everything, is -1;
// DefaultRetention until set.
func retentionFlag(fs *flag.FlagSet, name string) *time.Duration {
	d := monitehooks.DefaultRetention
	fs.Func(name, "", func(v string) error {
		parsed, err := time.ParseDuration(v)
		if days, ok := strings.CutSuffix(v, "d"); ok {
			var n int
			n, err = strconv.Atoi(days)
			parsed = time.Duration(n) * 24 * time.Hour
			if err == nil && (n < 0 || int64(n) > maxDays) {
				err = errors.New("out of range")
			}
		}
		if err != nil || parsed < 0 {
			return errors.New("must be a duration of 0 or more such as 2s or 720h, or a number of days such as 90d; 0 keeps everything")
		}
		if d = parsed; d == 0 {
			d = -1
		}
		return nil
	})
	return &d
}

// maxDays is the most days a time.Duration holds.
const maxDays = (1<<63 - 1) / int64(24*time.Hour)

// scheduleFlag defines a flag holding a retry schedule, a comma-separated
// list of durations. It holds nil until set.
func scheduleFlag(fs *flag.FlagSet, name string) *monitehooks.RetryPolicy {
	var policy monitehooks.RetryPolicy
	fs.Func(name, "", func(v string) error {
		s, err := monitehooks.ParseSchedule(v)
		if err != nil {
			// ParseSchedule's error says which item is wrong, after a
			// prefix the flag's name makes redundant here.
			return fmt.Errorf("must be comma-separated durations of 0s or more, such as 0s,5s,1m (%s)",
				strings.TrimPrefix(err.Error(), "monitehooks: retry schedule: "))
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
func catalogFlag(fs *flag.FlagSet, name string) **monitehooks.Catalog {
	c := monitehooks.DefaultCatalog
	fs.Func(name, "", func(v string) error {
		found, ok := catalogs[v]
		if !ok {
			return errors.New(`must be "default" or "monite"`)
		}
		c = found
		return nil
	})
	return &c
}

// choiceFlag defines a flag holding one of choices; it holds value until
// set.
func choiceFlag(fs *flag.FlagSet, name, value string, choices ...string) *string {
	s := value
	fs.Func(name, "", func(v string) error {
		if !slices.Contains(choices, v) {
			return fmt.Errorf("must be %s", orList(choices))
		}
		s = v
		return nil
	})
	return &s
}

// orList words choices as `"a", "b" or "c"`.
func orList(choices []string) string {
	quoted := make([]string, len(choices))
	for i, c := range choices {
		quoted[i] = strconv.Quote(c)
	}
	if len(quoted) < 2 {
		return strings.Join(quoted, "")
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
}

// boolValue is a boolean flag whose error says what it accepts.
type boolValue bool

func (b *boolValue) Set(v string) error {
	parsed, err := strconv.ParseBool(v)
	if err != nil {
		return errors.New("must be true or false")
	}
	*b = boolValue(parsed)
	return nil
}

func (b *boolValue) String() string { return strconv.FormatBool(bool(*b)) }

// IsBoolFlag lets the flag be given without a value, as --name.
func (b *boolValue) IsBoolFlag() bool { return true }

// boolFlag defines a boolean flag, false until set.
func boolFlag(fs *flag.FlagSet, name string) *bool {
	var b boolValue
	fs.Var(&b, name, "")
	return (*bool)(&b)
}
