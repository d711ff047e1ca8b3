package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

const triggerUsage = `usage: monitehooks trigger [--api URL] [--token T] OBJECT_TYPE EVENT_TYPE
                           [--object-id ID] [--entity-id ID]

Emit an event through a running API, such as monitehooks serve, with
POST <api>/events, and print the event resource it answers as one line of
JSON on stdout. Every delivery of the event carries its "id". Flags may
stand before or after the two arguments.

On an error answer the API's message goes to stderr and the exit status
is 1; so it is when the API cannot be reached.

Flags:

  --api URL        the API's base URL (default http://127.0.0.1:8080/v1)
  --token T        bearer token (default dev-token, which serve accepts
                   when started without --token)
  --object-id ID   the object's ID (default: the API makes a UUID)
  --entity-id ID   the entity the object belongs to (default: none)
`

// triggerTimeout bounds the whole request.
const triggerTimeout = 30 * time.Second

func parseTrigger(cmd *command, args []string, _ func(string) string) (runFunc, error) {
	fs := newFlagSet(cmd)
	api := urlFlag(fs, "api", "http://127.0.0.1:8080/v1")
	token := devToken
	fs.Func("token", "", func(v string) error {
		if err := checkSecretLike(v, nil); err != nil {
			return err
		}
		token = v
		return nil
	})
	objectID := fs.String("object-id", "", "")
	entityID := fs.String("entity-id", "", "")
	pos, err := parseFlags(cmd, fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != 2 {
		return nil, usageErrorf(cmd, "want the arguments OBJECT_TYPE and EVENT_TYPE, got %d argument(s)", len(pos))
	}
	body := map[string]string{"object_type": pos[0], "event_type": pos[1]}
	if *objectID != "" {
		body["object_id"] = *objectID
	}
	if *entityID != "" {
		body["entity_id"] = *entityID
	}
	c := &apiClient{base: *api, token: token, http: &http.Client{}}
	return func(ctx context.Context, stdout, stderr io.Writer) int {
		return runTrigger(ctx, cmd, c, body, stdout, stderr)
	}, nil
}

func runTrigger(ctx context.Context, cmd *command, c *apiClient, body map[string]string, stdout, stderr io.Writer) int {
	if ctx.Err() != nil {
		return failure(cmd, stderr, "interrupted")
	}
	ctx, cancel := context.WithTimeout(ctx, triggerTimeout)
	defer cancel()
	status, answer, err := c.call(ctx, http.MethodPost, "/events", body)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return failure(cmd, stderr, "cannot connect to the API at %s: connection refused (is monitehooks serve running there?)", c.base)
	case errors.Is(err, context.DeadlineExceeded):
		return failure(cmd, stderr, "no answer from the API at %s within %v", c.base, triggerTimeout)
	case errors.Is(err, context.Canceled):
		return failure(cmd, stderr, "interrupted")
	case err != nil:
		return failure(cmd, stderr, "cannot reach the API at %s: %v", c.base, err)
	case status != http.StatusCreated:
		return failure(cmd, stderr, "%s", answerMessage(status, answer))
	}
	var out bytes.Buffer
	if err := json.Compact(&out, answer); err != nil {
		return failure(cmd, stderr, "the API answered %d with a body that is not JSON: %q", status, answer)
	}
	out.WriteByte('\n')
	stdout.Write(out.Bytes())
	return exitOK
}

// urlFlag defines a flag holding an absolute http or https URL, kept
// without a trailing slash.
func urlFlag(fs *flag.FlagSet, name, value string) *string {
	s := value
	fs.Func(name, "", func(v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("must be an http:// or https:// URL without query, such as %s", value)
		}
		s = strings.TrimRight(v, "/")
		return nil
	})
	return &s
}
