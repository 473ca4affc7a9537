package web

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// countingStore counts the questions a page's builder asks of a store
// (the layout's own, the sensor list and the data range, are not counted).
type countingStore struct {
	store.Store
	n atomic.Int64
}

func (s *countingStore) Series(ctx context.Context, q store.SeriesQuery) ([]store.Series, error) {
	s.n.Add(1)
	return s.Store.Series(ctx, q)
}

func (s *countingStore) Sessions(ctx context.Context, q store.SessionQuery) ([]session.Session, error) {
	s.n.Add(1)
	return s.Store.Sessions(ctx, q)
}

// asker returns a function that views a page (200 expected) and says how
// many questions its builder asked of cs.
func asker(t *testing.T, h *Handler, cs *countingStore) func(u string) int64 {
	return func(u string) int64 {
		t.Helper()
		before := cs.n.Load()
		if rec := get(t, h, u); rec.Code != 200 {
			t.Fatalf("%s: %d", u, rec.Code)
		}
		return cs.n.Load() - before
	}
}

// TestPageCache: a page asked again at the same store generation is not
// built again; after a write (a new generation) it is; other filters or
// page parameters are other pages.
func TestPageCache(t *testing.T) {
	cs := &countingStore{Store: openTestStore(t)}
	var gen atomic.Uint64
	h := newTestHandler(t, Dependencies{Store: cs, Generation: gen.Load}, Configuration{})
	ask := asker(t, h, cs)
	if ask("/class/mirai") == 0 {
		t.Fatal("the first view asked nothing of the store")
	}
	if n := ask("/class/mirai"); n != 0 {
		t.Errorf("the same view again asked the store %d times", n)
	}
	if ask("/class/mirai?unit=sources") == 0 {
		t.Error("other filters served from the cache")
	}
	if ask("/sessions?q=wget") == 0 || ask("/sessions?q=curl") == 0 {
		t.Error("other page parameters served from the cache")
	}
	gen.Add(1)
	if ask("/class/mirai") == 0 {
		t.Error("a view after a write was not built again")
	}
}

// TestStalePages: with Configuration.StalePages, a page viewed after a
// write is shown as it was built before it, at once, without asking the
// store; serve's warm round (Warm) builds it again, after which the next
// view shows the new build; a page built longer than StalePages ago is
// built again in its visitor's time; Warm's own requests never take the
// stale page.
func TestStalePages(t *testing.T) {
	cs := &countingStore{Store: openTestStore(t)}
	var gen atomic.Uint64
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	h := newTestHandler(t, Dependencies{Store: cs, Generation: gen.Load, Now: clock}, Configuration{StalePages: 5 * time.Minute})
	ask := asker(t, h, cs)
	if ask("/class/mirai") == 0 {
		t.Fatal("the first view asked nothing of the store")
	}
	gen.Add(1)
	if n := ask("/class/mirai"); n != 0 {
		t.Errorf("a view right after a write asked the store %d times, want the page as it was", n)
	}
	before := cs.n.Load()
	if err := h.Warm(context.Background(), []string{"/class/mirai"}); err != nil {
		t.Fatal(err)
	}
	if cs.n.Load() == before {
		t.Error("the warm round did not build the page again")
	}
	if n := ask("/class/mirai"); n != 0 {
		t.Errorf("a view after the warm round asked the store %d times", n)
	}
	gen.Add(1)
	advance(6 * time.Minute)
	if ask("/class/mirai") == 0 {
		t.Error("a page built longer than StalePages before a write was shown as it was")
	}
}
