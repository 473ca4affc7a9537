package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/honeyscope/honeyscope/internal/classify"
)

// warmKey marks the in-process requests of Warm, which need no login.
type warmKey struct{}

// WarmPaths are the views Warm builds by default: the overview, each class,
// the findings, the comparison, the domestic page, sessions and samples,
// over their default period (the store questions do not depend on the
// language).
func WarmPaths() []string {
	paths := []string{"/"}
	for _, c := range classify.Names() {
		paths = append(paths, "/class/"+c)
	}
	return append(paths, "/findings", "/compare", "/domestic", "/sessions", "/samples")
}

// Warm builds the pages at paths (when nil: WarmPaths, then the pages
// people opened in the last 15 minutes, most recent first, at most 64) in
// the background of a running dashboard, so that the store answers they
// need are ready when someone asks: with a caching store
// (internal/storecache) the first view of a page after a start or a write
// is then as fast as the next. It returns the pages that failed, joined.
func (h *Handler) Warm(ctx context.Context, paths []string) error {
	if paths == nil {
		paths = WarmPaths()
		for _, u := range h.recent.since(h.deps.Now(), RecentWithin) {
			if !slices.Contains(paths, u) {
				paths = append(paths, u)
			}
		}
	}
	var errs []error
	for _, p := range paths {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		req, err := http.NewRequestWithContext(context.WithValue(ctx, warmKey{}, true), http.MethodGet, "http://warm.invalid"+p, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		req.RemoteAddr = "127.0.0.1:0"
		w := &discard{h: http.Header{}}
		t0 := time.Now()
		h.ServeHTTP(w, req)
		if w.code != 0 && w.code != http.StatusOK {
			errs = append(errs, fmt.Errorf("warm %s: %d", p, w.code))
		}
		h.deps.Log.Debug("web: warmed", "path", p, "status", w.code, "took", time.Since(t0).Round(time.Millisecond))
	}
	return errors.Join(errs...)
}

// warming reports whether r is one of Warm's requests.
func warming(r *http.Request) bool {
	v, _ := r.Context().Value(warmKey{}).(bool)
	return v
}

// discard is a ResponseWriter that keeps the status only.
type discard struct {
	h    http.Header
	code int
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) Write(b []byte) (int, error) {
	if d.code == 0 {
		d.code = http.StatusOK
	}
	return len(b), nil
}
func (d *discard) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}
