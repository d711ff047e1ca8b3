package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/monitehooks/monitehooks"
)

// MaxBodySize is the largest request body accepted; a larger one answers
// 413.
const MaxBodySize = 1 << 20

// DefaultBaseURL is where the API is taken to be mounted when
// [Config].BaseURL is empty: /v1, where the monitehooks CLI mounts it.
const DefaultBaseURL = "/v1"

// Config configures [New].
type Config struct {
	// Registry holds the subscriptions. Required.
	Registry *monitehooks.Registry
	// Store is the store the registry and emitter use; events and
	// deliveries are read from it. Required.
	Store monitehooks.Store
	// Emitter emits the events posted to POST /events, which is served
	// exactly when Emitter is set. POST /webhook_deliveries/{id}/redeliver
	// and POST /{prefix}/{id}/recover are served either way: with an
	// Emitter they go through [monitehooks.Emitter.Redeliver] and
	// [monitehooks.Emitter.RecoverFailed], which wake it at once; without
	// one they requeue the deliveries in Store, due at Now, and whichever
	// emitter delivers from that store picks them up when it next polls
	// (within its PollInterval). Defaults to nil: POST /events is not
	// served and answers 405 (GET /events still is).
	Emitter *monitehooks.Emitter
	// Authenticator maps a request to the partner making it;
	// [StaticTokens] makes one from a map of bearer tokens. Required.
	Authenticator Authenticator
	// Now stamps the created_at of events posted to POST /events and,
	// without an Emitter, is when redelivered and recovered deliveries
	// become due (with one, they are due at the Emitter's clock). Defaults
	// to nil: the Emitter's clock for events, time.Now for requeues.
	Now func() time.Time
	// BaseURL is where the handler is mounted, as the OpenAPI document
	// names it in its servers: a path such as "/v1", taken relative to
	// the host that serves the document, or an absolute http or https URL
	// such as "https://api.example.com/v1". It does not change the paths
	// the handler serves (mount it with [http.StripPrefix]). Defaults to
	// DefaultBaseURL.
	BaseURL string
	// Logger receives the handler's logs: failures that answer 5xx at
	// error level, refused requests at debug level. Defaults to
	// discarding them.
	Logger *slog.Logger
}

// validate returns an error naming the first field that is missing or
// wrong.
func (c *Config) validate() error {
	switch {
	case c == nil:
		return errors.New("httpapi: New: Config is nil; Registry, Store and Authenticator are required")
	case c.Registry == nil:
		return errors.New("httpapi: New: Config.Registry is required")
	case c.Store == nil:
		return errors.New("httpapi: New: Config.Store is required")
	case c.Authenticator == nil:
		return errors.New("httpapi: New: Config.Authenticator is required; StaticTokens makes one from bearer tokens")
	}
	if c.BaseURL != "" && !validBaseURL(c.BaseURL) {
		return fmt.Errorf("httpapi: New: Config.BaseURL %q is neither a path starting with / nor an absolute http or https URL, without query or fragment", c.BaseURL)
	}
	return nil
}

// validBaseURL reports whether s can be the OpenAPI document's server URL.
func validBaseURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#{} ") {
		return false
	}
	if u.Scheme == "" {
		return u.Host == "" && strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//")
	}
	return (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// New returns the REST API handler described in the package doc. It serves
// paths relative to its mount point; mount it under a prefix with
// [http.StripPrefix]. The handler is safe for concurrent use.
func New(cfg *Config) (http.Handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	h := &handler{
		reg:     cfg.Registry,
		store:   cfg.Store,
		emitter: cfg.Emitter,
		auth:    cfg.Authenticator,
		now:     cfg.Now,
		log:     cfg.Logger,
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.routes = h.routeTable()
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	doc, err := openAPIDocument(h.routes, h.reg.Catalog(), base)
	if err != nil {
		return nil, err
	}
	h.openapi = doc
	h.mux, h.patterns = h.buildMux(h.routes)
	return h, nil
}
