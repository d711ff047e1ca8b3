package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/monitehooks/monitehooks"
)

// deliveryBody is a row of GET /webhook_deliveries, and the answer of
// POST /webhook_deliveries/{id}/redeliver.
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
	CreatedAt          string  `json:"created_at"`
	UpdatedAt          string  `json:"updated_at"`
	// Status is pending, succeeded or failed.
	Status string `json:"status"`
	// NextAttemptAt is when a pending delivery is due; null for one that
	// succeeded or failed.
	NextAttemptAt *string `json:"next_attempt_at"`
	// LastError says why the last attempt got no answer (see
	// attemptError); null when it got one, or when there was none.
	LastError *string `json:"last_error"`
}

// deliveryWithAttempts is the answer of GET /webhook_deliveries/{id}: the
// row and every attempt, oldest first.
type deliveryWithAttempts struct {
	deliveryBody
	Attempts []attemptBody `json:"attempts"`
}

// attemptBody is one attempt of a delivery.
type attemptBody struct {
	AttemptedAt string `json:"attempted_at"`
	DurationMS  int64  `json:"duration_ms"`
	// StatusCode is null when the attempt got no answer.
	StatusCode *int `json:"status_code"`
	// Error is null for a success; see attemptError.
	Error    *string `json:"error"`
	Response string  `json:"response"`
}

// attemptError words why an attempt failed as "<class>: <message>", the
// class being the attempt's [monitehooks.ErrorClass] (such as "timeout",
// "blocked" for the SSRF guard, "connection", "tls" or "status"), or nil
// for a success.
func attemptError(a *monitehooks.Attempt) *string {
	if a.ErrorClass == "" {
		return nil
	}
	s := string(a.ErrorClass)
	if a.Error != "" {
		s += ": " + a.Error
	}
	return &s
}

// newDeliveryBody builds the row of d. subURL returns the current URL of
// the delivery's subscription, and false when it is gone; it is called
// only when no request was made.
func newDeliveryBody(d *monitehooks.Delivery, subURL func(id string) (string, bool)) deliveryBody {
	row := deliveryBody{
		ID:            d.ID,
		EventID:       d.EventID,
		WasSuccessful: d.Status == monitehooks.DeliverySucceeded,
		CreatedAt:     formatTime(d.CreatedAt),
		UpdatedAt:     formatTime(d.UpdatedAt),
		Status:        string(d.Status),
	}
	if d.Status == monitehooks.DeliveryPending && !d.NextAttemptAt.IsZero() {
		next := formatTime(d.NextAttemptAt)
		row.NextAttemptAt = &next
	}
	var last *monitehooks.Attempt
	for i := range d.Attempts {
		if a := &d.Attempts[i]; a.ErrorClass != monitehooks.ErrorSubscriptionGone {
			row.RequestsMadeCount++
			last = a
		}
	}
	if n := len(d.Attempts); n > 0 && d.Attempts[n-1].StatusCode == 0 {
		row.LastError = attemptError(&d.Attempts[n-1])
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

// newDeliveryWithAttempts builds the answer of GET
// /webhook_deliveries/{id}.
func newDeliveryWithAttempts(d *monitehooks.Delivery, subURL func(id string) (string, bool)) deliveryWithAttempts {
	out := deliveryWithAttempts{deliveryBody: newDeliveryBody(d, subURL), Attempts: make([]attemptBody, len(d.Attempts))}
	for i := range d.Attempts {
		a := &d.Attempts[i]
		out.Attempts[i] = attemptBody{
			AttemptedAt: formatTime(a.At),
			DurationMS:  a.Duration.Milliseconds(),
			Error:       attemptError(a),
			Response:    a.Response,
		}
		if a.StatusCode != 0 {
			out.Attempts[i].StatusCode = &a.StatusCode
		}
	}
	return out
}

// subURL returns the function newDeliveryBody asks for the URL of one of
// the partner's subscriptions.
func (h *handler) subURL(r *http.Request, partner string) func(id string) (string, bool) {
	return func(id string) (string, bool) {
		s, err := h.reg.Get(context.WithoutCancel(r.Context()), partner, id)
		return s.URL, err == nil
	}
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
	subURL := h.subURL(r, partner)
	writeJSON(w, http.StatusOK, newList(page, func(d *monitehooks.Delivery) deliveryBody {
		return newDeliveryBody(d, subURL)
	}))
	return nil
}

func (h *handler) getDelivery(w http.ResponseWriter, r *http.Request, partner string) error {
	id, ok := pathID(r)
	if !ok {
		return monitehooks.ErrDeliveryNotFound
	}
	d, err := h.store.GetDelivery(r.Context(), partner, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newDeliveryWithAttempts(&d, h.subURL(r, partner)))
	return nil
}

// clock returns the time redeliver and recover make deliveries due at
// when there is no emitter: Config.Now, or the wall clock.
func (h *handler) clock() time.Time {
	if h.now != nil {
		return h.now()
	}
	return time.Now()
}

// redeliver makes a delivery pending again, through the emitter when
// there is one (which wakes it), in the store otherwise.
func (h *handler) redeliver(w http.ResponseWriter, r *http.Request, partner string) error {
	id, ok := pathID(r)
	if !ok {
		return monitehooks.ErrDeliveryNotFound
	}
	var (
		d   monitehooks.Delivery
		err error
	)
	if h.emitter != nil {
		d, err = h.emitter.Redeliver(r.Context(), partner, id)
	} else {
		d, err = h.store.RequeueDelivery(r.Context(), monitehooks.RequeueDeliveryParams{
			PartnerID: partner, DeliveryID: id, Due: h.clock(),
		})
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newDeliveryBody(&d, h.subURL(r, partner)))
	return nil
}

// recoverBody is the answer of POST /{prefix}/{id}/recover.
type recoverBody struct {
	Requeued int `json:"requeued"`
}

var recoverFields = []string{"since"}

// recoverFailed makes the subscription's deliveries that failed for good
// since a time pending again, through the emitter when there is one, in
// the store otherwise.
func (h *handler) recoverFailed(w http.ResponseWriter, r *http.Request, partner string) error {
	id, o, err := h.subscriptionBody(w, r, partner, false, recoverFields...)
	if err != nil {
		return err
	}
	var since time.Time
	if o.value("since") == nil {
		o.fail(typeMissing, "Field required", "since")
	} else if s := o.str("since"); s != nil {
		t, ok := parseTime(*s)
		if !ok {
			o.fail(typeDateTime, "Input should be an RFC 3339 date and time between years 1 and 9999", "since")
		}
		since = t
	}
	if err := o.err(); err != nil {
		return err
	}
	var n int
	if h.emitter != nil {
		n, err = h.emitter.RecoverFailed(r.Context(), partner, id, since)
	} else {
		n, err = h.store.RequeueFailed(r.Context(), monitehooks.RequeueFailedParams{
			PartnerID: partner, SubscriptionID: id, Since: since, Due: h.clock(),
		})
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recoverBody{Requeued: n})
	return nil
}
