package monitehooks

import (
	"context"
	"database/sql"
	"time"
)

// Store is the persistence contract: subscriptions, events, deliveries and
// their attempts. Package memstore implements it in memory; package
// storetest checks any implementation against this contract.
//
// Every method takes a context first and is safe for concurrent use. The
// store assigns IDs: UUIDs in canonical text form, of version 4 (or 7,
// with random bits), that count nothing (a partner must not learn from
// them how many objects the store holds, nor guess another's) and do not
// collide with those of another store, process or restart. Values passed
// in and returned are copies: a store never retains or shares a caller's
// slices, except that [Event.Object] returned by the store must be treated
// as read-only.
//
// After the context a method takes what names one object (a partner ID
// and an ID), a partner ID and a [ListParams] for a list, or one struct
// passed by value: the record it stores (a [Subscription]), or otherwise
// a type named after the method with the suffix Params
// ([CreateEventParams], [RecordAttemptParams], [RequeueDeliveryParams],
// [RequeueFailedParams], [DeleteExpiredParams]; the two ends of a lease
// are [ClaimParams] and [ReleaseParams]). An answer made of several parts
// is a Result ([ClaimResult], [DeleteExpiredResult]); an answer that is one
// value has that value's type
// ([Event], [Delivery], [Page], [DeliveryCounts]).
//
// ClaimDeliveries calls back into its caller through [ClaimParams.Allow].
// A store may call Allow while holding its own locks or inside an open
// transaction: Allow never calls the store, and the [Emitter]'s Allow
// takes only a mutex of the Emitter's own, which the Emitter never holds
// while it calls the store, so no lock order between the two can be
// reversed. A store must not call Allow after ClaimDeliveries returns, nor
// from two goroutines at once.
//
// Everything a partner can see is scoped by partner ID: asking for another
// partner's object answers the same not-found error as an unknown ID.
//
// List methods validate their ListParams (a *ValidationError) and answer
// pages whose Data is never nil. Items with equal sort keys are listed in
// the order the store created them (the deliveries of one event in the
// order of CreateEventParams.SubscriptionIDs), never by the text of their
// IDs: a store keeps a creation sequence of its own for this (memstore a
// counter per kind of record, a SQL store a bigserial column). A
// descending list is the exact reverse of the ascending one.
//
// The contract is written so that a durable store shared by several
// processes can implement it: deliveries are claimed with a lease (in SQL,
// SELECT … FOR UPDATE SKIP LOCKED and a lease_until column), results are
// recorded only by the holder of the lease, and an expired lease makes the
// delivery claimable again, so a crashed process loses nothing.
//
// A store that loses what it holds when the process exits, as memstore
// does, implements [Durable] and answers false, so that the [Emitter]
// says, when it stops, how many pending deliveries are lost. A store that
// can hold a subscription's deliveries back from claims implements
// [Holder], which spares claims the work of refusing them one by one.
type Store interface {
	// CreateSubscription stores sub with a new ID and returns the stored
	// subscription. The caller has validated it.
	CreateSubscription(ctx context.Context, sub Subscription) (Subscription, error)
	// GetSubscription returns the partner's subscription with the ID, or an
	// error wrapping ErrSubscriptionNotFound.
	GetSubscription(ctx context.Context, partnerID, id string) (Subscription, error)
	// UpdateSubscription replaces the stored subscription that has sub's ID
	// and PartnerID, or answers an error wrapping ErrSubscriptionNotFound.
	UpdateSubscription(ctx context.Context, sub Subscription) error
	// DeleteSubscription removes the partner's subscription with the ID, or
	// answers an error wrapping ErrSubscriptionNotFound. Its deliveries stay
	// in the log.
	DeleteSubscription(ctx context.Context, partnerID, id string) error
	// ListSubscriptions returns one page of the partner's subscriptions.
	// The list fields that apply are Limit, Cursor, Sort, Order, ObjectType
	// and the Created bounds.
	ListSubscriptions(ctx context.Context, partnerID string, p ListParams) (Page[Subscription], error)
	// LoadSubscriptions returns every subscription of every partner, in
	// no particular order, for the registry's index at start-up.
	LoadSubscriptions(ctx context.Context) ([]Subscription, error)

	// CreateEvent stores p.Event with a new ID and, in the same atomic
	// step, one pending delivery per ID in p.SubscriptionIDs, made in
	// that order, due at p.Due;
	// it returns the stored event, as GetEvent would. A duplicate
	// subscription ID is an error. It keeps neither the event's Object nor
	// p.SubscriptionIDs once it returns: the caller may reuse both. It
	// honours p.MaxPending in the same atomic step, so that concurrent
	// calls cannot overshoot it together.
	CreateEvent(ctx context.Context, p CreateEventParams) (Event, error)
	// GetEvent returns the partner's event with the ID, or an error
	// wrapping ErrEventNotFound.
	GetEvent(ctx context.Context, partnerID, id string) (Event, error)
	// ListEvents returns one page of the partner's events. The list fields
	// that apply are Limit, Cursor, Sort (both sort by creation), Order,
	// ObjectType, EventType and the Created bounds.
	ListEvents(ctx context.Context, partnerID string, p ListParams) (Page[Event], error)

	// ClaimDeliveries leases up to p.Limit pending deliveries that are due
	// at p.Now (NextAttemptAt ≤ Now, and no lease in force), so that no
	// other caller can claim them until the lease ends at p.Now + p.Lease.
	//
	// Claims are fair: subscriptions with due deliveries take turns, one
	// delivery per turn, and every one of them has its turn before any
	// has a second, whatever their backlogs or how long their deliveries
	// have waited. Within a subscription the oldest due is taken first
	// (those due at the same time in the order they were created). A
	// subscription whose oldest delivery comes due joins the round before
	// any subscription has a second turn, and one that Allow refuses loses
	// no turn. The order carries over from one claim to the next: claims
	// of one delivery at a time go round the subscriptions.
	ClaimDeliveries(ctx context.Context, p ClaimParams) (ClaimResult, error)
	// RecordAttempt records the outcome of a claimed delivery and ends its
	// lease. It answers ErrLeaseLost, recording nothing, when the lease
	// token no longer holds the delivery, and an error wrapping
	// ErrDeliveryNotFound for an unknown delivery. A token holds from its
	// claim until the delivery is recorded, released, or claimed again
	// after the lease ended.
	RecordAttempt(ctx context.Context, p RecordAttemptParams) error
	// ReleaseDelivery ends a lease without recording an attempt; the
	// delivery is due again at once. It answers ErrLeaseLost when the
	// token no longer holds the delivery, and an error wrapping
	// ErrDeliveryNotFound for an unknown delivery.
	ReleaseDelivery(ctx context.Context, p ReleaseParams) error
	// GetDelivery returns the partner's delivery with the ID, with its
	// attempts, or an error wrapping ErrDeliveryNotFound.
	GetDelivery(ctx context.Context, partnerID, id string) (Delivery, error)
	// ListDeliveries returns one page of the partner's deliveries with
	// their attempts. Every list field applies.
	ListDeliveries(ctx context.Context, partnerID string, p ListParams) (Page[Delivery], error)
	// RequeueDelivery makes the partner's delivery pending again, due at
	// p.Due, keeping its attempts; its UpdatedAt becomes p.Due. A pending
	// delivery is left as it is. It returns the delivery, or an error
	// wrapping ErrDeliveryNotFound.
	RequeueDelivery(ctx context.Context, p RequeueDeliveryParams) (Delivery, error)
	// RequeueFailed makes every failed delivery of the partner's
	// subscription that was created at or after p.Since pending again, due
	// at p.Due (which also becomes their UpdatedAt), and returns how many
	// it requeued: 0 for an unknown subscription or another partner's.
	RequeueFailed(ctx context.Context, p RequeueFailedParams) (int, error)

	// DeleteExpired deletes what retention lets go of, oldest first: the
	// finished deliveries (succeeded, or failed for good) whose UpdatedAt,
	// the time they finished, is before p.Before, with their attempts;
	// and the events left without deliveries. An event goes with the last
	// of its deliveries (in the same call when p.Limit allows, in a later
	// one otherwise), so its age is measured on the time that delivery
	// finished; an event stored without deliveries goes once its
	// CreatedAt is before p.Before. Pending deliveries, leased or not, are
	// never deleted, nor an event that has one, nor subscriptions.
	//
	// It deletes at most p.Limit deliveries and at most p.Limit events,
	// and returns how many of each it deleted: a count under p.Limit in
	// both means nothing else was due at p.Before. A store may work in
	// several steps, never holding its locks long. What it deleted is gone
	// from gets and lists, its IDs answer not-found, and a page token
	// naming a deleted item continues from the item's position.
	//
	// It is idempotent and safe to call from several processes sharing a
	// store at once: each item is deleted once, and a call that finds
	// nothing left to delete answers zero counts. A store may let one
	// call delete at a time and answer zero counts to a call made
	// meanwhile, leaving the work to the one under way.
	DeleteExpired(ctx context.Context, p DeleteExpiredParams) (DeleteExpiredResult, error)
	// CountDeliveries returns how many deliveries are in each state, over
	// every partner.
	CountDeliveries(ctx context.Context) (DeliveryCounts, error)
}

// Durable is implemented by a [Store] that says whether it keeps its work
// across restarts of the process. The [Emitter] asks when it stops: with a
// store that answers false, pending deliveries are lost, and it logs a
// warning with their number. A store that does not implement Durable is
// taken to keep its work.
type Durable interface {
	// Durable reports whether what the store holds outlives the process.
	Durable() bool
}

// SharedStore is implemented by a [Store] that several processes may use
// at once, such as package sqlstore's. Another process may have created,
// changed or deleted any subscription a moment ago, so the [Registry] and
// the [Emitter] take such a store, not their own memory, as the truth
// about subscriptions:
//
//   - [Emitter.Emit] stores an event with CreateMatchedEvent, which
//     matches it against the subscriptions as the store holds them, so
//     that an event emitted through any process after a subscription
//     change was acknowledged by any process is matched against the
//     changed subscription;
//   - the Registry reads a subscription from the store, and changes one
//     with ChangeSubscription, which reads and writes it atomically;
//   - ClaimDeliveries sets [Claim.Subscription], and a worker delivers to
//     that copy, with its URL and secrets as they are at the claim.
type SharedStore interface {
	Store
	// CreateMatchedEvent is CreateEvent that finds the subscriptions
	// itself, in the same atomic step: one pending delivery per
	// subscription of the event's partner that is enabled, is about the
	// event's object type, and whose EventTypes are empty or name the
	// event's type, made in the order the subscriptions were created.
	// p.SubscriptionIDs must be empty.
	CreateMatchedEvent(ctx context.Context, p CreateEventParams) (Event, error)
	// ChangeSubscription reads the partner's subscription, calls
	// p.Change on a copy of it, and stores the result, atomically: no
	// other change of the subscription, from this process or another,
	// comes between the read and the write. When Change answers an
	// error, nothing is stored and ChangeSubscription answers that error
	// as it is. Change must not change the ID, the PartnerID or
	// CreatedAt, and may be called more than once. It answers the stored
	// subscription, or an error wrapping ErrSubscriptionNotFound.
	ChangeSubscription(ctx context.Context, p ChangeSubscriptionParams) (Subscription, error)
}

// TxStore is implemented by a [SharedStore] that can store an event
// through a transaction of the application's own, on the store's
// database: [Emitter.EmitTx] uses it.
type TxStore interface {
	SharedStore
	// CreateEventTx is CreateMatchedEvent made through tx: the event and
	// its deliveries commit or roll back with tx, and nothing of them is
	// seen outside tx before it commits. Every subscription change
	// acknowledged before tx commits is matched: a change that comes
	// while tx is open waits for tx to end where the store must make it
	// wait. When tx is not on the store's database, or the database lacks
	// the store's tables, it answers an error wrapping ErrTxNotSupported
	// where it can tell.
	CreateEventTx(ctx context.Context, tx *sql.Tx, p CreateEventParams) (Event, error)
}

// Notifier is implemented by a [Store] that tells when deliveries may
// have become claimable through another process (or another path than the
// Emitter's own calls), so that the Emitter claims them at once rather
// than at its next poll.
type Notifier interface {
	// Notifications returns a channel that receives a value when
	// deliveries may have become claimable. Values are coalesced hints and
	// may be lost; a nil channel means the store sends none.
	Notifications() <-chan struct{}
}

// Holder is implemented by a [Store] that can hold a subscription's
// deliveries back from claims for a while. The [Emitter]'s circuit breaker
// holds a failing endpoint's deliveries until its next probe: with a
// Holder they wait out of the claims' way, where otherwise
// [ClaimParams.Allow] refuses the subscription in every claim, at a cost
// that grows with the number of subscriptions held.
type Holder interface {
	// HoldSubscription makes the subscription's pending deliveries, those
	// created later included, not claimable before until, as if their
	// NextAttemptAt were no earlier, and [ClaimResult.NextDue] counts them
	// at until; the deliveries themselves do not change. A later call
	// replaces the hold, and the zero time lifts it. A hold need not
	// outlive the process. An unknown subscription is not an error.
	HoldSubscription(ctx context.Context, subscriptionID string, until time.Time) error
}

// CreateEventParams are the parameters of [Store.CreateEvent].
type CreateEventParams struct {
	// Event is the event to store. Its ID is ignored: the store gives the
	// event a new one.
	Event Event
	// SubscriptionIDs lists the subscriptions, once each, that get a
	// delivery of the event. None stores the event alone.
	SubscriptionIDs []string
	// Due is when the deliveries are first due; it is also their
	// CreatedAt and UpdatedAt.
	Due time.Time
	// MaxPending, when positive, bounds the pending deliveries (leased or
	// not, over every partner): when storing the event's deliveries would
	// take their number past it, the store stores nothing and answers an
	// error wrapping ErrBacklogFull. An event without deliveries is always
	// stored. 0 means no bound.
	MaxPending int
}

// ChangeSubscriptionParams are the parameters of
// [SharedStore.ChangeSubscription].
type ChangeSubscriptionParams struct {
	// PartnerID is the partner the subscription must belong to.
	PartnerID string
	// ID is the subscription's ID.
	ID string
	// Change changes the subscription in place, or answers an error to
	// leave it as it is.
	Change func(*Subscription) error
}

// ClaimParams are the parameters of [Store.ClaimDeliveries].
type ClaimParams struct {
	// Now is the time due deliveries are measured against.
	Now time.Time
	// Limit is the most deliveries to claim; it must be positive.
	Limit int
	// Lease is how long the claim holds; it must be positive.
	Lease time.Duration
	// Allow, when not nil, is asked about each candidate's subscription
	// before the store claims it, in turn order; a delivery it refuses is
	// left pending, and its subscription keeps its turn (see
	// [Store.ClaimDeliveries]). Once Allow refuses a subscription the
	// store may skip that subscription's other candidates in the same
	// claim without asking again. The store calls it during
	// ClaimDeliveries only, one call at a time, and may hold its own
	// locks or an open transaction while it does. Allow must not call the
	// store, and must take no lock that is ever held while calling the
	// store (the Emitter's takes only its own mutex, never held across a
	// store call).
	Allow func(subscriptionID string) bool
}

// ClaimResult is the answer of [Store.ClaimDeliveries].
type ClaimResult struct {
	// Claims are the deliveries claimed, in turn order.
	Claims []Claim
	// NextDue is the earliest time another pending delivery becomes
	// claimable (its NextAttemptAt, or the end of its lease), not counting
	// those Allow refused; zero when there is none. It may be at or before
	// Now when Limit cut the claim short.
	NextDue time.Time
}

// Claim is one leased delivery, with what a worker needs to attempt it.
type Claim struct {
	// DeliveryID, SubscriptionID and PartnerID identify the delivery.
	DeliveryID     string
	SubscriptionID string
	PartnerID      string
	// Attempts is how many attempts were made before this claim.
	Attempts int
	// CreatedAt is when the delivery was created.
	CreatedAt time.Time
	// Event is the delivery's event. Its Object is shared: read only.
	Event Event
	// LeaseToken proves the lease to RecordAttempt and ReleaseDelivery.
	LeaseToken string
	// Subscription is set by a [SharedStore] only: the delivery's
	// subscription as the store held it at the claim, or nil when it was
	// deleted. It is shared: read only. Other stores leave it nil, and
	// the Emitter takes the subscription from its Registry.
	Subscription *Subscription
}

// RecordAttemptParams are the parameters of [Store.RecordAttempt]: the
// outcome of one claim.
type RecordAttemptParams struct {
	// DeliveryID is the claimed delivery's ID.
	DeliveryID string
	// LeaseToken is the token of the claim; it must still hold the
	// delivery.
	LeaseToken string
	// Attempt is appended to the delivery's attempts; nil appends nothing
	// (a delivery failed without a request being made).
	Attempt *Attempt
	// Status is the delivery's new state.
	Status DeliveryStatus
	// NextAttemptAt is when a pending delivery is due again.
	NextAttemptAt time.Time
	// UpdatedAt is the time of the change.
	UpdatedAt time.Time
}

// ReleaseParams are the parameters of [Store.ReleaseDelivery]: the claim
// to give back.
type ReleaseParams struct {
	// DeliveryID is the claimed delivery's ID.
	DeliveryID string
	// LeaseToken is the token of the claim; it must still hold the
	// delivery.
	LeaseToken string
}

// RequeueDeliveryParams are the parameters of [Store.RequeueDelivery].
type RequeueDeliveryParams struct {
	// PartnerID is the partner the delivery must belong to.
	PartnerID string
	// DeliveryID is the delivery's ID.
	DeliveryID string
	// Due is when the delivery is due again, and its new UpdatedAt.
	Due time.Time
}

// RequeueFailedParams are the parameters of [Store.RequeueFailed].
type RequeueFailedParams struct {
	// PartnerID is the partner the subscription must belong to.
	PartnerID string
	// SubscriptionID is the subscription whose failed deliveries are
	// requeued.
	SubscriptionID string
	// Since leaves out the deliveries created before it; the zero time
	// leaves out none.
	Since time.Time
	// Due is when the requeued deliveries are due, and their new
	// UpdatedAt.
	Due time.Time
}

// DeliveryCounts counts deliveries by state, for [Store.CountDeliveries].
type DeliveryCounts struct {
	// Pending counts deliveries waiting for an attempt, leased or not.
	Pending int
	// Succeeded counts deliveries that succeeded.
	Succeeded int
	// Failed counts deliveries that failed for good.
	Failed int
}

// DeleteExpiredParams are the parameters of [Store.DeleteExpired].
type DeleteExpiredParams struct {
	// Before is the cutoff: what finished before it is deleted.
	Before time.Time
	// Limit is the most deliveries, and the most events, one call
	// deletes; it must be positive.
	Limit int
}

// DeleteExpiredResult is the answer of [Store.DeleteExpired].
type DeleteExpiredResult struct {
	// Deliveries is how many deliveries the call deleted.
	Deliveries int
	// Events is how many events the call deleted.
	Events int
}
