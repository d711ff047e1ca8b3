package monitehooks

import (
	"errors"
	"fmt"
)

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
	// ErrBacklogFull: storing an event's deliveries would have taken the
	// pending deliveries past [EmitterConfig.MaxPending]
	// ([CreateEventParams.MaxPending]); nothing was stored.
	ErrBacklogFull = errors.New("monitehooks: delivery backlog full")
	// ErrTxNotSupported: [Emitter.EmitTx] was given a transaction its
	// store cannot write through: the store is not a [TxStore] (memstore,
	// say), or the transaction is on another database than the store's.
	ErrTxNotSupported = errors.New("monitehooks: the store cannot emit through this transaction")
	// ErrInvalidPayload: the body of a delivery is not a payload of its
	// format: not a JSON object, a member the format always carries is
	// missing or null, a member has the wrong JSON type, created_at is not
	// RFC 3339, or (subscriptions format) object is not a JSON object. A
	// body over [DefaultMaxBodyBytes] given to [ParseRequest] is refused
	// with it too, before its signature is checked. [ParsePayload] and
	// [ParseRequest] return it, or the signature errors of [Verify].
	ErrInvalidPayload = errors.New("monitehooks: invalid payload")
)

// errNotFoundSuffix words the specific not-found errors and makes them
// match ErrNotFound.
var errNotFoundSuffix = notFound{}

type notFound struct{}

func (notFound) Error() string        { return "not found" }
func (notFound) Is(target error) bool { return target == ErrNotFound }
