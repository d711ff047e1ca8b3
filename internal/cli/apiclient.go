package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxAPIAnswer is the most of an API answer the client reads.
const maxAPIAnswer = 16 << 20

// apiClient calls a monitehooks REST API with a bearer token.
type apiClient struct {
	base  string // the API's URL without a trailing slash, such as http://127.0.0.1:8080/v1
	token string
	http  *http.Client
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
// into out unless it is nil. Another status is returned as a
// *statusError.
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
		return fmt.Errorf("%s %s: decoding the answer: %w", method, c.base+path, err)
	}
	return nil
}

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
