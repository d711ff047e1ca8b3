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
// # Delivering
//
// The emitter sends over its own HTTP/1.1 client, with kept-alive
// connections and an SSRF guard that refuses addresses off the public
// internet ([IsPublicAddr]). [EmitterConfig] gives it TLS roots and a
// client certificate (TLSConfig) and a forward proxy (Proxy). For HTTP/2,
// give EmitterConfig.Transport an http.Transport of your own, with
// [GuardedDialContext] to keep the guard. See docs/delivery-client.md in
// the repository.
//
// # Payload formats
//
// A subscription receives payloads in the shape of the API it was made
// through: [FormatSettings] for /webhook_settings and [FormatSubscriptions]
// for /webhook_subscriptions. See docs/webhooks.md in the repository for
// the exact bodies.
//
// # Signatures
//
// Every delivery carries a [SignatureHeader] of the form
// "t=<unix seconds>,v1=<hex HMAC-SHA256>" over "<t>.<raw body>", the scheme
// Stripe uses, with one v1 value per live secret during a rotation. [Verify]
// checks a header; [VerifyMiddleware] protects a receiving handler in one
// line; [ParseRequest] and [ParsePayload] verify a delivery and decode it
// into a typed [Payload].
//
// # Errors
//
// Input that is not acceptable is refused with a [*ValidationError] that
// lists a [FieldError] per problem, each with a [ValidationKind]; it wraps
// [ErrInvalid]. The other sentinel errors, such as [ErrNotFound], are
// wrapped where they apply: test with [errors.Is].
package monitehooks
