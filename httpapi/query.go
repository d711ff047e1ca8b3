package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/monitehooks/monitehooks"
)

// listFilters names the filters a list takes besides the common ones.
type listFilters struct {
	eventType  bool                 // event_type
	deliveries bool                 // event_id, event_action and webhook_subscription_id
	catalog    *monitehooks.Catalog // reads event_action
}

// createdBounds are the created_at query parameters and the ListParams
// field each sets.
var createdBounds = []struct {
	name  string
	field func(*monitehooks.ListParams) *time.Time
}{
	{"created_at__gt", func(p *monitehooks.ListParams) *time.Time { return &p.CreatedGT }},
	{"created_at__gte", func(p *monitehooks.ListParams) *time.Time { return &p.CreatedGTE }},
	{"created_at__lt", func(p *monitehooks.ListParams) *time.Time { return &p.CreatedLT }},
	{"created_at__lte", func(p *monitehooks.ListParams) *time.Time { return &p.CreatedLTE }},
}

// parseList reads the list query of r. With a pagination_token it reads
// nothing else. It reports empty when the filters can match nothing (an
// event_id or webhook_subscription_id that is not a UUID, an event_action
// about another object type than object_type), so the caller answers an
// empty page without asking the store: an ID that is not a UUID names no
// object, as it answers 404 in a path.
func parseList(r *http.Request, f listFilters) (p monitehooks.ListParams, empty bool, err error) {
	q := r.URL.Query()
	if tok := q.Get("pagination_token"); tok != "" {
		return monitehooks.ListParams{Cursor: tok}, false, nil
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > monitehooks.MaxListLimit {
			return p, false, &apiError{
				status:  http.StatusRequestedRangeNotSatisfiable,
				message: fmt.Sprintf("limit must be an integer from 1 to %d", monitehooks.MaxListLimit),
			}
		}
		p.Limit = n
	}
	var details []detail
	bad := func(name, typ, msg string) {
		details = append(details, detail{Loc: []any{"query", name}, Msg: msg, Type: typ})
	}
	switch s := q.Get("sort"); s {
	case "", string(monitehooks.SortCreatedAt), string(monitehooks.SortUpdatedAt):
		p.Sort = monitehooks.SortField(s)
	default:
		bad("sort", typeEnum, `Input should be "created_at" or "updated_at"`)
	}
	switch s := q.Get("order"); s {
	case "", string(monitehooks.OrderAsc), string(monitehooks.OrderDesc):
		p.Order = monitehooks.SortOrder(s)
	default:
		bad("order", typeEnum, `Input should be "asc" or "desc"`)
	}
	p.ObjectType = monitehooks.ObjectType(q.Get("object_type"))
	for _, b := range createdBounds {
		s := q.Get(b.name)
		if s == "" {
			continue
		}
		t, ok := parseTime(s)
		if !ok {
			bad(b.name, typeDateTime, "Input should be an RFC 3339 date and time between years 1 and 9999")
			continue
		}
		*b.field(&p) = t
	}
	if len(details) > 0 {
		return p, false, invalid(details...)
	}
	if f.eventType {
		p.EventType = monitehooks.EventType(q.Get("event_type"))
	}
	if f.deliveries {
		if id := q.Get("event_id"); id != "" {
			u, err := uuid.Parse(id)
			if err != nil {
				return p, true, nil
			}
			p.EventID = u.String()
		}
		if id := q.Get("webhook_subscription_id"); id != "" {
			u, err := uuid.Parse(id)
			if err != nil {
				return p, true, nil
			}
			p.SubscriptionID = u.String()
		}
		if action := q.Get("event_action"); action != "" {
			ot, et := splitAction(f.catalog, action)
			if ot != "" {
				if p.ObjectType != "" && p.ObjectType != ot {
					return p, true, nil
				}
				p.ObjectType = ot
			}
			p.EventType = et
		}
	}
	return p, false, nil
}

// splitAction reads an event_action: "<object_type>.<event_type>" when it
// starts with an object type of the catalog, an event type otherwise (event
// types may hold dots themselves).
func splitAction(c *monitehooks.Catalog, action string) (monitehooks.ObjectType, monitehooks.EventType) {
	if ot, et, ok := strings.Cut(action, "."); ok && et != "" && c.HasObjectType(monitehooks.ObjectType(ot)) {
		return monitehooks.ObjectType(ot), monitehooks.EventType(et)
	}
	return "", monitehooks.EventType(action)
}

// parseTime reads an RFC 3339 time, in UTC. A "+" of the offset that the
// query decoding turned into a space is read as "+". Times whose UTC year
// is outside 1 to 9999 are refused: they cannot be written back in a
// pagination token.
func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil && strings.Contains(s, " ") {
		t, err = time.Parse(time.RFC3339Nano, strings.ReplaceAll(s, " ", "+"))
	}
	if err != nil {
		return time.Time{}, false
	}
	t = t.UTC()
	return t, t.Year() >= 1 && t.Year() <= 9999
}

// listBody is the shape of every list answer.
type listBody[T any] struct {
	Data []T     `json:"data"`
	Next *string `json:"next_pagination_token"`
	Prev *string `json:"prev_pagination_token"`
}

// newList converts a page of the store's items with conv.
func newList[S, T any](p monitehooks.Page[S], conv func(*S) T) listBody[T] {
	out := listBody[T]{Data: make([]T, 0, len(p.Data))}
	for i := range p.Data {
		out.Data = append(out.Data, conv(&p.Data[i]))
	}
	if p.Next != "" {
		out.Next = &p.Next
	}
	if p.Prev != "" {
		out.Prev = &p.Prev
	}
	return out
}

// emptyList is a page with nothing on it.
func emptyList[T any]() listBody[T] { return listBody[T]{Data: []T{}} }

// pathID returns the {id} of the request path in canonical form, and false
// when it is not a UUID.
func pathID(r *http.Request) (string, bool) {
	u, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return "", false
	}
	return u.String(), true
}

// formatTime writes a time as the API does: RFC 3339 in UTC.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
