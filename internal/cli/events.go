package cli

import (
	"context"
	"io"
)

const eventsUsage = `usage: monitehooks events [--api URL] [--token T] [--object-type T] [--event-type T]
                          [--limit N] [--order desc|asc] [--json]

List the events of a running API, such as monitehooks serve, with
GET <api>/events: the newest 20 unless told otherwise, as a table

	ID  CREATED  OBJECT TYPE  EVENT TYPE  OBJECT ID

with times in UTC, or with --json as JSON lines, each event resource as
the API answers it. An event's ID is the Webhook-Id of its deliveries;
monitehooks deliveries --event ID lists them.

Flags:

` + apiFlagsUsage + `  --object-type T  only the events of that object type, such as entity
  --event-type T   only the events of that event type, such as created
` + listFlagsUsage + `  --json           print JSON lines instead of a table
`

// eventColumns is the header of the events table.
var eventColumns = []string{"ID", "CREATED", "OBJECT TYPE", "EVENT TYPE", "OBJECT ID"}

// eventRow is what the events table shows of an event resource.
type eventRow struct {
	ID         string `json:"id"`
	CreatedAt  string `json:"created_at"`
	ObjectType string `json:"object_type"`
	EventType  string `json:"event_type"`
	ObjectID   string `json:"object_id"`
}

func (e *eventRow) cells() []string {
	return []string{cell(e.ID), timeCell(e.CreatedAt), cell(e.ObjectType), cell(e.EventType), cell(e.ObjectID)}
}

func parseEvents(cmd *command, args []string, getenv func(string) string) (runFunc, error) {
	fs := newFlagSet(cmd)
	api := addAPIFlags(fs, getenv)
	objectType := nonEmptyFlag(fs, "object-type", "object type")
	eventType := nonEmptyFlag(fs, "event-type", "event type")
	list := addListFlags(fs)
	asJSON := boolFlag(fs, "json")
	pos, err := parseFlags(cmd, fs, args)
	if err != nil {
		return nil, err
	}
	if err := noArguments(cmd, pos); err != nil {
		return nil, err
	}
	c, err := api.client(cmd)
	if err != nil {
		return nil, err
	}
	q := list.query()
	if *objectType != "" {
		q.Set("object_type", *objectType)
	}
	if *eventType != "" {
		q.Set("event_type", *eventType)
	}

	return func(ctx context.Context, stdout, stderr io.Writer) int {
		if ctx.Err() != nil {
			return failure(cmd, stderr, "interrupted")
		}
		items, err := c.list(ctx, "/events", q)
		if err != nil {
			return failure(cmd, stderr, "%s", c.explain(err))
		}
		if err := printRows(stdout, *asJSON, items, eventColumns, (*eventRow).cells); err != nil {
			return failure(cmd, stderr, "%v", err)
		}
		return exitOK
	}, nil
}
