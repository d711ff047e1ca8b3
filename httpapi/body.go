package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
)

// readBody reads the request body, at most MaxBodySize bytes. It returns
// nil for an empty (or all white space) body, and refuses a body that is
// not application/json.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodySize))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, &apiError{status: http.StatusBadRequest, message: "reading the request body failed", cause: err}
	}
	if len(b) == 0 {
		return nil, nil
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return nil, &apiError{status: http.StatusUnsupportedMediaType, message: "Content-Type must be application/json"}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, nil
	}
	return b, nil
}

// isJSON reports whether a Content-Type header names JSON.
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// object is a JSON object body being decoded field by field. It collects
// the problems it finds as 422 details.
type object struct {
	fields  map[string]json.RawMessage // the last value of each field
	order   []string                   // field names in document order, once each
	allowed []string                   // the fields of the request type
	details []detail
}

// decodeObject reads a JSON object body whose fields are allowed. An empty
// body is missing unless optional is set, when it decodes as {}. Malformed
// JSON answers 400; JSON that is not an object, or that names other
// fields, answers 422.
func decodeObject(body []byte, optional bool, allowed ...string) (*object, error) {
	o := &object{fields: map[string]json.RawMessage{}, allowed: allowed}
	if body == nil {
		if optional {
			return o, nil
		}
		return nil, invalid(detail{Loc: []any{"body"}, Msg: "Field required", Type: typeMissing})
	}
	var whole json.RawMessage
	if err := json.Unmarshal(body, &whole); err != nil {
		return nil, &apiError{status: http.StatusBadRequest, message: "malformed JSON: " + err.Error(), cause: err}
	}
	whole = bytes.TrimSpace(whole)
	switch whole[0] {
	case '{':
	case 'n':
		if optional {
			return o, nil
		}
		return nil, invalid(detail{Loc: []any{"body"}, Msg: "Field required", Type: typeMissing})
	default:
		return nil, invalid(detail{Loc: []any{"body"}, Msg: "Input should be a valid JSON object", Type: typeObject})
	}
	// The body is valid JSON, so walking it cannot fail.
	dec := json.NewDecoder(bytes.NewReader(whole))
	if _, err := dec.Token(); err != nil {
		return nil, &apiError{status: http.StatusBadRequest, message: "malformed JSON", cause: err}
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, &apiError{status: http.StatusBadRequest, message: "malformed JSON", cause: err}
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, &apiError{status: http.StatusBadRequest, message: "malformed JSON", cause: err}
		}
		if _, seen := o.fields[name]; !seen {
			o.order = append(o.order, name)
		}
		o.fields[name] = v
	}
	for _, name := range o.order {
		if !slices.Contains(allowed, name) {
			o.fail(typeExtra, "Extra inputs are not permitted", name)
		}
	}
	return o, nil
}

// fail records a problem with the field at loc (a name, then maybe an
// index).
func (o *object) fail(typ, msg string, loc ...any) {
	o.details = append(o.details, detail{Loc: append([]any{"body"}, loc...), Msg: msg, Type: typ})
}

// value returns the raw value of the field, or nil when it is absent or
// null.
func (o *object) value(name string) json.RawMessage {
	v := o.fields[name]
	if len(v) == 0 || v[0] == 'n' {
		return nil
	}
	return v
}

// str returns the string value of the field, or nil when it is absent or
// null.
func (o *object) str(name string) *string {
	v := o.value(name)
	if v == nil {
		return nil
	}
	var s string
	if v[0] != '"' || json.Unmarshal(v, &s) != nil {
		o.fail(typeString, "Input should be a valid string", name)
		return nil
	}
	return &s
}

// strings returns the list-of-strings value of the field, or nil when it
// is absent or null.
func (o *object) strings(name string) *[]string {
	v := o.value(name)
	if v == nil {
		return nil
	}
	var raws []json.RawMessage
	if v[0] != '[' || json.Unmarshal(v, &raws) != nil {
		o.fail(typeList, "Input should be a valid list", name)
		return nil
	}
	out := make([]string, 0, len(raws))
	ok := true
	for i, raw := range raws {
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			o.fail(typeString, "Input should be a valid string", name, i)
			ok = false
			continue
		}
		out = append(out, s)
	}
	if !ok {
		return nil
	}
	return &out
}

// integer returns the integer value of the field, or nil when it is
// absent or null. Integers beyond int64 are clamped to it: they are out of
// any range the handler accepts anyway.
func (o *object) integer(name string) *int64 {
	v := o.value(name)
	if v == nil {
		return nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			o.fail(typeInt, "Input should be a valid integer", name)
			return nil
		}
		// ParseInt answers the clamped value with ErrRange.
	}
	return &n
}

// err returns the problems found, in document order, as a 422 error, or
// nil.
func (o *object) err() error {
	if len(o.details) == 0 {
		return nil
	}
	pos := func(d detail) int {
		name, _ := d.Loc[1].(string)
		return slices.Index(o.order, name)
	}
	slices.SortStableFunc(o.details, func(a, b detail) int { return pos(a) - pos(b) })
	return invalid(o.details...)
}
