package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"sync"

	"golang.org/x/text/language"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/period"
)

// page is one entry of the registry: a route, its place in the navigation
// and the function that fills its content. Each page lives in a file
// page_NAME.go that registers itself from init (see doc.go).
type page struct {
	// Name identifies the page in chart and CSV download names
	// (/chart/NAME.ID.svg) and selects its template "page-NAME".
	Name string
	// Pattern is the ServeMux path pattern ("/{$}", "/class/{class}").
	Pattern string
	// Nav is the message key of its navigation entry ("" : not in the
	// navigation bar); NavOrder sorts the entries.
	Nav      string
	NavOrder int
	// NavPath is the path the navigation entry links to (Pattern when
	// empty); NavItems, when set, gives several entries instead (the
	// class pages).
	NavPath  string
	NavItems func(q *request) []navItem
	// Path applies the path's wildcards to the filters (nil: none), with
	// a FilterError for a bad one. Downloads pass the same values as
	// query parameters, so every path value must be a filter.
	Path func(r *http.Request, f *Filters) error
	// Link is the page's URL for filters (for downloads' page links and
	// the language switch); nil: NavPath or Pattern with the filters.
	Link func(f Filters) string
	// Params are further query parameters the page accepts (besides the
	// filters).
	Params []string
	// Build fills c for q; a *FilterError becomes a 400 page.
	Build func(q *request, c *content) error
}

// navItem is one entry of the navigation bar.
type navItem struct {
	Label, Href string
	Current     bool
}

var (
	pages   []*page
	pagesMu sync.Mutex
)

// register adds a page to the registry; called from the init function of
// its page_*.go file. Names must be unique.
func register(p *page) {
	pagesMu.Lock()
	defer pagesMu.Unlock()
	for _, x := range pages {
		if x.Name == p.Name || x.Pattern == p.Pattern {
			panic("web: page " + p.Name + " registered twice")
		}
	}
	pages = append(pages, p)
	slices.SortStableFunc(pages, func(a, b *page) int { return a.NavOrder - b.NavOrder })
}

func pageNamed(name string) *page {
	for _, p := range pages {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// request is one page request: its validated filters and language, and
// the period source it reads. Builders ask it for what they show.
type request struct {
	h    *Handler
	r    *http.Request
	ctx  context.Context
	page *page
	// F are the filters, with the page's path values applied.
	F Filters
	// Rest holds the values of the page's own Params.
	Rest url.Values
	// Lang is "en" or "ja".
	Lang string

	src      *period.Source
	viewOnce sync.Once
	view     *period.View
	viewErr  error
}

// newRequest validates r's query and path for page p (nil: a download,
// whose page comes later); a bad value is answered 400 here.
func (h *Handler) newRequest(w http.ResponseWriter, r *http.Request, p *page, fromPath bool) (*request, bool) {
	var extra []string
	if p != nil {
		extra = p.Params
	}
	f, rest, err := ParseFilters(r.URL.RawQuery, extra...)
	if err == nil && fromPath && p != nil && p.Path != nil {
		err = p.Path(r, &f)
	}
	lang := h.lang(r, f)
	if err != nil {
		q := &request{h: h, r: r, Lang: lang}
		h.failure(w, r, q, err)
		return nil, false
	}
	f.Lang = lang
	q := &request{h: h, r: r, ctx: r.Context(), page: p, F: f, Rest: rest, Lang: lang}
	q.src = h.deps.Period(f.Sensors)
	return q, true
}

var langMatcher = language.NewMatcher([]language.Tag{language.English, language.Japanese})

// lang is ?lang= when given, else the best of Accept-Language, else en.
func (h *Handler) lang(r *http.Request, f Filters) string {
	if f.LangSet {
		return f.Lang
	}
	if al := r.Header.Get("Accept-Language"); al != "" && len(al) < 512 {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, i, conf := langMatcher.Match(tags...)
			if i == 1 && conf != language.No {
				return "ja"
			}
		}
	}
	return "en"
}

// T is the message key in the request's language.
func (q *request) T(key string) string { return q.h.t(q.Lang, key) }

// Source is the period source over the selected sensors.
func (q *request) Source() *period.Source { return q.src }

// Range resolves the filters' period (default: the last days with data).
func (q *request) Range() (period.Range, error) {
	return q.src.Resolve(q.ctx, q.F.Spec())
}

// Unit is the analysis unit of the filters.
func (q *request) Unit() analysis.Unit {
	if q.F.Unit == "sources" {
		return analysis.UnitSources
	}
	return analysis.UnitPackets
}

// View loads the period view of the filters once per request (the series,
// coverage and findings the report shows).
func (q *request) View() (*period.View, error) {
	q.viewOnce.Do(func() {
		r, err := q.Range()
		if err != nil {
			q.viewErr = err
			return
		}
		q.view, q.viewErr = q.src.Load(q.ctx, period.ViewOptions{Range: r, Unit: q.Unit()})
	})
	return q.view, q.viewErr
}

// link is path with the request's filters and overrides.
func (q *request) link(path string, overrides ...func(*Filters)) string {
	return q.F.URL(path, overrides...)
}
