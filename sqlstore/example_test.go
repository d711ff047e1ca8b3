package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
)

// An SQLite file holds the store: what was stored is there again when
// the file is opened anew, as after a crash.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sqlstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	url := "sqlite:" + filepath.Join(dir, "webhooks.db")
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

	s, err := sqlstore.Open(ctx, url, nil) // applies the migrations
	if err != nil {
		panic(err)
	}
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
	_, err = s.CreateEvent(ctx, monitehooks.CreateEventParams{
		Event: monitehooks.Event{
			PartnerID:  "partner-1",
			ObjectType: "entity",
			ObjectID:   "3fa85f64-5717-4562-b3fc-2c963f66afa6",
			Type:       "created",
			Object:     []byte(`{"id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}`),
			CreatedAt:  now,
		},
		SubscriptionIDs: []string{sub.ID},
		Due:             now,
	})
	if err != nil {
		panic(err)
	}
	s.Close() // the process stops

	s, err = sqlstore.Open(ctx, url, nil)
	if err != nil {
		panic(err)
	}
	defer s.Close()
	res, err := s.ClaimDeliveries(ctx, monitehooks.ClaimParams{Now: now, Limit: 10, Lease: time.Minute})
	if err != nil {
		panic(err)
	}
	c := res.Claims[0]
	fmt.Printf("claimed %d: %s.%s %s\n", len(res.Claims), c.Event.ObjectType, c.Event.Type, c.Event.Object)

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
	counts, err := s.CountDeliveries(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", counts)
	// Output:
	// claimed 1: entity.created {"id": "3fa85f64-5717-4562-b3fc-2c963f66afa6"}
	// {Pending:0 Succeeded:1 Failed:0}
}
