package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/monitehooks/monitehooks"
	"github.com/monitehooks/monitehooks/httpapi"
	"github.com/monitehooks/monitehooks/memstore"
)

// apiPrefix is where the REST API is mounted.
const apiPrefix = "/v1"

// fakeMonite is Monite's webhook system in one process: an in-memory store,
// a registry that accepts http:// URLs, an emitter that may deliver to
// loopback and private addresses, and the REST API (with POST /events)
// mounted at /v1.
type fakeMonite struct {
	emitter *monitehooks.Emitter
	handler http.Handler // serves /v1/… and answers JSON 404s elsewhere
}

// fakeMoniteConfig configures newFakeMonite.
type fakeMoniteConfig struct {
	catalog        *monitehooks.Catalog    // nil: DefaultCatalog
	tokens         map[string]string       // bearer token → partner ID; required
	retryPolicy    monitehooks.RetryPolicy // nil: the default schedule
	attemptTimeout time.Duration           // 0: the emitter's default
	logger         *slog.Logger            // nil: discard
	observer       *monitehooks.Observer   // nil: none
}

// newFakeMonite assembles a fake Monite. The caller stops its emitter.
func newFakeMonite(ctx context.Context, cfg fakeMoniteConfig) (*fakeMonite, error) {
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	store := memstore.New()
	reg, err := monitehooks.NewRegistry(ctx, store, &monitehooks.RegistryConfig{
		Catalog:           cfg.catalog,
		AllowInsecureURLs: true,
	})
	if err != nil {
		return nil, err
	}
	em, err := monitehooks.NewEmitter(store, reg, &monitehooks.EmitterConfig{
		RetryPolicy:          cfg.retryPolicy,
		AttemptTimeout:       cfg.attemptTimeout,
		AllowPrivateNetworks: true,
		Logger:               cfg.logger,
		Observer:             cfg.observer,
	})
	if err != nil {
		return nil, err
	}
	auth, err := httpapi.StaticTokens(cfg.tokens)
	if err != nil {
		em.Close()
		return nil, err
	}
	api, err := httpapi.New(&httpapi.Config{
		Registry:      reg,
		Store:         store,
		Emitter:       em,
		Authenticator: auth,
		Logger:        cfg.logger,
	})
	if err != nil {
		em.Close()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(apiPrefix+"/", http.StripPrefix(apiPrefix, api))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"error":{"message":"not found; the API is served under %s/"}}`+"\n", apiPrefix)
	})
	return &fakeMonite{emitter: em, handler: mux}, nil
}

// server is an HTTP server running on a listener of its own.
type server struct {
	srv  *http.Server
	addr string        // the bound address, host:port
	done chan struct{} // closed when Serve has returned
	err  error         // what Serve returned; read it after done is closed
}

// startServer listens on addr and serves h until shutdown.
func startServer(addr string, h http.Handler, errorLog *slog.Logger) (*server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &server{
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
		},
		addr: ln.Addr().String(),
		done: make(chan struct{}),
	}
	if errorLog != nil {
		s.srv.ErrorLog = slog.NewLogLogger(errorLog.Handler(), slog.LevelWarn)
	}
	go func() {
		defer close(s.done)
		s.err = s.srv.Serve(ln)
	}()
	return s, nil
}

// url returns the server's base URL.
func (s *server) url() string { return "http://" + s.addr }

// shutdown stops the server gracefully: no new connections, and the
// requests in flight finish unless ctx ends first, when the remaining
// connections are closed. It returns the error Serve stopped with, if it
// was not the expected one.
func (s *server) shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.srv.Close()
	}
	<-s.done
	if !errors.Is(s.err, http.ErrServerClosed) {
		return s.err
	}
	return err
}
