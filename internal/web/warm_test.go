package web

import (
	"context"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestWarm: Warm builds every default view without a login, and a login
// is still asked of real requests.
func TestWarm(t *testing.T) {
	h := newTestHandler(t, Dependencies{Login: func(context.Context, string, string) bool { return false }}, Configuration{})
	if err := h.Warm(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if rec := get(t, h, "/class/mirai"); rec.Code != 303 {
		t.Fatalf("a request without a login: %d, want the login redirect", rec.Code)
	}
	if err := h.Warm(context.Background(), []string{"/class/nothing"}); err == nil {
		t.Fatal("a bad page warmed without an error")
	}
}

// TestWarmRecent: Warm without paths also builds the pages people opened
// lately (in their language), and not Warm's own pages nor failed ones.
func TestWarmRecent(t *testing.T) {
	var gen atomic.Uint64
	h := newTestHandler(t, Dependencies{Generation: gen.Load}, Configuration{})
	atGen := func() int {
		h.cache.mu.Lock()
		defer h.cache.mu.Unlock()
		n := 0
		for _, e := range h.cache.m {
			if e.gen == gen.Load() {
				n++
			}
		}
		return n
	}
	gen.Store(1)
	if err := h.Warm(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	defaults := atGen()
	if got := h.recent.since(h.deps.Now(), RecentWithin); len(got) != 0 {
		t.Fatalf("Warm's own pages recorded as opened: %v", got)
	}
	req := httptest.NewRequest("GET", "/class/mirai?unit=sources", nil)
	req.Header.Set("Accept-Language", "ja")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("page: %d", rec.Code)
	}
	get(t, h, "/class/nothing")
	got := h.recent.since(h.deps.Now(), RecentWithin)
	if len(got) != 1 || !strings.HasPrefix(got[0], "/class/mirai?") || !strings.Contains(got[0], "lang=ja") || !strings.Contains(got[0], "unit=sources") {
		t.Fatalf("recorded %v, want the mirai page in sources and Japanese", got)
	}
	gen.Store(2)
	if err := h.Warm(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if n := atGen(); n != defaults+1 {
		t.Fatalf("%d pages built after the write, want the %d defaults and the page opened", n, defaults)
	}
}
