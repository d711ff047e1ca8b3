package webhooktest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/webhooktest"
)

// TestPartnerHandler is the example of the README: a partner's own
// handler, protected by VerifyMiddleware, tested end to end against a fake
// Monite in under 30 lines.
func TestPartnerHandler(t *testing.T) {
	monite := webhooktest.NewServer(t, nil)
	updated := make(chan string, 1)
	partner := httptest.NewUnstartedServer(nil) // the partner's service
	t.Cleanup(partner.Close)

	sub := monite.Subscribe(t, monitehooks.SubscriptionParams{
		ObjectType: "entity", URL: "http://" + partner.Listener.Addr().String() + "/monite",
	})
	partner.Config.Handler = monitehooks.VerifyMiddleware(
		monitehooks.VerifyParams{Secrets: []string{sub.CurrentSecret()}},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			updated <- r.Header.Get(monitehooks.WebhookIDHeader) // the handler's real work
		}))
	partner.Start()

	ev := monite.Emit(t, monitehooks.Event{ObjectType: "entity", Type: "updated"})
	select {
	case got := <-updated:
		if got != ev.ID {
			t.Errorf("handler saw event %q; want %q", got, ev.ID)
		}
	case <-time.After(webhooktest.DefaultWait):
		t.Fatal("the handler got no event")
	}
	monite.Settle(t)
	if d := monite.Deliveries(t, monite.PartnerID)[0]; d.Status != monitehooks.DeliverySucceeded {
		t.Errorf("delivery = %s; want succeeded", d.Status)
	}
}
