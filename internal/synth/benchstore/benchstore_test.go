package benchstore

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// TestBuildSmall builds a small store of the same shape, checks what it
// holds and that a second Build reuses it while a changed recipe does not.
func TestBuildSmall(t *testing.T) {
	dir := t.TempDir()
	r := Recipe{Days: 4, PacketsPerDay: 5000, ChunkDays: 3, SessionsDay: 5}
	ctx := context.Background()
	db, err := Build(ctx, dir, r, func(m string) { t.Log(m) })
	if err != nil {
		t.Fatal(err)
	}
	st, err := duckstore.Open(ctx, db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.Stats(ctx, store.StatsQuery{By: []string{"sensor"}, Classes: []string{"access"}, OrderBy: "key"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("sensors: %+v, want open and domestic", rows)
	}
	for _, row := range rows {
		if row.Packets != uint64(r.Days*r.PacketsPerDay) {
			t.Errorf("sensor %+v: want %d packets", row, r.Days*r.PacketsPerDay)
		}
	}
	days, err := st.Stats(ctx, store.StatsQuery{By: []string{"day"}, Classes: []string{"access"}})
	if err != nil || len(days) != r.Days {
		t.Errorf("%d days (%v), want %d", len(days), err, r.Days)
	}
	ss, err := st.Sessions(ctx, store.SessionQuery{Limit: 10000})
	if err != nil || len(ss) != 2*r.Days*r.SessionsDay {
		t.Errorf("%d sessions (%v), want %d", len(ss), err, 2*r.Days*r.SessionsDay)
	}
	st.Close()

	fi, _ := os.Stat(db)
	again, err := Build(ctx, dir, r, nil)
	if err != nil || again != db {
		t.Fatalf("rebuild: %q %v", again, err)
	}
	if fj, _ := os.Stat(db); !fj.ModTime().Equal(fi.ModTime()) {
		t.Error("an unchanged recipe rebuilt the store")
	}
	time.Sleep(10 * time.Millisecond)
	r.SessionsDay = 0
	if _, err := Build(ctx, dir, r, nil); err != nil {
		t.Fatal(err)
	}
	if fj, _ := os.Stat(db); fj.ModTime().Equal(fi.ModTime()) {
		t.Error("a changed recipe reused the old store")
	}
}

// TestBuildDefault builds (or reuses) the benchmarks' store in the
// directory $HONEYSCOPE_BENCH_STORE; skipped when it is not set (the build
// takes minutes).
func TestBuildDefault(t *testing.T) {
	dir := os.Getenv("HONEYSCOPE_BENCH_STORE")
	if dir == "" {
		t.Skip("set HONEYSCOPE_BENCH_STORE=DIR to build the bench store in DIR")
	}
	start := time.Now()
	db, err := Build(context.Background(), dir, Default, func(m string) { t.Log(m) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s ready in %s", db, time.Since(start).Round(time.Second))
}
