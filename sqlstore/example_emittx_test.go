package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/sqlstore"
)

// Emitting inside your transaction: the event is written with the
// application's own change, and is delivered if and only if the
// transaction commits.
func Example_emitTx() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "sqlstore-emittx")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// The application's database is the store's: on SQLite, open it
	// through the store (or as Open does, with _txlock=immediate).
	store, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "app.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	db := store.DB()
	if _, err := db.ExecContext(ctx, `CREATE TABLE payments (id TEXT PRIMARY KEY, amount INTEGER NOT NULL)`); err != nil {
		log.Fatal(err)
	}

	received := make(chan string, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var payload struct {
			Action string `json:"action"`
			Object struct {
				ID string `json:"id"`
			} `json:"object"`
		}
		json.Unmarshal(body, &payload)
		received <- payload.Action + " " + payload.Object.ID
	}))
	defer receiver.Close()
	reg, err := monitehooks.NewRegistry(ctx, store, &monitehooks.RegistryConfig{AllowInsecureURLs: true})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := reg.Create(ctx, monitehooks.SubscriptionParams{PartnerID: "partner-1", ObjectType: "payment", URL: receiver.URL}); err != nil {
		log.Fatal(err)
	}
	em, err := monitehooks.NewEmitter(store, reg, &monitehooks.EmitterConfig{AllowPrivateNetworks: true})
	if err != nil {
		log.Fatal(err)
	}
	defer em.Shutdown(ctx)

	pay := func(id string, amount int, commit bool) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			log.Fatal(err)
		}
		defer tx.Rollback() // after Commit, a no-op
		if _, err := tx.ExecContext(ctx, `INSERT INTO payments (id, amount) VALUES ($1, $2)`, id, amount); err != nil {
			log.Fatal(err)
		}
		if _, err := em.EmitTx(ctx, tx, monitehooks.Event{
			PartnerID: "partner-1", ObjectType: "payment", Type: "created", ObjectID: id,
		}); err != nil {
			log.Fatal(err)
		}
		if !commit {
			return // rolled back: the payment and its event are gone together
		}
		if err := tx.Commit(); err != nil {
			log.Fatal(err)
		}
		em.Wake() // SQLite tells no other connection: look now, not at the next poll
	}
	pay("pay-1", 100, false)
	pay("pay-2", 250, true)

	fmt.Println("delivered:", <-received)
	page, err := store.ListEvents(ctx, "partner-1", monitehooks.ListParams{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("events stored:", len(page.Data))
	// Output:
	// delivered: payment.created pay-2
	// events stored: 1
}
