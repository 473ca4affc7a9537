package duckstore

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store"
)

// TestCarriedRollupsMatchRebuild commits a sensor's captures one after the
// other as a live capture does (Continues), on the days of the previous
// one, and checks the rollups against a rebuild after each: states carried
// and adopted, read again from the stored rows after another ingest of the
// sensor's day, a day recounted by SQL when its sources move between
// places, and states unaffected by another sensor's commits.
func TestCarriedRollupsMatchRebuild(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "c.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(5)
	w.days = w.days[:2]
	first := map[netip.Addr]store.Place{}
	// Sources stay where they were first seen (a live capture's
	// locator), except in capture 30, where they move as they will.
	stay := func(b *store.Batch) {
		for j, s := range b.Result.Sources {
			if p, ok := first[s.Addr]; ok {
				b.Places[j] = p
			} else {
				first[s.Addr] = b.Places[j]
			}
		}
	}
	var adopted, clean, refused int
	for i := 0; i < 40; i++ {
		b := w.batch("a", fmt.Sprintf("sha256:%02d", i))
		if i != 30 {
			stay(b)
		}
		if i%6 == 4 {
			o := w.batch("b", fmt.Sprintf("sha256:b%02d", i))
			o.Continues = true
			if _, err := st.Commit(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		if i%9 == 5 {
			// Another ingest of sensor a, not continuing: the next
			// capture's days are counted by SQL.
			o := w.batch("a", fmt.Sprintf("sha256:x%02d", i))
			stay(o)
			if _, err := st.Commit(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		tx, err := st.begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tx.Continues()
		if err := tx.Append(ctx, b.Result, b.Places, "a", nil); err != nil {
			t.Fatal(err)
		}
		for d, g := range tx.goDays {
			if tx.goBase[d] != nil {
				adopted++
				if !g.dirty {
					clean++
				}
			}
		}
		refused += len(tx.sqlDays)
		if err := tx.Finish(ctx, b.Ingest, false, b.Sensor); err != nil {
			t.Fatal(err)
		}
		checkRollupsRebuilt(t, st)
		checkPortBlocksRecount(t, st, fmt.Sprintf("capture %d", i))
		if t.Failed() {
			t.Fatalf("after capture %d", i)
		}
	}
	checkRollupTotals(t, st)
	t.Logf("%d days adopted (%d still in Go after the part), %d counted by SQL", adopted, clean, refused)
	if clean < 10 || adopted == clean || refused == 0 {
		t.Errorf("%d days adopted, %d in Go, %d by SQL: the test does not reach every case", adopted, clean, refused)
	}
}
