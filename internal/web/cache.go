package web

import (
	"sync"
	"time"
)

// contentCache keeps the content of pages just shown for a short while,
// so that downloading a chart or table of a page just viewed does not
// build the page again. Keys are the page and its filters (the language
// included); the cache is bounded and entries expire.
type contentCache struct {
	mu  sync.Mutex
	m   map[string]cached
	max int
	ttl time.Duration
	now func() time.Time
}

type cached struct {
	c  *content
	at time.Time
}

const (
	cacheEntries = 32
	cacheTTL     = time.Minute
)

func newContentCache(now func() time.Time) *contentCache {
	return &contentCache{m: map[string]cached{}, max: cacheEntries, ttl: cacheTTL, now: now}
}

func cacheKey(p *page, f Filters) string {
	f.LangSet = true
	return p.Name + "?" + f.Query().Encode()
}

func (c *contentCache) get(key string) *content {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || c.now().Sub(e.at) > c.ttl {
		delete(c.m, key)
		return nil
	}
	return e.c
}

func (c *contentCache) put(key string, x *content) {
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
	c.m[key] = cached{c: x, at: now}
}
