package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/monitehooks/monitehooks"
)

// operation describes a route in the OpenAPI document.
type operation struct {
	id           string // operationId
	summary      string
	tag          string
	params       []string // names in components/parameters
	body         string   // the schema of the request body; "" for none
	bodyOptional bool
	status       int    // the success status
	result       string // the schema of the success answer; "" for no content
	errors       []int  // the error statuses it may answer
}

// Parameters of every list, and of some.
var (
	listParams = []string{"limit", "pagination_token", "sort", "order", "object_type",
		"created_at__gt", "created_at__gte", "created_at__lt", "created_at__lte"}
	bodyErrors = []int{400, 401, 413, 415, 422}
)

func (g generation) createOp() operation {
	return operation{
		id: g.opID + "_create", summary: "Create a webhook subscription; the answer carries its secret", tag: g.tag,
		params: []string{"x-monite-version"}, body: "SubscriptionCreate",
		status: g.createStatus(), result: "SubscriptionWithSecret", errors: bodyErrors,
	}
}

func (g generation) listOp() operation {
	return operation{
		id: g.opID + "_list", summary: "List webhook subscriptions", tag: g.tag,
		params: listParams, status: 200, result: "SubscriptionList", errors: []int{401, 416, 422},
	}
}

func (g generation) getOp() operation {
	return operation{
		id: g.opID + "_get", summary: "Get a webhook subscription", tag: g.tag,
		params: []string{"id"}, status: 200, result: "Subscription", errors: []int{401, 404},
	}
}

func (g generation) updateOp() operation {
	return operation{
		id: g.opID + "_update", summary: "Update a webhook subscription; absent or null fields are left as they are", tag: g.tag,
		params: []string{"id"}, body: "SubscriptionUpdate",
		status: 200, result: "Subscription", errors: []int{400, 401, 404, 413, 415, 422},
	}
}

func (g generation) deleteOp() operation {
	op := operation{
		id: g.opID + "_delete", summary: "Delete a webhook subscription", tag: g.tag,
		params: []string{"id"}, status: 204, errors: []int{401, 404},
	}
	if g.format == monitehooks.FormatSettings {
		op.status, op.result = 200, "DeleteMessage"
	}
	return op
}

func (g generation) statusOp(action string) operation {
	return operation{
		id: g.opID + "_" + action, summary: strings.ToUpper(action[:1]) + action[1:] + " a webhook subscription", tag: g.tag,
		params: []string{"id"}, status: 200, result: "Subscription", errors: []int{401, 404},
	}
}

func (g generation) regenerateOp() operation {
	return operation{
		id: g.opID + "_regenerate_secret", summary: "Give a webhook subscription a new secret; the answer carries it", tag: g.tag,
		params: []string{"id"}, body: "RegenerateSecret", bodyOptional: true,
		status: 200, result: "SubscriptionWithSecret", errors: []int{400, 401, 404, 413, 415, 422},
	}
}

func (g generation) recoverOp() operation {
	return operation{
		id: g.opID + "_recover", summary: "Make the subscription's deliveries that failed for good since a time pending again", tag: g.tag,
		params: []string{"id"}, body: "RecoverFailed",
		status: 200, result: "Recovered", errors: []int{400, 401, 404, 413, 415, 422},
	}
}

var (
	listDeliveriesOp = operation{
		id: "deliveries_list", summary: "List deliveries, with the outcome of their last request", tag: "webhook_deliveries",
		params: append(append([]string{}, listParams...), "event_id", "event_action", "webhook_subscription_id"),
		status: 200, result: "DeliveryList", errors: []int{401, 416, 422},
	}
	getDeliveryOp = operation{
		id: "deliveries_get", summary: "Get a delivery with every attempt", tag: "webhook_deliveries",
		params: []string{"id"}, status: 200, result: "DeliveryWithAttempts", errors: []int{401, 404},
	}
	redeliverOp = operation{
		id: "deliveries_redeliver", summary: "Make a delivery pending again, due now; its requests carry the same Webhook-Id", tag: "webhook_deliveries",
		params: []string{"id"}, status: 200, result: "Delivery", errors: []int{401, 404},
	}
	listEventsOp = operation{
		id: "events_list", summary: "List emitted events", tag: "events",
		params: append(append([]string{}, listParams...), "event_type"),
		status: 200, result: "EventList", errors: []int{401, 416, 422},
	}
	getEventOp = operation{
		id: "events_get", summary: "Get an emitted event", tag: "events",
		params: []string{"id"}, status: 200, result: "Event", errors: []int{401, 404},
	}
	emitEventOp = operation{
		id: "events_emit", summary: "Emit an event to the caller's matching subscriptions", tag: "events",
		body: "EventCreate", status: 201, result: "Event", errors: append(slices.Clip(bodyErrors), 503),
	}
	openAPIOp = operation{
		id: "openapi", summary: "This document", tag: "meta", status: 200, result: "OpenAPI",
	}
)

// obj is a JSON object of the document.
type obj = map[string]any

func ref(kind, name string) obj { return obj{"$ref": "#/components/" + kind + "/" + name} }

func nullable(typ string) obj { return obj{"type": []string{typ, "null"}} }

// openAPIDocument builds the OpenAPI 3.1 document of the routes, served
// at baseURL, and of the requests subscriptions receive.
func openAPIDocument(routes []route, catalog *monitehooks.Catalog, baseURL string) ([]byte, error) {
	paths := obj{}
	for i := range routes {
		rt := &routes[i]
		item, _ := paths[rt.path].(obj)
		if item == nil {
			item = obj{}
			paths[rt.path] = item
		}
		item[strings.ToLower(rt.method)] = rt.op.document(rt.public)
	}
	params := parameters()
	for name, p := range webhookHeaders() {
		params[name] = p
	}
	doc := obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":   "monitehooks webhook API",
			"version": monitehooks.Version,
			"description": "Monite's webhook REST API as served by monitehooks, and (under webhooks) the " +
				"signed requests the subscriptions receive.",
			"license": obj{"name": "Apache License 2.0", "identifier": "Apache-2.0"},
		},
		"servers": []obj{{
			"url":         baseURL,
			"description": "Where the API is mounted; a path is relative to the host serving this document.",
		}},
		"security": []obj{{"bearerAuth": []string{}}},
		"paths":    paths,
		"webhooks": obj{
			"settings":      webhookItem(settingsAPI),
			"subscriptions": webhookItem(subscriptionsAPI),
		},
		"components": obj{
			"securitySchemes": obj{"bearerAuth": obj{
				"type": "http", "scheme": "bearer",
				"description": "A token that names the partner making the request.",
			}},
			"parameters": params,
			"responses":  errorResponses(),
			"schemas":    schemas(catalog),
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("httpapi: building the OpenAPI document: %w", err)
	}
	return append(b, '\n'), nil
}

// webhookItem describes the request a subscription created through g
// receives: an OpenAPI webhook.
func webhookItem(g generation) obj {
	schema := "SettingsPayload"
	if g.format == monitehooks.FormatSubscriptions {
		schema = "SubscriptionsPayload"
	}
	return obj{"post": obj{
		"operationId": g.opID + "_payload",
		"summary":     "The request a subscription created through " + g.prefix + " receives",
		"description": "One POST to the subscription's URL per attempt. The body is one JSON object on one line, " +
			"sent with Content-Type: application/json (no charset parameter). Webhook-Id, the event's ID, is " +
			"the same in every attempt and every redelivery: deduplicate on it.",
		"tags":     []string{"webhooks"},
		"security": []obj{},
		"parameters": []obj{
			ref("parameters", monitehooks.SignatureHeader),
			ref("parameters", monitehooks.WebhookIDHeader),
			ref("parameters", "User-Agent"),
		},
		"requestBody": obj{
			"required": true,
			"content":  obj{"application/json": obj{"schema": ref("schemas", schema)}},
		},
		"responses": obj{
			"2XX": obj{"description": "Delivered: no more attempts, and the subscription's failure record is cleared."},
			"410": obj{"description": "Failed for good at once; the subscription is disabled."},
			"default": obj{"description": "A failed attempt, retried on the schedule. Redirects are not followed. " +
				"On 429 and 503 a Retry-After may postpone the next attempt."},
		},
	}}
}

// webhookHeaders are the parameters of the headers a subscription
// receives.
func webhookHeaders() obj {
	header := func(name, desc string, schema obj) obj {
		return obj{"name": name, "in": "header", "required": true, "description": desc, "schema": schema}
	}
	return obj{
		monitehooks.SignatureHeader: header(monitehooks.SignatureHeader,
			"t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" keyed with the whole secret, prefix included>, "+
				"one v1 per live secret during a rotation.",
			obj{"type": "string", "pattern": `^t=[1-9][0-9]*(,v1=[0-9a-f]{64})+$`}),
		monitehooks.WebhookIDHeader: header(monitehooks.WebhookIDHeader,
			"The event's ID, equal to the body's id: the same in every attempt and redelivery.",
			obj{"type": "string", "format": "uuid"}),
		"User-Agent": header("User-Agent", "monitehooks/<version>.",
			obj{"type": "string", "const": "monitehooks/" + monitehooks.Version}),
	}
}

func (op *operation) document(public bool) obj {
	o := obj{"operationId": op.id, "summary": op.summary, "tags": []string{op.tag}}
	if public {
		o["security"] = []obj{}
	}
	if len(op.params) > 0 {
		ps := make([]obj, len(op.params))
		for i, p := range op.params {
			ps[i] = ref("parameters", p)
		}
		o["parameters"] = ps
	}
	if op.body != "" {
		o["requestBody"] = obj{
			"required": !op.bodyOptional,
			"content":  obj{"application/json": obj{"schema": ref("schemas", op.body)}},
		}
	}
	success := obj{"description": http.StatusText(op.status)}
	if op.result != "" {
		success["content"] = obj{"application/json": obj{"schema": ref("schemas", op.result)}}
	}
	responses := obj{strconv.Itoa(op.status): success}
	for _, code := range op.errors {
		responses[strconv.Itoa(code)] = ref("responses", errorResponseName(code))
	}
	o["responses"] = responses
	return o
}

func errorResponseName(code int) string {
	if code == http.StatusUnprocessableEntity {
		return "ValidationFailed"
	}
	return "Error" + strconv.Itoa(code)
}

var documentedErrors = map[int]string{
	400: "The body is not well-formed JSON.",
	401: "The bearer token is missing or unknown.",
	404: "No such object of the caller's (IDs that are not UUIDs included).",
	413: "The body is larger than 1 MiB.",
	415: "The body is not application/json.",
	416: "limit is not an integer from 1 to 100.",
	503: "The event was not stored: the emitter is shut down, or too many deliveries are pending (the emitter's MaxPending).",
}

func errorResponses() obj {
	rs := obj{}
	for code, desc := range documentedErrors {
		rs[errorResponseName(code)] = obj{
			"description": desc,
			"content":     obj{"application/json": obj{"schema": ref("schemas", "Error")}},
		}
	}
	rs[errorResponseName(422)] = obj{
		"description": "The input is JSON but not acceptable: a bad field, an unknown field, a bad query parameter or header.",
		"content":     obj{"application/json": obj{"schema": ref("schemas", "HTTPValidationError")}},
	}
	return rs
}

func queryParam(name, desc string, schema obj) obj {
	return obj{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
}

func parameters() obj {
	ps := obj{
		"id": obj{"name": "id", "in": "path", "required": true, "description": "The object's ID.",
			"schema": obj{"type": "string", "format": "uuid"}},
		"x-monite-version": obj{"name": VersionHeader, "in": "header", "required": false,
			"description": "The api_version of the subscription's payloads. Defaults to " + monitehooks.DefaultAPIVersion + ".",
			"schema":      obj{"type": "string", "format": "date"}},
		"limit": queryParam("limit", "The page size.", obj{"type": "integer", "minimum": 1,
			"maximum": monitehooks.MaxListLimit, "default": monitehooks.DefaultListLimit}),
		"pagination_token": queryParam("pagination_token",
			"A next_pagination_token or prev_pagination_token of an earlier page. When it is given, every other parameter is ignored.",
			obj{"type": "string"}),
		"sort": queryParam("sort", "What the list is sorted by.", obj{"type": "string",
			"enum": []string{"created_at", "updated_at"}, "default": "created_at"}),
		"order": queryParam("order", "The sort order.", obj{"type": "string",
			"enum": []string{"asc", "desc"}, "default": "asc"}),
		"object_type": queryParam("object_type", "Only items about this object type.", obj{"type": "string"}),
		"event_type":  queryParam("event_type", "Only events of this event type.", obj{"type": "string"}),
		"event_id":    queryParam("event_id", "Only deliveries of this event.", obj{"type": "string", "format": "uuid"}),
		"webhook_subscription_id": queryParam("webhook_subscription_id",
			"Only deliveries to this subscription. One that is not a UUID names none: the page is empty.",
			obj{"type": "string", "format": "uuid"}),
		"event_action": queryParam("event_action",
			`Only deliveries of this event type, given as "created" or as "<object_type>.created".`, obj{"type": "string"}),
	}
	for _, b := range createdBounds {
		ps[b.name] = queryParam(b.name, "A bound on the creation time.", obj{"type": "string", "format": "date-time"})
	}
	return ps
}

// errorText is the schema of an error description: "<class>: <message>",
// where the class is the attempt's ErrorClass.
func errorText(when string) obj {
	return obj{
		"type": []string{"string", "null"},
		"description": "Why the attempt failed, as \"<class>: <message>\"; the class is one of " +
			errorClassList() + ". " + when,
	}
}

// errorClasses lists the attempts' error classes.
var errorClasses = []monitehooks.ErrorClass{
	monitehooks.ErrorStatus, monitehooks.ErrorTimeout, monitehooks.ErrorConnection, monitehooks.ErrorDNS,
	monitehooks.ErrorTLS, monitehooks.ErrorBlocked, monitehooks.ErrorInvalidURL, monitehooks.ErrorCanceled,
	monitehooks.ErrorSubscriptionGone,
}

func errorClassList() string {
	out := ""
	for i, c := range errorClasses {
		if i > 0 {
			out += ", "
		}
		out += string(c)
	}
	return out
}

// deliveryProperties are the properties of a delivery row.
func deliveryProperties() obj {
	uuidString := obj{"type": "string", "format": "uuid"}
	dateTime := obj{"type": "string", "format": "date-time"}
	return obj{
		"id":                  uuidString,
		"event_id":            obj{"type": "string", "format": "uuid", "description": "The event's ID: the Webhook-Id of every request."},
		"requests_made_count": obj{"type": "integer", "minimum": 0, "description": "The attempts that made a request."},
		"response": obj{"type": []string{"string", "null"}, "maxLength": monitehooks.MaxResponseExcerpt,
			"description": "The start of the last request's answer; null before any request."},
		"response_status_code": obj{"type": []string{"integer", "null"},
			"description": "The status of the last request's answer; null before any request and when it got no answer."},
		"url": obj{"type": []string{"string", "null"},
			"description": "Where the last request went; before any, the subscription's URL, or null once it is deleted."},
		"was_successful": obj{"type": "boolean"},
		"created_at":     dateTime,
		"updated_at":     dateTime,
		"status": obj{"type": "string", "enum": []string{string(monitehooks.DeliveryPending),
			string(monitehooks.DeliverySucceeded), string(monitehooks.DeliveryFailed)}},
		"next_attempt_at": obj{"type": []string{"string", "null"}, "format": "date-time",
			"description": "When a pending delivery is due; null once it succeeded or failed."},
		"last_error": errorText("Set when the last attempt got no answer (or made no request); null when it got an answer or there was none."),
	}
}

func listSchema(item string) obj {
	return obj{
		"type":     "object",
		"required": []string{"data", "next_pagination_token", "prev_pagination_token"},
		"properties": obj{
			"data":                  obj{"type": "array", "items": ref("schemas", item)},
			"next_pagination_token": nullable("string"),
			"prev_pagination_token": nullable("string"),
		},
	}
}

func schemas(catalog *monitehooks.Catalog) obj {
	objectType := obj{"type": "string", "enum": catalog.ObjectTypes()}
	dateTime := obj{"type": "string", "format": "date-time"}
	uuidString := obj{"type": "string", "format": "uuid"}
	stringList := obj{"type": "array", "items": obj{"type": "string"}}
	url := obj{"type": "string", "format": "uri", "maxLength": monitehooks.MaxURLLength}
	name := obj{"type": "string", "maxLength": monitehooks.MaxNameLength}
	nullableOf := func(s obj) obj { return obj{"anyOf": []obj{s, {"type": "null"}}} }
	return obj{
		"Subscription": obj{
			"type": "object",
			"required": []string{"id", "object_type", "event_types", "url", "name", "status",
				"created_at", "updated_at"},
			"properties": obj{
				"id":          uuidString,
				"object_type": objectType,
				"event_types": stringList,
				"url":         url,
				"name":        name,
				"status":      obj{"type": "string", "enum": []string{"enabled", "disabled"}},
				"created_at":  dateTime,
				"updated_at":  dateTime,
			},
		},
		"SubscriptionWithSecret": obj{
			"allOf": []obj{ref("schemas", "Subscription"), {
				"type":       "object",
				"required":   []string{"secret"},
				"properties": obj{"secret": obj{"type": "string", "description": "The signing secret, shown only here."}},
			}},
		},
		"SubscriptionList": listSchema("Subscription"),
		"SubscriptionCreate": obj{
			"type":                 "object",
			"additionalProperties": false,
			"required":             []string{"object_type", "url"},
			"properties": obj{
				"object_type": objectType,
				"url":         url,
				"event_types": nullableOf(stringList),
				"name":        nullableOf(name),
			},
		},
		"SubscriptionUpdate": obj{
			"type":                 "object",
			"additionalProperties": false,
			"properties": obj{
				"object_type": nullableOf(objectType),
				"url":         nullableOf(url),
				"event_types": nullableOf(stringList),
				"name":        nullableOf(name),
			},
		},
		"RegenerateSecret": obj{
			"type":                 "object",
			"additionalProperties": false,
			"properties": obj{
				"expire_previous_in_seconds": obj{
					"type": []string{"integer", "null"}, "minimum": 0,
					"maximum":     int64(monitehooks.MaxSecretOverlap / time.Second),
					"description": "How long the previous secret stays valid. Defaults to 0: at once.",
				},
			},
		},
		"DeleteMessage": obj{
			"type":       "object",
			"required":   []string{"message"},
			"properties": obj{"message": obj{"type": "string"}},
		},
		"Delivery": obj{
			"type": "object",
			"required": []string{"id", "event_id", "requests_made_count", "response",
				"response_status_code", "url", "was_successful", "created_at", "updated_at",
				"status", "next_attempt_at", "last_error"},
			"properties": deliveryProperties(),
		},
		"DeliveryWithAttempts": obj{
			"allOf": []obj{ref("schemas", "Delivery"), {
				"type":     "object",
				"required": []string{"attempts"},
				"properties": obj{"attempts": obj{
					"type": "array", "items": ref("schemas", "Attempt"),
					"description": "Every attempt, oldest first, those that made no request included.",
				}},
			}},
		},
		"Attempt": obj{
			"type":     "object",
			"required": []string{"attempted_at", "duration_ms", "status_code", "error", "response"},
			"properties": obj{
				"attempted_at": dateTime,
				"duration_ms":  obj{"type": "integer", "minimum": 0},
				"status_code":  obj{"type": []string{"integer", "null"}, "description": "null when the attempt got no answer."},
				"error":        errorText("null for a success."),
				"response":     obj{"type": "string", "maxLength": monitehooks.MaxResponseExcerpt, "description": "The start of the answer's body."},
			},
		},
		"RecoverFailed": obj{
			"type":                 "object",
			"additionalProperties": false,
			"required":             []string{"since"},
			"properties": obj{
				"since": obj{"type": "string", "format": "date-time",
					"description": "Deliveries created at or after this time are requeued."},
			},
		},
		"Recovered": obj{
			"type":       "object",
			"required":   []string{"requeued"},
			"properties": obj{"requeued": obj{"type": "integer", "minimum": 0, "description": "How many deliveries are pending again."}},
		},
		"DeliveryList": listSchema("Delivery"),
		"Event": obj{
			"type":     "object",
			"required": []string{"id", "object_type", "event_type", "object_id", "entity_id", "created_at"},
			"properties": obj{
				"id":          uuidString,
				"object_type": obj{"type": "string"},
				"event_type":  obj{"type": "string"},
				"object_id":   obj{"type": "string"},
				"entity_id":   nullable("string"),
				"object":      obj{"type": "object"},
				"created_at":  dateTime,
			},
		},
		"EventList": listSchema("Event"),
		"EventCreate": obj{
			"type":                 "object",
			"additionalProperties": false,
			"required":             []string{"object_type", "event_type"},
			"properties": obj{
				"object_type": objectType,
				"event_type":  obj{"type": "string"},
				"object_id":   obj{"type": []string{"string", "null"}, "description": "Defaults to a new UUID."},
				"entity_id":   nullable("string"),
				"object":      obj{"type": []string{"object", "null"}, "description": "A snapshot of the object."},
			},
		},
		"Error": obj{
			"type":     "object",
			"required": []string{"error"},
			"properties": obj{"error": obj{
				"type":       "object",
				"required":   []string{"message"},
				"properties": obj{"message": obj{"type": "string"}},
			}},
		},
		"HTTPValidationError": obj{
			"type":     "object",
			"required": []string{"detail"},
			"properties": obj{"detail": obj{
				"type": "array",
				"items": obj{
					"type":     "object",
					"required": []string{"loc", "msg", "type"},
					"properties": obj{
						"loc":  obj{"type": "array", "items": obj{"type": []string{"string", "integer"}}},
						"msg":  obj{"type": "string"},
						"type": obj{"type": "string"},
					},
				},
			}},
		},
		"OpenAPI": obj{"type": "object", "description": "An OpenAPI 3.1 document."},
		"SettingsPayload": obj{
			"type":                 "object",
			"additionalProperties": false,
			"description":          "The body in the settings format, members in this order.",
			"required": []string{"id", "object_id", "object_type", "action", "name",
				"webhook_subscription_id", "created_at"},
			"properties": obj{
				"id":          obj{"type": "string", "format": "uuid", "description": "The event's ID, equal to Webhook-Id."},
				"object_id":   obj{"type": "string", "description": "The ID of the object the event is about."},
				"object_type": objectType,
				"action": obj{"type": "string",
					"description": "A verb (create, update, delete) for the event types of the seed catalog, the event type otherwise."},
				"name": obj{"type": "string",
					"description": "The subscription's name, or \"<object_type> <event_type>\" for one without."},
				"entity_id":               obj{"type": "string", "description": "Left out when the event has none."},
				"webhook_subscription_id": uuidString,
				"created_at":              obj{"type": "string", "format": "date-time", "description": "When the event happened, in UTC."},
			},
		},
		"SubscriptionsPayload": obj{
			"type":                 "object",
			"additionalProperties": false,
			"description":          "The body in the subscriptions format, members in this order.",
			"required": []string{"id", "created_at", "action", "api_version", "description", "entity_id",
				"object", "object_type", "webhook_subscription_id"},
			"properties": obj{
				"id":          obj{"type": "string", "format": "uuid", "description": "The event's ID, equal to Webhook-Id."},
				"created_at":  obj{"type": "string", "format": "date-time", "description": "When the event happened, in UTC."},
				"action":      obj{"type": "string", "pattern": `^[^.]+\..+$`, "description": "\"<object_type>.<event_type>\"."},
				"api_version": obj{"type": "string", "format": "date", "description": "The subscription's x-monite-version."},
				"description": obj{"type": "string", "description": "\"<object_type>_<event_type>\"."},
				"entity_id":   obj{"type": []string{"string", "null"}, "description": "null when the event has none."},
				"object": obj{
					"type":                 "object",
					"additionalProperties": true,
					"required":             []string{"id"},
					"properties":           obj{"id": obj{"type": "string", "description": "The object's ID."}},
					"description":          "The event's snapshot as given, with the object's ID as id; {\"id\": …} without one.",
				},
				"object_type":             objectType,
				"webhook_subscription_id": uuidString,
			},
		},
	}
}
