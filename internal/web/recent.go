package web

import (
	"net/http"
	"slices"
	"sync"
	"time"
)

// recentPages remembers the pages people opened lately (their path and
// canonical filters, the language included), so that the warm-up after a
// write builds them again too, not only the default views.
type recentPages struct {
	mu  sync.Mutex
	m   map[string]time.Time
	max int
}

// recentMax bounds the pages remembered.
const recentMax = 64

// RecentWithin is how recently a page must have been opened for Warm to
// build it again; serve asks the store answers asked within it again too.
const RecentWithin = 15 * time.Minute

func newRecentPages() *recentPages { return &recentPages{m: map[string]time.Time{}, max: recentMax} }

// add records u as opened at now, dropping the oldest beyond the bound.
func (r *recentPages) add(u string, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[u] = now
	for len(r.m) > r.max {
		var oldest string
		var at time.Time
		for k, t := range r.m {
			if oldest == "" || t.Before(at) {
				oldest, at = k, t
			}
		}
		delete(r.m, oldest)
	}
}

// since is the pages opened within d of now, most recent first.
func (r *recentPages) since(now time.Time, d time.Duration) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for k, t := range r.m {
		if now.Sub(t) <= d {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b string) int { return r.m[b].Compare(r.m[a]) })
	return out
}

// opened records a page someone (not Warm) was shown: its path, and its
// filters and own parameters in their canonical form, the language
// included (which may have come from Accept-Language).
func (h *Handler) opened(r *http.Request, q *request) {
	if warming(r) {
		return
	}
	f := q.F
	f.LangSet = true
	v := f.Query()
	for k, vs := range q.args(false) {
		v[k] = vs
	}
	u := r.URL.Path
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	h.recent.add(u, h.deps.Now())
}
