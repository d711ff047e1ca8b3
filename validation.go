package monitehooks

import (
	"slices"
	"strconv"
	"strings"
)

// ValidationKind says what is wrong with a field in one word, the same
// whatever the field, so that a caller can act on it without reading the
// message. The REST layer reports it in its own words (package httpapi
// answers pydantic's, as Monite does).
type ValidationKind string

// Kinds of [FieldError].
const (
	// KindMissing: a required field is empty.
	KindMissing ValidationKind = "missing"
	// KindInvalid: the value is not acceptable; the message says why.
	KindInvalid ValidationKind = "invalid"
	// KindEnum: the value is not one of a fixed set (such as the catalog).
	KindEnum ValidationKind = "enum"
	// KindTooLong: the value is longer than allowed.
	KindTooLong ValidationKind = "too_long"
	// KindURL: the value is not an acceptable URL.
	KindURL ValidationKind = "url"
	// KindJSON: the value is not the JSON expected.
	KindJSON ValidationKind = "json"
)

var allValidationKinds = []ValidationKind{KindMissing, KindInvalid, KindEnum, KindTooLong, KindURL, KindJSON}

// Valid reports whether k is one of the documented kinds.
func (k ValidationKind) Valid() bool { return slices.Contains(allValidationKinds, k) }

// FieldError is one problem with one input field.
type FieldError struct {
	// Field is the field's JSON name, such as "url" or "event_types".
	Field string
	// Index is the position of the bad element in a list field, or -1.
	Index int
	// Message says what is wrong, in a sentence fragment.
	Message string
	// Kind is one of the Kind constants.
	Kind ValidationKind
}

// ValidationError lists every problem found in one input. It wraps
// [ErrInvalid].
type ValidationError struct {
	// What names the input, such as "subscription" or "event".
	What string
	// Fields lists the problems in field order.
	Fields []FieldError
}

// Error returns "monitehooks: invalid <what>: <field>: <message>; …".
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("monitehooks: invalid ")
	b.WriteString(e.What)
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		if f.Index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(f.Index))
			b.WriteByte(']')
		}
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return b.String()
}

// Unwrap returns [ErrInvalid].
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// validator collects field errors.
type validator struct {
	what   string
	fields []FieldError
}

func (v *validator) add(field string, kind ValidationKind, msg string) {
	v.fields = append(v.fields, FieldError{Field: field, Index: -1, Message: msg, Kind: kind})
}

func (v *validator) addAt(field string, index int, kind ValidationKind, msg string) {
	v.fields = append(v.fields, FieldError{Field: field, Index: index, Message: msg, Kind: kind})
}

// err returns the collected problems as a *ValidationError, or nil.
func (v *validator) err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &ValidationError{What: v.what, Fields: v.fields}
}
