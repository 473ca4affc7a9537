package web

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/storecache"
)

// tracedStore times the read questions of the dashboard's pages: the
// DuckDB store with its Reader methods wrapped (every other method, and
// the optional interfaces, are the store's own).
type tracedStore struct {
	*duckstore.Store
	mu    sync.Mutex
	calls []traceCall
}

type traceCall struct {
	what string
	took time.Duration
}

func (t *tracedStore) note(what string, t0 time.Time) {
	t.mu.Lock()
	t.calls = append(t.calls, traceCall{what, time.Since(t0)})
	t.mu.Unlock()
}

func (t *tracedStore) Stats(ctx context.Context, q store.StatsQuery) ([]store.StatsRow, error) {
	defer t.note(fmt.Sprintf("Stats %+v", q), time.Now())
	return t.Store.Stats(ctx, q)
}

func (t *tracedStore) Series(ctx context.Context, q store.SeriesQuery) ([]store.Series, error) {
	defer t.note(fmt.Sprintf("Series dim=%s unit=%s sensors=%v %s..%s bySensor=%v fold=%v keep=%d classes=%v country=%q narrow=%+v",
		q.Dim, q.Unit, q.Sensors, q.From, q.To, q.BySensor, q.Fold, len(q.Keep), q.Classes, q.Country, q.Narrow), time.Now())
	return t.Store.Series(ctx, q)
}

func (t *tracedStore) TopKeys(ctx context.Context, q store.TopKeysQuery) ([]store.Key, error) {
	defer t.note(fmt.Sprintf("TopKeys dim=%s sensors=%v %s..%s classes=%v country=%q n=%d narrow=%+v",
		q.Dim, q.Sensors, q.From, q.To, q.Classes, q.Country, q.N, q.Narrow), time.Now())
	return t.Store.TopKeys(ctx, q)
}

func (t *tracedStore) DistinctSources(ctx context.Context, sensors []string, qs []store.KeyDays) ([]float64, error) {
	dims := map[string]int{}
	for _, q := range qs {
		dims[fmt.Sprintf("%s/%d", q.Dim, q.To.Sub(q.From)+1)]++
	}
	defer t.note(fmt.Sprintf("DistinctSources sensors=%v n=%d %v", sensors, len(qs), dims), time.Now())
	return t.Store.DistinctSources(ctx, sensors, qs)
}

func (t *tracedStore) Breakdown(ctx context.Context, q store.BreakdownQuery) ([]store.BreakdownRow, error) {
	defer t.note(fmt.Sprintf("Breakdown %+v", q), time.Now())
	return t.Store.Breakdown(ctx, q)
}

func (t *tracedStore) TopSources(ctx context.Context, q store.BreakdownQuery, n int) ([]store.SourcePackets, error) {
	defer t.note(fmt.Sprintf("TopSources %+v n=%d", q, n), time.Now())
	return t.Store.TopSources(ctx, q, n)
}

func (t *tracedStore) ClassTotals(ctx context.Context, q store.TotalsQuery) (store.ClassTotals, error) {
	defer t.note(fmt.Sprintf("ClassTotals %+v", q), time.Now())
	return t.Store.ClassTotals(ctx, q)
}

func (t *tracedStore) HighPorts(ctx context.Context, s store.Selection, from int) ([]store.HighPorts, error) {
	defer t.note(fmt.Sprintf("HighPorts %+v", s), time.Now())
	return t.Store.HighPorts(ctx, s, from)
}

func (t *tracedStore) ASOrgs(ctx context.Context, s store.Selection) (map[uint32]string, error) {
	defer t.note(fmt.Sprintf("ASOrgs %+v", s), time.Now())
	return t.Store.ASOrgs(ctx, s)
}

func (t *tracedStore) SourceDays(ctx context.Context, a netip.Addr, s store.Selection) ([]store.SourceDay, error) {
	defer t.note(fmt.Sprintf("SourceDays %v %+v", a, s), time.Now())
	return t.Store.SourceDays(ctx, a, s)
}

func (t *tracedStore) ExploitPatterns(ctx context.Context, s store.Selection) (store.ExploitPatterns, error) {
	defer t.note(fmt.Sprintf("ExploitPatterns %+v", s), time.Now())
	return t.Store.ExploitPatterns(ctx, s)
}

func (t *tracedStore) FixedSourcePorts(ctx context.Context, s store.Selection, n int) ([]store.SourcePortRow, error) {
	defer t.note(fmt.Sprintf("FixedSourcePorts %+v", s), time.Now())
	return t.Store.FixedSourcePorts(ctx, s, n)
}

// BenchmarkBenchStoreTrace asks every page of BenchmarkBenchStore cold
// once and lists, per page, the store questions it asked and how long
// each took, slowest first: where cold views spend their time.
func BenchmarkBenchStoreTrace(b *testing.B) {
	st := openBenchStore(b)
	for b.Loop() {
		ts := &tracedStore{Store: st}
		cst := storecache.New(ts, storecache.Options{})
		h := newTestHandler(b, Dependencies{Store: cst, Generation: cst.Generation}, Configuration{})
		for _, u := range benchPages {
			ts.mu.Lock()
			ts.calls = nil
			ts.mu.Unlock()
			t0 := time.Now()
			if rec := get(b, h, u); rec.Code != 200 {
				b.Fatalf("%s: %d", u, rec.Code)
			}
			took := time.Since(t0)
			ts.mu.Lock()
			calls := slices.Clone(ts.calls)
			ts.mu.Unlock()
			slices.SortFunc(calls, func(a, b traceCall) int { return int(b.took - a.took) })
			var sb strings.Builder
			var sum time.Duration
			for _, c := range calls {
				sum += c.took
			}
			fmt.Fprintf(&sb, "%s: %v (%d questions, %v in the store)\n", u, took.Round(time.Millisecond), len(calls), sum.Round(time.Millisecond))
			for _, c := range calls[:min(len(calls), 12)] {
				fmt.Fprintf(&sb, "  %8v %s\n", c.took.Round(time.Millisecond), c.what)
			}
			b.Log(sb.String())
		}
	}
}
