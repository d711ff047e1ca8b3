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

func runTrigger(ctx context.Context, cmd *command, args []string, stdout, stderr io.Writer) int {
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
	pos, code, ok := parseCommandLine(cmd, fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 2 {
		return usageError(cmd, stderr, "want the arguments OBJECT_TYPE and EVENT_TYPE, got %d argument(s)", len(pos))
	}

	body := map[string]string{"object_type": pos[0], "event_type": pos[1]}
	if *objectID != "" {
		body["object_id"] = *objectID
	}
	if *entityID != "" {
		body["entity_id"] = *entityID
	}
	ctx, cancel := context.WithTimeout(ctx, triggerTimeout)
	defer cancel()
	c := &apiClient{base: *api, token: token, http: &http.Client{}}
	status, answer, err := c.call(ctx, http.MethodPost, "/events", body)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return failure(cmd, stderr, "cannot connect to the API at %s: connection refused (is monitehooks serve running there?)", *api)
	case errors.Is(err, context.DeadlineExceeded):
		return failure(cmd, stderr, "no answer from the API at %s within %v", *api, triggerTimeout)
	case errors.Is(err, context.Canceled):
		return failure(cmd, stderr, "interrupted")
	case err != nil:
		return failure(cmd, stderr, "cannot reach the API at %s: %v", *api, err)
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
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("must be an http:// or https:// URL such as %s", value)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return errors.New("must have no query or fragment")
		}
		s = strings.TrimRight(v, "/")
		return nil
	})
	return &s
}
