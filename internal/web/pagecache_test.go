package web

import (
	"context"
	"sync/atomic"
	"testing"

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

// TestPageCache: a page asked again at the same store generation is not
// built again; after a write (a new generation) it is; other filters or
// page parameters are other pages.
func TestPageCache(t *testing.T) {
	cs := &countingStore{Store: openTestStore(t)}
	var gen atomic.Uint64
	h := newTestHandler(t, Dependencies{Store: cs, Generation: gen.Load}, Configuration{})
	ask := func(u string) int64 {
		t.Helper()
		before := cs.n.Load()
		if rec := get(t, h, u); rec.Code != 200 {
			t.Fatalf("%s: %d", u, rec.Code)
		}
		return cs.n.Load() - before
	}
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
