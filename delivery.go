package monitehooks

import (
	"slices"
	"time"
)

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
	// ErrorTLS: the TLS handshake failed, or the endpoint ended TLS with
	// an alert, as it does when it requires a client certificate and
	// gets none, or none it trusts.
	ErrorTLS ErrorClass = "tls"
	// ErrorBlocked: the SSRF guard refused the resolved address, or,
	// through a proxy, the address in the URL.
	ErrorBlocked ErrorClass = "blocked"
	// ErrorProxy: the proxy (EmitterConfig.Proxy) failed the request: it
	// could not be reached, or it refused to open a tunnel to the
	// endpoint. A proxy that passes on requests in plain HTTP answers for
	// the endpoint: its refusal is a status.
	ErrorProxy ErrorClass = "proxy"
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
