package h1_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/monitehooks/monitehooks/internal/h1"
)

// A Post reads the status, the Retry-After header and the start of the
// body, as much as the Response's Body has room for.
func Example() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "busy, come back later")
	}))
	defer srv.Close()

	c := h1.NewClient(nil)
	defer c.Close()
	// One Request and one Response, reused for every Post.
	req := &h1.Request{URL: srv.URL + "/hook", Body: []byte(`{"id":"1"}`)}
	resp := &h1.Response{Body: make([]byte, 0, 4)}
	for range 2 {
		req.Deadline = time.Now().Add(10 * time.Second)
		req.Header.Reset()
		req.Header.Add("Content-Type", "application/json")
		if err := c.Post(context.Background(), req, resp); err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%d, Retry-After %s: %q\n", resp.Status, resp.RetryAfter(), resp.Body)
	}
	// Output:
	// 503, Retry-After 120: "busy"
	// 503, Retry-After 120: "busy"
}
