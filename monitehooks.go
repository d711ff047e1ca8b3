// Package monitehooks implements Monite's webhook system in process: an
// event catalog, a registry of partner subscriptions, an emitter that
// delivers each event as a signed JSON POST with retries and a delivery log,
// and the signing scheme that receivers verify.
//
// # Concepts
//
// An application emits an [Event] about an object (an entity, a role, a
// payment, …). Partners hold a [Subscription] per object type, optionally
// narrowed to some event types. For every enabled subscription that matches
// an event the [Emitter] stores one [Delivery] and sends it, signed with the
// subscription's secret (see [Sign] and [Verify]), retrying on failure and
// recording every [Attempt].
//
// The [Registry] validates subscriptions and keeps an in-memory index of
// enabled subscriptions, so matching an event never touches the [Store].
// The Store is the persistence contract; package memstore implements it in
// memory, and package storetest checks any implementation against it.
//
// # Payload formats
//
// A subscription receives payloads in the shape of the API it was made
// through: [FormatSettings] for /webhook_settings and [FormatSubscriptions]
// for /webhook_subscriptions. See DESIGN.md section 5 for the exact bodies.
//
// # Signatures
//
// Every delivery carries a [SignatureHeader] of the form
// "t=<unix seconds>,v1=<hex HMAC-SHA256>" over "<t>.<raw body>", the scheme
// Stripe uses, with one v1 value per live secret during a rotation. [Verify]
// checks a header; [VerifyMiddleware] protects a receiving handler in one
// line.
package monitehooks

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Version is the library version, sent in the User-Agent of every delivery
// as "monitehooks/<Version>".
const Version = "0.1.0"

// DefaultAPIVersion is the api_version of payloads in the subscriptions
// format when the subscription was made without an x-monite-version header.
const DefaultAPIVersion = "2024-05-25"

// ObjectType names a kind of object events are about, such as "entity".
type ObjectType string

// EventType names what happened to an object, such as "created".
type EventType string

// SubscriptionStatus says whether a subscription receives deliveries.
type SubscriptionStatus string

// Subscription statuses.
const (
	// StatusEnabled subscriptions receive deliveries.
	StatusEnabled SubscriptionStatus = "enabled"
	// StatusDisabled subscriptions receive nothing; events emitted while a
	// subscription is disabled are not queued for it.
	StatusDisabled SubscriptionStatus = "disabled"
)

var allSubscriptionStatuses = []SubscriptionStatus{StatusEnabled, StatusDisabled}

// Valid reports whether s is one of the documented statuses.
func (s SubscriptionStatus) Valid() bool { return slices.Contains(allSubscriptionStatuses, s) }

// APIFormat names the payload shape a subscription receives, fixed by the
// API generation it was created through.
type APIFormat string

// Payload formats.
const (
	// FormatSettings is the shape of subscriptions made through
	// /webhook_settings: a flat object with an "action" verb.
	FormatSettings APIFormat = "settings"
	// FormatSubscriptions is the shape of subscriptions made through
	// /webhook_subscriptions: "action" is "<object_type>.<event_type>" and
	// "object" carries the snapshot.
	FormatSubscriptions APIFormat = "subscriptions"
)

var allFormats = []APIFormat{FormatSettings, FormatSubscriptions}

// Valid reports whether f is one of the documented formats.
func (f APIFormat) Valid() bool { return slices.Contains(allFormats, f) }

// DeliveryStatus is the state of one delivery.
type DeliveryStatus string

// Delivery statuses.
const (
	// DeliveryPending deliveries are waiting for their next attempt (or are
	// being attempted now).
	DeliveryPending DeliveryStatus = "pending"
	// DeliverySucceeded deliveries got a 2xx answer.
	DeliverySucceeded DeliveryStatus = "succeeded"
	// DeliveryFailed deliveries have failed for good: the retry schedule is
	// exhausted, the endpoint answered 410 Gone, or the subscription was
	// disabled or deleted. They can be requeued by replay.
	DeliveryFailed DeliveryStatus = "failed"
)

var allDeliveryStatuses = []DeliveryStatus{DeliveryPending, DeliverySucceeded, DeliveryFailed}

// Valid reports whether s is one of the documented statuses.
func (s DeliveryStatus) Valid() bool { return slices.Contains(allDeliveryStatuses, s) }

// Event is something that happened to an object, as the application emits
// it. The store assigns ID when the event is stored.
type Event struct {
	// ID is assigned by the store. It is the "id" of every payload and the
	// Webhook-Id header of every delivery of the event.
	ID string
	// PartnerID is the partner whose subscriptions receive the event.
	// Required.
	PartnerID string
	// EntityID is the Monite entity the object belongs to. Optional.
	EntityID string
	// ObjectType is the kind of object. Required; must be in the catalog.
	ObjectType ObjectType
	// ObjectID identifies the object. Required.
	ObjectID string
	// Type is what happened. Required; must be in the catalog for
	// ObjectType.
	Type EventType
	// Object is an optional JSON object snapshot of the object, sent as
	// "object" in the subscriptions format. It must be a JSON object.
	Object []byte
	// CreatedAt is when the event happened. Zero means the emitter's clock
	// at Emit.
	CreatedAt time.Time
}

// Secret is one signing secret of a subscription.
type Secret struct {
	// Value is the whole secret, "whsec_" followed by base64 of 32 random
	// bytes. The whole string is the HMAC key.
	Value string
	// ExpiresAt is when a previous secret stops being used. The zero time
	// marks the current secret, which never expires.
	ExpiresAt time.Time
}

// Subscription is a partner's request to receive events of one object type
// at a URL.
type Subscription struct {
	// ID is assigned by the store.
	ID string
	// PartnerID owns the subscription; other partners cannot see it.
	PartnerID string
	// ObjectType is the kind of object the subscription is about.
	ObjectType ObjectType
	// EventTypes narrows the subscription; empty means every event type of
	// ObjectType.
	EventTypes []EventType
	// URL receives the deliveries.
	URL string
	// Name is shown in settings-format payloads; when empty they carry
	// "<object_type> <event_type>".
	Name string
	// Status says whether deliveries are made.
	Status SubscriptionStatus
	// APIFormat is the payload shape the subscription receives.
	APIFormat APIFormat
	// APIVersion is the api_version of subscriptions-format payloads.
	APIVersion string
	// Secrets holds the current secret first, then previous secrets that
	// are still live during a rotation overlap.
	Secrets []Secret
	// FailingSince is when the subscription's deliveries started failing
	// without a success since; zero while they succeed. It drives
	// auto-disable.
	FailingSince time.Time
	// CreatedAt and UpdatedAt are set by the registry.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CurrentSecret returns the current signing secret, or "" when there is
// none.
func (s *Subscription) CurrentSecret() string {
	for _, sec := range s.Secrets {
		if sec.ExpiresAt.IsZero() {
			return sec.Value
		}
	}
	return ""
}

// LiveSecrets appends to dst the values of the secrets that are live at now
// (the current one first) and returns the extended slice.
func (s *Subscription) LiveSecrets(dst []string, now time.Time) []string {
	for _, sec := range s.Secrets {
		if sec.ExpiresAt.IsZero() || now.Before(sec.ExpiresAt) {
			dst = append(dst, sec.Value)
		}
	}
	return dst
}

// Accepts reports whether the subscription is about events of type et on
// objects of type ot, whatever its status.
func (s *Subscription) Accepts(ot ObjectType, et EventType) bool {
	return s.ObjectType == ot && (len(s.EventTypes) == 0 || slices.Contains(s.EventTypes, et))
}

// Clone returns a deep copy of s.
func (s Subscription) Clone() Subscription {
	s.EventTypes = slices.Clone(s.EventTypes)
	s.Secrets = slices.Clone(s.Secrets)
	return s
}

// ErrorClass says why an attempt failed, in a word stable enough to count
// in metrics.
type ErrorClass string

// Error classes of failed attempts. A successful attempt has none.
const (
	// ErrorStatus: the endpoint answered with a non-2xx status.
	ErrorStatus ErrorClass = "status"
	// ErrorTimeout: the attempt timed out.
	ErrorTimeout ErrorClass = "timeout"
	// ErrorConnection: the connection could not be made or broke.
	ErrorConnection ErrorClass = "connection"
	// ErrorDNS: the host name did not resolve.
	ErrorDNS ErrorClass = "dns"
	// ErrorTLS: the TLS handshake failed.
	ErrorTLS ErrorClass = "tls"
	// ErrorBlocked: the SSRF guard refused the resolved address.
	ErrorBlocked ErrorClass = "blocked"
	// ErrorInvalidURL: the subscription's URL cannot be requested.
	ErrorInvalidURL ErrorClass = "invalid_url"
	// ErrorCanceled: the emitter was closed during the attempt.
	ErrorCanceled ErrorClass = "canceled"
	// ErrorSubscriptionGone: the subscription was disabled or deleted
	// before the attempt; no request was made.
	ErrorSubscriptionGone ErrorClass = "subscription_unavailable"
)

// MaxResponseExcerpt is the most of a response body an [Attempt] keeps.
const MaxResponseExcerpt = 1024

// Attempt is one try at a delivery.
type Attempt struct {
	// At is when the request was started.
	At time.Time
	// Duration is how long the attempt took.
	Duration time.Duration
	// URL is where the request was sent.
	URL string
	// StatusCode is the HTTP status of the answer, 0 when there was none.
	StatusCode int
	// ErrorClass is empty for a success.
	ErrorClass ErrorClass
	// Error describes the failure, if any.
	Error string
	// Response is the start of the response body, at most
	// [MaxResponseExcerpt] bytes.
	Response string
}

// Delivery is one event sent to one subscription.
type Delivery struct {
	// ID is assigned by the store.
	ID string
	// EventID and SubscriptionID are the pair the delivery is for.
	EventID        string
	SubscriptionID string
	// PartnerID is the event's partner.
	PartnerID string
	// ObjectType and EventType copy the event's, for filtering.
	ObjectType ObjectType
	EventType  EventType
	// Status is the delivery's state.
	Status DeliveryStatus
	// Attempts lists every attempt, oldest first.
	Attempts []Attempt
	// NextAttemptAt is when a pending delivery is due.
	NextAttemptAt time.Time
	// CreatedAt is when the delivery was created (the due time given to
	// Store.CreateEvent); UpdatedAt is the time of its last change.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// LastAttempt returns the most recent attempt and true, or false when none
// was made.
func (d *Delivery) LastAttempt() (Attempt, bool) {
	if len(d.Attempts) == 0 {
		return Attempt{}, false
	}
	return d.Attempts[len(d.Attempts)-1], true
}

// Sentinel errors. Errors returned by this package and its stores wrap these
// where they apply; test with [errors.Is].
var (
	// ErrNotFound is wrapped by every "not found" error.
	ErrNotFound = errors.New("monitehooks: not found")
	// ErrSubscriptionNotFound: no subscription of the partner has the ID.
	ErrSubscriptionNotFound = fmt.Errorf("monitehooks: subscription %w", errNotFoundSuffix)
	// ErrEventNotFound: no event of the partner has the ID.
	ErrEventNotFound = fmt.Errorf("monitehooks: event %w", errNotFoundSuffix)
	// ErrDeliveryNotFound: no delivery of the partner has the ID.
	ErrDeliveryNotFound = fmt.Errorf("monitehooks: delivery %w", errNotFoundSuffix)
	// ErrInvalid is wrapped by every [*ValidationError].
	ErrInvalid = errors.New("monitehooks: invalid input")
	// ErrInvalidCursor: a pagination cursor was not made by the store.
	ErrInvalidCursor = errors.New("monitehooks: invalid pagination cursor")
	// ErrLeaseLost: a claimed delivery's lease expired and another worker
	// may have claimed it; the result was not recorded.
	ErrLeaseLost = errors.New("monitehooks: delivery lease lost")
	// ErrEmitterClosed is returned by Emit after Shutdown or Close.
	ErrEmitterClosed = errors.New("monitehooks: emitter closed")
)

// errNotFoundSuffix words the specific not-found errors and makes them
// match ErrNotFound.
var errNotFoundSuffix = notFound{}

type notFound struct{}

func (notFound) Error() string        { return "not found" }
func (notFound) Is(target error) bool { return target == ErrNotFound }

// Catalog lists the event types allowed for each object type. A Catalog is
// immutable and safe for concurrent use.
type Catalog struct {
	types map[ObjectType][]EventType
	set   map[ObjectType]map[EventType]struct{}
}

// NewCatalog builds a catalog from a map of object type to its event types.
// Names must be non-empty, without spaces, and listed once.
func NewCatalog(types map[ObjectType][]EventType) (*Catalog, error) {
	c := &Catalog{
		types: make(map[ObjectType][]EventType, len(types)),
		set:   make(map[ObjectType]map[EventType]struct{}, len(types)),
	}
	for ot, ets := range types {
		if !validName(string(ot)) {
			return nil, fmt.Errorf("monitehooks: catalog: object type %q: must be non-empty without spaces", ot)
		}
		if len(ets) == 0 {
			return nil, fmt.Errorf("monitehooks: catalog: object type %q has no event types", ot)
		}
		set := make(map[EventType]struct{}, len(ets))
		for _, et := range ets {
			if !validName(string(et)) {
				return nil, fmt.Errorf("monitehooks: catalog: %s event type %q: must be non-empty without spaces", ot, et)
			}
			if _, dup := set[et]; dup {
				return nil, fmt.Errorf("monitehooks: catalog: %s event type %q listed twice", ot, et)
			}
			set[et] = struct{}{}
		}
		c.types[ot] = slices.Clone(ets)
		c.set[ot] = set
	}
	return c, nil
}

func validName(s string) bool {
	return s != "" && len(s) <= 128 && !strings.ContainsAny(s, " \t\r\n")
}

// mustCatalog is NewCatalog for the package's own literal catalogs.
func mustCatalog(types map[ObjectType][]EventType) *Catalog {
	c, err := NewCatalog(types)
	if err != nil {
		panic(err)
	}
	return c
}

// Has reports whether et is an event type of ot.
func (c *Catalog) Has(ot ObjectType, et EventType) bool {
	_, ok := c.set[ot][et]
	return ok
}

// HasObjectType reports whether ot is in the catalog.
func (c *Catalog) HasObjectType(ot ObjectType) bool {
	_, ok := c.set[ot]
	return ok
}

// ObjectTypes returns the catalog's object types, sorted.
func (c *Catalog) ObjectTypes() []ObjectType {
	return slices.Sorted(maps.Keys(c.types))
}

// EventTypes returns the event types of ot in catalog order, or nil when ot
// is not in the catalog.
func (c *Catalog) EventTypes(ot ObjectType) []EventType {
	return slices.Clone(c.types[ot])
}

// DefaultCatalog is the seed's catalog: role, entity, comment, entity_user
// and payment.
var DefaultCatalog = mustCatalog(map[ObjectType][]EventType{
	"role":        {"created", "updated", "deleted"},
	"entity":      {"created", "updated"},
	"comment":     {"created", "updated"},
	"entity_user": {"created", "updated", "deleted"},
	"payment":     {"created", "updated"},
})

// MoniteCatalog is the catalog of Monite's current documentation, a
// superset of [DefaultCatalog].
var MoniteCatalog = mustCatalog(map[ObjectType][]EventType{
	"accounting_connection":      {"connected", "disconnected", "deauthorized", "pending_auth"},
	"approval_policy":            {"created", "deleted", "process_canceled", "updated"},
	"approval_policy_process":    {"created", "execution_error"},
	"approval_request":           {"approved", "canceled", "created", "rejected"},
	"batch_payment":              {"status_updated"},
	"comment":                    {"created", "updated", "create", "update"},
	"counterpart":                {"created", "delete", "metadata_update", "updated"},
	"counterpart_address":        {"created", "delete", "made_default", "update"},
	"counterpart_bank_account":   {"created", "delete", "update"},
	"counterpart_contact_person": {"created", "delete", "make_default", "update"},
	"counterpart_tax_id":         {"created", "delete", "update"},
	"counterpart_vat_id":         {"created", "delete", "update"},
	"delivery_note":              {"created", "updated", "delivered", "canceled", "deleted"},
	"entity": {"created", "updated", "onboarding_requirements.status_updated",
		"onboarding_requirements.updated", "payment_method.us_ach.activated",
		"payment_method.us_ach.deactivated"},
	"entity_user": {"created", "updated", "deleted"},
	"ocr_task":    {"finished"},
	"payable": {"approved", "canceled", "created_from_mail", "created", "deleted",
		"multiple_approval_policies_matched", "rejected", "ocr_finished", "paid",
		"partially_paid", "reopened", "submitted_for_approval", "updated"},
	"payable_line_item": {"created", "deleted", "updated"},
	"payment":           {"created", "updated"},
	"payment_intent":    {"status_updated"},
	"payment_link":      {"created", "status_updated"},
	"project":           {"created", "deleted", "updated"},
	"receipt":           {"created", "deleted", "updated", "ocr_finished"},
	"role":              {"created", "updated", "deleted"},
	"tag":               {"created", "deleted", "updated"},
})

// seedActions maps the seed's event types to the verbs its settings-format
// payloads carry as "action".
var seedActions = map[EventType]string{"created": "create", "updated": "update", "deleted": "delete"}

// SettingsAction returns the "action" of a settings-format payload: the
// seed's verb (create, update, delete) for event types of [DefaultCatalog],
// and the event type itself for everything else.
func SettingsAction(ot ObjectType, et EventType) string {
	if DefaultCatalog.Has(ot, et) {
		return seedActions[et]
	}
	return string(et)
}
