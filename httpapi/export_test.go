package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/monitehooks/monitehooks"
)

// Route is a route of the table that builds the mux and the OpenAPI
// document.
type Route struct {
	Method, Path string
	Public       bool
}

// Routes returns the route table of a handler made by New.
func Routes(h http.Handler) []Route {
	var out []Route
	for _, rt := range h.(*handler).routes {
		out = append(out, Route{Method: rt.method, Path: rt.path, Public: rt.public})
	}
	return out
}

// Patterns returns every pattern registered in the handler's mux.
func Patterns(h http.Handler) []string { return h.(*handler).patterns }

// Mux returns the handler's mux.
func Mux(h http.Handler) *http.ServeMux { return h.(*handler).mux }

// DeliveryRowJSON returns the JSON of the /webhook_deliveries row of d.
func DeliveryRowJSON(d monitehooks.Delivery, subURL func(id string) (string, bool)) []byte {
	b, err := json.Marshal(newDeliveryBody(&d, subURL))
	if err != nil {
		panic(err)
	}
	return b
}
