package httpapi_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/monitehooks/monitehooks/httpapi"
)

// StaticTokens turns a fixed map of bearer tokens into the Authenticator
// the API requires, and refuses a map with a token no request could use.
func ExampleStaticTokens() {
	auth, err := httpapi.StaticTokens(map[string]string{"token-of-acme": "acme"})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := httptest.NewRequest("GET", "/v1/webhook_subscriptions", nil)
	r.Header.Set("Authorization", "Bearer token-of-acme")
	partner, err := auth.Authenticate(r)
	fmt.Printf("%q %v\n", partner, err)
	r.Header.Set("Authorization", "Bearer guess")
	partner, err = auth.Authenticate(r)
	fmt.Printf("%q %v\n", partner, err)

	_, err = httpapi.StaticTokens(map[string]string{"token-of-acme": ""})
	fmt.Println(err)
	// Output:
	// "acme" <nil>
	// "" httpapi: missing or unknown bearer token
	// httpapi: StaticTokens: a token maps to an empty partner ID
}
