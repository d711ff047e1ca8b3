package httpapi_test

import (
	"bytes"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/monitehooks/monitehooks/httpapi"
)

// checkAnswer fails unless res is below 500, and an error answer has one
// of the two error shapes.
func checkAnswer(t *testing.T, what string, res response) {
	t.Helper()
	if res.code >= 500 {
		t.Fatalf("%s: Code = %d\n%s", what, res.code, res.raw)
	}
	if res.code < 400 {
		return
	}
	o := res.object(t)
	_, hasError := o["error"].(map[string]any)
	_, hasDetail := o["detail"].([]any)
	if len(o) != 1 || !(hasError || hasDetail) {
		t.Fatalf("%s: Code = %d with a body of neither error shape: %s", what, res.code, res.raw)
	}
}

// FuzzCreateBody sends bodies to every route that reads one.
func FuzzCreateBody(f *testing.F) {
	b := newBundle(f, nil)
	sub := str(b.createSub(f, "/webhook_subscriptions", `{"object_type":"entity","url":"https://example.com/h"}`)["id"])
	for _, s := range []string{
		`{"object_type":"entity","url":"https://example.com/h","event_types":["created"],"name":"n"}`,
		`{"expire_previous_in_seconds":60}`,
		`{"object_type":"entity","event_type":"created","object":{"a":1}}`,
		`{"since":"2026-03-11T06:49:55.5+01:00"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, c := range []struct{ method, target string }{
			{"POST", "/webhook_settings"},
			{"POST", "/webhook_subscriptions"},
			{"PATCH", "/webhook_settings/" + sub},
			{"POST", "/webhook_subscriptions/" + sub + "/regenerate_secret"},
			{"POST", "/webhook_settings/" + sub + "/recover"},
			{"POST", "/events"},
		} {
			r := httptest.NewRequest(c.method, c.target, bytes.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+tokenA)
			r.Header.Set("Content-Type", "application/json")
			res := record(t, b.h, r)
			checkAnswer(t, c.method+" "+c.target, res)
			// Keep the state small: remove what was created.
			if c.method == "POST" && (res.code == 200 || res.code == 201) && strings.HasPrefix(c.target, "/webhook_") && !strings.Contains(c.target, sub) {
				b.must(t, 204, "DELETE", "/webhook_subscriptions/"+str(res.object(t)["id"]), "")
			}
		}
	})
}

// FuzzListQuery sends raw query strings to every list route.
func FuzzListQuery(f *testing.F) {
	b := newBundle(f, nil)
	for range 3 {
		b.createSub(f, "/webhook_settings", `{"object_type":"role","url":"https://example.com/h"}`)
		b.must(f, 201, "POST", "/events", `{"object_type":"role","event_type":"created"}`)
	}
	b.waitDone(f, 1+2+3) // each event reaches the subscriptions made before it
	var lists []string
	for _, rt := range httpapi.Routes(b.h) {
		if rt.Method == "GET" && !strings.Contains(rt.Path, "{") && !rt.Public {
			lists = append(lists, rt.Path)
		}
	}
	for _, l := range lists {
		p := b.page(f, l+"?limit=1")
		f.Add("pagination_token=" + url.QueryEscape(p.next))
		f.Add("limit=1&pagination_token=" + p.next)
	}
	f.Fuzz(func(t *testing.T, query string) {
		for _, l := range lists {
			r := httptest.NewRequest("GET", l, nil)
			r.URL.RawQuery = query
			r.Header.Set("Authorization", "Bearer "+tokenA)
			checkAnswer(t, "GET "+l+"?"+query, record(t, b.h, r))
		}
	})
}

// FuzzPathID puts IDs in the path of every route that takes one.
func FuzzPathID(f *testing.F) {
	b := newBundle(f, nil)
	sub := str(b.createSub(f, "/webhook_settings", `{"object_type":"role","url":"https://example.com/h"}`)["id"])
	ev := str(b.must(f, 201, "POST", "/events", `{"object_type":"role","event_type":"created"}`).object(f)["id"])
	f.Add(sub)
	f.Add(ev)
	f.Add(strings.ToUpper(sub))
	var routes []httpapi.Route
	for _, rt := range httpapi.Routes(b.h) {
		if strings.Contains(rt.Path, "{id}") {
			routes = append(routes, rt)
		}
	}
	bodies := map[string]string{"PATCH": `{"name":"n"}`, "POST": `{}`}
	f.Fuzz(func(t *testing.T, id string) {
		for _, rt := range routes {
			r := httptest.NewRequest(rt.Method, "/", strings.NewReader(bodies[rt.Method]))
			r.URL.Path, r.URL.RawPath = strings.Replace(rt.Path, "{id}", id, 1), ""
			r.Header.Set("Authorization", "Bearer "+tokenA)
			r.Header.Set("Content-Type", "application/json")
			checkAnswer(t, rt.Method+" "+r.URL.Path, record(t, b.h, r))
		}
	})
}
