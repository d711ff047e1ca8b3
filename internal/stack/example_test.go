package stack_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/monitehooks/monitehooks/httpapi"
	"github.com/monitehooks/monitehooks/internal/stack"
)

// A stack as monitehooks serve builds it: an in-memory store, http:// URLs
// and private addresses allowed, the API under /v1, health checks at
// /healthz and a JSON 404 elsewhere.
func Example() {
	auth, err := httpapi.StaticTokens(map[string]string{"dev-token": "partner-1"})
	if err != nil {
		log.Fatal(err)
	}
	st, err := stack.New(context.Background(), &stack.Config{
		Authenticator:        auth,
		AllowInsecureURLs:    true,
		AllowPrivateNetworks: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Emitter.Close()
	srv := httptest.NewServer(st.Handler)
	defer srv.Close()

	for _, path := range []string{stack.APIPrefix + "/openapi.json", stack.HealthPath, "/openapi.json"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		fmt.Println("GET", path, res.Status)
		if res.StatusCode != http.StatusOK || path == stack.HealthPath {
			fmt.Print(string(body))
		}
	}
	// Output:
	// GET /v1/openapi.json 200 OK
	// GET /healthz 200 OK
	// {"status":"ok"}
	// GET /openapi.json 404 Not Found
	// {"error":{"message":"not found; the API is served under /v1/"}}
}
