package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"
)

// The commands that print API resources (events, deliveries, redeliver)
// print them for people as a table of aligned columns, and with --json as
// JSON lines: each resource as the API answered it, compacted to a line,
// for jq and scripts.

// printRows prints items, resources as the API answered them: with asJSON
// one JSON line each; otherwise a table, header first, with the cells row
// makes of each item decoded into a T. Every item is decoded before
// anything is written, so a bad answer prints nothing.
func printRows[T any](w io.Writer, asJSON bool, items []json.RawMessage, header []string, row func(*T) []string) error {
	if asJSON {
		for _, it := range items {
			if err := writeJSONLine(w, it); err != nil {
				return fmt.Errorf("writing the output: %w", err)
			}
		}
		return nil
	}
	rows := make([][]string, len(items))
	for i, it := range items {
		var v T
		if err := json.Unmarshal(it, &v); err != nil {
			return fmt.Errorf("item %d of the API's answer is not the JSON expected: %w", i+1, err)
		}
		rows[i] = row(&v)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("writing the output: %w", err)
	}
	return nil
}

// cell makes s one cell of a table: "-" when it is empty, and quoted as
// Go quotes strings when it holds anything but printable characters and
// spaces. Values come from the API and, through it, from partners and
// endpoints: a tab or a line break would break the columns, an escape
// sequence would be run by the terminal, and a bidirectional override
// would reorder what is shown.
func cell(s string) string {
	switch {
	case s == "":
		return "-"
	case !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return r != ' ' && !unicode.IsPrint(r) }) >= 0:
		return strconv.Quote(s)
	}
	return s
}

// cellPtr is cell of *s, "-" when s is nil.
func cellPtr(s *string) string {
	if s == nil {
		return "-"
	}
	return cell(*s)
}

// truncate cuts s to at most n characters, the last of them "…" when it
// was cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// errorCell shows an error of the API, "<class>: <message>", as a cell
// of at most n characters. One that is longer keeps its class and the
// end of its message, where a Go error chain puts the cause ("…: connect:
// connection refused"), with "…" for what is cut.
func errorCell(s *string, n int) string {
	c := cellPtr(s)
	r := []rune(c)
	if len(r) <= n {
		return c
	}
	head := ""
	if class, _, ok := strings.Cut(c, ": "); ok && utf8.RuneCountInString(class) < n/2 {
		head = class + ": "
	}
	return head + "…" + string(r[len(r)-(n-utf8.RuneCountInString(head)-1):])
}

// timeCell shows a time of the API, RFC 3339, to the second in UTC, such
// as 2026-01-02T03:04:05Z; a string that is no such time is shown as it
// is.
func timeCell(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return cell(s)
	}
	return t.UTC().Format(time.RFC3339)
}
