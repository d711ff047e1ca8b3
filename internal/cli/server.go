package cli

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/monitehooks/monitehooks/internal/stack"
)

// apiPrefix is where the REST API is mounted.
const apiPrefix = stack.APIPrefix

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
