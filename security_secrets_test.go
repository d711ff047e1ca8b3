package monitehooks_test

// The security suite, continued: no secret ever reaches a log line, an
// answer, an error or the delivery log (security_test.go holds the rest).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
)

// syncBuffer is a bytes.Buffer safe for concurrent use, to capture logs.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// secretLeaks returns what in text gives a secret away: the secret prefix,
// or the random part of one of the secrets, as it is or URL-escaped.
func secretLeaks(text string, secrets []string) []string {
	var found []string
	if strings.Contains(text, monitehooks.SecretPrefix) {
		found = append(found, monitehooks.SecretPrefix)
	}
	for _, s := range secrets {
		random := strings.TrimPrefix(s, monitehooks.SecretPrefix)
		if strings.Contains(text, random) || strings.Contains(text, url.QueryEscape(random)) {
			found = append(found, s)
		}
	}
	return found
}

func errOf[T any](_ T, err error) error { return err }

// apiRequest is one request to the REST API.
type apiRequest struct {
	name         string
	method, path string
	body         string
	token        string // defaults to partner A's; "-" sends none
	contentType  string // defaults to application/json with a body
	header       [2]string
	want         int
}

// TestSecuritySecretsNeverLeak runs a full flow (subscriptions made over
// the REST API; deliveries that succeed, fail with 500, hit the SSRF guard
// and time out; a rotation with overlap; every kind of 4xx) with the
// emitter's and the API's logs captured at debug level, then scans
// everything produced: no log line, answer (but those of create and
// regenerate_secret, which carry exactly their own secret), delivery
// request, delivery log entry or error message holds a secret or the
// whsec_ prefix.
func TestSecuritySecretsNeverLeak(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b := setupEmitter(t, &monitehooks.EmitterConfig{
		AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, // the guard is on
		AttemptTimeout:  mixedTimeout,                                         // the hanging endpoint's attempt times out, the others must not
		RetryPolicy:     &monitehooks.Schedule{Delays: []time.Duration{0}},
		Logger:          logger,
	})
	okRC := newReceiver(t, nil)
	failRC := newReceiver(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		http.Error(w, "internal error", http.StatusInternalServerError)
	})
	hangRC := newReceiver(t, func(_ http.ResponseWriter, r *http.Request, _ int) { <-r.Context().Done() })
	auth, err := httpapi.StaticTokens(map[string]string{"token-a": "partner-a", "token-b": "partner-b"})
	if err != nil {
		t.Fatalf("httpapi.StaticTokens: %v", err)
	}
	h, err := httpapi.New(&httpapi.Config{
		Registry: b.reg, Store: b.store, Emitter: b.em, Authenticator: auth, Logger: logger,
	})
	if err != nil {
		t.Fatalf("httpapi.New: %v", err)
	}
	ctx := context.Background()

	// texts holds everything that must not give a secret away, by where
	// it comes from.
	type text struct{ what, text string }
	var texts []text
	call := func(r apiRequest) (head, body string) {
		t.Helper()
		req := httptest.NewRequest(r.method, r.path, strings.NewReader(r.body))
		switch r.token {
		case "":
			req.Header.Set("Authorization", "Bearer token-a")
		case "-":
		default:
			req.Header.Set("Authorization", "Bearer "+r.token)
		}
		switch {
		case r.contentType != "":
			req.Header.Set("Content-Type", r.contentType)
		case r.body != "":
			req.Header.Set("Content-Type", "application/json")
		}
		if r.header[0] != "" {
			req.Header.Set(r.header[0], r.header[1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		var hb bytes.Buffer
		w.Result().Header.Write(&hb)
		if w.Code != r.want {
			t.Errorf("%s: %s %s: Code = %d; want %d\n%s", r.name, r.method, r.path, w.Code, r.want, w.Body)
		}
		return hb.String(), w.Body.String()
	}
	// secretCall makes a request whose answer carries a secret, and
	// returns the resource's ID and secret.
	secretCall := func(r apiRequest) (id, secret string) {
		t.Helper()
		head, body := call(r)
		texts = append(texts, text{r.name + ": headers", head})
		var m struct{ ID, Secret string }
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("%s: %v\n%s", r.name, err, body)
		}
		sub, err := b.reg.Get(ctx, "partner-a", m.ID)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		if m.Secret != sub.CurrentSecret() || strings.Count(body, monitehooks.SecretPrefix) != 1 {
			t.Errorf("%s answered %s; want the current secret, once, and no other", r.name, body)
		}
		return m.ID, m.Secret
	}

	// Subscriptions: one per outcome.
	create := func(name, prefix, endpoint string, want int) (id, secret string) {
		return secretCall(apiRequest{
			name: name, method: "POST", path: prefix, want: want,
			body: `{"object_type":"entity","url":"` + endpoint + `"}`,
		})
	}
	okID, okSecret := create("create ok", "/webhook_settings", okRC.URL+"/ok", http.StatusOK)
	failID, failSecret := create("create failing", "/webhook_subscriptions", failRC.URL+"/fail", http.StatusCreated)
	blockedID, _ := create("create blocked", "/webhook_subscriptions", "http://[::1]:1/latest/meta-data", http.StatusCreated)
	hangID, _ := create("create hanging", "/webhook_subscriptions", hangRC.URL+"/hang", http.StatusCreated)
	_, okNew := secretCall(apiRequest{
		name: "regenerate with overlap", method: "POST", path: "/webhook_subscriptions/" + okID + "/regenerate_secret",
		body: `{"expire_previous_in_seconds":3600}`, want: http.StatusOK,
	})
	secretCall(apiRequest{
		name: "regenerate at once", method: "POST", path: "/webhook_settings/" + failID + "/regenerate_secret", want: http.StatusOK,
	})
	if okNew == okSecret {
		t.Fatalf("regenerate_secret kept the secret")
	}

	// Every secret ever made, from the registry.
	var secrets []string
	rotated := map[string][]monitehooks.Secret{}
	for _, id := range []string{okID, failID, blockedID, hangID} {
		sub, err := b.reg.Get(ctx, "partner-a", id)
		if err != nil {
			t.Fatal(err)
		}
		rotated[id] = sub.Secrets
		for _, s := range sub.Secrets {
			secrets = append(secrets, s.Value)
		}
	}
	secrets = append(secrets, failSecret) // rotated out at once
	if len(secrets) != 6 {
		t.Fatalf("%d secrets; want 6: 4 subscriptions, an overlap and one rotated out", len(secrets))
	}

	// Deliveries: success, 500, blocked, timeout.
	head, body := call(apiRequest{
		name: "emit", method: "POST", path: "/events", want: http.StatusCreated,
		body: `{"object_type":"entity","event_type":"updated","object":{"note":"nothing secret"}}`,
	})
	texts = append(texts, text{"emit", head + body})
	var ev struct{ ID string }
	if err := json.Unmarshal([]byte(body), &ev); err != nil || ev.ID == "" {
		t.Fatalf("emit answered %s (%v); want an event", body, err)
	}
	classes := map[string]monitehooks.ErrorClass{}
	for range 4 {
		info := wait(t, b.done, "a delivery")
		classes[info.SubscriptionID] = info.Attempt.ErrorClass
	}
	wantClasses := map[string]monitehooks.ErrorClass{
		okID: "", failID: monitehooks.ErrorStatus, blockedID: monitehooks.ErrorBlocked, hangID: monitehooks.ErrorTimeout,
	}
	if diff := cmp.Diff(wantClasses, classes); diff != "" {
		t.Fatalf("error classes by subscription mismatch (-want +got):\n%s", diff)
	}
	delivered := okRC.next(t)
	for _, s := range []string{okNew, okSecret} {
		if err := monitehooks.Verify(delivered.Header.Get(monitehooks.SignatureHeader), delivered.Body, monitehooks.VerifyParams{
			Secrets: []string{s}, Now: b.clock.Now,
		}); err != nil {
			t.Errorf("Verify(delivery, a live secret) = %v; want nil: both secrets sign during the overlap", err)
		}
	}
	for name, rc := range map[string]*receiver{"ok": okRC, "failing": failRC, "hanging": hangRC} {
		r := delivered
		if name != "ok" {
			r = rc.next(t)
		}
		var head bytes.Buffer
		r.Header.Write(&head)
		texts = append(texts, text{"delivery request to the " + name + " receiver", head.String() + "\n" + string(r.Body)})
	}

	// Every answer that is not a create or a regeneration, errors of
	// every kind among them.
	const unknownID = "8d0c3a1e-7b0e-4f51-9c3b-2f6f0a0e1b2c"
	sub := "/webhook_subscriptions/" + failID
	requests := []apiRequest{
		{name: "list settings", method: "GET", path: "/webhook_settings", want: 200},
		{name: "list subscriptions", method: "GET", path: "/webhook_subscriptions", want: 200},
		{name: "get setting", method: "GET", path: "/webhook_settings/" + okID, want: 200},
		{name: "get subscription", method: "GET", path: "/webhook_subscriptions/" + okID, want: 200},
		{name: "get blocked", method: "GET", path: "/webhook_subscriptions/" + blockedID, want: 200},
		{name: "patch", method: "PATCH", path: sub, body: `{"name":"renamed"}`, want: 200},
		{name: "patch url", method: "PATCH", path: "/webhook_settings/" + okID, body: `{"url":"` + okRC.URL + `/moved"}`, want: 200},
		{name: "disable", method: "POST", path: "/webhook_subscriptions/" + hangID + "/disable", want: 200},
		{name: "enable", method: "POST", path: "/webhook_settings/" + hangID + "/enable", want: 200},
		{name: "deliveries", method: "GET", path: "/webhook_deliveries", want: 200},
		{name: "deliveries of the event", method: "GET", path: "/webhook_deliveries?event_id=" + ev.ID, want: 200},
		{name: "events", method: "GET", path: "/events", want: 200},
		{name: "event", method: "GET", path: "/events/" + ev.ID, want: 200},
		{name: "openapi", method: "GET", path: "/openapi.json", token: "-", want: 200},
		{name: "malformed JSON", method: "POST", path: "/webhook_subscriptions", body: `{"object_type":`, want: 400},
		{name: "no token", method: "GET", path: "/webhook_subscriptions", token: "-", want: 401},
		{name: "unknown token", method: "GET", path: "/webhook_subscriptions", token: "nope", want: 401},
		{name: "a secret as the token", method: "GET", path: sub, token: okNew, want: 401},
		{name: "unknown ID", method: "GET", path: "/webhook_subscriptions/" + unknownID, want: 404},
		{name: "ID not a UUID", method: "GET", path: "/webhook_subscriptions/nope", want: 404},
		{name: "another partner's subscription", method: "GET", path: sub, token: "token-b", want: 404},
		{name: "another partner's regenerate", method: "POST", path: sub + "/regenerate_secret", token: "token-b", want: 404},
		{name: "unknown path", method: "GET", path: "/secrets", want: 404},
		{name: "method not allowed", method: "PUT", path: sub, body: `{}`, want: 405},
		{name: "body too large", method: "PATCH", path: sub, body: `{"name":"` + strings.Repeat("a", httpapi.MaxBodySize) + `"}`, want: 413},
		{name: "not JSON", method: "PATCH", path: sub, body: "name=x", contentType: "text/plain", want: 415},
		{name: "limit out of range", method: "GET", path: "/webhook_subscriptions?limit=0", want: 416},
		{name: "bad URL", method: "PATCH", path: sub, body: `{"url":"https://u:p@example.com/"}`, want: 422},
		// These send a secret in: the answer may name the field, never
		// echo the value.
		{name: "setting the secret", method: "PATCH", path: sub, body: `{"secret":"` + okNew + `"}`, want: 422},
		{name: "creating with a secret", method: "POST", path: "/webhook_subscriptions", body: `{"object_type":"entity","url":"https://example.com/","secret":"` + okNew + `"}`, want: 422},
		{name: "wrong type", method: "PATCH", path: sub, body: `{"name":5}`, want: 422},
		{name: "not an object", method: "PATCH", path: sub, body: `[]`, want: 422},
		{name: "overlap out of range", method: "POST", path: sub + "/regenerate_secret", body: `{"expire_previous_in_seconds":-1}`, want: 422},
		{name: "bad version header", method: "POST", path: "/webhook_subscriptions", body: `{"object_type":"entity","url":"https://example.com/"}`, header: [2]string{httpapi.VersionHeader, "soon"}, want: 422},
		{name: "bad pagination token", method: "GET", path: "/webhook_deliveries?pagination_token=forged", want: 422},
		{name: "bad query", method: "GET", path: "/webhook_deliveries?created_at__gt=yesterday", want: 422},
		{name: "bad event", method: "POST", path: "/events", body: `{"object_type":"entity","event_type":"deleted"}`, want: 422},
	}
	for _, r := range requests {
		head, body := call(r)
		texts = append(texts, text{r.name, head + body})
	}
	for id, want := range rotated {
		got, err := b.reg.Get(ctx, "partner-a", id)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got.Secrets); diff != "" {
			t.Errorf("subscription %s: the requests above changed its secrets (-want +got):\n%s", id, diff)
		}
	}

	// The delivery log.
	page, err := b.store.ListDeliveries(ctx, "partner-a", monitehooks.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 4 {
		t.Errorf("%d deliveries; want 4", len(page.Data))
	}
	for _, d := range page.Data {
		for i, a := range d.Attempts {
			texts = append(texts, text{fmt.Sprintf("delivery %s attempt %d", d.ID, i+1), a.URL + "\n" + a.Error + "\n" + a.Response})
		}
	}

	// Error messages of the library.
	header := delivered.Header.Get(monitehooks.SignatureHeader)
	tampered := append(slices.Clone(delivered.Body), ' ')
	verify := func(h string, body []byte, p monitehooks.VerifyParams) error {
		if p.Now == nil {
			p.Now = b.clock.Now
		}
		return monitehooks.Verify(h, body, p)
	}
	badURL := "https://example.com/\r\n"
	errs := map[string]error{
		"Registry.Get of another partner":   errOf(b.reg.Get(ctx, "partner-b", okID)),
		"Registry.Update bad URL":           errOf(b.reg.Update(ctx, "partner-a", okID, monitehooks.SubscriptionUpdate{URL: &badURL})),
		"Registry.RegenerateSecret overlap": errOf(b.reg.RegenerateSecret(ctx, "partner-a", okID, -time.Second)),
		"Registry.RegenerateSecret other":   errOf(b.reg.RegenerateSecret(ctx, "partner-b", okID, 0)),
		"Registry.Create invalid":           errOf(b.reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: "partner-a"})),
		"Registry.Enable other":             errOf(b.reg.Enable(ctx, "partner-b", okID)),
		"Registry.Delete other":             b.reg.Delete(ctx, "partner-b", okID),
		"Emitter.Emit invalid":              errOf(b.em.Emit(ctx, monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "deleted"})),
		"Emitter.Redeliver other":           errOf(b.em.Redeliver(ctx, "partner-b", page.Data[0].ID)),
		"Emitter.RecoverFailed other":       errOf(b.em.RecoverFailed(ctx, "partner-b", failID, time.Time{})),
		"Verify tampered body":              verify(header, tampered, monitehooks.VerifyParams{Secrets: secrets}),
		"Verify wrong secret":               verify(header, delivered.Body, monitehooks.VerifyParams{Secrets: []string{failSecret}}),
		"Verify empty secret":               verify(header, delivered.Body, monitehooks.VerifyParams{Secrets: []string{okNew, ""}}),
		"Verify too old":                    verify(header, delivered.Body, monitehooks.VerifyParams{Secrets: []string{okNew}, Now: func() time.Time { return b.clock.Now().Add(time.Hour) }}),
		"Verify malformed":                  verify("t=1,v1="+okNew, delivered.Body, monitehooks.VerifyParams{Secrets: []string{okNew}}),
	}
	mw := setupMiddleware(t, monitehooks.VerifyParams{Secrets: []string{okNew, okSecret}, Now: b.clock.Now})
	if rec := mw.serve(header, tampered); rec.Code != http.StatusBadRequest {
		t.Errorf("VerifyMiddleware(tampered) Code = %d; want 400", rec.Code)
	} else {
		texts = append(texts, text{"VerifyMiddleware answer", rec.Body.String()})
	}
	if err := b.em.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	errs["Emitter.Emit closed"] = errOf(b.em.Emit(ctx, monitehooks.Event{PartnerID: "partner-a", ObjectType: "entity", Type: "created", ObjectID: "o"}))
	for what, err := range errs {
		if err == nil {
			t.Errorf("%s = nil; want an error", what)
			continue
		}
		texts = append(texts, text{what, err.Error()})
	}

	// The logs: they saw every kind of outcome, and no secret.
	captured := logs.String()
	for _, want := range []string{
		`"msg":"monitehooks: delivered"`, `"error_class":"status"`, `"error_class":"blocked"`, `"error_class":"timeout"`,
		`"msg":"httpapi: request refused"`, `"status":401`, `"status":422`, `"msg":"monitehooks: emitter stopped"`,
	} {
		if !strings.Contains(captured, want) {
			t.Errorf("the logs lack %s: the scan would miss that case\n%s", want, captured)
		}
	}
	texts = append(texts, text{"logs", captured})

	for _, x := range texts {
		for _, line := range strings.Split(x.text, "\n") {
			if found := secretLeaks(line, secrets); len(found) > 0 {
				t.Errorf("%s gives away %q:\n%s", x.what, found, line)
			}
		}
	}
}
