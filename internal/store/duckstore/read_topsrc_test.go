package duckstore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store"
)

// TestTopSourcesMatchRaw: questions of sources alone (By src), answered
// from the source keys of rollup_source_day, give exactly the rows of the
// source-level tables: every filter it keeps, both orders, and tops that
// cut through ties (many sources of the random world send as many
// packets).
func TestTopSourcesMatchRaw(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "s.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(3)
	for i := range 8 {
		if _, err := st.Commit(ctx, w.batch([]string{"a", "b"}[i%2], fmt.Sprintf("sha256:%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	asked := 0
	for i := 0; asked < 150 && i < 5000; i++ {
		q := w.query()
		q.By, q.Ports, q.Protos, q.Srcs, q.NoSources = []string{"src"}, nil, nil, nil, false
		if q.OrderBy == "key" {
			q.OrderBy = "sources"
		}
		if i%3 == 0 {
			q.Top = 1 + w.rng.IntN(40)
		}
		if !topSourcesQuestion(q) {
			t.Fatalf("%+v: not a question of top sources", q)
		}
		compareStats(t, st, q)
		if t.Failed() {
			t.FailNow()
		}
		asked++
	}
	// The filters that need other tables keep the usual plan.
	for _, q := range []store.StatsQuery{
		{By: []string{"src"}, Ports: []int{23}},
		{By: []string{"src", "day"}},
		{By: []string{"src"}, OrderBy: "key"},
		{By: []string{"src"}, NoSources: true},
	} {
		if topSourcesQuestion(q) {
			t.Errorf("%+v taken as a question of top sources", q)
		}
		compareStats(t, st, q)
	}
}
