package monitehooks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// SettingsPayload is the body of a delivery in the settings format
// ([FormatSettings]). The JSON names and their order are those of the wire
// contract (docs/webhooks.md, "Settings format").
type SettingsPayload struct {
	// ID is the event's ID, equal to the Webhook-Id header.
	ID string `json:"id"`
	// ObjectID identifies the object the event is about.
	ObjectID string `json:"object_id"`
	// ObjectType is the object's type, such as "entity".
	ObjectType ObjectType `json:"object_type"`
	// Action is a verb (create, update, delete) for the event types of
	// [DefaultCatalog], and the event type for every other one: see
	// [SettingsAction] and [Payload.EventType].
	Action string `json:"action"`
	// Name is the subscription's name, or "<object_type> <event_type>" for
	// a subscription without one.
	Name string `json:"name"`
	// EntityID is the Monite entity the object belongs to. The member is
	// left out when the event has none: "" then.
	EntityID string `json:"entity_id,omitempty"`
	// WebhookSubscriptionID is the ID of the subscription the delivery is
	// for.
	WebhookSubscriptionID string `json:"webhook_subscription_id"`
	// CreatedAt is when the event happened.
	CreatedAt time.Time `json:"created_at"`
}

// SubscriptionsPayload is the body of a delivery in the subscriptions
// format ([FormatSubscriptions]). The JSON names and their order are those
// of the wire contract (docs/webhooks.md, "Subscriptions format").
type SubscriptionsPayload struct {
	// ID is the event's ID, equal to the Webhook-Id header.
	ID string `json:"id"`
	// CreatedAt is when the event happened.
	CreatedAt time.Time `json:"created_at"`
	// Action is "<object_type>.<event_type>", such as "entity.updated".
	Action string `json:"action"`
	// APIVersion is the subscription's API version, a date such as
	// "2024-05-25".
	APIVersion string `json:"api_version"`
	// Description is "<object_type>_<event_type>", such as
	// "entity_updated".
	Description string `json:"description"`
	// EntityID is the Monite entity the object belongs to. The member is
	// always sent, null when the event has none: nil then.
	EntityID *string `json:"entity_id"`
	// Object is the object: the event's snapshot, its bytes as sent, with
	// the object's ID as "id". See [Payload.ObjectID].
	Object json.RawMessage `json:"object"`
	// ObjectType is the object's type, such as "entity".
	ObjectType ObjectType `json:"object_type"`
	// WebhookSubscriptionID is the ID of the subscription the delivery is
	// for.
	WebhookSubscriptionID string `json:"webhook_subscription_id"`
}

// Payload is the decoded body of one delivery, in either format. Format
// says which; the field of that format is set and the other is nil. The
// methods read the values both formats carry, whichever it is; on the zero
// Payload they return zero values.
type Payload struct {
	// Format is the payload's format.
	Format APIFormat
	// Settings is the payload when Format is FormatSettings, else nil.
	Settings *SettingsPayload
	// Subscriptions is the payload when Format is FormatSubscriptions,
	// else nil.
	Subscriptions *SubscriptionsPayload
}

// ID returns the event's ID, equal to the Webhook-Id header: the key to
// drop repeated deliveries with.
func (p Payload) ID() string {
	switch {
	case p.Settings != nil:
		return p.Settings.ID
	case p.Subscriptions != nil:
		return p.Subscriptions.ID
	}
	return ""
}

// ObjectType returns the type of the object the event is about.
func (p Payload) ObjectType() ObjectType {
	switch {
	case p.Settings != nil:
		return p.Settings.ObjectType
	case p.Subscriptions != nil:
		return p.Subscriptions.ObjectType
	}
	return ""
}

// ObjectID returns the ID of the object the event is about: object_id in
// the settings format, the "id" member of object in the subscriptions
// format ("" when object has no "id" string).
func (p Payload) ObjectID() string {
	switch {
	case p.Settings != nil:
		return p.Settings.ObjectID
	case p.Subscriptions != nil:
		var obj map[string]json.RawMessage // exact keys: "ID" is not "id"
		var id string
		if json.Unmarshal(p.Subscriptions.Object, &obj) == nil && json.Unmarshal(obj["id"], &id) == nil {
			return id
		}
	}
	return ""
}

// EventType returns what happened to the object, such as "updated". In
// the subscriptions format it is the action without its "<object_type>."
// prefix ("" when the action does not start with it). In the settings
// format it is the action, with the verbs create, update and delete read
// back as the event types created, updated and deleted when [DefaultCatalog]
// has that event type for the object type: the inverse of [SettingsAction].
// That format cannot tell such an event type from one named by the verb
// itself for the same object type, as [MoniteCatalog]'s comment "create"
// and "update": EventType reads them as "created" and "updated".
func (p Payload) EventType() EventType {
	switch {
	case p.Settings != nil:
		s := p.Settings
		for et, verb := range seedActions {
			if s.Action == verb && DefaultCatalog.Has(s.ObjectType, et) {
				return et
			}
		}
		return EventType(s.Action)
	case p.Subscriptions != nil:
		s := p.Subscriptions
		if et, ok := strings.CutPrefix(s.Action, string(s.ObjectType)+"."); ok {
			return EventType(et)
		}
	}
	return ""
}

// EntityID returns the Monite entity the object belongs to, or "" when the
// event has none.
func (p Payload) EntityID() string {
	switch {
	case p.Settings != nil:
		return p.Settings.EntityID
	case p.Subscriptions != nil && p.Subscriptions.EntityID != nil:
		return *p.Subscriptions.EntityID
	}
	return ""
}

// SubscriptionID returns the ID of the subscription the delivery is for,
// webhook_subscription_id.
func (p Payload) SubscriptionID() string {
	switch {
	case p.Settings != nil:
		return p.Settings.WebhookSubscriptionID
	case p.Subscriptions != nil:
		return p.Subscriptions.WebhookSubscriptionID
	}
	return ""
}

// CreatedAt returns when the event happened.
func (p Payload) CreatedAt() time.Time {
	switch {
	case p.Settings != nil:
		return p.Settings.CreatedAt
	case p.Subscriptions != nil:
		return p.Subscriptions.CreatedAt
	}
	return time.Time{}
}

// ParseParams configures [ParsePayload] and [ParseRequest]. Secrets,
// Tolerance and Now check the signature, as in [VerifyParams].
type ParseParams struct {
	// Secrets are the accepted secrets, each a whole "whsec_…" string;
	// during a rotation, every live one. Required.
	Secrets []string
	// Tolerance is how far the signature's timestamp may be from Now, in
	// either direction. Negative disables the check. Defaults to
	// [DefaultTolerance].
	Tolerance time.Duration
	// Now is the clock. Defaults to [time.Now].
	Now func() time.Time
	// Format is the format the body must be in. Defaults to detecting it
	// from the body: one with an "api_version" or an "object" member is in
	// FormatSubscriptions, any other in FormatSettings. A subscription's
	// format never changes, so a receiver that knows it may say so, and
	// then gets ErrInvalidPayload for a body of the other format.
	Format APIFormat
}

// ParsePayload verifies that header, the value of a [SignatureHeader], signs
// body, as [Verify] does with the secrets, tolerance and clock of p, then
// decodes body into a [Payload] of the format p names, or else of the
// format detected from body (see [ParseParams.Format]). It is the one call
// a receiver needs, like Stripe's webhook.ConstructEvent.
//
// A signature that does not verify gets the error of Verify, which
// errors.Is one of [ErrNoSignature], [ErrMalformedSignature],
// [ErrTimestampTooOld], [ErrTimestampTooNew] or [ErrNoValidSignature]; the
// body is then not decoded. A verified body that is not a payload gets an
// error wrapping [ErrInvalidPayload] (and the encoding/json or time error,
// if any). Misconfigured params (no secrets, an unknown Format) get an
// error wrapping none of these.
//
// Decoding is strict about the members the format always carries: each
// must be present, not null, and of its JSON type. It accepts members it
// does not know, since Monite may add some, and matches names exactly (an
// "ID" member is not "id"). body must be the raw request body, exactly as
// received. ParsePayload never panics, whatever its input.
func ParsePayload(header string, body []byte, p ParseParams) (Payload, error) {
	if p.Format != "" && !p.Format.Valid() {
		return Payload{}, fmt.Errorf("monitehooks: ParseParams.Format %q is not a payload format", p.Format)
	}
	if err := Verify(header, body, VerifyParams{Secrets: p.Secrets, Tolerance: p.Tolerance, Now: p.Now}); err != nil {
		return Payload{}, err
	}
	return decodePayload(body, p.Format)
}

// ParseRequest is [ParsePayload] of a delivery's request: it reads r.Body,
// at most [DefaultMaxBodyBytes] (the limit of [VerifyMiddleware]), and the
// [SignatureHeader] of r. A larger body gets an error wrapping both
// [ErrInvalidPayload] and an [*http.MaxBytesError], before the signature is
// checked; an error reading the body is returned wrapped, and wraps neither
// a signature error nor ErrInvalidPayload. ParseRequest consumes r.Body
// and does not close it.
func ParseRequest(r *http.Request, p ParseParams) (Payload, error) {
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, DefaultMaxBodyBytes+1))
		if err != nil {
			return Payload{}, fmt.Errorf("monitehooks: reading the request body: %w", err)
		}
		if len(body) > DefaultMaxBodyBytes {
			return Payload{}, fmt.Errorf("%w: %w", ErrInvalidPayload, &http.MaxBytesError{Limit: DefaultMaxBodyBytes})
		}
	}
	return ParsePayload(r.Header.Get(SignatureHeader), body, p)
}

// decodePayload decodes a verified body in the format f, or in the format
// detected from it when f is empty.
func decodePayload(body []byte, f APIFormat) (Payload, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return Payload{}, fmt.Errorf("%w: not a JSON object: %w", ErrInvalidPayload, err)
	}
	if m == nil { // the body is null
		return Payload{}, fmt.Errorf("%w: not a JSON object", ErrInvalidPayload)
	}
	if f == "" {
		f = FormatSettings
		_, version := m["api_version"]
		_, object := m["object"]
		if version || object {
			f = FormatSubscriptions
		}
	}
	d := members{m: m, format: f}
	if f == FormatSettings {
		s := new(SettingsPayload)
		d.decode("id", &s.ID, true)
		d.decode("object_id", &s.ObjectID, true)
		d.decode("object_type", &s.ObjectType, true)
		d.decode("action", &s.Action, true)
		d.decode("name", &s.Name, true)
		d.decode("entity_id", &s.EntityID, false)
		d.decode("webhook_subscription_id", &s.WebhookSubscriptionID, true)
		d.decode("created_at", &s.CreatedAt, true)
		if d.err != nil {
			return Payload{}, d.err
		}
		return Payload{Format: f, Settings: s}, nil
	}
	s := new(SubscriptionsPayload)
	d.decode("id", &s.ID, true)
	d.decode("created_at", &s.CreatedAt, true)
	d.decode("action", &s.Action, true)
	d.decode("api_version", &s.APIVersion, true)
	d.decode("description", &s.Description, true)
	d.decode("entity_id", &s.EntityID, false)
	d.decode("object", &s.Object, true)
	d.decode("object_type", &s.ObjectType, true)
	d.decode("webhook_subscription_id", &s.WebhookSubscriptionID, true)
	if d.err == nil && s.Object[0] != '{' { // present and not null, so not empty
		d.err = fmt.Errorf("%w: %s format: %q is not a JSON object", ErrInvalidPayload, f, "object")
	}
	if d.err != nil {
		return Payload{}, d.err
	}
	return Payload{Format: f, Subscriptions: s}, nil
}

// members decodes the members of a payload one by one, by their exact
// names (encoding/json would also match other cases), keeping the first
// error.
type members struct {
	m      map[string]json.RawMessage
	format APIFormat
	err    error
}

// decode decodes the member key into dst, which is left as it is when the
// member is absent or null; that is an error when the member is required.
func (d *members) decode(key string, dst any, required bool) {
	if d.err != nil {
		return
	}
	raw, ok := d.m[key]
	if !ok || bytes.Equal(raw, []byte("null")) {
		if required {
			d.err = fmt.Errorf("%w: %s format: %q is missing", ErrInvalidPayload, d.format, key)
		}
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		d.err = fmt.Errorf("%w: %s format: %q: %w", ErrInvalidPayload, d.format, key, err)
	}
}
