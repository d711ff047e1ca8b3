// Package stack assembles Monite's webhook system in one process: a store,
// a registry over it, an emitter delivering from it, and the REST API
// (package httpapi, with POST /events) serving them.
//
// The harness (webhooktest.Server) and the CLI (monitehooks serve and
// demo) both build theirs with [New]; what differs between them (clock,
// retry schedule, lease, tokens, observer, logger) is the [Config] each
// passes. The package imports neither testing nor webhooktest, so the CLI
// does not link them.
package stack

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
	"github.com/monitehooks/monitehooks/memstore"
)

// APIPrefix is where [Stack].Handler mounts the REST API.
const APIPrefix = "/v1"

// Config configures [New]. Authenticator is required; every other field's
// zero value gives the default its comment names.
type Config struct {
	// Store holds subscriptions, events and deliveries. Any
	// monitehooks.Store will do, such as one the caller opened from a
	// URL. Defaults to a new, empty memstore.New().
	Store monitehooks.Store
	// Catalog lists the object and event types. Defaults to
	// monitehooks.DefaultCatalog.
	Catalog *monitehooks.Catalog
	// Authenticator maps an API request to its partner;
	// httpapi.StaticTokens makes one from bearer tokens. Required.
	Authenticator httpapi.Authenticator
	// RetryPolicy decides when a failed delivery is tried again. Defaults
	// to monitehooks.DefaultRetryPolicy().
	RetryPolicy monitehooks.RetryPolicy
	// AttemptTimeout bounds each delivery attempt. Defaults to
	// monitehooks.DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// DisableAfter disables a subscription whose deliveries have failed
	// this long on the Now clock. Defaults to
	// monitehooks.DefaultDisableAfter.
	DisableAfter time.Duration
	// Retention is how long the delivery log is kept on the Now clock
	// (see monitehooks.EmitterConfig.Retention). Defaults to
	// monitehooks.DefaultRetention; a negative value keeps everything.
	Retention time.Duration
	// Lease is how long a claimed delivery stays reserved, on the Now
	// clock. Defaults to the emitter's: twice AttemptTimeout plus a
	// minute.
	Lease time.Duration
	// Now is the clock of the registry and the emitter, which also stamps
	// the events posted to POST /events. Defaults to time.Now.
	Now func() time.Time
	// Logger receives the emitter's and the API's logs. Defaults to
	// discarding them.
	Logger *slog.Logger
	// Observer is told of the emitter's attempts, finished deliveries and
	// disabled subscriptions. Defaults to none.
	Observer *monitehooks.Observer
	// AllowInsecureURLs lets subscriptions use http:// URLs as well as
	// https://. Defaults to false: https only.
	AllowInsecureURLs bool
	// AllowPrivateNetworks turns the emitter's SSRF guard off, so
	// deliveries may go to loopback and private addresses. Defaults to
	// false: the guard is on.
	AllowPrivateNetworks bool
	// TLSConfig is the emitter's TLS configuration for https URLs
	// (monitehooks.EmitterConfig.TLSConfig): private roots, a client
	// certificate. Defaults to nil: the system's roots, no client
	// certificate.
	TLSConfig *tls.Config
	// Proxy returns the proxy a delivery goes through
	// (monitehooks.EmitterConfig.Proxy). Defaults to nil: no proxy.
	Proxy func(*http.Request) (*url.URL, error)
}

// validate returns an error naming the first field that is missing.
func (c *Config) validate() error {
	switch {
	case c == nil:
		return errors.New("stack: New: Config is nil; Authenticator is required")
	case c.Authenticator == nil:
		return errors.New("stack: New: Config.Authenticator is required")
	}
	return nil
}

// Stack is an assembled webhook system. Its fields are for reading; the
// pieces they hold are safe for concurrent use.
//
// The emitter's workers run from New on: the caller stops them with
// Emitter.Shutdown or Emitter.Close. Nothing else needs stopping.
type Stack struct {
	// Store, Registry and Emitter are the pieces the stack is made of.
	Store    monitehooks.Store
	Registry *monitehooks.Registry
	Emitter  *monitehooks.Emitter
	// API is the REST API, POST /events included. It serves paths
	// relative to where it is mounted.
	API http.Handler
	// Handler serves API under APIPrefix, health checks at HealthPath,
	// and answers every other path with a JSON 404 that says where the
	// API is.
	Handler http.Handler
}

// New assembles a stack: it loads the store's subscriptions into a new
// registry (ctx bounds that), starts an emitter, and builds the API.
func New(ctx context.Context, cfg *Config) (*Stack, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	store := cfg.Store
	if store == nil {
		store = memstore.New()
	}
	reg, err := monitehooks.NewRegistry(ctx, store, &monitehooks.RegistryConfig{
		Catalog:           cfg.Catalog,
		Now:               cfg.Now,
		AllowInsecureURLs: cfg.AllowInsecureURLs,
	})
	if err != nil {
		return nil, err
	}
	em, err := monitehooks.NewEmitter(store, reg, &monitehooks.EmitterConfig{
		RetryPolicy:          cfg.RetryPolicy,
		AttemptTimeout:       cfg.AttemptTimeout,
		DisableAfter:         cfg.DisableAfter,
		Retention:            cfg.Retention,
		Lease:                cfg.Lease,
		Now:                  cfg.Now,
		AllowPrivateNetworks: cfg.AllowPrivateNetworks,
		TLSConfig:            cfg.TLSConfig,
		Proxy:                cfg.Proxy,
		Logger:               cfg.Logger,
		Observer:             cfg.Observer,
	})
	if err != nil {
		return nil, err
	}
	api, err := httpapi.New(&httpapi.Config{
		Registry:      reg,
		Store:         store,
		Emitter:       em,
		Authenticator: cfg.Authenticator,
		Logger:        cfg.Logger,
	})
	if err != nil {
		em.Close()
		return nil, err
	}
	return &Stack{
		Store:    store,
		Registry: reg,
		Emitter:  em,
		API:      api,
		Handler:  mount(api, store),
	}, nil
}

// mount serves api under APIPrefix, the health of store at HealthPath,
// and a JSON 404 elsewhere.
func mount(api http.Handler, store monitehooks.Store) http.Handler {
	mux := http.NewServeMux()
	mux.Handle(APIPrefix+"/", http.StripPrefix(APIPrefix, api))
	mux.Handle(HealthPath, healthHandler(store, healthTimeout))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":{"message":"not found; the API is served under %s/"}}`+"\n", APIPrefix)
	})
	return mux
}
