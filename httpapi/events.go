package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"github.com/monitehooks/monitehooks"
)

// eventBody is the event resource.
type eventBody struct {
	ID         string          `json:"id"`
	ObjectType string          `json:"object_type"`
	EventType  string          `json:"event_type"`
	ObjectID   string          `json:"object_id"`
	EntityID   *string         `json:"entity_id"`
	Object     json.RawMessage `json:"object,omitempty"`
	CreatedAt  string          `json:"created_at"`
}

func newEventBody(ev *monitehooks.Event) eventBody {
	b := eventBody{
		ID:         ev.ID,
		ObjectType: string(ev.ObjectType),
		EventType:  string(ev.Type),
		ObjectID:   ev.ObjectID,
		CreatedAt:  formatTime(ev.CreatedAt),
	}
	if ev.EntityID != "" {
		b.EntityID = &ev.EntityID
	}
	// The emitter accepts only JSON objects; a store holding anything else
	// leaves the field out rather than failing the whole answer.
	if len(ev.Object) > 0 && json.Valid(ev.Object) {
		b.Object = ev.Object
	}
	return b
}

var emitFields = []string{"object_type", "event_type", "object_id", "entity_id", "object"}

func (h *handler) listEvents(w http.ResponseWriter, r *http.Request, partner string) error {
	p, _, err := parseList(r, listFilters{eventType: true})
	if err != nil {
		return err
	}
	page, err := h.store.ListEvents(r.Context(), partner, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newList(page, newEventBody))
	return nil
}

func (h *handler) getEvent(w http.ResponseWriter, r *http.Request, partner string) error {
	id, ok := pathID(r)
	if !ok {
		return monitehooks.ErrEventNotFound
	}
	ev, err := h.store.GetEvent(r.Context(), partner, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newEventBody(&ev))
	return nil
}

func (h *handler) emitEvent(w http.ResponseWriter, r *http.Request, partner string) error {
	body, err := readBody(w, r)
	if err != nil {
		return err
	}
	o, err := decodeObject(body, false, emitFields...)
	if err != nil {
		return err
	}
	ev := monitehooks.Event{
		PartnerID:  partner,
		ObjectType: monitehooks.ObjectType(deref(o.str("object_type"))),
		Type:       monitehooks.EventType(deref(o.str("event_type"))),
		ObjectID:   deref(o.str("object_id")),
		EntityID:   deref(o.str("entity_id")),
		Object:     o.value("object"),
	}
	if err := o.err(); err != nil {
		return err
	}
	if ev.ObjectID == "" {
		ev.ObjectID = uuid.NewString()
	}
	if h.now != nil {
		ev.CreatedAt = h.now()
	}
	stored, err := h.emitter.Emit(r.Context(), ev)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newEventBody(&stored))
	return nil
}
