package stack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/monitehooks/monitehooks"
)

// HealthPath is where [Stack].Handler answers health checks, outside
// APIPrefix and without a token: 200 {"status":"ok"} when the store
// answers within 2 seconds, 503 {"status":"unavailable","error":"…"}
// when it does not. The store answers when its Ping(ctx) error method,
// if it has one, returns nil; a store without Ping answers when looking
// up a subscription that does not exist says it is not found.
const HealthPath = "/healthz"

// healthTimeout bounds the store call of a health check: a store that
// does not answer within it is unavailable.
const healthTimeout = 2 * time.Second

// pinger is the optional interface of a store that can say cheaply
// whether it answers, such as one over database/sql. A health check calls
// Ping when the store has it.
type pinger interface {
	Ping(ctx context.Context) error
}

// healthProbeID is the subscription a health check asks a store without
// Ping for. It is a well-formed UUID, which a store that types its IDs
// accepts, and the nil one, which none assigns; partner "" has none
// anyway.
const healthProbeID = "00000000-0000-0000-0000-000000000000"

// ping asks the store whether it answers: Ping when it has it, otherwise
// a lookup by primary key of a subscription that does not exist, which
// costs the same in any store and answers ErrSubscriptionNotFound when
// all is well. (CountDeliveries would be O(1) in memstore, but counts a
// whole table in an SQL store.)
func ping(ctx context.Context, store monitehooks.Store) error {
	if p, ok := store.(pinger); ok {
		return p.Ping(ctx)
	}
	_, err := store.GetSubscription(ctx, "", healthProbeID)
	if err == nil || errors.Is(err, monitehooks.ErrSubscriptionNotFound) {
		return nil
	}
	return err
}

// healthHandler answers GET and HEAD on HealthPath by pinging store,
// waiting at most timeout.
func healthHandler(store monitehooks.Store, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			w.WriteHeader(http.StatusMethodNotAllowed)
			fmt.Fprintf(w, `{"error":{"message":"method not allowed; %s answers GET"}}`+"\n", HealthPath)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		err := ping(ctx, store)
		if err != nil && ctx.Err() != nil && r.Context().Err() == nil {
			err = fmt.Errorf("the store did not answer within %v: %w", timeout, err)
		}
		answer := struct {
			Status string `json:"status"`
			Error  string `json:"error,omitempty"`
		}{Status: "ok"}
		status := http.StatusOK
		if err != nil {
			answer.Status, answer.Error = "unavailable", err.Error()
			status = http.StatusServiceUnavailable
		}
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			json.NewEncoder(w).Encode(answer)
		}
	})
}
