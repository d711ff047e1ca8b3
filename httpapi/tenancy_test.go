package httpapi_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks/httpapi"
)

// TestTenancy walks every route of the table that builds the mux as
// partner B against partner A's objects: B's requests about A's IDs answer
// 404 and change nothing, B's lists show none of A's items, and what B
// creates A cannot see.
func TestTenancy(t *testing.T) {
	b := setup(t)
	// A's delivery fails, so that a redeliver or recover that crossed
	// partners would show.
	subA := str(b.createSub(t, "/webhook_settings", `{"object_type":"entity","url":"https://example.com/fail-a"}`)["id"])
	evA := str(b.must(t, 201, "POST", "/events", `{"object_type":"entity","event_type":"created"}`).object(t)["id"])
	b.waitDone(t, 1)
	delA := b.must(t, 200, "GET", "/webhook_deliveries", "").ids(t)[0]
	delBefore, err := b.store.GetDelivery(context.Background(), partnerA, delA)
	if err != nil {
		t.Fatal(err)
	}
	before, err := b.reg.Get(context.Background(), partnerA, subA)
	if err != nil {
		t.Fatal(err)
	}
	asB := withToken(tokenB)

	bodies := map[string]string{
		"POST /webhook_settings":      `{"object_type":"role","url":"https://example.com/b"}`,
		"POST /webhook_subscriptions": `{"object_type":"role","url":"https://example.com/b"}`,
		"POST /events":                `{"object_type":"role","event_type":"created"}`,
		"PATCH":                       `{"name":"taken over","url":"https://example.com/b"}`,
		"regenerate_secret":           `{"expire_previous_in_seconds":60}`,
		"recover":                     `{"since":"2000-01-01T00:00:00Z"}`,
	}
	covered := 0
	for _, rt := range httpapi.Routes(b.h) {
		name := rt.Method + " " + rt.Path
		t.Run(name, func(t *testing.T) {
			switch {
			case rt.Public:
				covered++
				res := b.must(t, 200, rt.Method, rt.Path, "", withToken(""))
				if strings.Contains(string(res.raw), subA) || strings.Contains(string(res.raw), evA) {
					t.Errorf("public route %s shows partner A's IDs", name)
				}

			case strings.Contains(rt.Path, "{id}"):
				covered++
				id := subA
				switch {
				case strings.HasPrefix(rt.Path, "/events/"):
					id = evA
				case strings.HasPrefix(rt.Path, "/webhook_deliveries/"):
					id = delA
				}
				body := bodies[rt.Method]
				for _, action := range []string{"regenerate_secret", "recover"} {
					if strings.HasSuffix(rt.Path, "/"+action) {
						body = bodies[action]
					}
				}
				target := strings.Replace(rt.Path, "{id}", id, 1)
				res := b.must(t, 404, rt.Method, target, body, asB)
				if strings.Contains(string(res.raw), id) {
					t.Errorf("404 body names the ID: %s", res.raw)
				}
				// A sees it.
				if rt.Method == "GET" {
					b.must(t, 200, rt.Method, target, "")
				}

			case rt.Method == "GET":
				covered++
				own := b.must(t, 200, "GET", rt.Path, "").ids(t)
				if len(own) == 0 {
					t.Fatalf("partner A's list %s is empty: the check would prove nothing", rt.Path)
				}
				for _, id := range b.must(t, 200, "GET", rt.Path, "", asB).ids(t) {
					if slices.Contains(own, id) {
						t.Errorf("partner B's %s shows partner A's %s", rt.Path, id)
					}
				}

			case rt.Method == "POST":
				covered++
				body, ok := bodies[name]
				if !ok {
					t.Fatalf("no body for %s", name)
				}
				res := b.serve(t, "POST", rt.Path, body, asB)
				if res.code/100 != 2 {
					t.Fatalf("partner B's %s: Code = %d\n%s", name, res.code, res.raw)
				}
				id := str(res.object(t)["id"])
				item := rt.Path + "/" + id
				if rt.Path == "/events" {
					item = "/events/" + id
				}
				b.must(t, 404, "GET", item, "")
				b.must(t, 200, "GET", item, "", asB)

			default:
				t.Errorf("route %s is not covered by the tenancy test", name)
			}
		})
	}
	if routes := len(httpapi.Routes(b.h)); covered != routes {
		t.Errorf("covered %d routes of %d", covered, routes)
	}

	after, err := b.reg.Get(context.Background(), partnerA, subA)
	if err != nil {
		t.Fatalf("partner A's subscription is gone: %v", err)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("partner B changed partner A's subscription (-before +after):\n%s", diff)
	}
	if _, err := b.store.GetEvent(context.Background(), partnerA, evA); err != nil {
		t.Errorf("partner A's event is gone: %v", err)
	}
	delAfter, err := b.store.GetDelivery(context.Background(), partnerA, delA)
	if err != nil {
		t.Fatalf("partner A's delivery is gone: %v", err)
	}
	if diff := cmp.Diff(delBefore, delAfter); diff != "" {
		t.Errorf("partner B changed partner A's delivery (-before +after):\n%s", diff)
	}
}
