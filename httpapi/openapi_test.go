package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
	"github.com/monitehooks/monitehooks/webhooktest"
)

var docMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// TestOpenAPIHonest checks that the document describes exactly the routes
// the mux serves: every pattern registered appears in the document, and
// every path and method of the document reaches its own pattern.
func TestOpenAPIHonest(t *testing.T) {
	t.Parallel()
	for _, emit := range []bool{true, false} {
		b := newBundle(t, func(c *httpapi.Config) {
			if !emit {
				c.Emitter = nil
			}
		})
		res := b.must(t, 200, "GET", "/openapi.json", "", withToken(""))
		if ct := res.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q; want application/json", ct)
		}
		doc := res.object(t)
		if doc["openapi"] != "3.1.0" {
			t.Errorf("openapi = %v; want 3.1.0", doc["openapi"])
		}
		paths, _ := doc["paths"].(map[string]any)

		// What the document lists.
		var documented []string
		for p, item := range paths {
			for m := range item.(map[string]any) {
				if !slices.Contains(docMethods, m) {
					continue
				}
				documented = append(documented, strings.ToUpper(m)+" "+p)
			}
		}
		slices.Sort(documented)

		// What the mux serves: the method patterns registered, and the
		// method-less ones only as 405 answers for documented paths.
		var served []string
		for _, p := range httpapi.Patterns(b.h) {
			if _, _, hasMethod := strings.Cut(p, " "); hasMethod {
				served = append(served, p)
				continue
			}
			if _, ok := paths[p]; !ok && p != "/" {
				t.Errorf("pattern %q answers 405 for a path the document does not list", p)
			}
		}
		slices.Sort(served)
		if diff := cmp.Diff(served, documented); diff != "" {
			t.Errorf("emitter=%v: routed patterns and documented operations differ (-routed +documented):\n%s", emit, diff)
		}
		if got := slices.Contains(documented, "POST /events"); got != emit {
			t.Errorf("emitter=%v: document lists POST /events: %v", emit, got)
		}

		// Every documented operation reaches its pattern in the mux.
		mux := httpapi.Mux(b.h)
		for _, op := range documented {
			method, path, _ := strings.Cut(op, " ")
			r := httptest.NewRequest(method, strings.ReplaceAll(path, "{id}", uuid.NewString()), nil)
			if _, pattern := mux.Handler(r); pattern != op {
				t.Errorf("%s reaches pattern %q; want %q", op, pattern, op)
			}
		}

		// Every reference resolves, and every operation has an ID.
		checkRefs(t, doc, doc)
		for _, item := range paths {
			for m, op := range item.(map[string]any) {
				if o, _ := op.(map[string]any); slices.Contains(docMethods, m) && str(o["operationId"]) == "" {
					t.Errorf("an operation has no operationId: %v", o)
				}
			}
		}
		schemes, _ := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
		if diff := cmp.Diff(map[string]any{"bearerAuth": map[string]any{
			"type": "http", "scheme": "bearer", "description": "A token that names the partner making the request.",
		}}, schemes); diff != "" {
			t.Errorf("securitySchemes mismatch (-want +got):\n%s", diff)
		}
	}
}

// checkRefs fails for every $ref in v that does not point into doc.
func checkRefs(t *testing.T, doc, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok {
			var at any = doc
			for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
				m, _ := at.(map[string]any)
				at = m[part]
			}
			if at == nil {
				t.Errorf("$ref %q does not resolve", ref)
			}
		}
		for _, x := range v {
			checkRefs(t, doc, x)
		}
	case []any:
		for _, x := range v {
			checkRefs(t, doc, x)
		}
	}
}

// TestOpenAPIAnswers sends requests to every route, succeeding and
// failing, and checks each answer against what the document says of that
// route and status: the status is documented, and the body matches its
// schema, members that the schema does not declare included.
func TestOpenAPIAnswers(t *testing.T) {
	b := setup(t)
	doc := b.must(t, 200, "GET", "/openapi.json", "", withToken("")).object(t)
	c := &schemaChecker{doc: doc}

	answered := map[string]bool{} // routes with a 2xx answer checked
	call := func(want int, pattern, target, body string, opts ...reqOpt) map[string]any {
		t.Helper()
		method, _, _ := strings.Cut(pattern, " ")
		res := b.must(t, want, method, target, body, opts...)
		for _, msg := range checkDocumented(c, doc, pattern, res) {
			t.Errorf("%s %s answered %d: %s\n%s", method, target, res.code, msg, res.raw)
		}
		if res.code/100 == 2 {
			answered[pattern] = true
		}
		m, _ := res.body.(map[string]any)
		return m
	}

	subS := str(call(200, "POST /webhook_settings", "/webhook_settings", `{"object_type":"entity","url":"https://example.com/ok","name":"s"}`)["id"])
	subF := str(call(201, "POST /webhook_subscriptions", "/webhook_subscriptions", `{"object_type":"entity","url":"https://example.com/fail","event_types":["created"]}`)["id"])
	for _, g := range []struct{ prefix, id string }{{"/webhook_settings", subS}, {"/webhook_subscriptions", subF}} {
		call(200, "GET "+g.prefix, g.prefix+"?limit=1", "")
		call(200, "GET "+g.prefix+"/{id}", g.prefix+"/"+g.id, "")
		call(200, "PATCH "+g.prefix+"/{id}", g.prefix+"/"+g.id, `{"name":"renamed"}`)
		call(200, "POST "+g.prefix+"/{id}/disable", g.prefix+"/"+g.id+"/disable", "")
		call(200, "POST "+g.prefix+"/{id}/enable", g.prefix+"/"+g.id+"/enable", "")
		call(200, "POST "+g.prefix+"/{id}/regenerate_secret", g.prefix+"/"+g.id+"/regenerate_secret", `{"expire_previous_in_seconds":60}`)
	}
	ev := str(call(201, "POST /events", "/events", `{"object_type":"entity","event_type":"created","entity_id":"e-1","object":{"name":"Acme"}}`)["id"])
	call(201, "POST /events", "/events", `{"object_type":"entity","event_type":"updated"}`)
	b.waitDone(t, 3)
	call(200, "GET /events", "/events?order=desc", "")
	call(200, "GET /events/{id}", "/events/"+ev, "")
	call(200, "GET /webhook_deliveries", "/webhook_deliveries", "")
	failed := call(200, "GET /webhook_deliveries", "/webhook_deliveries?webhook_subscription_id="+subF, "")["data"].([]any)
	del := str(failed[0].(map[string]any)["id"])
	call(200, "GET /webhook_deliveries/{id}", "/webhook_deliveries/"+del, "")
	call(200, "POST /webhook_deliveries/{id}/redeliver", "/webhook_deliveries/"+del+"/redeliver", "")
	b.waitDone(t, 1)
	call(200, "POST /webhook_subscriptions/{id}/recover", "/webhook_subscriptions/"+subF+"/recover", `{"since":"2000-01-01T00:00:00Z"}`)
	b.waitDone(t, 1)
	call(200, "POST /webhook_settings/{id}/recover", "/webhook_settings/"+subF+"/recover", `{"since":"2000-01-01T00:00:00Z"}`)
	b.waitDone(t, 1)
	call(200, "GET /openapi.json", "/openapi.json", "", withToken(""))

	// Errors, in the shapes the document gives them.
	unknown := "00000000-0000-4000-8000-000000000000"
	call(401, "GET /events", "/events", "", withToken(""))
	call(404, "GET /events/{id}", "/events/"+unknown, "")
	call(404, "GET /webhook_deliveries/{id}", "/webhook_deliveries/not-a-uuid", "")
	call(404, "POST /webhook_deliveries/{id}/redeliver", "/webhook_deliveries/"+unknown+"/redeliver", "")
	call(404, "POST /webhook_settings/{id}/recover", "/webhook_settings/"+unknown+"/recover", `{"since":"2000-01-01T00:00:00Z"}`)
	call(422, "POST /webhook_subscriptions/{id}/recover", "/webhook_subscriptions/"+subF+"/recover", `{"since":"soon","x":1}`)
	call(422, "POST /webhook_subscriptions", "/webhook_subscriptions", `{"object_type":"nothing","url":"ftp://x"}`)
	call(422, "GET /webhook_deliveries", "/webhook_deliveries?sort=name", "")
	call(416, "GET /webhook_settings", "/webhook_settings?limit=0", "")
	call(415, "PATCH /webhook_settings/{id}", "/webhook_settings/"+subS, `{"name":"x"}`, withHeader("Content-Type", "text/plain"))
	call(400, "POST /events", "/events", `{"object_type":`)
	call(413, "POST /webhook_settings/{id}/recover", "/webhook_settings/"+subS+"/recover", `{"since":"`+strings.Repeat("x", httpapi.MaxBodySize)+`"}`)

	call(200, "DELETE /webhook_settings/{id}", "/webhook_settings/"+subS, "")
	call(204, "DELETE /webhook_subscriptions/{id}", "/webhook_subscriptions/"+subF, "")

	for _, rt := range httpapi.Routes(b.h) {
		if p := rt.Method + " " + rt.Path; !answered[p] {
			t.Errorf("no successful answer of %s was checked against the document", p)
		}
	}
}

// checkDocumented checks an answer of the route pattern against the document.
func checkDocumented(c *schemaChecker, doc map[string]any, pattern string, res response) []string {
	method, path, _ := strings.Cut(pattern, " ")
	op, _ := lookup(doc, "paths", path, strings.ToLower(method)).(map[string]any)
	if op == nil {
		return []string{"the document has no operation " + pattern}
	}
	documented, _ := lookup(op, "responses", strconv.Itoa(res.code)).(map[string]any)
	if documented == nil {
		return []string{fmt.Sprintf("status %d is not documented for %s", res.code, pattern)}
	}
	if ref, ok := documented["$ref"].(string); ok {
		documented = c.resolve(ref)
	}
	schema := lookup(documented, "content", "application/json", "schema")
	switch {
	case schema == nil && len(res.raw) > 0:
		return []string{"the document gives no body, and the answer has one"}
	case schema == nil:
		return nil
	case len(res.raw) == 0:
		return []string{"the document gives a body, and the answer has none"}
	}
	if ct := res.header.Get("Content-Type"); ct != "application/json" {
		return []string{"Content-Type = " + ct + "; want application/json"}
	}
	return c.check(schema, res.body, "body")
}

// lookup follows keys down nested JSON objects; nil when one is missing.
func lookup(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// TestOpenAPIWebhooks checks real deliveries in both formats, their bodies
// and headers, against the document's webhooks.
func TestOpenAPIWebhooks(t *testing.T) {
	t.Parallel()
	s := webhooktest.NewServer(t, nil)
	code, raw := s.Do(t, "GET", "/openapi.json", "")
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); code != 200 || err != nil {
		t.Fatalf("GET /openapi.json: %d %v", code, err)
	}
	c := &schemaChecker{doc: doc}
	for _, tt := range []struct {
		webhook string
		format  monitehooks.APIFormat
	}{{"settings", monitehooks.FormatSettings}, {"subscriptions", monitehooks.FormatSubscriptions}} {
		op, _ := lookup(doc, "webhooks", tt.webhook, "post").(map[string]any)
		if op == nil {
			t.Fatalf("the document has no webhook %q", tt.webhook)
		}
		schema := lookup(op, "requestBody", "content", "application/json", "schema")
		r := s.NewReceiver(t)
		s.Subscribe(t, monitehooks.SubscriptionParams{PartnerID: s.PartnerID, ObjectType: "entity", URL: r.URL, APIFormat: tt.format})
		s.Emit(t, monitehooks.Event{PartnerID: s.PartnerID, ObjectType: "entity", Type: "updated", ObjectID: "o-1",
			EntityID: "e-1", Object: []byte(`{"status":"active","nested":{"id":7}}`)})
		s.Emit(t, monitehooks.Event{PartnerID: s.PartnerID, ObjectType: "entity", Type: "created", ObjectID: "o-2"})
		for _, req := range r.WaitFor(t, 2) {
			var body any
			if err := json.Unmarshal(req.Body, &body); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			for _, msg := range c.check(schema, body, "body") {
				t.Errorf("%s webhook: %s\n%s", tt.webhook, msg, req.Body)
			}
			params, _ := op["parameters"].([]any)
			if len(params) == 0 {
				t.Errorf("%s webhook documents no headers", tt.webhook)
			}
			for _, p := range params {
				p := c.resolve(str(p.(map[string]any)["$ref"]))
				name := str(p["name"])
				for _, msg := range c.check(p["schema"], req.Header.Get(name), "header "+name) {
					t.Errorf("%s webhook: %s", tt.webhook, msg)
				}
			}
			if ct := req.Header.Get("Content-Type"); lookup(op, "requestBody", "content", ct) == nil {
				t.Errorf("%s webhook: Content-Type %q is not the documented media type", tt.webhook, ct)
			}
		}
	}
}

// TestOpenAPIServerAndLicense checks info.license and the servers the
// document names, from Config.BaseURL.
func TestOpenAPIServerAndLicense(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ base, want string }{
		{"", httpapi.DefaultBaseURL},
		{"/api/webhooks", "/api/webhooks"},
		{"https://api.example.com/v1", "https://api.example.com/v1"},
	} {
		b := newBundle(t, func(c *httpapi.Config) { c.BaseURL = tt.base })
		doc := b.must(t, 200, "GET", "/openapi.json", "", withToken("")).object(t)
		if got := lookup(doc, "servers").([]any)[0].(map[string]any)["url"]; got != tt.want {
			t.Errorf("BaseURL %q: servers[0].url = %v; want %s", tt.base, got, tt.want)
		}
		if diff := cmp.Diff(map[string]any{"name": "Apache License 2.0", "identifier": "Apache-2.0"}, lookup(doc, "info", "license")); diff != "" {
			t.Errorf("info.license (-want +got):\n%s", diff)
		}
	}
	b := newBundle(t, nil)
	for _, bad := range []string{"v1", "//host/v1", "ftp://host/v1", "https:///v1", "/v1?x=1", "/v1#top", "https://user@host/v1", "/{v}"} {
		_, err := httpapi.New(&httpapi.Config{BaseURL: bad, Registry: b.reg, Store: b.store, Authenticator: httpapi.AuthenticatorFunc(nil)})
		if err == nil || !strings.Contains(err.Error(), "Config.BaseURL") {
			t.Errorf("New with BaseURL %q: err = %v; want one naming Config.BaseURL", bad, err)
		}
	}
}
