package httpapi

import (
	"net/http"
	"time"

	"github.com/monitehooks/monitehooks"
)

// VersionHeader is the request header whose date becomes the api_version
// of a subscription created with it.
const VersionHeader = "x-monite-version"

// generation is one of the two APIs over the subscriptions.
type generation struct {
	prefix string                // "/webhook_settings"
	format monitehooks.APIFormat // the payload shape of what it creates
	tag    string                // the OpenAPI tag
	opID   string                // the OpenAPI operationId prefix
}

var (
	settingsAPI      = generation{prefix: "/webhook_settings", format: monitehooks.FormatSettings, tag: "webhook_settings", opID: "settings"}
	subscriptionsAPI = generation{prefix: "/webhook_subscriptions", format: monitehooks.FormatSubscriptions, tag: "webhook_subscriptions", opID: "subscriptions"}
)

// createStatus is the status of a successful create: the seed's
// generation answers 200, the newer 201.
func (g generation) createStatus() int {
	if g.format == monitehooks.FormatSettings {
		return http.StatusOK
	}
	return http.StatusCreated
}

// subscriptionBody is the subscription resource.
type subscriptionBody struct {
	ID         string   `json:"id"`
	ObjectType string   `json:"object_type"`
	EventTypes []string `json:"event_types"`
	URL        string   `json:"url"`
	Name       string   `json:"name"`
	Status     string   `json:"status"`
	CreatedAt  string   `json:"created_at"`
	UpdatedAt  string   `json:"updated_at"`
}

// subscriptionWithSecret is the subscription resource with its current
// secret, answered only by create and regenerate_secret.
type subscriptionWithSecret struct {
	subscriptionBody
	Secret string `json:"secret"`
}

func newSubscriptionBody(s *monitehooks.Subscription) subscriptionBody {
	ets := make([]string, len(s.EventTypes))
	for i, et := range s.EventTypes {
		ets[i] = string(et)
	}
	return subscriptionBody{
		ID:         s.ID,
		ObjectType: string(s.ObjectType),
		EventTypes: ets,
		URL:        s.URL,
		Name:       s.Name,
		Status:     string(s.Status),
		CreatedAt:  formatTime(s.CreatedAt),
		UpdatedAt:  formatTime(s.UpdatedAt),
	}
}

func withSecret(s *monitehooks.Subscription) subscriptionWithSecret {
	return subscriptionWithSecret{subscriptionBody: newSubscriptionBody(s), Secret: s.CurrentSecret()}
}

// Fields of the subscription request bodies.
var (
	createFields     = []string{"object_type", "url", "event_types", "name"}
	updateFields     = []string{"url", "object_type", "event_types", "name"}
	regenerateFields = []string{"expire_previous_in_seconds"}
)

func eventTypes(ss *[]string) []monitehooks.EventType {
	if ss == nil {
		return nil
	}
	out := make([]monitehooks.EventType, len(*ss))
	for i, s := range *ss {
		out[i] = monitehooks.EventType(s)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// apiVersion reads the x-monite-version header: "" when it is absent, and
// the 422 detail when it is not a date.
func apiVersion(r *http.Request) (string, *detail) {
	v := r.Header.Get(VersionHeader)
	if v == "" {
		return "", nil
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		return "", &detail{
			Loc:  []any{"header", VersionHeader},
			Msg:  "Input should be a date, YYYY-MM-DD",
			Type: typeValue,
		}
	}
	return v, nil
}

func (h *handler) createSubscription(g generation) serveFunc {
	return func(w http.ResponseWriter, r *http.Request, partner string) error {
		body, err := readBody(w, r)
		if err != nil {
			return err
		}
		o, err := decodeObject(body, false, createFields...)
		if err != nil {
			return err
		}
		p := monitehooks.SubscriptionParams{
			PartnerID:  partner,
			ObjectType: monitehooks.ObjectType(deref(o.str("object_type"))),
			URL:        deref(o.str("url")),
			EventTypes: eventTypes(o.strings("event_types")),
			Name:       deref(o.str("name")),
			APIFormat:  g.format,
		}
		version, bad := apiVersion(r)
		if bad != nil {
			o.details = append(o.details, *bad)
		}
		p.APIVersion = version
		if err := o.err(); err != nil {
			return err
		}
		sub, err := h.reg.Create(r.Context(), p)
		if err != nil {
			return err
		}
		writeJSON(w, g.createStatus(), withSecret(&sub))
		return nil
	}
}

func (h *handler) listSubscriptions(w http.ResponseWriter, r *http.Request, partner string) error {
	p, _, err := parseList(r, listFilters{})
	if err != nil {
		return err
	}
	page, err := h.reg.List(r.Context(), partner, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(page, newSubscriptionBody))
	return nil
}

func (h *handler) getSubscription(w http.ResponseWriter, r *http.Request, partner string) error {
	id, ok := pathID(r)
	if !ok {
		return monitehooks.ErrSubscriptionNotFound
	}
	sub, err := h.reg.Get(r.Context(), partner, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSubscriptionBody(&sub))
	return nil
}

// subscriptionBody reads the {id} of a route on one subscription and the
// request's JSON object body (which may be empty when optional). An
// unknown ID answers 404 before the body is looked at.
func (h *handler) subscriptionBody(w http.ResponseWriter, r *http.Request, partner string, optional bool, fields ...string) (string, *object, error) {
	id, ok := pathID(r)
	if !ok {
		return "", nil, monitehooks.ErrSubscriptionNotFound
	}
	if _, err := h.reg.Get(r.Context(), partner, id); err != nil {
		return "", nil, err
	}
	body, err := readBody(w, r)
	if err != nil {
		return "", nil, err
	}
	o, err := decodeObject(body, optional, fields...)
	if err != nil {
		return "", nil, err
	}
	return id, o, nil
}

func (h *handler) updateSubscription(w http.ResponseWriter, r *http.Request, partner string) error {
	id, o, err := h.subscriptionBody(w, r, partner, false, updateFields...)
	if err != nil {
		return err
	}
	var u monitehooks.SubscriptionUpdate
	u.URL = o.str("url")
	if ot := o.str("object_type"); ot != nil {
		u.ObjectType = (*monitehooks.ObjectType)(ot)
	}
	if ets := o.strings("event_types"); ets != nil {
		list := eventTypes(ets)
		u.EventTypes = &list
	}
	u.Name = o.str("name")
	if err := o.err(); err != nil {
		return err
	}
	sub, err := h.reg.Update(r.Context(), partner, id, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newSubscriptionBody(&sub))
	return nil
}

// deleteMessage is the answer of DELETE /webhook_settings/{id}.
type deleteMessage struct {
	Message string `json:"message"`
}

func (h *handler) deleteSubscription(g generation) serveFunc {
	return func(w http.ResponseWriter, r *http.Request, partner string) error {
		id, ok := pathID(r)
		if !ok {
			return monitehooks.ErrSubscriptionNotFound
		}
		if err := h.reg.Delete(r.Context(), partner, id); err != nil {
			return err
		}
		if g.format == monitehooks.FormatSettings {
			writeJSON(w, http.StatusOK, deleteMessage{Message: "Webhook setting " + id + " deleted"})
			return nil
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

// setStatus serves enable (enable set) and disable.
func (h *handler) setStatus(enable bool) serveFunc {
	return func(w http.ResponseWriter, r *http.Request, partner string) error {
		id, ok := pathID(r)
		if !ok {
			return monitehooks.ErrSubscriptionNotFound
		}
		change := h.reg.Disable
		if enable {
			change = h.reg.Enable
		}
		sub, err := change(r.Context(), partner, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, newSubscriptionBody(&sub))
		return nil
	}
}

func (h *handler) regenerateSecret(w http.ResponseWriter, r *http.Request, partner string) error {
	id, o, err := h.subscriptionBody(w, r, partner, true, regenerateFields...)
	if err != nil {
		return err
	}
	seconds := o.integer("expire_previous_in_seconds")
	if err := o.err(); err != nil {
		return err
	}
	var overlap time.Duration
	if seconds != nil {
		// Clamp so that the conversion cannot overflow; the registry
		// refuses anything out of its range with a 422 that names the
		// field.
		limit := int64(monitehooks.MaxSecretOverlap / time.Second)
		overlap = time.Duration(min(max(*seconds, -1), limit+1)) * time.Second
	}
	sub, err := h.reg.RegenerateSecret(r.Context(), partner, id, overlap)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, withSecret(&sub))
	return nil
}
