package monitehooks

import "time"

// ObjectType names a kind of object events are about, such as "entity".
type ObjectType string

// EventType names what happened to an object, such as "created".
type EventType string

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
