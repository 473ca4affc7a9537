package web

import (
	"sync"
	"time"
)

// contentCache keeps the content of pages just shown for a short while,
// so that showing a page again, or downloading a chart or table of a page
// just viewed, does not build it again. Keys are the page, its filters
// (the language included) and its own parameters; an entry is used only
// while the store's generation (Dependencies.Generation) is the one it was
// built at (or, by stale, shown for a while after a write while it is built
// again). The cache is bounded and entries expire. Content holds nothing
// of the client (CSRF tokens and the login are added when rendering).
type contentCache struct {
	mu  sync.Mutex
	m   map[string]cached
	max int
	ttl time.Duration
	now func() time.Time
}

type cached struct {
	c   *content
	at  time.Time
	gen uint64
}

const (
	cacheEntries = 256
	cacheTTL     = time.Minute
)

func newContentCache(now func() time.Time) *contentCache {
	return &contentCache{m: map[string]cached{}, max: cacheEntries, ttl: cacheTTL, now: now}
}

func cacheKey(p *page, q *request) string {
	f := q.F
	f.LangSet = true
	return p.Name + "?" + f.Query().Encode() + "#" + q.args(true).Encode()
}

func (c *contentCache) get(key string, gen uint64) *content {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || c.now().Sub(e.at) > c.ttl || e.gen != gen {
		// Kept for stale (built again, put replaces it).
		return nil
	}
	return e.c
}

// stale returns the content kept for key built at an earlier generation
// than gen, within maxAge of now (nil: none).
func (c *contentCache) stale(key string, gen uint64, maxAge time.Duration) *content {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || e.gen == gen || c.now().Sub(e.at) > maxAge {
		return nil
	}
	return e.c
}

func (c *contentCache) put(key string, x *content, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if _, ok := c.m[key]; !ok && len(c.m) >= c.max {
		var oldest string
		var at time.Time
		for k, e := range c.m {
			if now.Sub(e.at) > c.ttl {
				delete(c.m, k)
				continue
			}
			if oldest == "" || e.at.Before(at) {
				oldest, at = k, e.at
			}
		}
		if len(c.m) >= c.max {
			delete(c.m, oldest)
		}
	}
	c.m[key] = cached{c: x, at: now, gen: gen}
}
