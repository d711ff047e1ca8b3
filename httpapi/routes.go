package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/monitehooks/monitehooks"
)

// handler is the http.Handler New returns.
type handler struct {
	reg     *monitehooks.Registry
	store   monitehooks.Store
	emitter *monitehooks.Emitter // nil unless POST /events is served
	auth    Authenticator
	now     func() time.Time // nil: the emitter's clock, or time.Now without one
	log     *slog.Logger

	routes   []route
	mux      *http.ServeMux
	patterns []string // every pattern registered in mux, in order
	openapi  []byte   // the OpenAPI document
}

// serveFunc serves one route for an authenticated partner (or "" for a
// route without authentication). It writes the success answer itself and
// returns any error for writeError to answer.
type serveFunc func(w http.ResponseWriter, r *http.Request, partner string) error

// route is one method and path the handler serves: the single source of
// both the mux and the OpenAPI document.
type route struct {
	method string
	path   string // a ServeMux path, which is also an OpenAPI path template
	public bool   // served without authentication
	serve  serveFunc
	op     operation
}

func (rt *route) pattern() string { return rt.method + " " + rt.path }

// routeTable lists the routes served, in the order the OpenAPI document
// lists them.
func (h *handler) routeTable() []route {
	var rs []route
	for _, g := range []generation{settingsAPI, subscriptionsAPI} {
		item := g.prefix + "/{id}"
		rs = append(rs,
			route{method: "POST", path: g.prefix, serve: h.createSubscription(g), op: g.createOp()},
			route{method: "GET", path: g.prefix, serve: h.listSubscriptions, op: g.listOp()},
			route{method: "GET", path: item, serve: h.getSubscription, op: g.getOp()},
			route{method: "PATCH", path: item, serve: h.updateSubscription, op: g.updateOp()},
			route{method: "DELETE", path: item, serve: h.deleteSubscription(g), op: g.deleteOp()},
			route{method: "POST", path: item + "/enable", serve: h.setStatus(true), op: g.statusOp("enable")},
			route{method: "POST", path: item + "/disable", serve: h.setStatus(false), op: g.statusOp("disable")},
			route{method: "POST", path: item + "/regenerate_secret", serve: h.regenerateSecret, op: g.regenerateOp()},
			route{method: "POST", path: item + "/recover", serve: h.recoverFailed, op: g.recoverOp()},
		)
	}
	rs = append(rs,
		route{method: "GET", path: "/webhook_deliveries", serve: h.listDeliveries, op: listDeliveriesOp},
		route{method: "GET", path: "/webhook_deliveries/{id}", serve: h.getDelivery, op: getDeliveryOp},
		route{method: "POST", path: "/webhook_deliveries/{id}/redeliver", serve: h.redeliver, op: redeliverOp},
		route{method: "GET", path: "/events", serve: h.listEvents, op: listEventsOp},
		route{method: "GET", path: "/events/{id}", serve: h.getEvent, op: getEventOp},
	)
	if h.emitter != nil {
		rs = append(rs, route{method: "POST", path: "/events", serve: h.emitEvent, op: emitEventOp})
	}
	rs = append(rs, route{method: "GET", path: "/openapi.json", public: true, serve: h.serveOpenAPI, op: openAPIOp})
	return rs
}

// buildMux registers the routes, then for each path a method-less
// pattern that answers 405 in JSON (ServeMux's own 405 is plain text),
// then a catch-all that answers 404 in JSON. It returns the mux and the
// patterns registered.
func (h *handler) buildMux(routes []route) (*http.ServeMux, []string) {
	mux := http.NewServeMux()
	var patterns []string
	handle := func(pattern string, hh http.Handler) {
		mux.Handle(pattern, hh)
		patterns = append(patterns, pattern)
	}
	allowed := map[string][]string{}
	var paths []string
	for i := range routes {
		rt := &routes[i]
		handle(rt.pattern(), h.endpoint(rt))
		if _, ok := allowed[rt.path]; !ok {
			paths = append(paths, rt.path)
		}
		allowed[rt.path] = append(allowed[rt.path], rt.method)
		if rt.method == "GET" {
			allowed[rt.path] = append(allowed[rt.path], "HEAD") // ServeMux serves HEAD with GET
		}
	}
	for _, p := range paths {
		methods := allowed[p]
		slices.Sort(methods)
		err := &apiError{status: http.StatusMethodNotAllowed, allow: strings.Join(methods, ", ")}
		handle(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			e := *err
			e.message = fmt.Sprintf("method %s is not allowed; allowed: %s", r.Method, e.allow)
			h.writeError(w, r, &e)
		}))
	}
	handle("/", http.HandlerFunc(h.notFound))
	return mux, patterns
}

// endpoint authenticates a request for rt, unless it is public, and
// serves it.
func (h *handler) endpoint(rt *route) http.Handler {
	serve := rt.serve
	public := rt.public
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		partner := ""
		if !public {
			p, err := h.auth.Authenticate(r)
			if err != nil || p == "" {
				h.writeError(w, r, &apiError{status: http.StatusUnauthorized, message: "missing or invalid bearer token", cause: err})
				return
			}
			partner = p
		}
		if err := serve(w, r, partner); err != nil {
			h.writeError(w, r, err)
		}
	})
}

func (h *handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.writeError(w, r, &apiError{status: http.StatusNotFound, message: "not found"})
}

// ServeHTTP serves the API. A path that is not in clean form answers 404:
// ServeMux would redirect it, to a location that loses the mount prefix.
// A panic answers 500 and is logged; it is a bug, never an answer to
// input.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.ErrorContext(r.Context(), "httpapi: panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
			writeJSON(w, http.StatusInternalServerError, message("internal error"))
		}
	}()
	p := r.URL.Path
	if p == "" {
		p = "/"
	}
	if p != cleanPath(p) || r.URL.EscapedPath() != cleanPath(r.URL.EscapedPath()) {
		h.notFound(w, r)
		return
	}
	if p != r.URL.Path {
		r2 := *r
		u := *r.URL
		u.Path, u.RawPath = p, ""
		r2.URL = &u
		r = &r2
	}
	h.mux.ServeHTTP(w, r)
}

// cleanPath is the form ServeMux wants a path in: rooted, without . or ..
// elements or repeated slashes, keeping a trailing slash.
func cleanPath(p string) string {
	c := path.Clean("/" + p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

func (h *handler) serveOpenAPI(w http.ResponseWriter, _ *http.Request, _ string) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(h.openapi)
	return nil
}
