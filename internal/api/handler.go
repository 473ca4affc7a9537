package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// maxBody bounds a request body; the API only answers GET and HEAD.
const maxBody = 4 << 10

// statusError is an answer other than 200 with a JSON error.
type statusError struct {
	code    int
	param   string
	message string
}

func (e *statusError) Error() string { return e.message }

// errorBody is the JSON of every error answer.
type errorBody struct {
	Error  string `json:"error"`
	Param  string `json:"param,omitempty"`
	Status int    `json:"status"`
}

// endpoint answers one route: a value to encode as JSON, or an error.
type endpoint func(r *http.Request) (any, error)

// Routes, in the order /api/v1/info lists them.
var routes = []struct{ name, pattern string }{
	{"health", "/api/v1/health"},
	{"info", "/api/v1/info"},
	{"stats", "/api/v1/stats"},
	{"series", "/api/v1/series"},
	{"top", "/api/v1/top"},
	{"totals", "/api/v1/totals"},
	{"source", "/api/v1/source/{ip}"},
	{"spikes", "/api/v1/spikes"},
	{"coverage", "/api/v1/coverage"},
	{"minutes", "/api/v1/coverage/minutes"},
}

// Handler is the whole HTTP handler: the API, /metrics and JSON 404s,
// every route behind authentication when it is configured.
func (c *Component) Handler() http.Handler {
	eps := map[string]struct {
		h     endpoint
		query bool // asks the store: bounded by the query semaphore and timeout
	}{
		"health": {c.health, false}, "info": {c.info, false},
		"stats": {c.stats, true}, "series": {c.series, true}, "top": {c.top, true},
		"totals": {c.totals, true}, "source": {c.source, true},
		"spikes": {c.spikes, true}, "coverage": {c.coverage, true}, "minutes": {c.minutes, true},
	}
	mux := http.NewServeMux()
	for _, rt := range routes {
		ep := eps[rt.name]
		mux.Handle(rt.pattern, c.instrument(rt.name, c.authed(c.jsonEndpoint(rt.name, ep.h, ep.query))))
	}
	if c.deps.Metrics != nil {
		path := c.deps.MetricsPath
		if path == "" {
			path = "/metrics"
		}
		mux.Handle(path, c.instrument("metrics", c.authed(c.deps.Metrics)))
	}
	c.mu.Lock()
	web := c.web
	c.mu.Unlock()
	if web != nil {
		// The dashboard does its own authentication (a login page and a
		// session cookie) when authentication is configured.
		mux.Handle("/", c.instrument("web", web))
		mux.Handle("/api/", c.instrument("other", c.authed(c.jsonEndpoint("other", notFound, false))))
	} else {
		mux.Handle("/", c.instrument("other", c.authed(c.jsonEndpoint("other", notFound, false))))
	}
	return c.recoverer(mux)
}

func notFound(r *http.Request) (any, error) {
	return nil, &statusError{code: http.StatusNotFound, message: "no such endpoint (see /api/v1/info for the list)"}
}

// recoverer answers 500 instead of dropping the connection if a handler
// panics; no handler should (their input is validated first).
func (c *Component) recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				c.log.Error("handler panic", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeJSON(w, r, http.StatusInternalServerError, errorBody{Error: "internal error", Status: 500})
			}
		}()
		h.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// instrument counts requests by route and code and times them.
func (c *Component) instrument(route string, h http.Handler) http.Handler {
	dur := c.m.duration.WithLabelValues(route)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t0 := time.Now()
		c.m.inflight.Inc()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			c.m.inflight.Dec()
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			d := time.Since(t0)
			dur.Observe(d.Seconds())
			c.m.requests.WithLabelValues(route, strconv.Itoa(code)).Inc()
			c.log.Debug("request", "route", route, "method", r.Method, "path", r.URL.Path, "code", code, "took", d, "remote", r.RemoteAddr)
		}()
		h.ServeHTTP(sw, r)
	})
}

// authed refuses requests without valid credentials when any are
// configured. It runs before routing decides anything visible.
func (c *Component) authed(h http.Handler) http.Handler {
	if !c.auth.enabled() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.auth.check(r) && (c.session == nil || !c.session(r)) {
			w.Header().Set("WWW-Authenticate", c.auth.challenge())
			writeJSON(w, r, http.StatusUnauthorized, errorBody{Error: "authentication required (bearer token or user:password)", Status: 401})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// jsonEndpoint checks the method and body, bounds store work, calls ep
// and writes its answer or error as JSON.
func (c *Component) jsonEndpoint(route string, ep endpoint, query bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeJSON(w, r, http.StatusMethodNotAllowed, errorBody{Error: "only GET and HEAD", Status: 405})
			return
		}
		if r.ContentLength > maxBody {
			writeJSON(w, r, http.StatusRequestEntityTooLarge, errorBody{Error: "request body too large", Status: 413})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if query {
			ctx, cancel := context.WithTimeout(r.Context(), c.config.QueryTimeout)
			defer cancel()
			select {
			case c.sem <- struct{}{}:
				defer func() { <-c.sem }()
			case <-ctx.Done():
				writeJSON(w, r, http.StatusServiceUnavailable, errorBody{Error: "too many queries waiting; try again", Status: 503})
				return
			}
			r = r.WithContext(ctx)
		}
		v, err := ep(r)
		if err != nil {
			code, body := c.errorAnswer(route, r, err)
			writeJSON(w, r, code, body)
			return
		}
		writeJSON(w, r, http.StatusOK, v)
	})
}

func (c *Component) errorAnswer(route string, r *http.Request, err error) (int, errorBody) {
	var pe *ParamError
	var se *statusError
	switch {
	case errors.As(err, &pe):
		return http.StatusBadRequest, errorBody{Error: pe.Message, Param: pe.Param, Status: 400}
	case errors.As(err, &se):
		return se.code, errorBody{Error: se.message, Param: se.param, Status: se.code}
	case errors.Is(err, context.DeadlineExceeded):
		c.log.Warn("query timed out", "route", route, "query", r.URL.RawQuery, "timeout", c.config.QueryTimeout)
		return http.StatusGatewayTimeout, errorBody{Error: fmt.Sprintf("the query took longer than %s; narrow it (from, to, filters)", c.config.QueryTimeout), Status: 504}
	case errors.Is(err, context.Canceled):
		return 499, errorBody{Error: "request cancelled", Status: 499}
	}
	if c.deps.Ready != nil {
		if rerr := c.deps.Ready(); rerr != nil {
			return http.StatusServiceUnavailable, errorBody{Error: "store unavailable: " + rerr.Error(), Status: 503}
		}
	}
	c.log.Error("store query failed", "route", route, "query", r.URL.RawQuery, "err", err)
	return http.StatusInternalServerError, errorBody{Error: "store query failed (logged)", Status: 500}
}

func writeJSON(w http.ResponseWriter, r *http.Request, code int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		code = http.StatusInternalServerError
		buf.Reset()
		json.NewEncoder(&buf).Encode(errorBody{Error: "encoding the answer failed", Status: 500})
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// query runs one store query, timing it.
func (c *Component) query(ctx context.Context, route string, q store.StatsQuery) ([]store.StatsRow, error) {
	t0 := time.Now()
	rows, err := c.deps.Store.Stats(ctx, q)
	c.m.queries.WithLabelValues(route).Observe(time.Since(t0).Seconds())
	return rows, err
}

// requestParams parses r's query string, accepting only allowed.
func requestParams(r *http.Request, allowed ...string) (params, error) {
	vals, pe := parseRawQuery(r.URL.RawQuery)
	if pe != nil {
		return params{}, pe
	}
	p, pe := parseParams(vals, allowed)
	if pe != nil {
		return p, pe
	}
	return p, nil
}
