// Package httpapi serves Monite's webhook REST API over a
// [monitehooks.Registry] and [monitehooks.Store] (and, for POST /events, a
// [monitehooks.Emitter]) as an [http.Handler].
//
// # Mounting
//
// The handler serves paths relative to where it is mounted, so it works
// both at the root of a server and under a prefix:
//
//	auth, err := httpapi.StaticTokens(tokens)
//	…
//	h, err := httpapi.New(&httpapi.Config{Registry: reg, Store: store, Authenticator: auth})
//	mux.Handle("/v1/", http.StripPrefix("/v1", h))
//
// # Routes
//
// Two API generations manage the same subscriptions: /webhook_settings
// (the seed's; creating answers 200, deleting answers 200 with a message)
// and /webhook_subscriptions (creating answers 201, deleting 204). A
// subscription made through one is visible and manageable through the
// other; the generation it was made through fixes the payload shape it
// receives ([monitehooks.FormatSettings] or
// [monitehooks.FormatSubscriptions]). Under both prefixes:
//
//	POST   /{prefix}                          create (the answer carries the secret)
//	GET    /{prefix}                          list
//	GET    /{prefix}/{id}                     get
//	PATCH  /{prefix}/{id}                     update url, object_type, event_types, name
//	DELETE /{prefix}/{id}                     delete
//	POST   /{prefix}/{id}/enable              enable
//	POST   /{prefix}/{id}/disable             disable
//	POST   /{prefix}/{id}/regenerate_secret   new secret (the answer carries it)
//	POST   /{prefix}/{id}/recover             {"since": "<RFC 3339>"}: requeue what failed since then
//
// and besides them:
//
//	GET    /webhook_deliveries                list deliveries
//	GET    /webhook_deliveries/{id}           a delivery with its attempts
//	POST   /webhook_deliveries/{id}/redeliver make a delivery pending again
//	GET    /events                            list events
//	GET    /events/{id}                       get an event
//	POST   /events                            emit an event (only with a [Config].Emitter)
//	GET    /openapi.json                      the OpenAPI 3.1 document; no authentication
//
// The OpenAPI document describes exactly the routes served, names the
// base the API is mounted at ([Config].BaseURL, /v1 by default) as its
// server and Apache-2.0 as its license, and describes under "webhooks"
// the request each subscription receives in each payload format, with
// its Monite-Signature, Webhook-Id and User-Agent headers.
//
// # Deliveries
//
// A delivery row is {"id", "event_id", "requests_made_count", "response",
// "response_status_code", "url", "was_successful"} as Monite has it, plus
// "created_at", "updated_at", "status" (pending, succeeded or failed),
// "next_attempt_at" (null unless pending) and "last_error": why the last
// attempt got no answer, as "<class>: <message>" with the attempt's
// [monitehooks.ErrorClass] ("blocked" for the SSRF guard, "connection",
// "timeout", "tls", …), or null when it got one or there was none.
// GET /webhook_deliveries/{id} adds "attempts": [{"attempted_at",
// "duration_ms", "status_code", "error", "response"}], oldest first.
//
// Redeliver makes a delivery pending again, due now, whatever its state
// (a pending one is left as it is), and answers its row; its requests
// carry the same Webhook-Id, the event's ID. Recover, under either
// prefix, makes every delivery of the subscription that failed for good
// and was created at or after "since" pending again, and answers
// {"requeued": N}. With a [Config].Emitter both go through it, which
// wakes it at once; without one they requeue in the [Config].Store, due
// at [Config].Now, and the emitter delivering from that store picks them
// up when it next polls.
//
// # Authentication and tenancy
//
// Every other route needs "Authorization: Bearer <token>"; an
// [Authenticator] maps the token to a partner ID ([StaticTokens] makes one
// from a fixed map). A partner sees only its own subscriptions, events and
// deliveries: another partner's ID answers 404 exactly as an unknown one
// does, and so does an ID that is not a UUID.
//
// # Lists
//
// Lists answer {"data":[…],"next_pagination_token":…,"prev_pagination_token":…}
// and take the query parameters limit (1 to 100, default 100; anything
// else answers 416), pagination_token (when given, every other parameter
// is ignored), sort (created_at or updated_at), order (asc or desc),
// object_type and created_at__gt, __gte, __lt, __lte (RFC 3339). Deliveries
// also take event_id, webhook_subscription_id and event_action ("created"
// or "entity.created"); an event_id or webhook_subscription_id that is not
// a UUID names nothing, so the page is empty (as such an ID answers 404 in
// a path). Events also take event_type. An empty parameter counts as
// absent, and unknown parameters are ignored.
//
// # Errors
//
// Every error answers JSON. Most are {"error":{"message":"…"}}: 400 for a
// body that is not JSON, 401, 404 (also for unknown paths, and for paths
// that are not in clean form, which are not redirected because a redirect
// would lose the mount prefix), 405 with an Allow header, 413 for a body
// over [MaxBodySize], 415 for a body that is not application/json, and 416
// for a bad limit. Input that is JSON but not acceptable answers 422 in
// the shape {"detail":[{"loc":["body","url"],"msg":"…","type":"…"}]}: a
// body that is not a JSON object (loc ["body"]), an unknown field (type
// "extra_forbidden"), a value of the wrong JSON type ("string_type",
// "list_type", "int_type"), a value the registry refuses (the type is
// pydantic's word for the [monitehooks.FieldError] Kind: "missing",
// "value_error", "enum", "string_too_long", "url_parsing" or
// "json_invalid"), a bad query parameter (loc ["query", name]) or a bad
// x-monite-version header (loc ["header","x-monite-version"]). No input
// answers a 5xx.
package httpapi
