package httpapi

import (
	"context"
	"net/http"

	"github.com/monitehooks/monitehooks"
)

// deliveryBody is a row of GET /webhook_deliveries.
type deliveryBody struct {
	ID      string `json:"id"`
	EventID string `json:"event_id"`
	// RequestsMadeCount counts the attempts that made a request: not
	// those that found the subscription disabled or deleted.
	RequestsMadeCount int `json:"requests_made_count"`
	// Response, ResponseStatusCode and URL are the last request's; null
	// when no request was made (URL is then the subscription's, or null
	// when it is gone). ResponseStatusCode is null, too, when the request
	// got no answer.
	Response           *string `json:"response"`
	ResponseStatusCode *int    `json:"response_status_code"`
	URL                *string `json:"url"`
	WasSuccessful      bool    `json:"was_successful"`
}

// newDeliveryBody builds the row of d. subURL returns the current URL of
// the delivery's subscription, and false when it is gone; it is called
// only when no request was made.
func newDeliveryBody(d *monitehooks.Delivery, subURL func(id string) (string, bool)) deliveryBody {
	row := deliveryBody{ID: d.ID, EventID: d.EventID, WasSuccessful: d.Status == monitehooks.DeliverySucceeded}
	var last *monitehooks.Attempt
	for i := range d.Attempts {
		if a := &d.Attempts[i]; a.ErrorClass != monitehooks.ErrorSubscriptionGone {
			row.RequestsMadeCount++
			last = a
		}
	}
	switch {
	case last != nil:
		row.Response = &last.Response
		if last.StatusCode != 0 {
			row.ResponseStatusCode = &last.StatusCode
		}
		row.URL = &last.URL
	default:
		if u, ok := subURL(d.SubscriptionID); ok {
			row.URL = &u
		}
	}
	return row
}

func (h *handler) listDeliveries(w http.ResponseWriter, r *http.Request, partner string) error {
	p, empty, err := parseList(r, listFilters{deliveries: true, catalog: h.reg.Catalog()})
	if err != nil {
		return err
	}
	if empty {
		writeJSON(w, http.StatusOK, emptyList[deliveryBody]())
		return nil
	}
	page, err := h.store.ListDeliveries(r.Context(), partner, p)
	if err != nil {
		return err
	}
	subURL := func(id string) (string, bool) {
		s, err := h.reg.Get(context.WithoutCancel(r.Context()), partner, id)
		return s.URL, err == nil
	}
	writeJSON(w, http.StatusOK, newList(page, func(d *monitehooks.Delivery) deliveryBody {
		return newDeliveryBody(d, subURL)
	}))
	return nil
}
