package web

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/honeyscope/honeyscope/internal/chart"
)

// Downloads. Every chart of a page is at /chart/PAGE.ID.svg and
// /chart/PAGE.ID.png, every table at /csv/PAGE.ID.csv, with the page's
// filters as the query (path values included: /chart/class.country.svg?
// class=mirai). The page is built again for the filters and the one chart
// or table written, as an attachment named after the page, the item and
// the period.

// pngScale is the resolution of PNG downloads (pixels per CSS pixel).
const pngScale = 2

// splitDownload reads "PAGE.ID.EXT" into its parts.
func splitDownload(file string) (pg *page, id, ext string, ok bool) {
	parts := strings.Split(file, ".")
	if len(parts) != 3 || len(file) > 128 {
		return nil, "", "", false
	}
	pg = pageNamed(parts[0])
	return pg, parts[1], parts[2], pg != nil && parts[1] != ""
}

// download builds the page of a download name for the request's filters.
func (h *Handler) download(w http.ResponseWriter, r *http.Request, exts ...string) (*request, *content, string, string, bool) {
	pg, id, ext, ok := splitDownload(r.PathValue("file"))
	if !ok || !contains(exts, ext) {
		h.errorPage(w, r, http.StatusNotFound, "", h.t(h.lang(r, Filters{}), "notFound"))
		return nil, nil, "", "", false
	}
	q, ok := h.newRequest(w, r, pg, false)
	if !ok {
		return nil, nil, "", "", false
	}
	if c := h.cache.get(cacheKey(pg, q), h.generation()); c != nil {
		return q, c, id, ext, true
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.QueryTimeout)
	defer cancel()
	q.ctx = ctx
	c, err := h.build(q, pg)
	if err != nil {
		h.failure(w, r, q, err)
		return nil, nil, "", "", false
	}
	return q, c, id, ext, true
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

// attachment names a download: honeyscope-PAGE-ID-FROM_TO.EXT, with only
// safe characters.
func attachment(w http.ResponseWriter, q *request, c *content, id, ext, ctype string) {
	name := "honeyscope-" + c.page.Name + "-" + id
	if c.HasRange {
		name += "-" + c.Range.From.String()
		if c.Range.To != c.Range.From {
			name += "_" + c.Range.To.String()
		}
	}
	var b strings.Builder
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Content-Disposition", `attachment; filename="`+b.String()+"."+ext+`"`)
	hd.Set("Cache-Control", "no-store")
}

func (h *Handler) chartDownload(w http.ResponseWriter, r *http.Request) {
	q, c, id, ext, ok := h.download(w, r, "svg", "png")
	if !ok {
		return
	}
	f := c.Figure(id)
	if f == nil {
		h.errorPage(w, r, http.StatusNotFound, "", q.T("notFound"))
		return
	}
	if ext == "svg" {
		attachment(w, q, c, id, ext, "image/svg+xml")
		w.Write(f.Chart.SVG())
		return
	}
	data, err := f.Chart.PNG(pngScale)
	if data == nil || err != nil && !errors.Is(err, chart.ErrNoCJKFont) && !errors.Is(err, chart.ErrMissingGlyphs) {
		h.deps.Log.Error("web: png", "chart", id, "err", err)
		h.errorPage(w, r, http.StatusInternalServerError, "", q.T("internal"))
		return
	}
	attachment(w, q, c, id, ext, "image/png")
	w.Write(data)
}

func (h *Handler) csvDownload(w http.ResponseWriter, r *http.Request) {
	q, c, id, ext, ok := h.download(w, r, "csv")
	if !ok {
		return
	}
	t := c.Table(id)
	if t == nil {
		h.errorPage(w, r, http.StatusNotFound, "", q.T("notFound"))
		return
	}
	attachment(w, q, c, id, ext, "text/csv; charset=utf-8")
	w.Write(t.csvBytes())
}
