package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/monitehooks/monitehooks"
)

// apiError is an error the handler answers with a status of its own
// choosing: a message, or for 422 the validation details.
type apiError struct {
	status  int
	message string
	detail  []detail // 422 only
	allow   string   // 405 only: the Allow header
	cause   error    // logged, never shown
}

func (e *apiError) Unwrap() error { return e.cause }

func (e *apiError) Error() string {
	if len(e.detail) > 0 {
		return fmt.Sprintf("httpapi: %d: %s: %s", e.status, e.detail[0].Type, e.detail[0].Msg)
	}
	return fmt.Sprintf("httpapi: %d: %s", e.status, e.message)
}

// detail is one entry of a 422 answer.
type detail struct {
	// Loc is where the problem is: "body", "query" or "header", then the
	// field name, then an index into a list field when there is one.
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

// Pydantic's words for the type of a 422 detail, so that clients written
// against Monite read ours alike: for a body that does not have the
// expected shape, a bad query parameter or header, and (through
// detailType) each kind of field error.
const (
	typeExtra    = "extra_forbidden"
	typeString   = "string_type"
	typeList     = "list_type"
	typeInt      = "int_type"
	typeObject   = "model_attributes_type"
	typeMissing  = "missing"
	typeValue    = "value_error"
	typeDateTime = "datetime_parsing"
	typeEnum     = "enum"
	typeTooLong  = "string_too_long"
	typeURL      = "url_parsing"
	typeJSON     = "json_invalid"
)

// errorBody is the shape of every error answer but 422.
type errorBody struct {
	Error errorMessage `json:"error"`
}

type errorMessage struct {
	Message string `json:"message"`
}

// validationBody is the shape of a 422 answer.
type validationBody struct {
	Detail []detail `json:"detail"`
}

// invalid returns a 422 error with the details.
func invalid(d ...detail) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, detail: d}
}

// errorResponse is the one place that maps an error to a status and the
// body answered for it.
func errorResponse(err error) (status int, body any) {
	var (
		ae  *apiError
		ve  *monitehooks.ValidationError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &ae):
		if ae.status == http.StatusUnprocessableEntity {
			return ae.status, validationBody{Detail: ae.detail}
		}
		return ae.status, message(ae.message)
	case errors.As(err, &ve):
		return http.StatusUnprocessableEntity, validationBody{Detail: fieldDetails(ve)}
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, message("request body is larger than " + strconv.Itoa(MaxBodySize) + " bytes")
	case errors.Is(err, monitehooks.ErrInvalidCursor):
		return http.StatusUnprocessableEntity, validationBody{Detail: []detail{{
			Loc: []any{"query", "pagination_token"}, Msg: "is not a valid pagination token", Type: typeValue,
		}}}
	case errors.Is(err, monitehooks.ErrSubscriptionNotFound):
		return http.StatusNotFound, message("webhook subscription not found")
	case errors.Is(err, monitehooks.ErrEventNotFound):
		return http.StatusNotFound, message("event not found")
	case errors.Is(err, monitehooks.ErrNotFound):
		return http.StatusNotFound, message("not found")
	case errors.Is(err, monitehooks.ErrInvalid):
		return http.StatusUnprocessableEntity, validationBody{Detail: []detail{{
			Loc: []any{"body"}, Msg: "is not acceptable", Type: typeValue,
		}}}
	case errors.Is(err, monitehooks.ErrEmitterClosed):
		return http.StatusServiceUnavailable, message("the emitter is shut down")
	case errors.Is(err, monitehooks.ErrBacklogFull):
		return http.StatusServiceUnavailable, message("too many deliveries are pending; emit again once some are delivered")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, message("request canceled")
	default:
		return http.StatusInternalServerError, message("internal error")
	}
}

func message(msg string) errorBody { return errorBody{Error: errorMessage{Message: msg}} }

// fieldDetails turns the registry's or the emitter's field errors into 422
// details about the body.
func fieldDetails(ve *monitehooks.ValidationError) []detail {
	out := make([]detail, 0, len(ve.Fields))
	for _, f := range ve.Fields {
		loc := []any{"body", f.Field}
		if f.Index >= 0 {
			loc = append(loc, f.Index)
		}
		out = append(out, detail{Loc: loc, Msg: f.Message, Type: detailType(f.Kind)})
	}
	return out
}

// detailType is the one place that words a field error's kind for the
// type of its 422 detail: pydantic's word for it, as Monite answers.
func detailType(k monitehooks.ValidationKind) string {
	switch k {
	case monitehooks.KindMissing:
		return typeMissing
	case monitehooks.KindInvalid:
		return typeValue
	case monitehooks.KindEnum:
		return typeEnum
	case monitehooks.KindTooLong:
		return typeTooLong
	case monitehooks.KindURL:
		return typeURL
	case monitehooks.KindJSON:
		return typeJSON
	}
	return typeValue // a kind added to monitehooks and not worded here yet
}

// writeError answers err.
func (h *handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body := errorResponse(err)
	switch {
	case status >= 500:
		h.log.ErrorContext(r.Context(), "httpapi: request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	default:
		h.log.DebugContext(r.Context(), "httpapi: request refused", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	var ae *apiError
	if errors.As(err, &ae) && ae.allow != "" {
		w.Header().Set("Allow", ae.allow)
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="monitehooks"`)
	}
	writeJSON(w, status, body)
}

// writeJSON answers v as JSON with the status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only the handler's own types are written, and they always
		// marshal; answer something well formed all the same.
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"message":"internal error"}}`)
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
