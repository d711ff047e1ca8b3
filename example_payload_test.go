package monitehooks_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/monitehooks/monitehooks"
)

func ExampleParseRequest() {
	secret := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	receiver := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := monitehooks.ParseRequest(r, monitehooks.ParseParams{Secrets: []string{secret}})
		switch {
		case errors.Is(err, monitehooks.ErrInvalidPayload): // signed, but not a payload
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		case err != nil: // the signature does not verify: ErrNoValidSignature, …
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// p.ID() is the key to drop repeated deliveries with.
		fmt.Printf("%s %s %s: %s format", p.ObjectType(), p.ObjectID(), p.EventType(), p.Format)
		if p.Format == monitehooks.FormatSubscriptions {
			fmt.Printf(", object %s", p.Subscriptions.Object)
		}
		fmt.Println()
		w.WriteHeader(http.StatusNoContent)
	})

	deliver := func(body, signature string) {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/monite", strings.NewReader(body))
		req.Header.Set(monitehooks.SignatureHeader, signature)
		rec := httptest.NewRecorder()
		receiver.ServeHTTP(rec, req)
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%d %s", rec.Code, rec.Body)))
	}
	settings := `{"id":"9b2c1c4e-2f4e-4a41-9d0e-6f1b8c3f2a10","object_id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","object_type":"entity","action":"update","name":"My webhook","webhook_subscription_id":"5d1a7c3e-8b2f-4e6a-9c0d-1f2e3a4b5c6d","created_at":"2024-03-11T06:49:54.12Z"}`
	subscriptions := `{"id":"9b2c1c4e-2f4e-4a41-9d0e-6f1b8c3f2a10","created_at":"2024-03-11T06:49:54.12Z","action":"entity.updated","api_version":"2024-05-25","description":"entity_updated","entity_id":null,"object":{"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","status":"active"},"object_type":"entity","webhook_subscription_id":"5d1a7c3e-8b2f-4e6a-9c0d-1f2e3a4b5c6d"}`
	now := time.Now()
	deliver(settings, monitehooks.Sign([]byte(settings), now, secret))
	deliver(subscriptions, monitehooks.Sign([]byte(subscriptions), now, secret))
	deliver(settings, monitehooks.Sign([]byte(settings), now, monitehooks.NewSecret()))
	deliver(`{"hello":"world"}`, monitehooks.Sign([]byte(`{"hello":"world"}`), now, secret))
	// Output:
	// entity 3fa85f64-5717-4562-b3fc-2c963f66afa6 updated: settings format
	// 204
	// entity 3fa85f64-5717-4562-b3fc-2c963f66afa6 updated: subscriptions format, object {"id":"3fa85f64-5717-4562-b3fc-2c963f66afa6","status":"active"}
	// 204
	// 400 monitehooks: no valid signature
	// 422 monitehooks: invalid payload: settings format: "id" is missing
}
