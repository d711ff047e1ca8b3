package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

const deliveriesUsage = `usage: monitehooks deliveries [--api URL] [--token T] [--event ID] [--subscription ID]
                              [--limit N] [--order desc|asc] [--json]

List the delivery log of a running API, such as monitehooks serve, with
GET <api>/webhook_deliveries: the newest 20 deliveries unless told
otherwise, as a table

	ID  STATUS  ATTEMPTS  LAST CODE  NEXT ATTEMPT  URL  LAST ERROR

or with --json as JSON lines, each delivery row as the API answers it.
STATUS is pending, succeeded or failed (for good); ATTEMPTS counts the
requests made; LAST CODE is the status the last one got; NEXT ATTEMPT is
when a pending delivery is due, in UTC; LAST ERROR says why the last
attempt got no answer: its class, such as connection, timeout or tls,
and the end of its message, where the cause is, in 72 characters at
most (--json has it whole). A value that is not there is "-".
monitehooks redeliver ID sends one again.

Flags:

` + apiFlagsUsage + `  --event ID       only the deliveries of that event
  --subscription ID
                   only the deliveries to that subscription
` + listFlagsUsage + `  --json           print JSON lines instead of a table
`

const redeliverUsage = `usage: monitehooks redeliver [--api URL] [--token T] [--json] DELIVERY_ID

Make a delivery pending again, due now, with
POST <api>/webhook_deliveries/DELIVERY_ID/redeliver on a running API,
such as monitehooks serve, and print its row as monitehooks deliveries
does (or with --json as one JSON line). Whether it failed for good,
succeeded or is pending, it is sent again with the same Webhook-Id, the
event's ID, and keeps its attempts; a pending one is left as it is. Run
monitehooks deliveries afterwards to see how it went.

An unknown DELIVERY_ID is an error, exit status 1.

Flags:

` + apiFlagsUsage + `  --json           print the row as a JSON line instead of a table
`

// deliveryColumns is the header of the deliveries table.
var deliveryColumns = []string{"ID", "STATUS", "ATTEMPTS", "LAST CODE", "NEXT ATTEMPT", "URL", "LAST ERROR"}

// maxErrorCell is the longest LAST ERROR shown, in characters.
const maxErrorCell = 72

// deliveryRow is what the deliveries table shows of a delivery row.
type deliveryRow struct {
	ID                 string  `json:"id"`
	Status             string  `json:"status"`
	RequestsMadeCount  int     `json:"requests_made_count"`
	ResponseStatusCode *int    `json:"response_status_code"`
	NextAttemptAt      *string `json:"next_attempt_at"`
	URL                *string `json:"url"`
	LastError          *string `json:"last_error"`
}

func (d *deliveryRow) cells() []string {
	code, next := "-", "-"
	if d.ResponseStatusCode != nil {
		code = strconv.Itoa(*d.ResponseStatusCode)
	}
	if d.NextAttemptAt != nil {
		next = timeCell(*d.NextAttemptAt)
	}
	return []string{
		cell(d.ID), cell(d.Status), strconv.Itoa(d.RequestsMadeCount), code, next,
		cellPtr(d.URL), errorCell(d.LastError, maxErrorCell),
	}
}

func parseDeliveries(cmd *command, args []string, getenv func(string) string) (runFunc, error) {
	fs := newFlagSet(cmd)
	api := addAPIFlags(fs, getenv)
	event := idFlag(fs, "event")
	subscription := idFlag(fs, "subscription")
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
	if *event != "" {
		q.Set("event_id", *event)
	}
	if *subscription != "" {
		q.Set("webhook_subscription_id", *subscription)
	}

	return func(ctx context.Context, stdout, stderr io.Writer) int {
		if ctx.Err() != nil {
			return failure(cmd, stderr, "interrupted")
		}
		items, err := c.list(ctx, "/webhook_deliveries", q)
		if err != nil {
			return failure(cmd, stderr, "%s", c.explain(err))
		}
		if err := printRows(stdout, *asJSON, items, deliveryColumns, (*deliveryRow).cells); err != nil {
			return failure(cmd, stderr, "%v", err)
		}
		return exitOK
	}, nil
}

func parseRedeliver(cmd *command, args []string, getenv func(string) string) (runFunc, error) {
	fs := newFlagSet(cmd)
	api := addAPIFlags(fs, getenv)
	asJSON := boolFlag(fs, "json")
	pos, err := parseFlags(cmd, fs, args)
	if err != nil {
		return nil, err
	}
	id, err := idArgument(cmd, pos, "DELIVERY_ID")
	if err != nil {
		return nil, err
	}
	c, err := api.client(cmd)
	if err != nil {
		return nil, err
	}

	return func(ctx context.Context, stdout, stderr io.Writer) int {
		if ctx.Err() != nil {
			return failure(cmd, stderr, "interrupted")
		}
		var row json.RawMessage
		path := "/webhook_deliveries/" + pathSegment(id) + "/redeliver"
		if err := c.expect(ctx, http.MethodPost, path, nil, http.StatusOK, &row); err != nil {
			return failure(cmd, stderr, "%s", c.explainNotFound(err, "delivery", id))
		}
		if err := printRows(stdout, *asJSON, []json.RawMessage{row}, deliveryColumns, (*deliveryRow).cells); err != nil {
			return failure(cmd, stderr, "%v", err)
		}
		return exitOK
	}, nil
}
