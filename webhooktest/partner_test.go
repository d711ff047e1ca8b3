package webhooktest_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/webhooktest"
)

// TestPartnerHandler is the example of the README: a partner's own
// handler, protected by VerifyMiddleware on the fake Monite's clock, tested
// end to end against it, before and after the clock moves past the
// signature tolerance. TestReadmePartnerExample checks that the README
// shows these lines.
func TestPartnerHandler(t *testing.T) {
	monite := webhooktest.NewServer(t, nil)
	updated := make(chan string, 1)
	partner := httptest.NewUnstartedServer(nil) // the partner's service
	t.Cleanup(partner.Close)

	sub := monite.Subscribe(t, monitehooks.SubscriptionParams{
		ObjectType: "entity", URL: "http://" + partner.Listener.Addr().String() + "/monite",
	})
	partner.Config.Handler = monitehooks.VerifyMiddleware(
		monitehooks.VerifyParams{Secrets: []string{sub.CurrentSecret()}, Now: monite.Clock.Now},
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

	monite.Advance(30 * time.Minute) // later deliveries verify too: the handler is on monite's clock
	ev = monite.Emit(t, monitehooks.Event{ObjectType: "entity", Type: "updated"})
	monite.Settle(t)
	for _, d := range monite.Deliveries(t, monite.PartnerID) {
		if a, _ := d.LastAttempt(); d.EventID == ev.ID && d.Status != monitehooks.DeliverySucceeded {
			t.Errorf("30 minutes later on monite's clock: delivery = %s, answered %d %q; want succeeded",
				d.Status, a.StatusCode, a.Response)
		}
	}
}

// TestPartnerHandlerRetry shows why the README's handler verifies on the
// fake Monite's clock: a retry half an hour later on that clock is signed
// at that time, which a handler on the wall clock rejects as too new.
func TestPartnerHandlerRetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		clock     func(monite *webhooktest.Server) func() time.Time // VerifyParams.Now
		wantCodes []int
	}{
		{name: "fake clock", clock: func(monite *webhooktest.Server) func() time.Time { return monite.Clock.Now },
			wantCodes: []int{500, 200}},
		{name: "wall clock", clock: func(*webhooktest.Server) func() time.Time { return nil },
			wantCodes: []int{500, 400}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			monite := webhooktest.NewServer(t, &webhooktest.ServerConfig{
				RetrySchedule: []time.Duration{0, 30 * time.Minute},
			})
			partner := httptest.NewUnstartedServer(nil)
			t.Cleanup(partner.Close)
			sub := monite.Subscribe(t, monitehooks.SubscriptionParams{
				ObjectType: "entity", URL: "http://" + partner.Listener.Addr().String() + "/monite",
			})
			var calls atomic.Int32
			partner.Config.Handler = monitehooks.VerifyMiddleware(
				monitehooks.VerifyParams{Secrets: []string{sub.CurrentSecret()}, Now: tt.clock(monite)},
				http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if calls.Add(1) == 1 {
						w.WriteHeader(http.StatusInternalServerError) // the first attempt fails
					}
				}))
			partner.Start()

			monite.Emit(t, monitehooks.Event{ObjectType: "entity", Type: "updated"})
			monite.Settle(t)
			monite.Advance(30 * time.Minute)
			monite.Settle(t)

			var codes []int
			for _, a := range monite.Deliveries(t, monite.PartnerID)[0].Attempts {
				codes = append(codes, a.StatusCode)
			}
			if diff := cmp.Diff(tt.wantCodes, codes); diff != "" {
				t.Errorf("status codes of the attempts (-want +got):\n%s", diff)
			}
		})
	}
}
