package webhooktest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/webhooktest"
)

// exampleTB stands in for the *testing.T a real test passes: Examples have
// none. It runs the cleanups when the example ends.
type exampleTB struct {
	testing.TB
	cleanups []func()
}

func (tb *exampleTB) Helper()                           {}
func (tb *exampleTB) Cleanup(f func())                  { tb.cleanups = append(tb.cleanups, f) }
func (tb *exampleTB) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (tb *exampleTB) Errorf(format string, args ...any) { fmt.Printf("error: "+format+"\n", args...) }
func (tb *exampleTB) done() {
	for i := len(tb.cleanups) - 1; i >= 0; i-- {
		tb.cleanups[i]()
	}
}

// A fake Monite retries a failing endpoint when the test moves its clock.
func ExampleServer() {
	t := &exampleTB{} // in a test: the test's *testing.T
	defer t.done()
	monite := webhooktest.NewServer(t, nil)
	hook := webhooktest.NewReceiver(t)
	hook.Script(webhooktest.Status(http.StatusServiceUnavailable)) // then 200

	sub := monite.Subscribe(t, monitehooks.SubscriptionParams{ObjectType: "payment", URL: hook.URL})
	hook.SetSecrets(sub.CurrentSecret())
	monite.Emit(t, monitehooks.Event{ObjectType: "payment", Type: "updated"})
	monite.Settle(t)
	monite.Advance(webhooktest.FastSchedule[1]) // the first retry is due
	monite.Settle(t)

	for _, r := range hook.WaitFor(t, 2) {
		fmt.Println(r.Method, "verified:", r.Verified(), "action:", r.JSON()["action"])
	}
	fmt.Println(monite.Deliveries(t, monite.PartnerID)[0].Status)
	// Output:
	// POST verified: true action: payment.updated
	// POST verified: true action: payment.updated
	// succeeded
}

// A receiver answers from a script and records what it got.
func ExampleReceiver() {
	t := &exampleTB{}
	defer t.done()
	hook := webhooktest.NewReceiver(t, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	hook.Script(webhooktest.Gone())

	resp, err := http.Post(hook.URL+"/hooks", "application/json", nil)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	r := hook.WaitFor(t, 1)[0]
	fmt.Println(resp.StatusCode, r.Path, r.SignatureErr)
	// Output:
	// 410 /hooks monitehooks: missing signature header
}
