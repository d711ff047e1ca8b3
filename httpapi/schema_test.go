package httpapi_test

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// schemaChecker checks JSON values against the schemas of an OpenAPI
// document, for the subset of JSON Schema the document uses: $ref, allOf,
// anyOf, type, enum, const, properties, required, additionalProperties,
// items, minimum, maximum, maxLength, pattern and the formats uuid,
// date-time, date and uri. A keyword outside that subset is an error, so
// the document cannot outgrow the checker unnoticed.
//
// It is stricter than JSON Schema in one way: an object checked against a
// schema with properties may have only those, unless additionalProperties
// allows more; so every member of a real answer must be documented.
type schemaChecker struct {
	doc map[string]any
}

// annotations are keywords that do not constrain a value.
var annotations = []string{"description", "default"}

// check returns a message per way v does not match schema, at says where
// v is.
func (c *schemaChecker) check(schema any, v any, at string) []string {
	return c.checkOpen(schema, v, at, false)
}

// checkOpen is check; open turns off the check for undeclared members,
// for the branches of an allOf, whose members are checked as a whole.
func (c *schemaChecker) checkOpen(schema any, v any, at string, open bool) []string {
	s, ok := schema.(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("%s: schema %v is not an object", at, schema)}
	}
	if ref, ok := s["$ref"].(string); ok {
		target := c.resolve(ref)
		if target == nil {
			return []string{fmt.Sprintf("%s: $ref %q does not resolve", at, ref)}
		}
		return c.checkOpen(target, v, at, open)
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, at+": "+fmt.Sprintf(format, args...)) }
	for k := range s {
		switch k {
		case "allOf", "anyOf", "type", "enum", "const", "properties", "required", "additionalProperties",
			"items", "minimum", "maximum", "maxLength", "pattern", "format":
		default:
			if !slices.Contains(annotations, k) {
				fail("schema keyword %q is outside the checker's subset", k)
			}
		}
	}

	if all, ok := s["allOf"].([]any); ok {
		declared := map[string]bool{}
		closed := true
		for _, sub := range all {
			errs = append(errs, c.checkOpen(sub, v, at, true)...)
			props, ap := c.members(sub)
			for p := range props {
				declared[p] = true
			}
			closed = closed && ap == nil
		}
		if obj, isObj := v.(map[string]any); isObj && closed && !open {
			for _, k := range sortedKeys(obj) {
				if !declared[k] {
					fail("member %q is not in the schema", k)
				}
			}
		}
	}
	if anyOf, ok := s["anyOf"].([]any); ok {
		matched := false
		for _, sub := range anyOf {
			if len(c.checkOpen(sub, v, at, open)) == 0 {
				matched = true
				break
			}
		}
		if !matched {
			fail("%s matches no branch of anyOf", short(v))
		}
	}
	if t, ok := s["type"]; ok && !hasType(t, v) {
		fail("%s is not of type %v", short(v), t)
		return errs
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return e == v }) {
		fail("%s is not one of %v", short(v), enum)
	}
	if want, ok := s["const"]; ok && want != v {
		fail("%s is not %v", short(v), want)
	}
	switch v := v.(type) {
	case string:
		if n, ok := s["maxLength"].(float64); ok && float64(utf8.RuneCountInString(v)) > n {
			fail("%d characters; at most %v", utf8.RuneCountInString(v), n)
		}
		if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(v) {
			fail("%q does not match %s", v, p)
		}
		if f, ok := s["format"].(string); ok {
			if err := checkFormat(f, v); err != nil {
				fail("%q is not a %s: %v", v, f, err)
			}
		}
	case float64:
		if n, ok := s["minimum"].(float64); ok && v < n {
			fail("%v is below the minimum %v", v, n)
		}
		if n, ok := s["maximum"].(float64); ok && v > n {
			fail("%v is above the maximum %v", v, n)
		}
	case []any:
		if items, ok := s["items"]; ok {
			for i, x := range v {
				errs = append(errs, c.check(items, x, fmt.Sprintf("%s[%d]", at, i))...)
			}
		}
	case map[string]any:
		req, _ := s["required"].([]any)
		for _, r := range req {
			if _, ok := v[r.(string)]; !ok {
				fail("required member %q is missing", r)
			}
		}
		props, _ := s["properties"].(map[string]any)
		ap, hasAP := s["additionalProperties"]
		for _, k := range sortedKeys(v) {
			if p, ok := props[k]; ok {
				errs = append(errs, c.check(p, v[k], at+"."+k)...)
				continue
			}
			switch {
			case hasAP && ap == false:
				fail("member %q is not allowed", k)
			case hasAP && ap != true:
				errs = append(errs, c.check(ap, v[k], at+"."+k)...)
			case !hasAP && props != nil && !open:
				fail("member %q is not in the schema", k)
			}
		}
	}
	return errs
}

// members returns the properties a schema declares and its
// additionalProperties (nil when absent or false), following $refs.
func (c *schemaChecker) members(schema any) (map[string]any, any) {
	s, _ := schema.(map[string]any)
	if ref, ok := s["$ref"].(string); ok {
		return c.members(c.resolve(ref))
	}
	props, _ := s["properties"].(map[string]any)
	ap := s["additionalProperties"]
	if ap == false {
		ap = nil
	}
	return props, ap
}

// resolve returns what a local $ref points at, or nil.
func (c *schemaChecker) resolve(ref string) map[string]any {
	var at any = c.doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, _ := at.(map[string]any)
		at = m[part]
	}
	m, _ := at.(map[string]any)
	return m
}

func hasType(t any, v any) bool {
	types, ok := t.([]any)
	if !ok {
		types = []any{t}
	}
	for _, t := range types {
		switch t {
		case "null":
			if v == nil {
				return true
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return true
			}
		case "string":
			if _, ok := v.(string); ok {
				return true
			}
		case "number":
			if _, ok := v.(float64); ok {
				return true
			}
		case "integer":
			if f, ok := v.(float64); ok && f == math.Trunc(f) {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		case "object":
			if _, ok := v.(map[string]any); ok {
				return true
			}
		}
	}
	return false
}

func checkFormat(format, s string) error {
	switch format {
	case "uuid":
		_, err := uuid.Parse(s)
		return err
	case "date-time":
		_, err := time.Parse(time.RFC3339Nano, s)
		return err
	case "date":
		_, err := time.Parse(time.DateOnly, s)
		return err
	case "uri":
		u, err := url.Parse(s)
		if err == nil && !u.IsAbs() {
			err = fmt.Errorf("not absolute")
		}
		return err
	}
	return fmt.Errorf("format %q is outside the checker's subset", format)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// short is v in JSON, cut to a readable length.
func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		return string(b[:77]) + "..."
	}
	return string(b)
}
