package httpapi_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
)

func TestEvents(t *testing.T) {
	b := setup(t)
	full := b.must(t, 201, "POST", "/events",
		`{"object_type":"entity","event_type":"updated","object_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","entity_id":"ent-1","object":{"name":"Acme"}}`).object(t)
	want := map[string]any{
		"id": "<uuid>", "object_type": "entity", "event_type": "updated", "object_id": "<uuid>",
		"entity_id": "ent-1", "object": map[string]any{"name": "Acme"}, "created_at": "<time>",
	}
	if diff := cmp.Diff(want, scrub(t, full)); diff != "" {
		t.Errorf("POST /events body mismatch (-want +got):\n%s", diff)
	}
	if full["object_id"] != "3fa85f64-5717-4562-b3fc-2c963f66afa6" {
		t.Errorf("object_id = %v; want the one given", full["object_id"])
	}
	stored, err := b.store.GetEvent(context.Background(), partnerA, str(full["id"]))
	if err != nil {
		t.Fatalf("the event was not stored: %v", err)
	}
	if stored.PartnerID != partnerA || string(stored.Object) != `{"name":"Acme"}` {
		t.Errorf("stored event = %+v; want partner A's with the object", stored)
	}

	bare := b.must(t, 201, "POST", "/events", `{"object_type":"role","event_type":"created","entity_id":null,"object":null}`).object(t)
	wantBare := map[string]any{
		"id": "<uuid>", "object_type": "role", "event_type": "created", "object_id": "<uuid>",
		"entity_id": nil, "created_at": "<time>",
	}
	if diff := cmp.Diff(wantBare, scrub(t, bare)); diff != "" {
		t.Errorf("POST /events without the optional fields mismatch (-want +got):\n%s", diff)
	}

	if diff := cmp.Diff(any(full), b.must(t, 200, "GET", "/events/"+str(full["id"]), "").body); diff != "" {
		t.Errorf("GET /events/{id} mismatch (-want +got):\n%s", diff)
	}
	list := b.must(t, 200, "GET", "/events", "")
	wantList := map[string]any{"data": []any{full, bare}, "next_pagination_token": nil, "prev_pagination_token": nil}
	if diff := cmp.Diff(wantList, list.body); diff != "" {
		t.Errorf("GET /events mismatch (-want +got):\n%s", diff)
	}
	for query, want := range map[string][]string{
		"object_type=role":   {str(bare["id"])},
		"event_type=updated": {str(full["id"])},
		"order=desc":         {str(bare["id"]), str(full["id"])},
		"created_at__gt=" + str(full["created_at"]): {str(bare["id"])},
		"object_type=entity&event_type=created":     {},
	} {
		if diff := cmp.Diff(want, b.must(t, 200, "GET", "/events?"+query, "").ids(t)); diff != "" {
			t.Errorf("GET /events?%s mismatch (-want +got):\n%s", query, diff)
		}
	}
	if got := b.must(t, 200, "GET", "/events", "", withToken(tokenB)).ids(t); len(got) != 0 {
		t.Errorf("partner B sees events %v; want none", got)
	}
}

func TestEmitDelivers(t *testing.T) {
	b := setup(t)
	sub := str(b.createSub(t, "/webhook_subscriptions", `{"object_type":"payment","url":"https://example.com/p"}`)["id"])
	ev := str(b.must(t, 201, "POST", "/events", `{"object_type":"payment","event_type":"created"}`).object(t)["id"])
	info := b.waitDone(t, 1)[0]
	if info.EventID != ev || info.SubscriptionID != sub || info.Status != monitehooks.DeliverySucceeded {
		t.Errorf("delivery = event %s to %s, %s; want event %s to %s, succeeded", info.EventID, info.SubscriptionID, info.Status, ev, sub)
	}
}
