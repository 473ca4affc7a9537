package web

import (
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/honeyscope/honeyscope/internal/report"
)

// makeReport writes the report of the filters a page showed (POST /report
// with the page's query in "view" and the CSRF token) into a new folder
// under Configuration.ReportDir, named after the period and the time, and
// answers where it went. The folder name is built here, never from the
// request.
func (h *Handler) makeReport(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r, Filters{})
	if !h.checkForm(w, r) {
		h.errorPage(w, r, http.StatusForbidden, "", h.t(lang, "csrfFailed"))
		return
	}
	f, _, err := ParseFilters(r.PostForm.Get("view"))
	if err != nil {
		h.failure(w, r, &request{h: h, r: r, Lang: lang}, err)
		return
	}
	lang = h.lang(r, f)
	f.Lang = lang
	q := &request{h: h, r: r, ctx: r.Context(), F: f, Lang: lang, src: h.deps.Period(f.Sensors)}
	if h.cfg.ReportDir == "" {
		h.errorPage(w, r, http.StatusForbidden, "", q.T("reportDisabled"))
		return
	}
	rg, err := q.Range()
	if err != nil {
		h.failure(w, r, q, err)
		return
	}
	now := h.deps.Now()
	name := "report-" + rg.From.String() + "_" + rg.To.String() + "-" + now.UTC().Format("20060102T150405.000000000")
	dir := filepath.Join(h.cfg.ReportDir, name)
	if err := os.MkdirAll(h.cfg.ReportDir, 0o755); err != nil {
		h.failure(w, r, q, err)
		return
	}
	loc := q.src.Location()
	res, err := report.Build(r.Context(), h.deps.Store, report.Options{
		From: rg.From.Start(loc), To: rg.To.Start(loc), Sensors: f.Sensors, Lang: lang, Out: dir,
		Unit: q.Unit(), Now: func() time.Time { return now }, PatternName: h.deps.PatternName})
	if err != nil {
		h.failure(w, r, q, err)
		return
	}
	c := &content{page: &page{Name: "report"}, Title: q.T("reportTitle"), Range: rg, HasRange: true}
	d := h.layout(q, c)
	d.Title = c.Title
	d.ReportDir, d.ReportFiles = res.Dir, len(res.Files)
	h.write(w, r, http.StatusOK, "report", d)
}
