package memstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/memstore"
)

func Example() {
	ctx := context.Background()
	s := memstore.New()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	sub, err := s.CreateSubscription(ctx, monitehooks.Subscription{
		PartnerID:  "partner-1",
		ObjectType: "entity",
		URL:        "https://example.com/hooks",
		Status:     monitehooks.StatusEnabled,
		APIFormat:  monitehooks.FormatSettings,
		CreatedAt:  now,
		UpdatedAt:  now,
	})
	if err != nil {
		panic(err)
	}

	ev, err := s.CreateEvent(ctx, monitehooks.CreateEventParams{
		Event: monitehooks.Event{
			PartnerID:  "partner-1",
			ObjectType: "entity",
			ObjectID:   "3fa85f64-5717-4562-b3fc-2c963f66afa6",
			Type:       "created",
			CreatedAt:  now,
		},
		SubscriptionIDs: []string{sub.ID},
		Due:             now,
	})
	if err != nil {
		panic(err)
	}

	res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 10, Lease: time.Minute})
	if err != nil {
		panic(err)
	}
	c := res.Claims[0]
	fmt.Println("claimed:", len(res.Claims), c.Event.ObjectType, c.Event.Type, c.SubscriptionID == sub.ID, c.Event.ID == ev.ID)
	fmt.Println("next due:", res.NextDue.Sub(now)) // the end of the lease

	err = s.RecordAttempt(ctx, monitehooks.RecordAttemptParams{
		DeliveryID: c.DeliveryID,
		LeaseToken: c.LeaseToken,
		Attempt:    &monitehooks.Attempt{At: now, Duration: 80 * time.Millisecond, URL: sub.URL, StatusCode: 200},
		Status:     monitehooks.DeliverySucceeded,
		UpdatedAt:  now,
	})
	if err != nil {
		panic(err)
	}
	counts, _ := s.CountDeliveries(ctx)
	fmt.Printf("%+v\n", counts)
	// Output:
	// claimed: 1 entity created true true
	// next due: 1m0s
	// {Pending:0 Succeeded:1 Failed:0}
}
