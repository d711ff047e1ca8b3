package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Every command that calls a running API defines --api and --token with
// addAPIFlags, calls through the *apiClient its client method returns, and
// words a failed call with the client's explain.

// The environment variables that give --api and --token their defaults.
const (
	envAPI   = "MONITEHOOKS_API"
	envToken = "MONITEHOOKS_TOKEN"
)

// defaultAPI is the API of monitehooks serve on its default address.
const defaultAPI = "http://127.0.0.1:8080/v1"

// apiFlagsUsage documents --api and --token in a command's usage.
const apiFlagsUsage = `  --api URL        the API's base URL (default: $MONITEHOOKS_API when set,
                   otherwise ` + defaultAPI + `)
  --token T        bearer token (default: $MONITEHOOKS_TOKEN when set,
                   otherwise dev-token, which serve accepts when started
                   without --token)
`

// listFlagsUsage documents the flags of addListFlags in a command's
// usage.
const listFlagsUsage = `  --limit N        how many to list, 1 to 100 (default 20)
  --order ORDER    "desc", the newest first, or "asc", the oldest first
                   (default "desc"); either way the list is of the newest
                   or the oldest --limit, one page of the API
`

// Defaults of --limit and --order.
const (
	defaultListLimit = 20
	maxListLimit     = 100 // the API's largest page
)

// apiTimeout bounds each call to the API.
const apiTimeout = 30 * time.Second

// maxAPIAnswer is the most of an API answer the client reads.
const maxAPIAnswer = 16 << 20

// apiFlags are the values of --api and --token. Those of the environment
// apply to the flags not given: the flags win.
type apiFlags struct {
	base, token       string // the flags' values
	baseSet, tokenSet bool   // whether the flags were given
	getenv            func(string) string
}

// addAPIFlags defines --api and --token on fs; getenv reads their
// defaults. Call client once fs is parsed.
func addAPIFlags(fs *flag.FlagSet, getenv func(string) string) *apiFlags {
	a := &apiFlags{base: defaultAPI, token: devToken, getenv: getenv}
	fs.Func("api", "", func(v string) error {
		u, err := checkAPIURL(v)
		if err != nil {
			return err
		}
		a.base, a.baseSet = u, true
		return nil
	})
	fs.Func("token", "", func(v string) error {
		if err := checkSecretLike(v, nil); err != nil {
			return err
		}
		a.token, a.tokenSet = v, true
		return nil
	})
	return a
}

// client returns a client for the API the flags name, falling back on
// the environment for a flag not given (an empty variable counts as
// unset). A variable holding a value the flag would refuse is a usage
// error naming it.
func (a *apiFlags) client(cmd *command) (*apiClient, error) {
	base, token := a.base, a.token
	if v := a.getenv(envAPI); v != "" && !a.baseSet {
		u, err := checkAPIURL(v)
		if err != nil {
			return nil, usageErrorf(cmd, "invalid value %q of %s: %v", v, envAPI, err)
		}
		base = u
	}
	if v := a.getenv(envToken); v != "" && !a.tokenSet {
		if err := checkSecretLike(v, nil); err != nil {
			return nil, usageErrorf(cmd, "invalid value of %s: %v", envToken, err)
		}
		token = v
	}
	return &apiClient{base: base, token: token, http: &http.Client{}, timeout: apiTimeout}, nil
}

// listFlags are the values of --limit and --order.
type listFlags struct {
	limit *int
	order *string
}

// addListFlags defines --limit and --order on fs, for the commands that
// list a collection of the API.
func addListFlags(fs *flag.FlagSet) listFlags {
	return listFlags{
		limit: intFlag(fs, "limit", defaultListLimit, 1, maxListLimit),
		order: choiceFlag(fs, "order", "desc", "desc", "asc"),
	}
}

// query returns the list query of the flags: limit and order, by
// created_at.
func (l listFlags) query() url.Values {
	return url.Values{"limit": {strconv.Itoa(*l.limit)}, "order": {*l.order}}
}

// checkAPIURL checks an absolute http or https URL without query or
// fragment and returns it without a trailing slash.
func checkAPIURL(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("must be an http:// or https:// URL without query, such as %s", defaultAPI)
	}
	return strings.TrimRight(v, "/"), nil
}

// apiClient calls a monitehooks REST API with a bearer token.
type apiClient struct {
	base    string // the API's URL without a trailing slash, such as http://127.0.0.1:8080/v1
	token   string
	http    *http.Client
	timeout time.Duration // bounds each call; zero means none
}

// call sends a request to the API path (such as "/events") with body
// encoded as JSON, or with no body when it is nil, and returns the
// answer's status and body.
func (c *apiClient) call(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAPIAnswer))
	if err != nil {
		return resp.StatusCode, nil, fmt.Errorf("reading the answer to %s %s: %w", method, c.base+path, err)
	}
	return resp.StatusCode, answer, nil
}

// expect calls the API, requires the status want, and decodes the answer
// into out unless it is nil; a *json.RawMessage keeps it as it is.
// Another status is returned as a *statusError.
func (c *apiClient) expect(ctx context.Context, method, path string, body any, want int, out any) error {
	status, answer, err := c.call(ctx, method, path, body)
	if err != nil {
		return err
	}
	if status != want {
		return &statusError{method: method, url: c.base + path, status: status, body: answer}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(answer, out); err != nil {
		return &answerError{fmt.Errorf("%s %s: the answer %d is not the JSON expected: %w", method, c.base+path, status, err)}
	}
	return nil
}

// list gets the first page of the API's list at path (such as "/events")
// with the query q, and returns its items as the API wrote them.
func (c *apiClient) list(ctx context.Context, path string, q url.Values) ([]json.RawMessage, error) {
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	if err := c.expect(ctx, http.MethodGet, path, nil, http.StatusOK, &page); err != nil {
		return nil, err
	}
	if page.Data == nil {
		return nil, &answerError{fmt.Errorf("GET %s: the answer has no \"data\" list", c.base+path)}
	}
	return page.Data, nil
}

// pathSegment escapes an ID for a path segment of the API. "." and ".."
// are escaped too, so that they stay a segment, which the API answers
// 404, and do not climb to another path.
func pathSegment(id string) string {
	if id == "." || id == ".." {
		return strings.Repeat("%2E", len(id))
	}
	return url.PathEscape(id)
}

// explain words an error of call or expect for a person: what went wrong
// and, when it helps, what to check.
func (c *apiClient) explain(err error) string {
	if se, ok := errors.AsType[*statusError](err); ok {
		return answerMessage(se.status, se.body)
	}
	if ae, ok := errors.AsType[*answerError](err); ok {
		return ae.Error() // the API was reached
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("cannot connect to the API at %s: connection refused (is monitehooks serve running there? --api and $%s name another)", c.base, envAPI)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no answer from the API at %s within %v", c.base, c.timeout)
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return fmt.Sprintf("cannot reach the API at %s: %v", c.base, err)
}

// explainNotFound is explain, but words a 404 as the resource not
// found: what (such as "delivery") with the ID id. The API's own words
// follow, as they tell an unknown ID from an --api that names no API.
func (c *apiClient) explainNotFound(err error, what, id string) string {
	if se, ok := errors.AsType[*statusError](err); ok && se.status == http.StatusNotFound {
		return fmt.Sprintf("%s %q not found (%s)", what, id, answerMessage(se.status, se.body))
	}
	return c.explain(err)
}

// writeJSONLine writes a JSON answer on w compacted to one line.
func writeJSONLine(w io.Writer, answer []byte) error {
	var out bytes.Buffer
	if err := json.Compact(&out, answer); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}

// answerError is an API answer with the status expected but not the
// body: the API was reached, and answered something else than an API of
// monitehooks would.
type answerError struct{ err error }

func (e *answerError) Error() string { return e.err.Error() }
func (e *answerError) Unwrap() error { return e.err }

// statusError is an API answer with an unexpected status.
type statusError struct {
	method, url string
	status      int
	body        []byte
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.method, e.url, answerMessage(e.status, e.body))
}

// answerMessage words an error answer of the API: its status, then the
// message of {"error":{"message":…}} or the details of a 422
// {"detail":[{"loc":…,"msg":…}]}, or the start of a body of another shape.
func answerMessage(status int, body []byte) string {
	msg := fmt.Sprintf("the API answered %d %s", status, http.StatusText(status))
	var shape struct {
		Error *struct {
			Message string `json:"message"`
		} `json:"error"`
		Detail []struct {
			Loc []any  `json:"loc"`
			Msg string `json:"msg"`
		} `json:"detail"`
	}
	if json.Unmarshal(body, &shape) == nil {
		switch {
		case shape.Error != nil && shape.Error.Message != "":
			return msg + ": " + shape.Error.Message
		case len(shape.Detail) > 0:
			parts := make([]string, len(shape.Detail))
			for i, d := range shape.Detail {
				loc := make([]string, len(d.Loc))
				for j, l := range d.Loc {
					loc[j] = fmt.Sprint(l)
				}
				parts[i] = strings.Join(loc, ".") + ": " + d.Msg
			}
			return msg + ": " + strings.Join(parts, "; ")
		}
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	if text == "" {
		return msg
	}
	return fmt.Sprintf("%s: %q", msg, text)
}
