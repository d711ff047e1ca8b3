package monitehooks

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// List limits.
const (
	// DefaultListLimit is the page size when ListParams.Limit is 0.
	DefaultListLimit = 100
	// MaxListLimit is the largest page size.
	MaxListLimit = 100
)

// SortField names what a list is sorted by.
type SortField string

// Sort fields.
const (
	SortCreatedAt SortField = "created_at"
	SortUpdatedAt SortField = "updated_at"
)

// SortOrder is ascending or descending.
type SortOrder string

// Sort orders.
const (
	OrderAsc  SortOrder = "asc"
	OrderDesc SortOrder = "desc"
)

// ListParams select one page of a list. The zero value asks for the first
// page of up to DefaultListLimit items, oldest first.
type ListParams struct {
	// Limit is the page size, 1 to MaxListLimit. Defaults to
	// DefaultListLimit.
	Limit int `json:"limit,omitempty"`
	// Cursor is a Page's Next or Prev token. When it is set, every other
	// field is ignored: the token carries the query it belongs to.
	Cursor string `json:"-"`
	// Sort defaults to SortCreatedAt.
	Sort SortField `json:"sort,omitempty"`
	// Order defaults to OrderAsc.
	Order SortOrder `json:"order,omitempty"`
	// ObjectType keeps only items of that object type when set.
	ObjectType ObjectType `json:"object_type,omitempty"`
	// EventType keeps only events and deliveries of that event type when
	// set.
	EventType EventType `json:"event_type,omitempty"`
	// CreatedGT, CreatedGTE, CreatedLT and CreatedLTE bound the creation
	// time (strictly after, at or after, strictly before, at or before);
	// the zero time sets no bound.
	CreatedGT  time.Time `json:"created_gt,omitzero"`
	CreatedGTE time.Time `json:"created_gte,omitzero"`
	CreatedLT  time.Time `json:"created_lt,omitzero"`
	CreatedLTE time.Time `json:"created_lte,omitzero"`
	// EventID keeps only deliveries of that event when set.
	EventID string `json:"event_id,omitempty"`
	// SubscriptionID keeps only deliveries to that subscription when set.
	SubscriptionID string `json:"subscription_id,omitempty"`
	// Status keeps only deliveries in that state when set.
	Status DeliveryStatus `json:"status,omitempty"`
}

// Validate checks the fields (not the cursor) and returns a
// *ValidationError naming each bad one.
func (p *ListParams) Validate() error {
	v := validator{what: "list parameters"}
	if p.Limit < 0 || p.Limit > MaxListLimit {
		v.add("limit", KindInvalid, fmt.Sprintf("must be between 1 and %d", MaxListLimit))
	}
	if p.Sort != "" && !slices.Contains([]SortField{SortCreatedAt, SortUpdatedAt}, p.Sort) {
		v.add("sort", KindEnum, fmt.Sprintf("must be %q or %q", SortCreatedAt, SortUpdatedAt))
	}
	if p.Order != "" && p.Order != OrderAsc && p.Order != OrderDesc {
		v.add("order", KindEnum, fmt.Sprintf("must be %q or %q", OrderAsc, OrderDesc))
	}
	if p.Status != "" && !p.Status.Valid() {
		v.add("status", KindEnum, "must be pending, succeeded or failed")
	}
	for _, b := range [...]struct {
		name string
		t    time.Time
	}{{"created_at__gt", p.CreatedGT}, {"created_at__gte", p.CreatedGTE}, {"created_at__lt", p.CreatedLT}, {"created_at__lte", p.CreatedLTE}} {
		if b.t.IsZero() {
			continue
		}
		if _, err := b.t.MarshalText(); err != nil {
			v.add(b.name, KindInvalid, "must be a time RFC 3339 can write: a year from 0 to 9999, an offset under 24 hours")
		}
	}
	return v.err()
}

// Normalized returns p with defaults filled in and Cursor cleared.
func (p ListParams) Normalized() ListParams {
	if p.Limit == 0 {
		p.Limit = DefaultListLimit
	}
	if p.Sort == "" {
		p.Sort = SortCreatedAt
	}
	if p.Order == "" {
		p.Order = OrderAsc
	}
	p.Cursor = ""
	return p
}

// InCreatedRange reports whether t satisfies the Created bounds.
func (p *ListParams) InCreatedRange(t time.Time) bool {
	return (p.CreatedGT.IsZero() || t.After(p.CreatedGT)) &&
		(p.CreatedGTE.IsZero() || !t.Before(p.CreatedGTE)) &&
		(p.CreatedLT.IsZero() || t.Before(p.CreatedLT)) &&
		(p.CreatedLTE.IsZero() || !t.After(p.CreatedLTE))
}

// Page is one page of a list.
type Page[T any] struct {
	// Data holds the items in list order.
	Data []T
	// Next is the token of the following page, "" on the last page.
	Next string
	// Prev is the token of the page before, "" on the first page.
	Prev string
}

// Cursor is the position a pagination token stands for. Stores make tokens
// with [EncodeCursor] and read them with [DecodeCursor], so every store's
// tokens behave alike; callers treat tokens as opaque strings.
type Cursor struct {
	// Params is the query the token continues, normalized.
	Params ListParams
	// Key is the sort key of the item at the page boundary. A token keeps
	// it as an instant: it decodes in UTC.
	Key time.Time
	// ID is that item's ID. Items with equal keys are ordered by when the
	// store created them, which the ID does not show: the store finds the
	// item's place in that order from the ID (memstore reads it back with
	// its key, so it needs no record, and refuses an ID it did not make).
	ID string
	// Before is true for a Prev token: the page holds the items just
	// before the boundary item in list order. A Next token's page holds the
	// items just after it.
	Before bool
}

// cursorToken is a Cursor as a token holds it, in JSON. The key is kept as
// seconds and nanoseconds since 1970, which every time has: JSON's form of
// a time stops at year 9999, and a store's key may be past it in UTC.
type cursorToken struct {
	Params ListParams `json:"p"`
	Sec    *int64     `json:"s"` // a pointer, so that a token without it is refused
	Nsec   int64      `json:"n,omitempty"`
	ID     string     `json:"i"`
	Before bool       `json:"b,omitempty"`
}

// EncodeCursor returns the opaque token for c. Its Params must be valid
// (see [ListParams.Validate]).
func EncodeCursor(c Cursor) string {
	sec := c.Key.Unix()
	b, err := json.Marshal(cursorToken{
		Params: c.Params.Normalized(),
		Sec:    &sec,
		Nsec:   int64(c.Key.Nanosecond()),
		ID:     c.ID,
		Before: c.Before,
	})
	if err != nil {
		// Only a Created bound that Validate refuses can fail to encode.
		panic("monitehooks: encoding cursor: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a token made by EncodeCursor. Anything else answers an
// error wrapping ErrInvalidCursor.
func DecodeCursor(token string) (Cursor, error) {
	var t cursorToken
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) == 0 {
		return Cursor{}, ErrInvalidCursor
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return Cursor{}, ErrInvalidCursor
	}
	if t.ID == "" || t.Sec == nil || t.Nsec < 0 || t.Nsec >= 1e9 || t.Params.Validate() != nil || t.Params.Limit == 0 {
		return Cursor{}, ErrInvalidCursor
	}
	return Cursor{
		Params: t.Params.Normalized(),
		Key:    time.Unix(*t.Sec, t.Nsec).UTC(),
		ID:     t.ID,
		Before: t.Before,
	}, nil
}
