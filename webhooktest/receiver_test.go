package webhooktest_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/webhooktest"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func post(t *testing.T, url, body string, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestReceiverRecordsAndVerifies(t *testing.T) {
	t.Parallel()
	rc := webhooktest.NewReceiver(t, secret)
	body := `{"id":"e1","action":"update"}`
	signed := http.Header{
		monitehooks.SignatureHeader: {monitehooks.Sign([]byte(body), time.Now(), secret)},
		monitehooks.WebhookIDHeader: {"e1"},
	}
	post(t, rc.URL+"/hook", body, signed)
	post(t, rc.URL+"/hook", body, http.Header{monitehooks.SignatureHeader: {"t=1,v1=00"}})
	reqs := rc.WaitFor(t, 2)
	if !reqs[0].Verified() || reqs[0].Path != "/hook" || reqs[0].Method != "POST" || string(reqs[0].Body) != body {
		t.Errorf("request 0 = %+v; want a verified POST /hook with the body", reqs[0])
	}
	if !errors.Is(reqs[1].SignatureErr, monitehooks.ErrMalformedSignature) {
		t.Errorf("request 1 SignatureErr = %v; want ErrMalformedSignature", reqs[1].SignatureErr)
	}
	if got := rc.WaitForEvent(t, "e1"); got.WebhookID() != "e1" {
		t.Errorf("WaitForEvent = %+v", got)
	}
	if diff := cmp.Diff(map[string]any{"id": "e1", "action": "update"}, reqs[0].JSON()); diff != "" {
		t.Errorf("JSON() (-want +got):\n%s", diff)
	}
	// Copies: changing what Requests returned changes nothing.
	reqs[0].Body[0] = 'X'
	reqs[0].Header.Set("X-Changed", "1")
	if again := rc.Requests()[0]; again.Body[0] != '{' || again.Header.Get("X-Changed") != "" {
		t.Errorf("Requests() shares memory with the receiver")
	}
}

func TestReceiverWithoutSecrets(t *testing.T) {
	t.Parallel()
	rc := webhooktest.NewReceiver(t)
	post(t, rc.URL, "{}", nil)
	if r := rc.WaitFor(t, 1)[0]; !errors.Is(r.SignatureErr, webhooktest.ErrNoSecrets) {
		t.Errorf("SignatureErr = %v; want ErrNoSecrets", r.SignatureErr)
	}
	rc.SetSecrets(secret)
	post(t, rc.URL, "{}", http.Header{monitehooks.SignatureHeader: {monitehooks.Sign([]byte("{}"), time.Now(), secret)}})
	if r := rc.WaitFor(t, 2)[1]; !r.Verified() {
		t.Errorf("after SetSecrets: SignatureErr = %v; want nil", r.SignatureErr)
	}
}

func TestReceiverScript(t *testing.T) {
	t.Parallel()
	rc := webhooktest.NewReceiver(t)
	rc.Script(
		webhooktest.Status(500),
		webhooktest.RetryAfter(429, 120),
		webhooktest.Gone(),
		webhooktest.Redirect("https://elsewhere.example/"),
		webhooktest.Response{Status: 201, Body: "made"},
	)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	type answer struct {
		Status     int
		RetryAfter string
		Location   string
		Body       string
	}
	var got []answer
	for range 6 {
		resp, err := client.Post(rc.URL, "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		got = append(got, answer{resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Location"), string(b)})
	}
	want := []answer{
		{Status: 500}, {Status: 429, RetryAfter: "120"}, {Status: 410},
		{Status: 307, Location: "https://elsewhere.example/"}, {Status: 201, Body: "made"}, {Status: 200},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}

func TestReceiverScriptRefusesNonFinalStatus(t *testing.T) {
	t.Parallel()
	rc := webhooktest.NewReceiver(t)
	for _, status := range []int{-1, 100, 199, 600} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if want := fmt.Sprintf("response 1: status %d is not a final HTTP status", status); !strings.Contains(msg, want) {
					t.Errorf("Script(…, Status(%d)) panicked with %q; want a message containing %q", status, msg, want)
				}
			}()
			rc.Script(webhooktest.Status(500), webhooktest.Status(status))
		}()
	}
	// Nothing of a refused script is queued.
	resp, err := http.Post(rc.URL, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("after refused scripts: status %d; want 200", resp.StatusCode)
	}
}

func TestReceiverHangResetDelay(t *testing.T) {
	t.Parallel()
	rc := webhooktest.NewReceiver(t)
	rc.Script(webhooktest.Hang(), webhooktest.Reset(), webhooktest.Response{Delay: time.Millisecond, Status: 202})

	client := &http.Client{Timeout: 200 * time.Millisecond}
	if _, err := client.Post(rc.URL, "application/json", strings.NewReader("{}")); err == nil {
		t.Errorf("a hanging answer came back; want the client to time out")
	}
	if _, err := http.Post(rc.URL, "application/json", strings.NewReader("{}")); err == nil {
		t.Errorf("a reset connection answered; want an error")
	}
	resp, err := http.Post(rc.URL, "application/json", strings.NewReader("{}"))
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("delayed answer = %v, %v; want 202", resp, err)
	}
	resp.Body.Close()
	if n := rc.Len(); n != 3 {
		t.Errorf("Len() = %d; want 3", n)
	}
}

func TestReceiverCloseEndsHang(t *testing.T) {
	t.Parallel()
	rc := webhooktest.NewReceiver(t)
	rc.Script(webhooktest.Hang())
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Post(rc.URL, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	rc.WaitFor(t, 1)
	rc.Close() // must not wait for the hanging request's client
	rc.Close()
	select {
	case <-errc:
	case <-time.After(webhooktest.DefaultWait):
		t.Fatal("the hanging request did not end on Close")
	}
}

// fakeTB records failures instead of failing the test.
type fakeTB struct {
	testing.TB
	failed []string
}

func (f *fakeTB) Helper()                           {}
func (f *fakeTB) Errorf(format string, args ...any) { f.failed = append(f.failed, format) }
func (f *fakeTB) Fatalf(format string, args ...any) { f.failed = append(f.failed, format) }

func TestReceiverAssertions(t *testing.T) {
	t.Parallel()
	rc := webhooktest.NewReceiver(t, secret)
	post(t, rc.URL, `{"a":1}`, nil)
	rc.WaitFor(t, 1)

	ftb := &fakeTB{TB: t}
	rc.AssertAllVerified(ftb)
	rc.AssertBodies(ftb, []map[string]any{{"a": 2.0}})
	if len(ftb.failed) != 2 {
		t.Errorf("assertions reported %d failures; want 2 (unsigned request, body mismatch)", len(ftb.failed))
	}
	ftb = &fakeTB{TB: t}
	rc.AssertBodies(ftb, []map[string]any{{"a": 1.0}})
	if len(ftb.failed) != 0 {
		t.Errorf("AssertBodies with the right bodies failed: %v", ftb.failed)
	}
}
