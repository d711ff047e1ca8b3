package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
	"github.com/monitehooks/monitehooks/memstore"
)

// The API mounted at /v1, as the CLI serves it: create a subscription as
// curl would, then list the subscriptions.
func Example() {
	store := memstore.New()
	reg, err := monitehooks.NewRegistry(context.Background(), store, nil)
	if err != nil {
		log.Fatal(err)
	}
	auth, err := httpapi.StaticTokens(map[string]string{"dev-token": "partner-1"})
	if err != nil {
		log.Fatal(err)
	}
	api, err := httpapi.New(&httpapi.Config{
		Registry:      reg,
		Store:         store,
		Authenticator: auth,
	})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(http.StripPrefix("/v1", api))
	defer srv.Close()

	// curl -X POST $URL/v1/webhook_subscriptions -H 'Authorization: Bearer dev-token' \
	//   -H 'Content-Type: application/json' -d '{"object_type":"entity","url":"https://example.com/hooks"}'
	req, _ := http.NewRequest("POST", srv.URL+"/v1/webhook_subscriptions",
		strings.NewReader(`{"object_type":"entity","url":"https://example.com/hooks","event_types":["created"]}`))
	req.Header.Set("Authorization", "Bearer dev-token")
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	var sub struct {
		ObjectType string   `json:"object_type"`
		EventTypes []string `json:"event_types"`
		Status     string   `json:"status"`
		Secret     string   `json:"secret"`
	}
	json.NewDecoder(res.Body).Decode(&sub)
	res.Body.Close()
	fmt.Println(res.Status)
	fmt.Println(sub.ObjectType, sub.EventTypes, sub.Status, strings.HasPrefix(sub.Secret, "whsec_"))

	// curl $URL/v1/webhook_settings -H 'Authorization: Bearer dev-token'
	req, _ = http.NewRequest("GET", srv.URL+"/v1/webhook_settings", nil)
	req.Header.Set("Authorization", "Bearer dev-token")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	var list struct {
		Data []struct {
			URL string `json:"url"`
		} `json:"data"`
		Next *string `json:"next_pagination_token"`
	}
	json.NewDecoder(res.Body).Decode(&list)
	res.Body.Close()
	fmt.Println(res.Status, len(list.Data), list.Data[0].URL, list.Next)
	// Output:
	// 201 Created
	// entity [created] enabled true
	// 200 OK 1 https://example.com/hooks <nil>
}
