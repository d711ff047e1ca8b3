package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/monitehooks/monitehooks/sqlstore"
)

// serve's --store names where subscriptions, events and deliveries are
// kept: "memory", or a URL that package sqlstore opens.

// envStore is the environment variable that gives --store its default.
const envStore = "MONITEHOOKS_STORE"

// storeMemory is the value of --store for the in-memory store, the
// default.
const storeMemory = "memory"

// storeOpenTimeout bounds opening a database, migrations included: a
// server that does not answer stops serve with an error rather than
// leaving it waiting on the network.
const storeOpenTimeout = 30 * time.Second

// errStoreValue says what --store and MONITEHOOKS_STORE accept.
var errStoreValue = errors.New(`must be "memory", sqlite:PATH or a postgres:// (postgresql://) URL`)

// storeFlag is the value of --store as given; it is checked once the
// flags are parsed, by value, not by the flag package, whose error would
// quote a URL password and all.
type storeFlag struct {
	value string
	given bool
}

// addStoreFlag defines --store on fs.
func addStoreFlag(fs *flag.FlagSet) *storeFlag {
	s := &storeFlag{}
	fs.Func("store", "", func(v string) error {
		s.value, s.given = v, true
		return nil
	})
	return s
}

// resolve returns the store to open: the flag's, else MONITEHOOKS_STORE's
// when set and not empty, else memory. A bad value is a *usageError
// naming the flag or the variable, with any password left out.
func (s *storeFlag) resolve(cmd *command, getenv func(string) string) (string, error) {
	v, from := s.value, "flag --store"
	if !s.given {
		v, from = getenv(envStore), envStore
		if v == "" {
			return storeMemory, nil
		}
	}
	if err := checkStore(v); err != nil {
		return "", usageErrorf(cmd, "invalid value %q for %s: %v", redactStore(v), from, err)
	}
	return v, nil
}

// checkStore checks a value of --store without opening anything.
func checkStore(v string) error {
	switch {
	case v == storeMemory:
		return nil
	case strings.HasPrefix(v, "sqlite:"):
		// As sqlstore.Open reads it: a path, which may not hold a query.
		if path := strings.TrimPrefix(v, "sqlite:"); path == "" || strings.ContainsAny(path, "?#") {
			return fmt.Errorf("%w; an SQLite path may not be empty nor hold ? or #", errStoreValue)
		}
		return nil
	case isPostgres(v):
		if _, err := url.Parse(v); err != nil {
			// A *url.Error quotes the whole URL, its inner error only a
			// part, such as the port.
			var uerr *url.Error
			if errors.As(err, &uerr) {
				err = uerr.Err
			}
			return fmt.Errorf("%w; this one is not a URL: %v", errStoreValue, err)
		}
		return nil
	}
	return errStoreValue
}

// isPostgres reports whether a value of --store is a PostgreSQL URL.
func isPostgres(v string) bool {
	return strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://")
}

// isPasswordParam reports whether a query parameter of a PostgreSQL URL
// holds a password, as password= and sslpassword= do.
func isPasswordParam(name string) bool { return strings.Contains(strings.ToLower(name), "password") }

// redactStore returns a value of --store fit to print: a URL's passwords,
// in its user information or its query, are replaced with xxxxx, and a
// postgres value that is not a URL keeps its scheme only.
func redactStore(v string) string {
	if !isPostgres(v) {
		return v
	}
	u, err := url.Parse(v)
	if err != nil {
		scheme, _, _ := strings.Cut(v, "://")
		return scheme + "://…"
	}
	q := u.Query()
	for name := range q {
		if isPasswordParam(name) {
			q.Set(name, "xxxxx")
			u.RawQuery = q.Encode()
		}
	}
	return u.Redacted()
}

// storeError words the failure to open store in one line, naming the
// store without its passwords, which are also scrubbed from what the
// driver said (pgx leaves them out on a best-effort basis).
func storeError(store string, err error) string {
	msg := joinLines(err.Error())
	if u, perr := url.Parse(store); perr == nil && isPostgres(store) {
		var secrets []string
		if p, ok := u.User.Password(); ok {
			secrets = append(secrets, p)
		}
		for name, vs := range u.Query() {
			if isPasswordParam(name) {
				secrets = append(secrets, vs...)
			}
		}
		for _, p := range secrets {
			if p != "" {
				msg = strings.ReplaceAll(msg, p, "xxxxx")
			}
		}
	}
	return fmt.Sprintf("store %s: %s", redactStore(store), msg)
}

// joinLines puts a message of several lines, such as pgx's for a
// connection tried at several addresses or in several modes, each line
// indented, on one line: "; " between lines, or " " after a line ending
// in a colon.
func joinLines(msg string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(msg, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if b.Len() > 0 {
			if strings.HasSuffix(b.String(), ":") {
				b.WriteString(" ")
			} else {
				b.WriteString("; ")
			}
		}
		b.WriteString(line)
	}
	return oneLine.Replace(b.String()) // a lone \r
}

// openStore opens the database a checked --store names, applying its
// migrations, with wake-ups across processes (sqlstore's default)
// and migrations logged to log. For memory it returns nil: the stack
// makes a memstore. ctx and storeOpenTimeout bound the opening.
func openStore(ctx context.Context, store string, log *slog.Logger) (*sqlstore.Store, error) {
	if store == storeMemory {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, storeOpenTimeout)
	defer cancel()
	return sqlstore.Open(ctx, store, &sqlstore.Config{Logger: log})
}
