package stack

import (
	"net/http"
	"time"

	"github.com/monitehooks/monitehooks"
)

// HealthHandler is healthHandler, for tests that need a short timeout.
func HealthHandler(store monitehooks.Store, timeout time.Duration) http.Handler {
	return healthHandler(store, timeout)
}
