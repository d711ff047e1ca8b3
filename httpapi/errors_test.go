package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/monitehooks/monitehooks/httpapi"
)

func errBody(msg string) map[string]any {
	return map[string]any{"error": map[string]any{"message": msg}}
}

func detailBody(items ...map[string]any) map[string]any {
	d := make([]any, len(items))
	for i, it := range items {
		d[i] = it
	}
	return map[string]any{"detail": d}
}

func item(typ, msg string, loc ...any) map[string]any {
	return map[string]any{"loc": loc, "msg": msg, "type": typ}
}

func TestErrors(t *testing.T) {
	b := setup(t)
	subA := str(b.createSub(t, "/webhook_subscriptions", `{"object_type":"entity","url":"https://example.com/h"}`)["id"])
	subB := str(b.createSub(t, "/webhook_subscriptions", `{"object_type":"entity","url":"https://example.com/h"}`, withToken(tokenB))["id"])
	evB := str(b.must(t, 201, "POST", "/events", `{"object_type":"role","event_type":"created"}`, withToken(tokenB)).object(t)["id"])
	big := `{"name":"` + strings.Repeat("x", 1<<20) + `"}`
	validSub := `{"object_type":"entity","url":"https://example.com/h"}`

	notFound := errBody("not found")
	subNotFound := errBody("webhook subscription not found")
	unauthorized := errBody("missing or invalid bearer token")
	tooLarge := errBody("request body is larger than 1048576 bytes")
	notJSON := errBody("Content-Type must be application/json")
	badLimit := errBody("limit must be an integer from 1 to 100")

	tests := []struct {
		name       string
		method     string
		target     string
		body       string
		opts       []reqOpt
		wantCode   int
		wantBody   any // nil: only the code and form are checked
		wantHeader map[string]string
	}{
		// 400
		{name: "malformed JSON", method: "POST", target: "/webhook_settings", body: `{"object_type":`, wantCode: 400},
		{name: "trailing garbage", method: "POST", target: "/webhook_subscriptions", body: `{} {}`, wantCode: 400},
		{name: "malformed JSON on PATCH", method: "PATCH", target: "/webhook_subscriptions/" + subA, body: `{,}`, wantCode: 400},

		// 401
		{name: "no token", method: "GET", target: "/webhook_subscriptions", opts: []reqOpt{withToken("")},
			wantCode: 401, wantBody: unauthorized, wantHeader: map[string]string{"WWW-Authenticate": `Bearer realm="monitehooks"`}},
		{name: "unknown token", method: "GET", target: "/events", opts: []reqOpt{withToken("nope")}, wantCode: 401, wantBody: unauthorized},
		{name: "basic auth", method: "GET", target: "/webhook_deliveries", opts: []reqOpt{withHeader("Authorization", "Basic dG9rZW4tYQ==")},
			wantCode: 401, wantBody: unauthorized},
		{name: "bearer without token", method: "POST", target: "/webhook_settings", body: validSub,
			opts: []reqOpt{withHeader("Authorization", "Bearer ")}, wantCode: 401, wantBody: unauthorized},

		// 404
		{name: "unknown path", method: "GET", target: "/nope", wantCode: 404, wantBody: notFound},
		{name: "root", method: "GET", target: "/", wantCode: 404, wantBody: notFound},
		{name: "trailing slash", method: "GET", target: "/webhook_settings/", wantCode: 404, wantBody: notFound},
		{name: "unclean path", method: "GET", target: "/webhook_settings/../events", wantCode: 404, wantBody: notFound},
		{name: "double slash", method: "GET", target: "//events", wantCode: 404, wantBody: notFound},
		{name: "unknown path without token", method: "GET", target: "/nope", opts: []reqOpt{withToken("")}, wantCode: 404, wantBody: notFound},
		{name: "malformed id", method: "GET", target: "/webhook_settings/not-a-uuid", wantCode: 404, wantBody: subNotFound},
		{name: "malformed id on PATCH", method: "PATCH", target: "/webhook_subscriptions/123", body: `{}`, wantCode: 404, wantBody: subNotFound},
		{name: "malformed id on enable", method: "POST", target: "/webhook_subscriptions/x/enable", wantCode: 404, wantBody: subNotFound},
		{name: "malformed event id", method: "GET", target: "/events/x", wantCode: 404, wantBody: errBody("event not found")},
		{name: "unknown id", method: "GET", target: "/webhook_subscriptions/" + uuid.NewString(), wantCode: 404, wantBody: subNotFound},
		{name: "other partner's subscription", method: "GET", target: "/webhook_settings/" + subB, wantCode: 404, wantBody: subNotFound},
		{name: "other partner's subscription on DELETE", method: "DELETE", target: "/webhook_subscriptions/" + subB, wantCode: 404, wantBody: subNotFound},
		{name: "other partner's event", method: "GET", target: "/events/" + evB, wantCode: 404, wantBody: errBody("event not found")},
		{name: "unknown id before a bad body", method: "PATCH", target: "/webhook_subscriptions/" + subB, body: `{"x":1}`, wantCode: 404, wantBody: subNotFound},

		// 405
		{name: "PUT on a list", method: "PUT", target: "/webhook_settings", body: validSub, wantCode: 405,
			wantBody: errBody("method PUT is not allowed; allowed: GET, HEAD, POST"), wantHeader: map[string]string{"Allow": "GET, HEAD, POST"}},
		{name: "POST on an item", method: "POST", target: "/webhook_subscriptions/" + subA, wantCode: 405,
			wantBody: errBody("method POST is not allowed; allowed: DELETE, GET, HEAD, PATCH"), wantHeader: map[string]string{"Allow": "DELETE, GET, HEAD, PATCH"}},
		{name: "GET on enable", method: "GET", target: "/webhook_settings/" + subA + "/enable", wantCode: 405,
			wantBody: errBody("method GET is not allowed; allowed: POST"), wantHeader: map[string]string{"Allow": "POST"}},
		{name: "DELETE on deliveries", method: "DELETE", target: "/webhook_deliveries", wantCode: 405,
			wantHeader: map[string]string{"Allow": "GET, HEAD"}},
		{name: "POST on openapi", method: "POST", target: "/openapi.json", wantCode: 405, wantHeader: map[string]string{"Allow": "GET, HEAD"}},

		// 413
		{name: "body too large", method: "POST", target: "/webhook_settings", body: big, wantCode: 413, wantBody: tooLarge},
		{name: "body too large on PATCH", method: "PATCH", target: "/webhook_settings/" + subA, body: big, wantCode: 413, wantBody: tooLarge},

		// 415
		{name: "form body", method: "POST", target: "/webhook_subscriptions", body: "object_type=entity",
			opts: []reqOpt{withHeader("Content-Type", "application/x-www-form-urlencoded")}, wantCode: 415, wantBody: notJSON},
		{name: "no content type", method: "POST", target: "/events", body: `{}`,
			opts: []reqOpt{func(r *http.Request) { r.Header.Del("Content-Type") }}, wantCode: 415, wantBody: notJSON},
		{name: "text on regenerate", method: "POST", target: "/webhook_subscriptions/" + subA + "/regenerate_secret", body: `{}`,
			opts: []reqOpt{withHeader("Content-Type", "text/plain")}, wantCode: 415, wantBody: notJSON},
		{name: "charset accepted", method: "POST", target: "/webhook_subscriptions", body: validSub,
			opts: []reqOpt{withHeader("Content-Type", "application/json; charset=utf-8")}, wantCode: 201},

		// 416
		{name: "limit 0", method: "GET", target: "/webhook_settings?limit=0", wantCode: 416, wantBody: badLimit},
		{name: "limit 101", method: "GET", target: "/webhook_subscriptions?limit=101", wantCode: 416, wantBody: badLimit},
		{name: "limit -1", method: "GET", target: "/events?limit=-1", wantCode: 416, wantBody: badLimit},
		{name: "limit not an integer", method: "GET", target: "/webhook_deliveries?limit=ten", wantCode: 416, wantBody: badLimit},
		{name: "limit fractional", method: "GET", target: "/events?limit=1.5", wantCode: 416, wantBody: badLimit},
		{name: "limit huge", method: "GET", target: "/events?limit=99999999999999999999", wantCode: 416, wantBody: badLimit},

		// 422 from the registry
		{name: "missing fields", method: "POST", target: "/webhook_settings", body: `{}`, wantCode: 422, wantBody: detailBody(
			item("missing", "is required", "body", "object_type"),
			item("missing", "is required", "body", "url"),
		)},
		{name: "http url", method: "POST", target: "/webhook_subscriptions", body: `{"object_type":"entity","url":"http://example.com/"}`,
			wantCode: 422, wantBody: detailBody(item("url_parsing", "must use https", "body", "url"))},
		{name: "unknown object type", method: "POST", target: "/webhook_subscriptions", body: `{"object_type":"payable","url":"https://example.com/"}`,
			wantCode: 422, wantBody: detailBody(item("enum", `unknown object type "payable"`, "body", "object_type"))},
		{name: "bad event type at an index", method: "POST", target: "/webhook_settings",
			body:     `{"object_type":"entity","url":"https://example.com/","event_types":["created","deleted"]}`,
			wantCode: 422, wantBody: detailBody(item("enum", `"deleted" is not an event type of entity`, "body", "event_types", 1.0))},
		{name: "bad PATCH url", method: "PATCH", target: "/webhook_settings/" + subA, body: `{"url":"ftp://example.com/"}`,
			wantCode: 422, wantBody: detailBody(item("url_parsing", "must be an absolute https URL", "body", "url"))},
		{name: "name too long", method: "POST", target: "/webhook_settings",
			body:     `{"object_type":"entity","url":"https://example.com/","name":"` + strings.Repeat("n", 256) + `"}`,
			wantCode: 422, wantBody: detailBody(item("string_too_long", "must be at most 255 characters", "body", "name"))},
		{name: "overlap too long", method: "POST", target: "/webhook_settings/" + subA + "/regenerate_secret",
			body: `{"expire_previous_in_seconds":99999999999999999999999}`, wantCode: 422,
			wantBody: detailBody(item("value_error", "must be between 0 and 2592000", "body", "expire_previous_in_seconds"))},
		{name: "negative overlap", method: "POST", target: "/webhook_settings/" + subA + "/regenerate_secret",
			body: `{"expire_previous_in_seconds":-5}`, wantCode: 422,
			wantBody: detailBody(item("value_error", "must be between 0 and 2592000", "body", "expire_previous_in_seconds"))},
		{name: "unknown event type on emit", method: "POST", target: "/events", body: `{"object_type":"entity","event_type":"deleted"}`,
			wantCode: 422, wantBody: detailBody(item("enum", `"deleted" is not an event type of entity`, "body", "event_type"))},
		{name: "object not an object on emit", method: "POST", target: "/events", body: `{"object_type":"entity","event_type":"created","object":[1]}`,
			wantCode: 422, wantBody: detailBody(item("json_invalid", "must be a JSON object", "body", "object"))},

		// 422 from the shape of the body
		{name: "unknown field", method: "POST", target: "/webhook_subscriptions",
			body: `{"object_type":"entity","url":"https://example.com/","secret":"whsec_mine"}`, wantCode: 422,
			wantBody: detailBody(item("extra_forbidden", "Extra inputs are not permitted", "body", "secret"))},
		{name: "unknown field on PATCH", method: "PATCH", target: "/webhook_subscriptions/" + subA, body: `{"status":"disabled"}`,
			wantCode: 422, wantBody: detailBody(item("extra_forbidden", "Extra inputs are not permitted", "body", "status"))},
		{name: "unknown field on regenerate", method: "POST", target: "/webhook_subscriptions/" + subA + "/regenerate_secret", body: `{"expire":1}`,
			wantCode: 422, wantBody: detailBody(item("extra_forbidden", "Extra inputs are not permitted", "body", "expire"))},
		{name: "wrong types in document order", method: "POST", target: "/webhook_settings",
			body: `{"url":5,"x":1,"event_types":"created","object_type":"entity","name":["n"]}`, wantCode: 422, wantBody: detailBody(
				item("string_type", "Input should be a valid string", "body", "url"),
				item("extra_forbidden", "Extra inputs are not permitted", "body", "x"),
				item("list_type", "Input should be a valid list", "body", "event_types"),
				item("string_type", "Input should be a valid string", "body", "name"),
			)},
		{name: "wrong element type", method: "POST", target: "/webhook_settings",
			body: `{"object_type":"entity","url":"https://example.com/","event_types":["created",7]}`, wantCode: 422,
			wantBody: detailBody(item("string_type", "Input should be a valid string", "body", "event_types", 1.0))},
		{name: "integer expected", method: "POST", target: "/webhook_settings/" + subA + "/regenerate_secret",
			body: `{"expire_previous_in_seconds":"60"}`, wantCode: 422,
			wantBody: detailBody(item("int_type", "Input should be a valid integer", "body", "expire_previous_in_seconds"))},
		{name: "body an array", method: "POST", target: "/webhook_settings", body: `[]`, wantCode: 422,
			wantBody: detailBody(item("model_attributes_type", "Input should be a valid JSON object", "body"))},
		{name: "body a string", method: "PATCH", target: "/webhook_settings/" + subA, body: `"x"`, wantCode: 422,
			wantBody: detailBody(item("model_attributes_type", "Input should be a valid JSON object", "body"))},
		{name: "body missing", method: "POST", target: "/webhook_subscriptions", wantCode: 422,
			wantBody: detailBody(item("missing", "Field required", "body"))},
		{name: "body null", method: "POST", target: "/events", body: `null`, wantCode: 422,
			wantBody: detailBody(item("missing", "Field required", "body"))},

		// 422 from the query
		{name: "bad created_at bound", method: "GET", target: "/webhook_settings?created_at__gt=yesterday", wantCode: 422,
			wantBody: detailBody(item("datetime_parsing", "Input should be an RFC 3339 date and time between years 1 and 9999", "query", "created_at__gt"))},
		{name: "bad bounds and sort", method: "GET", target: "/webhook_deliveries?created_at__lte=2026-13-01T00:00:00Z&sort=id&order=up", wantCode: 422,
			wantBody: detailBody(
				item("enum", `Input should be "created_at" or "updated_at"`, "query", "sort"),
				item("enum", `Input should be "asc" or "desc"`, "query", "order"),
				item("datetime_parsing", "Input should be an RFC 3339 date and time between years 1 and 9999", "query", "created_at__lte"),
			)},
		{name: "bound past year 9999 in UTC", method: "GET", target: "/events?created_at__lt=9999-12-31T23:59:59-10:00", wantCode: 422,
			wantBody: detailBody(item("datetime_parsing", "Input should be an RFC 3339 date and time between years 1 and 9999", "query", "created_at__lt"))},
		{name: "invalid pagination token", method: "GET", target: "/webhook_subscriptions?pagination_token=garbage", wantCode: 422,
			wantBody: detailBody(item("value_error", "is not a valid pagination token", "query", "pagination_token"))},
		{name: "invalid pagination token on events", method: "GET", target: "/events?pagination_token=e30", wantCode: 422,
			wantBody: detailBody(item("value_error", "is not a valid pagination token", "query", "pagination_token"))},
		{name: "pagination token makes limit ignored", method: "GET", target: "/webhook_deliveries?pagination_token=x&limit=0", wantCode: 422,
			wantBody: detailBody(item("value_error", "is not a valid pagination token", "query", "pagination_token"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := b.serve(t, tt.method, tt.target, tt.body, tt.opts...)
			if res.code != tt.wantCode {
				t.Fatalf("Code = %d; want %d\n%s", res.code, tt.wantCode, res.raw)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q; want application/json", ct)
			}
			if tt.wantCode >= 400 && tt.wantCode != 422 {
				if m, _ := res.object(t)["error"].(map[string]any); m == nil || str(m["message"]) == "" {
					t.Errorf("body = %s; want {\"error\":{\"message\":…}}", res.raw)
				}
			}
			if tt.wantBody != nil {
				if diff := cmp.Diff(tt.wantBody, res.body); diff != "" {
					t.Errorf("body mismatch (-want +got):\n%s", diff)
				}
			}
			for k, v := range tt.wantHeader {
				if got := res.header.Get(k); got != v {
					t.Errorf("%s = %q; want %q", k, got, v)
				}
			}
		})
	}
}

// TestPOSTEventsOff checks that without an Emitter POST /events is not
// served, though GET /events is.
func TestPOSTEventsOff(t *testing.T) {
	t.Parallel()
	b := newBundle(t, func(c *httpapi.Config) { c.Emitter = nil })
	res := b.must(t, 405, "POST", "/events", `{"object_type":"entity","event_type":"created"}`)
	if got := res.header.Get("Allow"); got != "GET, HEAD" {
		t.Errorf("Allow = %q; want %q", got, "GET, HEAD")
	}
	if diff := cmp.Diff(errBody("method POST is not allowed; allowed: GET, HEAD"), res.body); diff != "" {
		t.Errorf("body mismatch (-want +got):\n%s", diff)
	}
	b.must(t, 200, "GET", "/events", "")
}

func TestMountedUnderPrefix(t *testing.T) {
	b := setup(t)
	h := http.StripPrefix("/v1", b.h)
	res := serve(t, h, "POST", "/v1/webhook_subscriptions", `{"object_type":"entity","url":"https://example.com/h"}`)
	if res.code != 201 {
		t.Fatalf("POST /v1/webhook_subscriptions: Code = %d; want 201\n%s", res.code, res.raw)
	}
	id := str(res.object(t)["id"])
	for _, tt := range []struct {
		target string
		want   int
	}{
		{"/v1/webhook_subscriptions/" + id, 200},
		{"/v1/webhook_settings?limit=1", 200},
		{"/v1/openapi.json", 200},
		{"/v1", 404},
		{"/v1/", 404},
		{"/v1/v1/events", 404},
		{"/v1//events", 404},
	} {
		if res := serve(t, h, "GET", tt.target, ""); res.code != tt.want {
			t.Errorf("GET %s: Code = %d; want %d\n%s", tt.target, res.code, tt.want, res.raw)
		}
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	b := newBundle(t, nil)
	auth := httpapi.AuthenticatorFunc(func(*http.Request) (string, error) { return "p", nil })
	tests := []struct {
		name    string
		cfg     *httpapi.Config
		wantErr string
	}{
		{"nil", nil, "Registry"},
		{"no registry", &httpapi.Config{Store: b.store, Authenticator: auth}, "Config.Registry"},
		{"no store", &httpapi.Config{Registry: b.reg, Authenticator: auth}, "Config.Store"},
		{"no authentication", &httpapi.Config{Registry: b.reg, Store: b.store}, "Config.Authenticator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := httpapi.New(tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New = %v, %v; want an error naming %s", h, err, tt.wantErr)
			}
		})
	}
}

func TestAuthenticator(t *testing.T) {
	t.Parallel()
	b := newBundle(t, func(c *httpapi.Config) {
		c.Authenticator = httpapi.AuthenticatorFunc(func(r *http.Request) (string, error) {
			if r.Header.Get("X-Partner") == "" {
				return "", httpapi.ErrUnauthenticated
			}
			return r.Header.Get("X-Partner"), nil
		})
	})
	b.must(t, 401, "GET", "/webhook_settings", "")
	b.must(t, 200, "GET", "/webhook_settings", "", withHeader("X-Partner", partnerA))

	tokens, err := httpapi.StaticTokens(map[string]string{tokenA: partnerA})
	if err != nil {
		t.Fatalf("StaticTokens: %v", err)
	}
	for _, tt := range []struct {
		header string
		want   string
	}{
		{"Bearer " + tokenA, partnerA},
		{"bearer " + tokenA, partnerA},
		{"Bearer  " + tokenA + " ", partnerA},
		{"Bearer " + tokenB, ""},
		{"Bearer", ""},
		{tokenA, ""},
		{"", ""},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", tt.header)
		got, err := tokens.Authenticate(r)
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("Authenticate(%q) = %q, %v; want %q", tt.header, got, err, tt.want)
		}
	}
}
