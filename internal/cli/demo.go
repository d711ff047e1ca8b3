package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
	"github.com/monitehooks/monitehooks/internal/stack"
)

const demoUsage = `usage: monitehooks demo

Show the whole webhook flow in one process, on loopback addresses: a fake
Monite (the REST API at /v1 over an in-memory store) and a webhook
receiver. Through the REST API the demo creates one subscription per
object type of the default catalog, alternately with POST
/webhook_settings (settings payload format) and POST /webhook_subscriptions
(subscriptions format), then emits one event of every (object type, event
type) pair with POST /events. The receiver verifies each delivery's
Monite-Signature with its subscription's secret and checks its payload.

stdout gets a line per subscription, a line per verified delivery, and a
summary. The exit status is 0 once every delivery is verified and recorded
as successful, and 1 if one is not within 30 seconds.
`

// Demo settings.
const (
	demoTimeout = 30 * time.Second
	demoToken   = "demo-token"
	demoPartner = "demo-partner"
)

// demoSchedule retries fast: the receiver is local.
var demoSchedule = []time.Duration{0, 100 * time.Millisecond, 500 * time.Millisecond, time.Second}

func parseDemo(cmd *command, args []string, _ func(string) string) (runFunc, error) {
	fs := newFlagSet(cmd)
	pos, err := parseFlags(cmd, fs, args)
	if err != nil {
		return nil, err
	}
	if err := noArguments(cmd, pos); err != nil {
		return nil, err
	}
	return func(ctx context.Context, stdout, stderr io.Writer) int {
		return runDemo(ctx, cmd, stdout, stderr)
	}, nil
}

func runDemo(ctx context.Context, cmd *command, stdout, stderr io.Writer) int {
	if ctx.Err() != nil {
		return failure(cmd, stderr, "interrupted before it started")
	}
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()
	if err := runDemoFlow(ctx, stdout, stderr); err != nil {
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			return failure(cmd, stderr, "%v (the demo gives up after %v)", err, demoTimeout)
		case errors.Is(err, context.Canceled):
			return failure(cmd, stderr, "interrupted: %v", err)
		}
		return failure(cmd, stderr, "%v", err)
	}
	return exitOK
}

// demoSub is a subscription the demo made.
type demoSub struct {
	id         string
	objectType monitehooks.ObjectType
	format     monitehooks.APIFormat
	secret     string
}

// runDemoFlow runs the demo until every delivery is verified, ctx ends or
// something fails, and shuts everything down gracefully.
func runDemoFlow(ctx context.Context, stdout, stderr io.Writer) (err error) {
	catalog := monitehooks.DefaultCatalog
	var pairs int
	for _, ot := range catalog.ObjectTypes() {
		pairs += len(catalog.EventTypes(ot))
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	quit := make(chan struct{}) // closed when the demo stops reading deliveries
	rcv := &demoReceiver{secrets: map[monitehooks.ObjectType]string{}, got: make(chan demoDelivery, 4*pairs), quit: quit}
	finished := make(chan monitehooks.DeliveryInfo, 4*pairs)
	auth, err := httpapi.StaticTokens(map[string]string{demoToken: demoPartner})
	if err != nil {
		return err
	}
	st, err := stack.New(ctx, &stack.Config{
		Catalog:              catalog,
		Authenticator:        auth,
		RetryPolicy:          &monitehooks.Schedule{Delays: demoSchedule},
		AttemptTimeout:       5 * time.Second,
		Logger:               log,
		AllowInsecureURLs:    true,
		AllowPrivateNetworks: true,
		Observer: &monitehooks.Observer{DeliveryDone: func(d monitehooks.DeliveryInfo) {
			select {
			case finished <- d:
			default: // never hold a worker; the count then falls short and says so
			}
		}},
	})
	if err != nil {
		return err
	}
	rcvSrv, err := startServer("127.0.0.1:0", rcv, log)
	if err != nil {
		st.Emitter.Close()
		return fmt.Errorf("starting the receiver: %w", err)
	}
	apiSrv, err := startServer("127.0.0.1:0", st.Handler, log)
	if err != nil {
		st.Emitter.Close()
		rcvSrv.shutdown(context.Background())
		return fmt.Errorf("starting the API: %w", err)
	}
	defer func() {
		close(quit)
		// The API first, so no event comes in; then the emitter, whose
		// attempts in flight need the receiver; then the receiver.
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		err = errors.Join(err, apiSrv.shutdown(sctx), st.Emitter.Shutdown(sctx), rcvSrv.shutdown(sctx))
	}()
	fmt.Fprintf(stderr, "monitehooks demo: fake Monite API on %s%s, receiver on %s\n", apiSrv.url(), apiPrefix, rcvSrv.url())

	api := &apiClient{base: apiSrv.url() + apiPrefix, token: demoToken, http: &http.Client{}}
	subs := make(map[monitehooks.ObjectType]demoSub)
	for i, ot := range catalog.ObjectTypes() {
		sub, err := demoSubscribe(ctx, api, rcvSrv.url(), ot, i%2 == 0)
		if err != nil {
			return err
		}
		rcv.setSecret(ot, sub.secret)
		subs[ot] = sub
		fmt.Fprintf(stdout, "subscribed %s → sub %s (%s format, POST %s/webhook_%s)\n",
			ot, short(sub.id), sub.format, apiPrefix, sub.format)
	}

	// One event at a time, each awaited before the next, so the lines come
	// out in catalog order.
	entityID := uuid.NewString()
	for _, ot := range catalog.ObjectTypes() {
		for _, et := range catalog.EventTypes(ot) {
			var ev struct {
				ID string `json:"id"`
			}
			body := map[string]string{"object_type": string(ot), "event_type": string(et), "entity_id": entityID}
			if err := api.expect(ctx, http.MethodPost, "/events", body, http.StatusCreated, &ev); err != nil {
				return fmt.Errorf("emitting %s.%s: %w", ot, et, err)
			}
			sub := subs[ot]
			if err := rcv.await(ctx, ev.ID, sub, et); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "delivered %s.%s → sub %s (%s format) signature verified\n", ot, et, short(sub.id), sub.format)
		}
	}

	// The receiver has them all; the emitter records each success once
	// it has read the answer.
	for n := 0; n < pairs; n++ {
		select {
		case d := <-finished:
			if d.Status != monitehooks.DeliverySucceeded {
				return fmt.Errorf("delivery %s of event %s ended %s: %s", d.DeliveryID, d.EventID, d.Status, d.Attempt.Error)
			}
		case <-ctx.Done():
			return fmt.Errorf("waiting for the emitter to record the deliveries (%d of %d recorded): %w", n, pairs, ctx.Err())
		}
	}
	if err := demoCheckLog(ctx, api, pairs); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "all %d deliveries verified and recorded as successful (%d subscriptions, %d events)\n",
		pairs, len(subs), pairs)
	return nil
}

// demoSubscribe creates a subscription to ot at the receiver through the
// REST API: through /webhook_settings when settings is true, otherwise
// through /webhook_subscriptions.
func demoSubscribe(ctx context.Context, api *apiClient, receiverURL string, ot monitehooks.ObjectType, settings bool) (demoSub, error) {
	sub := demoSub{objectType: ot, format: monitehooks.FormatSubscriptions}
	body := map[string]string{"object_type": string(ot), "url": receiverURL + "/hooks/" + string(ot)}
	want := http.StatusCreated
	if settings {
		sub.format = monitehooks.FormatSettings
		body["name"] = "demo " + string(ot)
		want = http.StatusOK
	}
	var created struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	path := "/webhook_" + string(sub.format)
	if err := api.expect(ctx, http.MethodPost, path, body, want, &created); err != nil {
		return demoSub{}, fmt.Errorf("subscribing to %s: %w", ot, err)
	}
	if created.ID == "" || created.Secret == "" {
		return demoSub{}, fmt.Errorf("subscribing to %s: POST %s answered no id or no secret", ot, path)
	}
	sub.id, sub.secret = created.ID, created.Secret
	return sub, nil
}

// demoCheckLog checks through GET /webhook_deliveries that the delivery
// log holds n deliveries, all successful.
func demoCheckLog(ctx context.Context, api *apiClient, n int) error {
	var list struct {
		Data []struct {
			ID            string `json:"id"`
			WasSuccessful bool   `json:"was_successful"`
		} `json:"data"`
	}
	if err := api.expect(ctx, http.MethodGet, "/webhook_deliveries", nil, http.StatusOK, &list); err != nil {
		return fmt.Errorf("reading the delivery log: %w", err)
	}
	if len(list.Data) != n {
		return fmt.Errorf("GET %s/webhook_deliveries lists %d deliveries; want %d", apiPrefix, len(list.Data), n)
	}
	for _, d := range list.Data {
		if !d.WasSuccessful {
			return fmt.Errorf("GET %s/webhook_deliveries lists delivery %s as not successful", apiPrefix, d.ID)
		}
	}
	return nil
}

// short abbreviates an ID for display to its last 8 characters: the
// store's IDs start with a sequence number, so their starts look alike
// ("00000000") while their ends are random.
func short(id string) string {
	if len(id) > 8 {
		return id[len(id)-8:]
	}
	return id
}

// demoReceiver is the demo's webhook endpoint: it verifies each delivery
// to /hooks/<object type> with the secret of that object type's
// subscription and passes it on. It is safe for concurrent use.
type demoReceiver struct {
	mu      sync.Mutex                        // guards secrets
	secrets map[monitehooks.ObjectType]string // the secret of each object type's subscription

	got  chan demoDelivery // the deliveries received
	quit chan struct{}     // closed when nobody reads got any more
}

// demoDelivery is a delivery the receiver got.
type demoDelivery struct {
	path      string
	webhookID string
	payload   demoPayload
	err       error // why the delivery is not acceptable, or nil
}

// demoPayload holds the fields the demo checks, which both payload
// formats have.
type demoPayload struct {
	ID             string `json:"id"`
	ObjectType     string `json:"object_type"`
	Action         string `json:"action"`
	SubscriptionID string `json:"webhook_subscription_id"`
}

func (rc *demoReceiver) setSecret(ot monitehooks.ObjectType, secret string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secrets[ot] = secret
}

func (rc *demoReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := demoDelivery{path: r.URL.Path, webhookID: r.Header.Get(monitehooks.WebhookIDHeader)}
	ot, found := strings.CutPrefix(r.URL.Path, "/hooks/")
	rc.mu.Lock()
	secret := rc.secrets[monitehooks.ObjectType(ot)]
	rc.mu.Unlock()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, monitehooks.DefaultMaxBodyBytes))
	switch {
	case err != nil:
		d.err = fmt.Errorf("reading the body: %w", err)
	case !found || secret == "":
		d.err = errors.New("no subscription posts here")
	case r.Method != http.MethodPost:
		d.err = fmt.Errorf("method %s; want POST", r.Method)
	default:
		if err := monitehooks.Verify(r.Header.Get(monitehooks.SignatureHeader), body, monitehooks.VerifyParams{Secrets: []string{secret}}); err != nil {
			d.err = fmt.Errorf("signature: %w", err)
		} else if err := json.Unmarshal(body, &d.payload); err != nil {
			d.err = fmt.Errorf("payload: %w", err)
		}
	}
	select {
	case rc.got <- d:
	case <-rc.quit:
	}
	if d.err != nil {
		http.Error(w, d.err.Error(), http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// await waits for the delivery of event eventID, of type et, to sub, and
// checks it.
func (rc *demoReceiver) await(ctx context.Context, eventID string, sub demoSub, et monitehooks.EventType) error {
	what := fmt.Sprintf("%s.%s to sub %s", sub.objectType, et, short(sub.id))
	var d demoDelivery
	select {
	case d = <-rc.got:
	case <-ctx.Done():
		return fmt.Errorf("no delivery of %s reached the receiver: %w", what, ctx.Err())
	}
	wantAction := string(sub.objectType) + "." + string(et)
	if sub.format == monitehooks.FormatSettings {
		wantAction = monitehooks.SettingsAction(sub.objectType, et)
	}
	switch {
	case d.err != nil:
		return fmt.Errorf("delivery to %s not accepted: %w", d.path, d.err)
	case d.webhookID != eventID:
		return fmt.Errorf("awaiting %s (event %s), got event %q at %s", what, eventID, d.webhookID, d.path)
	case d.payload.ID != eventID:
		return fmt.Errorf("delivery of %s: payload id %q; want the event id %s", what, d.payload.ID, eventID)
	case d.payload.SubscriptionID != sub.id:
		return fmt.Errorf("delivery of %s: webhook_subscription_id %q; want %s", what, d.payload.SubscriptionID, sub.id)
	case d.payload.ObjectType != string(sub.objectType) || d.path != "/hooks/"+string(sub.objectType):
		return fmt.Errorf("delivery of %s: object_type %q at %s", what, d.payload.ObjectType, d.path)
	case d.payload.Action != wantAction:
		return fmt.Errorf("delivery of %s: action %q; want %q", what, d.payload.Action, wantAction)
	}
	return nil
}
