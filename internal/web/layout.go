package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/honeyscope/honeyscope/internal/analysis"
)

//go:embed templates
var templateFS embed.FS

// templates holds one template set per page: the layout and partials
// (templates/layout.html) with the page's templates/page_NAME.html, which
// defines "content".
type templates struct {
	byPage map[string]*template.Template
}

var templateFuncs = template.FuncMap{
	// join joins strings.
	"join": strings.Join,
}

func parseTemplates() (*templates, error) {
	base, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	t := &templates{byPage: map[string]*template.Template{}}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		c, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := c.ParseFS(templateFS, f); err != nil {
			return nil, fmt.Errorf("web: template %s: %w", f, err)
		}
		t.byPage[strings.TrimPrefix(name, "page_")] = c
	}
	for _, p := range pages {
		if t.byPage[p.Name] == nil {
			return nil, fmt.Errorf("web: page %s has no template templates/page_%s.html", p.Name, p.Name)
		}
	}
	return t, nil
}

// layoutData is what the layout template shows around a page's content.
type layoutData struct {
	Lang, Title string
	C           *content
	Nav         []navItem
	LangLinks   []navItem
	Filter      filterBar
	CSS, JS     string
	Icon        string
	Refresh     int
	Version     string
	DataRange   string
	TimeZone    string
	// CSRF is the token of this client's forms.
	CSRF string
	// Report is the "make a report" form's state.
	ReportEnabled bool
	ReportQuery   string
	// Auth is set when logins are required (the logout button shows).
	Auth bool
	// Error pages.
	Status         int
	Param, Message string
	// Login page.
	LoginError string
	// ReportResult is the answer of "make a report".
	ReportDir   string
	ReportFiles int
	lang        string
	h           *Handler
}

// T is a message in the page's language.
func (d *layoutData) T(key string) string { return d.h.t(d.lang, key) }

// filterBar is the filter form of the layout.
type filterBar struct {
	Action         string
	From, To       string
	Sensors        []option
	Unit           []option
	Refresh        []option
	Hidden         [][2]string // kept filters: name, value
	Chips          []navItem   // active page filters with their removal links
	Reset          string
	NoPeriodFields bool
}

type option struct {
	Value, Label string
	Selected     bool
}

// render writes page p's content in the layout.
func (h *Handler) render(w http.ResponseWriter, q *request, p *page, c *content) {
	d := h.layout(q, c)
	d.Title = c.Title
	h.write(w, q.r, http.StatusOK, p.Name, d)
}

// write executes the page template into a buffer first, so that an
// execution error is a 500 page and not half a page.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, status int, name string, d *layoutData) {
	t := h.tpl.byPage[name]
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", d); err != nil {
		h.deps.Log.Error("web: template", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// layout fills the parts of the layout every page shares.
func (h *Handler) layout(q *request, c *content) *layoutData {
	d := &layoutData{Lang: q.Lang, lang: q.Lang, h: h, C: c, CSS: assetURL("app.css"), JS: assetURL("app.js"), Icon: assetURL("icon.svg"),
		Refresh: q.F.Refresh, Version: h.deps.Version, Auth: h.deps.Login != nil, ReportEnabled: h.cfg.ReportDir != ""}
	if d.Version == "" {
		d.Version = "dev"
	}
	d.CSRF = h.csrfToken(q.r)
	d.ReportQuery = q.F.Query().Encode()
	// The navigation: every page's entry with the period, sensors, unit
	// and language kept, the page-identity filters dropped.
	nav := Drop(qClass, qCountry, qPort, qASN)
	for _, p := range pages {
		if p.Nav == "" && p.NavItems == nil {
			continue
		}
		if p.NavItems != nil {
			d.Nav = append(d.Nav, p.NavItems(q)...)
			continue
		}
		path := p.NavPath
		if path == "" {
			path = p.Pattern
		}
		path = strings.TrimSuffix(path, "{$}")
		d.Nav = append(d.Nav, navItem{Label: q.T(p.Nav), Href: q.link(path, nav), Current: q.page == p})
	}
	self := q.r.URL.Path
	for _, l := range []string{"en", "ja"} {
		label := "English"
		if l == "ja" {
			label = "日本語"
		}
		d.LangLinks = append(d.LangLinks, navItem{Label: label, Href: q.withArgs(q.link(self, func(f *Filters) { f.Lang, f.LangSet = l, true }), false), Current: q.Lang == l})
	}
	d.Filter = h.filterBar(q, c)
	if first, last, ok, err := q.src.DataRange(q.ctx); err == nil && ok {
		d.DataRange = dayLong(first, q.Lang) + " – " + dayLong(last, q.Lang)
	} else {
		d.DataRange = q.T("noDataYet")
	}
	d.TimeZone = q.src.Location().String()
	return d
}

func (h *Handler) filterBar(q *request, c *content) filterBar {
	fb := filterBar{Action: q.r.URL.Path}
	switch {
	case q.F.HasFrom:
		fb.From = q.F.From.String()
	case c != nil && c.HasRange:
		fb.From = c.Range.From.String()
	}
	switch {
	case q.F.HasTo:
		fb.To = q.F.To.String()
	case c != nil && c.HasRange:
		fb.To = c.Range.To.String()
	}
	fb.Sensors = []option{{Value: "", Label: q.T("allSensors"), Selected: len(q.F.Sensors) == 0}}
	if ss, err := h.deps.Store.Sensors(q.ctx); err == nil {
		for _, s := range ss {
			fb.Sensors = append(fb.Sensors, option{Value: s.Name, Label: s.Name, Selected: len(q.F.Sensors) == 1 && q.F.Sensors[0] == s.Name})
		}
	}
	if len(q.F.Sensors) > 1 {
		v := strings.Join(q.F.Sensors, ",")
		fb.Sensors = append(fb.Sensors, option{Value: v, Label: v, Selected: true})
	}
	fb.Unit = []option{{Value: "", Label: q.T("unitPackets"), Selected: q.F.Unit == ""},
		{Value: "sources", Label: q.T("unitSources"), Selected: q.F.Unit == "sources"}}
	fb.Refresh = []option{{Value: "0", Label: q.T("refreshOff"), Selected: q.F.Refresh == 0}}
	for _, n := range []int{30, 60, 300} {
		fb.Refresh = append(fb.Refresh, option{Value: fmt.Sprint(n), Label: fmt.Sprintf(q.T("seconds"), n), Selected: q.F.Refresh == n})
	}
	if q.F.Refresh != 0 && q.F.Refresh != 30 && q.F.Refresh != 60 && q.F.Refresh != 300 {
		fb.Refresh = append(fb.Refresh, option{Value: fmt.Sprint(q.F.Refresh), Label: fmt.Sprintf(q.T("seconds"), q.F.Refresh), Selected: true})
	}
	// Filters the form does not show are kept as hidden fields, and shown
	// as chips with a link that drops them.
	vals := q.F.Query()
	own := map[string]bool{}
	if q.page != nil {
		for _, n := range pathFilters(q.page) {
			own[n] = true
		}
	}
	for _, k := range []string{qClass, qCountry, qPort, qASN, qLang} {
		v := vals.Get(k)
		if v == "" || own[k] {
			continue
		}
		fb.Hidden = append(fb.Hidden, [2]string{k, v})
		if k == qLang {
			continue
		}
		label := v
		switch k {
		case qClass:
			label = className(v, q.Lang)
		case qCountry:
			label = keyName(analysis.DimCountry, v, q.Lang, nil)
		}
		fb.Chips = append(fb.Chips, navItem{Label: q.T(k) + ": " + label, Href: q.link(q.r.URL.Path, Drop(k))})
	}
	fb.Hidden = append(fb.Hidden, q.argPairs()...)
	fb.Reset = q.F.URL(q.r.URL.Path, Drop(qFrom, qTo, qSensor, qUnit, qRefresh, qClass, qCountry, qPort, qASN))
	return fb
}

// pathFilters are the filters page p takes from its path.
func pathFilters(p *page) []string {
	var out []string
	for _, n := range []string{qClass, qCountry, qPort, qASN} {
		if strings.Contains(p.Pattern, "{"+n+"}") {
			out = append(out, n)
		}
	}
	return out
}

// errorPage answers status with a message naming the parameter at fault.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, status int, param, msg string) {
	lang := h.lang(r, Filters{})
	if f, _, err := ParseFilters(r.URL.RawQuery); err == nil && f.LangSet {
		lang = f.Lang
	}
	q := &request{h: h, r: r, ctx: r.Context(), Lang: lang, src: h.deps.Period(nil)}
	d := h.layout(q, nil)
	d.Status, d.Param, d.Message = status, param, msg
	d.Title = q.T("errorTitle")
	if status == http.StatusBadRequest {
		d.Title = q.T("badRequest")
	}
	h.write(w, r, status, "error", d)
}
