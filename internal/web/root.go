package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/infra"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/queryparam"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Dependencies are what the dashboard reads and how it authenticates.
type Dependencies struct {
	// Store is read through the period layer (never for SQL) and for
	// honeypot sessions; the only write is a report folder on request.
	Store store.Store
	// Period returns the period source over some sensors (nil: every
	// sensor); nil builds period.New(Store, Store.Location(), sensors).
	Period func(sensors []string) *period.Source
	// Version is shown in the footer.
	Version string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Login checks a user's password. Nil means no authentication (the
	// dashboard is served on loopback only): no login page, no sessions.
	Login func(ctx context.Context, user, pass string) bool
	// Generation, when set, is the store's write counter
	// (storecache.Store.Generation): a page built at another generation
	// is built again. Nil: pages are kept for a minute.
	Generation func() uint64
	// PatternName names an exploit pattern key ("gid:sid:rev" of a rule)
	// for readers (nil: the key).
	PatternName func(key string) string
	// Country is the domestic country (ISO code; "" is JP).
	Country string
	// Log receives errors behind 500 pages (nil: discarded).
	Log *slog.Logger
	// Resolutions are the DNS resolutions the infrastructure page draws
	// (nil: the page says there are none).
	Resolutions infra.ResolutionStore
	// Locate returns the country code GeoIP places an address in, as the
	// packet path places sources: the country shown for a honeypot
	// session stored without one (nil: such sessions show none).
	Locate func(netip.Addr) string
}

// Handler is the dashboard: an http.Handler to mount at "/".
type Handler struct {
	deps Dependencies
	cfg  Configuration
	mux  *http.ServeMux
	tpl  *templates
	// key signs CSRF tokens.
	key      []byte
	sessions *sessionTable
	limiter  *limiter
	cache    *contentCache
	recent   *recentPages
}

var _ http.Handler = (*Handler)(nil)

// New builds the dashboard.
func New(deps Dependencies, cfg Configuration) (*Handler, error) {
	if deps.Store == nil {
		return nil, errors.New("web: no store")
	}
	if deps.Period == nil {
		st := deps.Store
		deps.Period = func(sensors []string) *period.Source { return period.New(st, st.Location(), sensors) }
	}
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Country == "" {
		deps.Country = "JP"
	}
	c, ok := queryparam.Country(deps.Country)
	if !ok {
		return nil, fmt.Errorf("web: domestic country %q: want a two-letter code", deps.Country)
	}
	deps.Country = c
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	cfg.fill()
	h := &Handler{deps: deps, cfg: cfg, mux: http.NewServeMux(), key: make([]byte, 32)}
	rand.Read(h.key)
	h.sessions = newSessionTable(cfg.MaxSessions, cfg.SessionTTL, deps.Now)
	h.limiter = newLimiter(cfg.LoginFailures, cfg.LoginWindow, deps.Now)
	h.cache = newContentCache(deps.Now)
	h.recent = newRecentPages()
	var err error
	if h.tpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	h.routes()
	return h, nil
}

// routes mounts the pages of the registry and the fixed routes.
func (h *Handler) routes() {
	h.mux.HandleFunc("GET /static/{file}", h.static)
	h.mux.HandleFunc("GET /login", h.loginPage)
	h.mux.HandleFunc("POST /login", h.loginPost)
	h.mux.HandleFunc("POST /logout", h.authed(h.logout))
	h.mux.HandleFunc("GET /chart/{file}", h.authed(h.chartDownload))
	h.mux.HandleFunc("GET /csv/{file}", h.authed(h.csvDownload))
	h.mux.HandleFunc("POST /report", h.authed(h.makeReport))
	for _, p := range pages {
		h.mux.HandleFunc("GET "+p.Pattern, h.authed(h.pageHandler(p)))
	}
	h.mux.HandleFunc("/", h.authed(func(w http.ResponseWriter, r *http.Request) {
		h.errorPage(w, r, http.StatusNotFound, "", h.t(h.lang(r, Filters{}), "notFound"))
	}))
}

// ServeHTTP sets the security headers and serves the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", CSP)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.deps.Log.Error("web: panic", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			http.Error(w, "internal error", http.StatusInternalServerError)
		}
	}()
	h.mux.ServeHTTP(w, h.withCSRF(w, r))
}

// CSP is the Content-Security-Policy of every answer: no inline script or
// style, nothing from elsewhere.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// pageHandler serves one registered page.
func (h *Handler) pageHandler(p *page) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q, ok := h.newRequest(w, r, p, true)
		if !ok {
			return
		}
		key, gen := cacheKey(p, q), h.generation()
		c := h.cache.get(key, gen)
		if c == nil && h.cfg.StalePages > 0 && !warming(r) {
			// Written since: shown as it was while the warm round
			// builds it again (it is among the pages opened lately).
			c = h.cache.stale(key, gen, h.cfg.StalePages)
		}
		if c != nil {
			h.opened(r, q)
			h.render(w, q, p, c)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), h.cfg.QueryTimeout)
		defer cancel()
		q.ctx = ctx
		c, err := h.build(q, p)
		if err != nil {
			h.failure(w, r, q, err)
			return
		}
		h.cache.put(key, c, gen)
		h.opened(r, q)
		h.render(w, q, p, c)
	}
}

// build runs a page's builder (under the query timeout of q.ctx).
func (h *Handler) build(q *request, p *page) (*content, error) {
	c := &content{page: p}
	if err := p.Build(q, c); err != nil {
		return nil, err
	}
	h.finish(q, c)
	return c, nil
}

// finish completes what builders leave out: the figures' inline SVG and
// download links, the tables' CSV links and column flags.
func (h *Handler) finish(q *request, c *content) {
	keepLang := func(f *Filters) { f.LangSet = true }
	for _, f := range c.Figures {
		base := "/chart/" + c.page.Name + "." + f.ID
		f.SVGHref = q.withArgs(q.F.URL(base+".svg", keepLang), true)
		f.PNGHref = q.withArgs(q.F.URL(base+".png", keepLang), true)
		// Inline SVGs share one document: each chart's pattern ids get
		// the figure's name.
		svg := f.Chart.SVG()
		svg = bytes.ReplaceAll(svg, []byte("nodata-hatch"), []byte("nodata-hatch-"+f.ID))
		svg = bytes.ReplaceAll(svg, []byte("partial-hatch"), []byte("partial-hatch-"+f.ID))
		f.svg = template.HTML(svg) // chart output: every text in it is XML-escaped by package chart
	}
	for _, t := range c.Tables {
		t.CSVHref = q.withArgs(q.F.URL("/csv/"+c.page.Name+"."+t.ID+".csv", keepLang), true)
		for len(t.Numeric) < len(t.Head) {
			t.Numeric = append(t.Numeric, false)
		}
		if t.Empty == "" {
			t.Empty = q.T("noRows")
		}
	}
}

// failure answers an error of a page's builder: the user's mistakes (a
// FilterError, a period without data, an unknown sensor) are 400 or 404
// pages with the message; anything else is logged and a 500 page.
func (h *Handler) failure(w http.ResponseWriter, r *http.Request, q *request, err error) {
	var fe *FilterError
	switch {
	case errors.As(err, &fe):
		h.errorPage(w, r, http.StatusBadRequest, fe.Param, fe.Message)
	case errors.Is(err, period.ErrNoData):
		h.errorPage(w, r, http.StatusNotFound, "", q.T("noData"))
	case errors.Is(err, errNotFound):
		h.errorPage(w, r, http.StatusNotFound, "", q.T("notFound"))
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away (it navigated elsewhere): nobody to answer.
		return
	case errors.Is(err, context.DeadlineExceeded):
		h.errorPage(w, r, http.StatusServiceUnavailable, "", q.T("timeout"))
	case isUserError(err):
		h.errorPage(w, r, http.StatusBadRequest, "", err.Error())
	default:
		h.deps.Log.Error("web: page", "path", r.URL.Path, "err", err)
		h.errorPage(w, r, http.StatusInternalServerError, "", q.T("internal"))
	}
}

// errNotFound is a page whose subject (a class, a chart) does not exist.
var errNotFound = errors.New("not found")

// isUserError recognises the period layer's refusals of a selection: a
// sensor absent from the store, a period too long or backwards.
func isUserError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "has no data in the store") || strings.Contains(s, "before it starts") ||
		strings.Contains(s, "is too long")
}

// generation is the store's write counter (0 without one).
func (h *Handler) generation() uint64 {
	if h.deps.Generation == nil {
		return 0
	}
	return h.deps.Generation()
}
