package monitehooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/monitehooks/monitehooks/internal/h1"
)

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestPostChoosesTheClient checks that post gives the h1 client what it
// takes, net/http's Transport the rest, and refuses a header value that
// would split the request.
func TestPostChoosesTheClient(t *testing.T) {
	var viaH1 atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		viaH1.Add(1)
		if r.Header.Get(WebhookIDHeader) != "ev-1" || r.Header.Get(SignatureHeader) != "t=1,v1=00" ||
			r.Header.Get("User-Agent") != userAgent || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("headers = %v; want the event ID, the signature, the User-Agent and the Content-Type", r.Header)
		}
	}))
	defer srv.Close()
	var viaTransport []string
	e := &Emitter{
		h1: h1.NewClient(nil),
		transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			viaTransport = append(viaTransport, r.URL.Host)
			return &http.Response{StatusCode: http.StatusAccepted, Body: http.NoBody}, nil
		}),
		timeout: time.Minute, now: time.Now, baseCtx: context.Background(),
	}
	defer e.h1.Close()
	w := newWorkerState(e)
	defer w.deadline.close()
	w.body, w.sig = []byte("{}"), []byte("t=1,v1=00")

	if status, _, err := e.post(w, srv.URL+"/hook", "ev-1"); err != nil || status != 200 || viaH1.Load() != 1 {
		t.Errorf("post to %s = %d, %v with %d requests at the server; want 200 by the h1 client", srv.URL, status, err, viaH1.Load())
	}
	if status, _, err := e.post(w, "http://bücher.example/hook", "ev-1"); err != nil || status != 202 || !slices.Equal(viaTransport, []string{"bücher.example"}) {
		t.Errorf("post to a Unicode host = %d, %v, transport saw %q; want 202 by the transport", status, err, viaTransport)
	}
	_, _, err := e.post(w, srv.URL+"/hook", "ev-1\r\nX-Injected: 1")
	want := `Post "` + srv.URL + `/hook": monitehooks: invalid Webhook-Id header value "ev-1\r\nX-Injected: 1"`
	if err == nil || err.Error() != want || viaH1.Load() != 1 {
		t.Errorf("post with a CRLF in the event ID = %v, %d requests at the server; want %s and no request", err, viaH1.Load(), want)
	}
}
