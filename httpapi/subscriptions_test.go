package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
)

func TestSubscriptionLifecycle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prefix     string
		wantCreate int
		wantDelete int
		wantFormat monitehooks.APIFormat
		wantDelMsg bool
	}{
		{"/webhook_settings", http.StatusOK, http.StatusOK, monitehooks.FormatSettings, true},
		{"/webhook_subscriptions", http.StatusCreated, http.StatusNoContent, monitehooks.FormatSubscriptions, false},
	}
	for _, tt := range tests {
		t.Run(strings.TrimPrefix(tt.prefix, "/"), func(t *testing.T) {
			b := setup(t)
			res := b.must(t, tt.wantCreate, "POST", tt.prefix,
				`{"object_type":"entity","url":"https://example.com/hook","event_types":["created"],"name":"My hook"}`)
			created := res.object(t)
			id := str(created["id"])
			want := map[string]any{
				"id": "<uuid>", "object_type": "entity", "event_types": []any{"created"},
				"url": "https://example.com/hook", "name": "My hook", "status": "enabled",
				"created_at": "<time>", "updated_at": "<time>", "secret": "<secret>",
			}
			if diff := cmp.Diff(want, scrub(t, created)); diff != "" {
				t.Errorf("POST %s body mismatch (-want +got):\n%s", tt.prefix, diff)
			}
			if ct := res.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q; want application/json", ct)
			}
			sub, err := b.reg.Get(context.Background(), partnerA, id)
			if err != nil {
				t.Fatalf("Registry.Get: %v", err)
			}
			if sub.APIFormat != tt.wantFormat || sub.CurrentSecret() != created["secret"] {
				t.Errorf("stored format %q, secret %q; want %q and the secret answered", sub.APIFormat, sub.CurrentSecret(), tt.wantFormat)
			}
			delete(want, "secret")

			got := b.must(t, 200, "GET", tt.prefix+"/"+id, "").object(t)
			if diff := cmp.Diff(want, scrub(t, got)); diff != "" {
				t.Errorf("GET body mismatch (-want +got):\n%s", diff)
			}
			if got["created_at"] != created["created_at"] {
				t.Errorf("GET created_at = %v; want %v", got["created_at"], created["created_at"])
			}

			list := b.must(t, 200, "GET", tt.prefix, "")
			wantList := map[string]any{"data": []any{want}, "next_pagination_token": nil, "prev_pagination_token": nil}
			if diff := cmp.Diff(wantList, scrub(t, list.body)); diff != "" {
				t.Errorf("GET list body mismatch (-want +got):\n%s", diff)
			}

			patched := b.must(t, 200, "PATCH", tt.prefix+"/"+id,
				`{"url":"https://example.com/other","event_types":null,"name":"Renamed"}`).object(t)
			want["url"], want["name"] = "https://example.com/other", "Renamed"
			if diff := cmp.Diff(want, scrub(t, patched)); diff != "" {
				t.Errorf("PATCH body mismatch (-want +got):\n%s", diff)
			}
			if patched["updated_at"] == created["updated_at"] {
				t.Errorf("PATCH left updated_at at %v", patched["updated_at"])
			}
			patched = b.must(t, 200, "PATCH", tt.prefix+"/"+id, `{"object_type":"role","event_types":[]}`).object(t)
			want["object_type"], want["event_types"] = "role", []any{}
			if diff := cmp.Diff(want, scrub(t, patched)); diff != "" {
				t.Errorf("PATCH object_type body mismatch (-want +got):\n%s", diff)
			}

			disabled := b.must(t, 200, "POST", tt.prefix+"/"+id+"/disable", "").object(t)
			want["status"] = "disabled"
			if diff := cmp.Diff(want, scrub(t, disabled)); diff != "" {
				t.Errorf("disable body mismatch (-want +got):\n%s", diff)
			}
			enabled := b.must(t, 200, "POST", tt.prefix+"/"+id+"/enable", "").object(t)
			want["status"] = "enabled"
			if diff := cmp.Diff(want, scrub(t, enabled)); diff != "" {
				t.Errorf("enable body mismatch (-want +got):\n%s", diff)
			}

			regen := b.must(t, 200, "POST", tt.prefix+"/"+id+"/regenerate_secret", "").object(t)
			want["secret"] = "<secret>"
			if diff := cmp.Diff(want, scrub(t, regen)); diff != "" {
				t.Errorf("regenerate_secret body mismatch (-want +got):\n%s", diff)
			}
			if regen["secret"] == created["secret"] {
				t.Errorf("regenerate_secret answered the old secret")
			}
			sub, _ = b.reg.Get(context.Background(), partnerA, id)
			if len(sub.Secrets) != 1 || sub.CurrentSecret() != regen["secret"] {
				t.Errorf("after regenerate_secret without overlap, secrets = %d, current %q; want only %q", len(sub.Secrets), sub.CurrentSecret(), regen["secret"])
			}

			del := b.must(t, tt.wantDelete, "DELETE", tt.prefix+"/"+id, "")
			if tt.wantDelMsg {
				m, _ := del.object(t)["message"].(string)
				if m == "" || len(del.object(t)) != 1 {
					t.Errorf("DELETE body = %s; want {\"message\":\"…\"}", del.raw)
				}
			} else if len(del.raw) != 0 {
				t.Errorf("DELETE body = %q; want it empty", del.raw)
			}
			b.must(t, 404, "GET", tt.prefix+"/"+id, "")
			b.must(t, 404, "DELETE", tt.prefix+"/"+id, "")
		})
	}
}

func TestRegenerateSecretOverlap(t *testing.T) {
	b := setup(t)
	id := str(b.createSub(t, "/webhook_subscriptions", `{"object_type":"entity","url":"https://example.com/h"}`)["id"])
	old, _ := b.reg.Get(context.Background(), partnerA, id)
	regen := b.must(t, 200, "POST", "/webhook_subscriptions/"+id+"/regenerate_secret", `{"expire_previous_in_seconds":3600}`).object(t)
	sub, _ := b.reg.Get(context.Background(), partnerA, id)
	var values []string
	for _, s := range sub.Secrets {
		values = append(values, s.Value)
	}
	if diff := cmp.Diff([]string{str(regen["secret"]), old.CurrentSecret()}, values); diff != "" {
		t.Errorf("secrets after an overlap mismatch (-want +got):\n%s", diff)
	}
	for _, body := range []string{`{}`, `{"expire_previous_in_seconds":null}`, " \n"} {
		b.must(t, 200, "POST", "/webhook_subscriptions/"+id+"/regenerate_secret", body)
	}
}

func TestGenerationsInteroperate(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ made, managed string }{
		{"/webhook_settings", "/webhook_subscriptions"},
		{"/webhook_subscriptions", "/webhook_settings"},
	} {
		t.Run(strings.TrimPrefix(tt.made, "/"), func(t *testing.T) {
			b := setup(t)
			created := b.createSub(t, tt.made, `{"object_type":"payment","url":"https://example.com/h"}`)
			id := str(created["id"])
			delete(created, "secret")
			if diff := cmp.Diff(created, b.must(t, 200, "GET", tt.managed+"/"+id, "").body); diff != "" {
				t.Errorf("GET through the other generation mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{id}, b.must(t, 200, "GET", tt.managed, "").ids(t)); diff != "" {
				t.Errorf("list through the other generation mismatch (-want +got):\n%s", diff)
			}
			got := b.must(t, 200, "PATCH", tt.managed+"/"+id, `{"name":"via the other"}`).object(t)
			if got["name"] != "via the other" {
				t.Errorf("PATCH name = %v; want %q", got["name"], "via the other")
			}
			b.must(t, 200, "POST", tt.managed+"/"+id+"/disable", "")
			b.must(t, 200, "POST", tt.managed+"/"+id+"/regenerate_secret", "")
			want := http.StatusOK
			if tt.managed == "/webhook_subscriptions" {
				want = http.StatusNoContent
			}
			b.must(t, want, "DELETE", tt.managed+"/"+id, "")
			b.must(t, 404, "GET", tt.made+"/"+id, "")
		})
	}
}

func TestSecretOnlyOnCreateAndRegenerate(t *testing.T) {
	b := setup(t)
	for _, prefix := range generations {
		created := b.createSub(t, prefix, `{"object_type":"entity","url":"https://example.com/h"}`)
		if !strings.HasPrefix(str(created["secret"]), "whsec_") {
			t.Errorf("POST %s body has no secret: %v", prefix, created)
		}
		id := str(created["id"])
		res := b.must(t, 200, "POST", prefix+"/"+id+"/regenerate_secret", "")
		if !strings.Contains(string(res.raw), `"secret":"whsec_`) {
			t.Errorf("regenerate_secret body has no secret: %s", res.raw)
		}
		for _, c := range []struct{ method, path, body string }{
			{"GET", prefix, ""},
			{"GET", prefix + "/" + id, ""},
			{"PATCH", prefix + "/" + id, `{"name":"n"}`},
			{"POST", prefix + "/" + id + "/disable", ""},
			{"POST", prefix + "/" + id + "/enable", ""},
		} {
			res := b.must(t, 200, c.method, c.path, c.body)
			if strings.Contains(string(res.raw), "whsec_") || strings.Contains(string(res.raw), "secret") {
				t.Errorf("%s %s shows a secret: %s", c.method, c.path, res.raw)
			}
		}
	}
}

func TestVersionHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		header      string
		wantCode    int
		wantVersion string
	}{
		{"absent", "", 201, monitehooks.DefaultAPIVersion},
		{"given", "2025-01-15", 201, "2025-01-15"},
		{"malformed", "2025-1-15", 422, ""},
		{"not a date", "yesterday", 422, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := setup(t)
			var opts []reqOpt
			if tt.header != "" {
				opts = append(opts, withHeader("X-Monite-Version", tt.header))
			}
			res := b.must(t, tt.wantCode, "POST", "/webhook_subscriptions", `{"object_type":"entity","url":"https://example.com/h"}`, opts...)
			if tt.wantCode != 201 {
				want := map[string]any{"detail": []any{map[string]any{
					"loc": []any{"header", "x-monite-version"}, "msg": "Input should be a date, YYYY-MM-DD", "type": "value_error",
				}}}
				if diff := cmp.Diff(want, res.body); diff != "" {
					t.Errorf("body mismatch (-want +got):\n%s", diff)
				}
				return
			}
			sub, err := b.reg.Get(context.Background(), partnerA, str(res.object(t)["id"]))
			if err != nil {
				t.Fatal(err)
			}
			if sub.APIVersion != tt.wantVersion {
				t.Errorf("APIVersion = %q; want %q", sub.APIVersion, tt.wantVersion)
			}
		})
	}
}
