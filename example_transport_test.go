package monitehooks_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/memstore"
)

// The emitter's own client speaks HTTP/1.1. A Transport of your own that
// speaks HTTP/2 to the endpoints that offer it keeps the SSRF guard with
// GuardedDialContext: here the guard refuses a subscription to the cloud
// metadata service, before connecting.
func ExampleGuardedDialContext() {
	ctx := context.Background()
	store := memstore.New()
	reg, err := monitehooks.NewRegistry(ctx, store, &monitehooks.RegistryConfig{AllowInsecureURLs: true})
	if err != nil {
		log.Fatal(err)
	}
	transport := &http.Transport{
		DialContext:         monitehooks.GuardedDialContext(nil), // the guard as the emitter's default has it
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: monitehooks.DefaultPerSubscription,
		IdleConnTimeout:     90 * time.Second,
	}
	attempts := make(chan monitehooks.Attempt, 1)
	em, err := monitehooks.NewEmitter(store, reg, &monitehooks.EmitterConfig{
		Transport: transport,
		Observer:  &monitehooks.Observer{AttemptDone: func(d monitehooks.DeliveryInfo) { attempts <- d.Attempt }},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer em.Shutdown(ctx)

	if _, err := reg.Create(ctx, monitehooks.SubscriptionParams{
		PartnerID: "partner-1", ObjectType: "entity", URL: "http://169.254.169.254/latest/meta-data",
	}); err != nil {
		log.Fatal(err)
	}
	if _, err := em.Emit(ctx, monitehooks.Event{
		PartnerID: "partner-1", ObjectType: "entity", Type: "updated", ObjectID: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
	}); err != nil {
		log.Fatal(err)
	}
	a := <-attempts
	fmt.Println(a.ErrorClass)
	// Output:
	// blocked
}
