package monitehooks

import (
	"slices"
	"time"
)

// DefaultAPIVersion is the api_version of payloads in the subscriptions
// format when the subscription was made without an x-monite-version header.
const DefaultAPIVersion = "2024-05-25"

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
