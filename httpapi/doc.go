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
//
// and besides them GET /webhook_deliveries, GET /events, GET /events/{id},
// POST /events (only with a [Config].Emitter) and GET /openapi.json, an
// OpenAPI 3.1 description of exactly the routes served, which needs no
// authentication.
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
// also take event_id and event_action ("created" or "entity.created");
// events also take event_type. An empty parameter counts as absent, and
// unknown parameters are ignored.
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
