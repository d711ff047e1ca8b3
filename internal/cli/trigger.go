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
	"os"
	"strings"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
)

const triggerUsage = `usage: monitehooks trigger [--api URL] [--token T] OBJECT_TYPE EVENT_TYPE
                           [--object-id ID] [--entity-id ID] [--object JSON|@FILE]
       monitehooks trigger --list [--catalog default|monite]

Emit an event through a running API, such as monitehooks serve, with
POST <api>/events, and print the event resource it answers as one line of
JSON on stdout. Every delivery of the event carries its "id". Flags may
stand before or after the two arguments.

On an error answer the API's message goes to stderr and the exit status
is 1; so it is when the API cannot be reached.

With --list, print instead the object types of a catalog and their event
types, one object type a line, such as "entity: created updated"; no API
is needed.

Flags:

` + apiFlagsUsage + `  --object-id ID   the object's ID (default: the API makes a UUID)
  --entity-id ID   the entity the object belongs to (default: none)
  --object JSON    the object's snapshot, a JSON object sent as the event's
                   "object" (default: none); @FILE reads it from FILE
  --list           print the catalog's object and event types, and exit
  --catalog NAME   the catalog --list prints: "default" (the seed's, which
                   serve uses unless told otherwise) or "monite" (Monite's
                   current list) (default "default")
`

// triggerBody is the request body of POST /events.
type triggerBody struct {
	ObjectType string          `json:"object_type"`
	EventType  string          `json:"event_type"`
	ObjectID   string          `json:"object_id,omitempty"`
	EntityID   string          `json:"entity_id,omitempty"`
	Object     json.RawMessage `json:"object,omitempty"`
}

func parseTrigger(cmd *command, args []string, getenv func(string) string) (runFunc, error) {
	fs := newFlagSet(cmd)
	api := addAPIFlags(fs, getenv)
	objectID := nonEmptyFlag(fs, "object-id", "ID")
	entityID := nonEmptyFlag(fs, "entity-id", "ID")
	object := objectFlag(fs, "object")
	list := boolFlag(fs, "list")
	catalog := catalogFlag(fs, "catalog")
	pos, err := parseFlags(cmd, fs, args)
	if err != nil {
		return nil, err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })

	if *list {
		if len(pos) > 0 {
			return nil, usageErrorf(cmd, "unexpected argument %q: --list takes no arguments", pos[0])
		}
		for _, name := range []string{"object-id", "entity-id", "object"} {
			if given[name] {
				return nil, usageErrorf(cmd, "--%s describes an event to emit and does not go with --list", name)
			}
		}
		return listCatalog(*catalog), nil
	}
	if given["catalog"] {
		return nil, usageErrorf(cmd, "--catalog goes with --list only: the API checks an event against its own catalog")
	}
	if len(pos) != 2 {
		return nil, usageErrorf(cmd, "want the arguments OBJECT_TYPE and EVENT_TYPE, got %d argument(s)", len(pos))
	}
	c, err := api.client(cmd)
	if err != nil {
		return nil, err
	}
	body := triggerBody{ObjectType: pos[0], EventType: pos[1], ObjectID: *objectID, EntityID: *entityID, Object: object.json}

	return func(ctx context.Context, stdout, stderr io.Writer) int {
		if ctx.Err() != nil {
			return failure(cmd, stderr, "interrupted")
		}
		if object.file != "" {
			b, err := readObject(object.file)
			if err != nil {
				fmt.Fprintln(stderr, usageErrorf(cmd, "invalid value %q for flag --object: %v", "@"+object.file, err))
				return exitUsage
			}
			body.Object = b
		}
		var answer json.RawMessage
		if err := c.expect(ctx, http.MethodPost, "/events", body, http.StatusCreated, &answer); err != nil {
			return failure(cmd, stderr, "%s", c.explain(err))
		}
		if err := writeJSONLine(stdout, answer); err != nil {
			return failure(cmd, stderr, "writing the event: %v", err)
		}
		return exitOK
	}, nil
}

// listCatalog returns a runFunc printing c's object types, sorted, each
// with its event types in catalog order.
func listCatalog(c *monitehooks.Catalog) runFunc {
	return func(_ context.Context, stdout, _ io.Writer) int {
		var b strings.Builder
		for _, ot := range c.ObjectTypes() {
			b.WriteString(string(ot) + ":")
			for _, et := range c.EventTypes(ot) {
				b.WriteString(" " + string(et))
			}
			b.WriteByte('\n')
		}
		io.WriteString(stdout, b.String())
		return exitOK
	}
}

// objectValue is the value of --object: a JSON object given inline, or
// the name of a file to read it from when the command runs.
type objectValue struct {
	json json.RawMessage // the inline object, checked
	file string          // the file after @, or ""
}

// errNotObject says what --object accepts.
var errNotObject = errors.New(`must be a JSON object, such as {"name":"Acme"}, or @FILE naming a file that holds one`)

// objectFlag defines a flag holding an objectValue.
func objectFlag(fs *flag.FlagSet, name string) *objectValue {
	o := &objectValue{}
	fs.Func(name, "", func(v string) error {
		if file, ok := strings.CutPrefix(v, "@"); ok {
			if file == "" {
				return errNotObject
			}
			*o = objectValue{file: file}
			return nil
		}
		if !isJSONObject([]byte(v)) {
			return errNotObject
		}
		*o = objectValue{json: json.RawMessage(v)}
		return nil
	})
	return o
}

// readObject reads the object of --object @file: a JSON object no larger
// than the API accepts.
func readObject(file string) (json.RawMessage, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, httpapi.MaxBodySize+1))
	switch {
	case err != nil:
		return nil, err
	case len(b) > httpapi.MaxBodySize:
		return nil, fmt.Errorf("%s is larger than %d bytes, the most the API accepts", file, httpapi.MaxBodySize)
	case !isJSONObject(b):
		return nil, fmt.Errorf("%s does not hold a JSON object", file)
	}
	return bytes.TrimSpace(b), nil
}

// isJSONObject reports whether b is valid JSON and an object.
func isJSONObject(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{' && json.Valid(b)
}
