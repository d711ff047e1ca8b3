package httpapi_test

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/monitehooks/monitehooks/httpapi"
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
