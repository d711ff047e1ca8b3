package httpapi_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
)

// TestSecurityTenancyEvents adds to TestTenancy (tenancy_test.go), which
// walks every route with partner B's token, the two paths it does not
// reach: an event partner B posts to POST /events is delivered to B's
// subscriptions only, although A subscribes to the same object and event
// type; and /webhook_deliveries?event_id=<the other partner's event>
// answers exactly what it answers for an unknown event, an empty list.
func TestSecurityTenancyEvents(t *testing.T) {
	b := setup(t)
	asB := withToken(tokenB)
	const body = `{"object_type":"entity","url":"https://example.com/hook"}`
	subA := str(b.createSub(t, "/webhook_subscriptions", body)["id"])
	subB := str(b.createSub(t, "/webhook_subscriptions", body, asB)["id"])
	const event = `{"object_type":"entity","event_type":"created"}`
	evA := str(b.must(t, 201, "POST", "/events", event).object(t)["id"])
	evB := str(b.must(t, 201, "POST", "/events", event, asB).object(t)["id"])

	// Emit stores every delivery of an event before it answers, so the
	// store already holds all there will ever be.
	ctx := context.Background()
	got := map[string]map[string][]string{} // partner → event → subscriptions delivered to
	for _, partner := range []string{partnerA, partnerB} {
		got[partner] = map[string][]string{}
		for _, ev := range []string{evA, evB} {
			page, err := b.store.ListDeliveries(ctx, partner, monitehooks.ListParams{EventID: ev})
			if err != nil {
				t.Fatal(err)
			}
			subs := []string{}
			for _, d := range page.Data {
				subs = append(subs, d.SubscriptionID)
			}
			got[partner][ev] = subs
		}
	}
	want := map[string]map[string][]string{
		partnerA: {evA: {subA}, evB: {}},
		partnerB: {evA: {}, evB: {subB}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("deliveries by partner and event mismatch (-want +got):\n%s", diff)
	}
	// The test clock moves a second at every reading, so Emit may find
	// the deliveries due after the dispatcher's planned wake-up and leave
	// them to its poll: wake it, as the Emitter's doc asks of tests.
	b.em.Wake()
	done := map[string]string{} // event → subscription
	for _, info := range b.waitDone(t, 2) {
		done[info.EventID] = info.SubscriptionID
	}
	if diff := cmp.Diff(map[string]string{evA: subA, evB: subB}, done); diff != "" {
		t.Errorf("finished deliveries mismatch (-want +got):\n%s", diff)
	}

	const unknownEvent = "5b3c9d0e-6f1a-4b2c-8d3e-9f0a1b2c3d4e"
	for _, tt := range []struct {
		name       string
		as         reqOpt
		own, other string
	}{
		{"partner A", withToken(tokenA), evA, evB},
		{"partner B", asB, evB, evA},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if ids := b.must(t, 200, "GET", "/webhook_deliveries?event_id="+tt.own, "", tt.as).ids(t); len(ids) != 1 {
				t.Fatalf("own event's deliveries = %q; want one: the filter must work for the check to mean anything", ids)
			}
			other := b.must(t, 200, "GET", "/webhook_deliveries?event_id="+tt.other, "", tt.as)
			unknown := b.must(t, 200, "GET", "/webhook_deliveries?event_id="+unknownEvent, "", tt.as)
			if diff := cmp.Diff(string(unknown.raw), string(other.raw)); diff != "" {
				t.Errorf("the other partner's event answers unlike an unknown one (-unknown +other):\n%s", diff)
			}
			if data := other.list(t); len(data) != 0 {
				t.Errorf("the other partner's event shows %d deliveries; want none", len(data))
			}
		})
	}
}
