package monitehooks_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/memstore"
)

// A registry validates subscriptions, stores them, and matches events to
// the enabled ones without touching the store.
func ExampleRegistry() {
	ctx := context.Background()
	reg, err := monitehooks.NewRegistry(ctx, memstore.New(), nil)
	if err != nil {
		log.Fatal(err)
	}
	sub, err := reg.Create(ctx, monitehooks.SubscriptionParams{
		PartnerID:  "partner-1",
		ObjectType: "entity",
		EventTypes: []monitehooks.EventType{"created"},
		URL:        "https://partner.example/webhooks",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("status:", sub.Status, "format:", sub.APIFormat)
	fmt.Println("entity created matches:", len(reg.Match("partner-1", "entity", "created")))
	fmt.Println("entity updated matches:", len(reg.Match("partner-1", "entity", "updated")))

	_, err = reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: "partner-1", ObjectType: "invoice", URL: "http://x"})
	var verr *monitehooks.ValidationError
	if errors.As(err, &verr) {
		for _, f := range verr.Fields {
			fmt.Printf("%s: %s (%s)\n", f.Field, f.Message, f.Kind)
		}
	}
	// Output:
	// status: enabled format: subscriptions
	// entity created matches: 1
	// entity updated matches: 0
	// object_type: unknown object type "invoice" (enum)
	// url: must use https (url)
}
