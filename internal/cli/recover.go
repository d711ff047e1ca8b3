package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"
)

const recoverUsage = `usage: monitehooks recover [--api URL] [--token T] [--json] SUBSCRIPTION_ID --since TIME

Make every delivery to a subscription that failed for good and was
created at or after TIME pending again, due now, with
POST <api>/webhook_subscriptions/SUBSCRIPTION_ID/recover on a running
API, such as monitehooks serve, and print how many, as "requeued N" (or
with --json as the API's answer, {"requeued":N}). They are sent again
with the same Webhook-Id as before, the event's ID. It works for a
subscription made through /webhook_settings too.

An unknown SUBSCRIPTION_ID is an error, exit status 1.

Flags:

` + apiFlagsUsage + `  --since TIME     required: an RFC 3339 time, such as 2026-01-02T15:04:05Z
                   or 2026-01-02T17:04:05+02:00, or a duration meaning
                   that long ago, such as 24h or 90m (units h, m, s; no
                   days: 72h is three days)
  --json           print the answer as a JSON line instead
`

// recoverBody is the request body of POST /webhook_subscriptions/{id}/recover.
type recoverBody struct {
	Since string `json:"since"`
}

func parseRecover(cmd *command, args []string, getenv func(string) string) (runFunc, error) {
	fs := newFlagSet(cmd)
	api := addAPIFlags(fs, getenv)
	since := sinceFlag(fs, "since")
	asJSON := boolFlag(fs, "json")
	pos, err := parseFlags(cmd, fs, args)
	if err != nil {
		return nil, err
	}
	id, err := idArgument(cmd, pos, "SUBSCRIPTION_ID")
	if err != nil {
		return nil, err
	}
	if !since.set() {
		return nil, usageErrorf(cmd, "--since is required: an RFC 3339 time, or a duration meaning that long ago, such as 24h")
	}
	c, err := api.client(cmd)
	if err != nil {
		return nil, err
	}

	return func(ctx context.Context, stdout, stderr io.Writer) int {
		if ctx.Err() != nil {
			return failure(cmd, stderr, "interrupted")
		}
		body := recoverBody{Since: since.at(time.Now()).Format(time.RFC3339Nano)}
		var answer json.RawMessage
		path := "/webhook_subscriptions/" + pathSegment(id) + "/recover"
		if err := c.expect(ctx, http.MethodPost, path, body, http.StatusOK, &answer); err != nil {
			return failure(cmd, stderr, "%s", c.explainNotFound(err, "subscription", id))
		}
		var n struct {
			Requeued *int `json:"requeued"`
		}
		if err := json.Unmarshal(answer, &n); err != nil || n.Requeued == nil {
			return failure(cmd, stderr, "the API's answer has no \"requeued\" count: %s", truncate(cell(string(answer)), 200))
		}
		if *asJSON {
			if err := writeJSONLine(stdout, answer); err != nil {
				return failure(cmd, stderr, "writing the output: %v", err)
			}
			return exitOK
		}
		if _, err := fmt.Fprintf(stdout, "requeued %d\n", *n.Requeued); err != nil {
			return failure(cmd, stderr, "writing the output: %v", err)
		}
		return exitOK
	}, nil
}

// sinceValue is the value of --since: a time, or a duration before the
// time the command runs.
type sinceValue struct {
	given bool
	t     time.Time     // the time given, or zero
	ago   time.Duration // the duration given, or zero
}

// set reports whether the flag was given.
func (s *sinceValue) set() bool { return s.given }

// at returns the time the flag names, in UTC, now being the time the
// command runs.
func (s *sinceValue) at(now time.Time) time.Time {
	if s.ago > 0 {
		return now.Add(-s.ago).UTC()
	}
	return s.t.UTC()
}

// errBadSince says what --since accepts.
var errBadSince = errors.New("must be an RFC 3339 time, such as 2026-01-02T15:04:05Z, or a positive duration meaning that long ago, such as 24h or 90m")

// sinceFlag defines a flag holding a sinceValue.
func sinceFlag(fs *flag.FlagSet, name string) *sinceValue {
	s := &sinceValue{}
	fs.Func(name, "", func(v string) error {
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			*s = sinceValue{given: true, t: t}
			return nil
		}
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			*s = sinceValue{given: true, ago: d}
			return nil
		}
		return errBadSince
	})
	return s
}
