package api

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/store"
)

// fakeStore records the queries asked and answers none.
type fakeStore struct {
	store.Store // the period layer's questions: not asked by these tests (a nil call fails the test)
	mu          sync.Mutex
	queries     []store.StatsQuery
}

func (f *fakeStore) Stats(_ context.Context, q store.StatsQuery) ([]store.StatsRow, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, q)
	return nil, nil
}

func (f *fakeStore) asked() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queries)
}

func (f *fakeStore) Begin(context.Context) (store.Tx, error)             { return nil, nil }
func (f *fakeStore) Commit(context.Context, *store.Batch) (int32, error) { return 0, nil }
func (f *fakeStore) KnownSizes(context.Context) (map[int64][]store.KnownIngest, error) {
	return nil, nil
}
func (f *fakeStore) Reassign(context.Context, string, string, func(netip.Addr) store.Place, string, string) (store.ReassignResult, error) {
	return store.ReassignResult{}, nil
}
func (f *fakeStore) Path() string             { return "fake.duckdb" }
func (f *fakeStore) TimeZone() string         { return "Asia/Tokyo" }
func (f *fakeStore) Location() *time.Location { return time.UTC }
func (f *fakeStore) Close() error             { return nil }

// newTestComponent is an API component on a loopback address over st.
func newTestComponent(t testing.TB, st store.Store, cfg Configuration, deps Dependencies) *Component {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	deps.Store = st
	c, err := New(daemon.NewReporter(nil), cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
