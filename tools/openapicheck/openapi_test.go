package openapicheck

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/schema_validation"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/webhooktest"
)

// testBundle is a fake Monite (its API mounted at /v1, as the document's
// server says) and the document it serves, read by the validator.
type testBundle struct {
	server *webhooktest.Server
	raw    []byte
	doc    libopenapi.Document
	v      validator.Validator
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	t.Parallel()
	s := webhooktest.NewServer(t, &webhooktest.ServerConfig{RetrySchedule: []time.Duration{0}})
	res, err := http.Get(s.URL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d %v", res.StatusCode, err)
	}
	doc, err := libopenapi.NewDocument(raw)
	if err != nil {
		t.Fatalf("libopenapi cannot read the document: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("NewValidator: %v", errs)
	}
	return &testBundle{server: s, raw: raw, doc: doc, v: v}
}

// TestDocumentIsValidOpenAPI31 validates the served document against the
// OpenAPI 3.1 schema.
func TestDocumentIsValidOpenAPI31(t *testing.T) {
	b := setup(t)
	if v := b.doc.GetVersion(); v != "3.1.0" {
		t.Errorf("document version = %q; want 3.1.0", v)
	}
	ok, errs := b.v.ValidateDocument()
	for _, e := range errs {
		t.Errorf("document: %s: %s (line %d, col %d)", e.Message, e.Reason, e.SpecLine, e.SpecCol)
	}
	if !ok && len(errs) == 0 {
		t.Errorf("the validator refused the document without saying why")
	}
	model, errs2 := b.doc.BuildV3Model()
	if errs2 != nil {
		t.Fatalf("BuildV3Model: %v", errs2)
	}
	if model.Model.Webhooks.Len() != 2 {
		t.Errorf("the document has %d webhooks; want settings and subscriptions", model.Model.Webhooks.Len())
	}
	if model.Model.Info.License == nil || model.Model.Info.License.Identifier != "Apache-2.0" {
		t.Errorf("info.license = %+v; want Apache-2.0", model.Model.Info.License)
	}
}

// call makes a request to the fake Monite's API and checks the answer
// against the document.
func (b *testBundle) call(t *testing.T, token, method, path, body string, want int) []byte {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, b.server.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != want {
		t.Fatalf("%s %s: %d; want %d\n%s", method, path, res.StatusCode, want, raw)
	}
	res.Body = io.NopCloser(bytes.NewReader(raw))
	// The validator reads the request's body again.
	if body != "" {
		req.Body = io.NopCloser(strings.NewReader(body))
	}
	if ok, errs := b.v.ValidateHttpResponse(req, res); !ok {
		for _, e := range errs {
			t.Errorf("%s %s answered %d: %s: %s\n%s", method, path, res.StatusCode, e.Message, e.Reason, raw)
		}
	}
	return raw
}

func field(t *testing.T, raw []byte, path ...string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			v = x[0]
		}
	}
	s, _ := v.(string)
	return s
}

// TestAnswersMatchTheDocument checks real answers of a sample of routes,
// successes and errors, against the document, with the validator's
// reading of it (httpapi's own test checks every route with its own).
func TestAnswersMatchTheDocument(t *testing.T) {
	b := setup(t)
	tok := b.server.Token
	r := b.server.NewReceiver(t)
	r.Script(webhooktest.Status(500))
	sub := field(t, b.call(t, tok, "POST", "/webhook_subscriptions", `{"object_type":"entity","url":"`+r.URL+`"}`, 201), "id")
	b.call(t, tok, "POST", "/webhook_settings", `{"object_type":"entity","url":"`+r.URL+`","name":"s"}`, 200)
	ev := field(t, b.call(t, tok, "POST", "/events", `{"object_type":"entity","event_type":"created","object":{"name":"Acme"}}`, 201), "id")
	b.server.Settle(t)
	b.call(t, tok, "GET", "/events/"+ev, "", 200)
	b.call(t, tok, "GET", "/events?limit=1", "", 200)
	del := field(t, b.call(t, tok, "GET", "/webhook_deliveries?webhook_subscription_id="+sub, "", 200), "data", "0", "id")
	b.call(t, tok, "GET", "/webhook_deliveries/"+del, "", 200)
	b.call(t, tok, "POST", "/webhook_deliveries/"+del+"/redeliver", "", 200)
	b.server.Settle(t)
	b.call(t, tok, "POST", "/webhook_subscriptions/"+sub+"/recover", `{"since":"2000-01-01T00:00:00Z"}`, 200)
	b.call(t, tok, "GET", "/webhook_subscriptions", "", 200)
	b.call(t, tok, "POST", "/webhook_subscriptions/"+sub+"/regenerate_secret", "", 200)
	b.call(t, tok, "GET", "/webhook_deliveries/"+sub, "", 404)
	b.call(t, tok, "POST", "/webhook_settings/"+sub+"/recover", `{}`, 422)
	b.call(t, "", "GET", "/webhook_deliveries", "", 401)
	b.call(t, tok, "GET", "/webhook_deliveries?limit=0", "", 416)
	b.call(t, tok, "DELETE", "/webhook_subscriptions/"+sub, "", 204)
}

// TestDeliveriesMatchTheDocument checks the bodies subscriptions receive,
// in both formats, against the schemas of the document's webhooks.
func TestDeliveriesMatchTheDocument(t *testing.T) {
	b := setup(t)
	model, errs := b.doc.BuildV3Model()
	if errs != nil {
		t.Fatal(errs)
	}
	sv := schema_validation.NewSchemaValidator()
	for _, format := range []struct {
		name   string
		format monitehooks.APIFormat
	}{{"settings", monitehooks.FormatSettings}, {"subscriptions", monitehooks.FormatSubscriptions}} {
		t.Run(format.name, func(t *testing.T) {
			item, ok := model.Model.Webhooks.Get(format.name)
			if !ok || item.Post == nil {
				t.Fatalf("no webhook %q in the document", format.name)
			}
			mt, ok := item.Post.RequestBody.Content.Get("application/json")
			if !ok {
				t.Fatalf("webhook %q has no application/json body", format.name)
			}
			schema := mt.Schema.Schema()
			r := b.server.NewReceiver(t)
			b.server.Subscribe(t, monitehooks.SubscriptionParams{PartnerID: b.server.PartnerID, ObjectType: "entity", URL: r.URL, APIFormat: format.format})
			for _, ev := range []monitehooks.Event{
				{PartnerID: b.server.PartnerID, ObjectType: "entity", Type: "updated", ObjectID: "o-1", EntityID: "e-1",
					Object: []byte(`{"status":"active","nested":{"id":7}}`)},
				{PartnerID: b.server.PartnerID, ObjectType: "entity", Type: "created", ObjectID: "o-2"},
			} {
				b.server.Emit(t, ev)
			}
			for _, req := range r.WaitFor(t, 2) {
				if ok, errs := sv.ValidateSchemaBytes(schema, req.Body); !ok {
					for _, e := range errs {
						t.Errorf("%s body does not match the document: %s: %s\n%s", format.name, e.Message, e.Reason, req.Body)
					}
				}
				for _, h := range []string{monitehooks.SignatureHeader, monitehooks.WebhookIDHeader, "User-Agent", "Content-Type"} {
					if req.Header.Get(h) == "" {
						t.Errorf("request without %s", h)
					}
				}
			}
		})
	}
}
