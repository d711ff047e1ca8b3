package monitehooks_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/memstore"
)

// An emitter delivers each event to the matching subscriptions as a
// signed POST; the receiver verifies the signature with the
// subscription's secret.
func ExampleEmitter() {
	ctx := context.Background()
	store := memstore.New()
	// Test receivers listen on loopback over plain http, which the
	// defaults refuse.
	reg, err := monitehooks.NewRegistry(ctx, store, &monitehooks.RegistryConfig{AllowInsecureURLs: true})
	if err != nil {
		log.Fatal(err)
	}

	received := make(chan string, 1)
	var secret string
	receiver := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		err := monitehooks.Verify(r.Header.Get(monitehooks.SignatureHeader), body, monitehooks.VerifyParams{Secrets: []string{secret}})
		received <- fmt.Sprintf("verified: %v, action in body: %v", err == nil, bytes.Contains(body, []byte(`"action":"update"`)))
	}))
	sub, err := reg.Create(ctx, monitehooks.SubscriptionParams{
		PartnerID: "partner-1", ObjectType: "entity", URL: "http://" + receiver.Listener.Addr().String(),
		APIFormat: monitehooks.FormatSettings,
	})
	if err != nil {
		log.Fatal(err)
	}
	secret = sub.CurrentSecret() // the receiver's configuration
	receiver.Start()
	defer receiver.Close()

	em, err := monitehooks.NewEmitter(store, reg, &monitehooks.EmitterConfig{AllowPrivateNetworks: true})
	if err != nil {
		log.Fatal(err)
	}
	defer em.Shutdown(ctx)

	if _, err := em.Emit(ctx, monitehooks.Event{
		PartnerID: "partner-1", ObjectType: "entity", Type: "updated", ObjectID: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
	}); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-received)
	// Output:
	// verified: true, action in body: true
}
