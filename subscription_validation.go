package monitehooks

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The field checks that Registry.Create and Registry.Update share. Each adds
// its problems to v.

// validateTypes checks an object type and its event types against the
// registry's catalog.
func (r *Registry) validateTypes(v *validator, ot ObjectType, ets []EventType) {
	switch {
	case ot == "":
		v.add("object_type", KindMissing, "is required")
		return
	case !r.catalog.HasObjectType(ot):
		v.add("object_type", KindEnum, fmt.Sprintf("unknown object type %q", ot))
		return
	}
	for i, et := range ets {
		switch {
		case !r.catalog.Has(ot, et):
			v.addAt("event_types", i, KindEnum, fmt.Sprintf("%q is not an event type of %s", et, ot))
		case slices.Index(ets, et) < i:
			v.addAt("event_types", i, KindInvalid, fmt.Sprintf("%q is listed twice", et))
		}
	}
}

// validateURL checks a subscription URL; see checkURL.
func (r *Registry) validateURL(v *validator, raw string) {
	if msg, kind := checkURL(raw, r.allowInsecure); msg != "" {
		v.add("url", kind, msg)
	}
}

// checkURL returns what is wrong with a subscription URL, or "".
func checkURL(raw string, allowInsecure bool) (msg string, kind ValidationKind) {
	if raw == "" {
		return "is required", KindMissing
	}
	if len(raw) > MaxURLLength {
		return fmt.Sprintf("must be at most %d characters", MaxURLLength), KindTooLong
	}
	u, err := url.Parse(raw)
	if err != nil || strings.ContainsAny(raw, " \t\r\n") {
		return "is not a valid URL", KindURL
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && allowInsecure:
	case u.Scheme == "http":
		return "must use https", KindURL
	default:
		return "must be an absolute https URL", KindURL
	}
	if u.Opaque != "" || u.Hostname() == "" {
		return "must name a host", KindURL
	}
	if u.User != nil {
		return "must not contain user info", KindURL
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "has an invalid port", KindURL
		}
	}
	return "", ""
}

// validateName checks a subscription name.
func validateName(v *validator, name string) {
	switch {
	case !utf8.ValidString(name):
		v.add("name", KindInvalid, "must be valid UTF-8")
	case utf8.RuneCountInString(name) > MaxNameLength:
		v.add("name", KindTooLong, fmt.Sprintf("must be at most %d characters", MaxNameLength))
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		v.add("name", KindInvalid, "must not contain control characters")
	}
}
