package duckstore

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/store"
)

// checkRollupsRebuilt compares every rollup key's counts (the sums of its
// rows) with a rebuild of the rollups from the source-level rows.
func checkRollupsRebuilt(t *testing.T, st *Store) {
	t.Helper()
	db := st.DB()
	for _, tb := range rollupTables {
		if _, err := db.Exec(`CREATE OR REPLACE TEMP TABLE re_` + tb + ` AS SELECT * FROM ` + tb + ` LIMIT 0`); err != nil {
			t.Fatal(err)
		}
		q := rollupInsert(tb, "", "", "", "")
		q = strings.Replace(q, "INSERT INTO "+tb, "INSERT INTO re_"+tb, 1)
		q = strings.ReplaceAll(q, "FROM rollup_source_day", "FROM re_rollup_source_day")
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("rebuild %s: %v", tb, err)
		}
		sums := "sum(packets), sum(sources)"
		if tb == "rollup_source_day" {
			sums = "sum(packets), 0"
		}
		rows := func(table string) []string {
			r, err := db.Query(`SELECT ` + rollupKeys[tb] + `, ` + sums + ` FROM ` + table + ` GROUP BY ALL ORDER BY ALL`)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			cols, _ := r.Columns()
			var out []string
			for r.Next() {
				v := make([]any, len(cols))
				p := make([]any, len(cols))
				for i := range v {
					p[i] = &v[i]
				}
				if err := r.Scan(p...); err != nil {
					t.Fatal(err)
				}
				out = append(out, fmt.Sprint(v...))
			}
			return out
		}
		got, want := rows(tb), rows("re_"+tb)
		if len(want) == 0 {
			t.Errorf("%s: nothing to compare", tb)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d keys, rebuild has %d", tb, len(got), len(want))
			for i := 0; i < len(got) && i < len(want); i++ {
				if got[i] != want[i] {
					t.Errorf("first difference: %s, rebuilt %s", got[i], want[i])
					break
				}
			}
		}
	}
}

// split cuts a batch's result into two parts; with disjoint, each source
// goes wholly to one part (as the parts of two counting shards), else some
// sources' cells are divided between the parts (as a part cut by size).
func split(b *store.Batch, disjoint bool) (parts [2]*aggregate.Result, places [2][]store.Place) {
	r := b.Result
	idx := [2]map[uint32]uint32{{}, {}}
	for i, h := range r.Hits {
		p := int(h.Source % 2)
		if !disjoint && i%3 == 0 {
			p = 1 - p
		}
		if parts[p] == nil {
			parts[p] = &aggregate.Result{}
		}
		n, ok := idx[p][h.Source]
		if !ok {
			n = uint32(len(parts[p].Sources))
			idx[p][h.Source] = n
			sd := r.Sources[h.Source]
			sd.Packets = 0
			parts[p].Sources = append(parts[p].Sources, sd)
			places[p] = append(places[p], b.Places[h.Source])
		}
		parts[p].Sources[n].Packets += h.Packets
		h.Source = n
		parts[p].Hits = append(parts[p].Hits, h)
	}
	return parts, places
}

// TestGoRollupsMatchRebuild checks the rollups written from the parts in
// Go against a rebuild from the stored rows: single commits, captures in
// two parts with disjoint sources and with shared sources (both in Go), days other captures already cover (SQL), hits in another
// order than aggregate's, and a replacement.
func TestGoRollupsMatchRebuild(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "g.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(3)
	for i := 0; i < 24; i++ {
		b := w.batch([]string{"a", "b", "c"}[i%3], fmt.Sprintf("sha256:%02d", i))
		if i%4 == 3 {
			slices.Reverse(b.Result.Hits)
		}
		if i%4 == 0 {
			if _, err := st.Commit(ctx, b); err != nil {
				t.Fatal(err)
			}
			continue
		}
		parts, places := split(b, i%4 != 2)
		tx, err := st.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for p := range parts {
			if parts[p] == nil {
				continue
			}
			if err := tx.Append(ctx, parts[p], places[p], b.Ingest.Sensor, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Finish(ctx, b.Ingest, false, b.Sensor); err != nil {
			t.Fatal(err)
		}
		checkRollupsRebuilt(t, st)
		if t.Failed() {
			t.Fatalf("after capture %d", i)
		}
	}
	b := w.batch("a", "sha256:05")
	b.Replace = true
	if _, err := st.Commit(ctx, b); err != nil {
		t.Fatal(err)
	}
	checkRollupsRebuilt(t, st)
	checkRollupTotals(t, st)
}

// TestGoRollupPlan checks which days a Tx counts in Go: a day new to the
// store is, a day another capture covers is not, and a day whose source
// comes back in a later part stays in Go (and exact, checkRollupsRebuilt).
func TestGoRollupPlan(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "p.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(5)
	// One day, each source once (w.batch may repeat the last day).
	oneDay := func(sensor, hash string) *store.Batch {
		for {
			b := w.batch(sensor, hash)
			if b.Result.Sources[0].Day == b.Result.Sources[len(b.Result.Sources)-1].Day && b.Result.Sources[0].Day == day(w.days[1]) {
				return b
			}
		}
	}
	if _, err := st.Commit(ctx, oneDay("a", "sha256:1")); err != nil {
		t.Fatal(err)
	}
	b := oneDay("b", "sha256:2")
	parts, places := split(b, false)
	stx, err := st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx := stx.(*Tx)
	d := day(w.days[1])
	if err := tx.Append(ctx, parts[0], places[0], "b", nil); err != nil {
		t.Fatal(err)
	}
	if g := tx.goDays[d]; g == nil || g.dirty {
		t.Errorf("first part of a new (sensor, day): %+v, want counted in Go", g)
	}
	if err := tx.Append(ctx, parts[1], places[1], "b", nil); err != nil {
		t.Fatal(err)
	}
	if g := tx.goDays[d]; g == nil || g.dirty {
		t.Errorf("second part sharing sources: %+v, want still counted in Go", g)
	}
	if err := tx.Finish(ctx, b.Ingest, false, b.Sensor); err != nil {
		t.Fatal(err)
	}
	stx, err = st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx = stx.(*Tx)
	b = oneDay("a", "sha256:3")
	if err := tx.Append(ctx, b.Result, b.Places, "a", nil); err != nil {
		t.Fatal(err)
	}
	if g := tx.goDays[d]; g != nil || !tx.sqlDays[d] {
		t.Errorf("day another capture covers: %+v, sql %v; want SQL", g, tx.sqlDays[d])
	}
	if err := tx.Finish(ctx, b.Ingest, false, b.Sensor); err != nil {
		t.Fatal(err)
	}
	checkRollupsRebuilt(t, st)
}

// TestGoRollupsDayReturns writes a capture whose parts leave a day and
// come back to it (day 1, day 2, day 1 again with sources of the first
// part): the day's cells are let go when the capture moves on and read
// back when it returns, and its port peaks are then recounted; the
// rollups and peaks must match a rebuild.
func TestGoRollupsDayReturns(t *testing.T) {
	defer func(k int) { peakKeep = k }(peakKeep)
	peakKeep = 2
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "r.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(11)
	oneDay := func(sensor, hash string, d int) *store.Batch {
		for {
			b := w.batch(sensor, hash)
			if b.Result.Sources[0].Day == b.Result.Sources[len(b.Result.Sources)-1].Day && b.Result.Sources[0].Day == day(w.days[d]) {
				return b
			}
		}
	}
	// Another sensor on day 2, so that its peaks over all sensors are SQL's.
	if _, err := st.Commit(ctx, oneDay("b", "sha256:b", 2)); err != nil {
		t.Fatal(err)
	}
	b1 := oneDay("a", "sha256:a", 1)
	halves, places := split(b1, false)
	b2 := oneDay("a", "sha256:x", 2)
	stx, err := st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx := stx.(*Tx)
	d1 := day(w.days[1])
	appendPart := func(r *aggregate.Result, pl []store.Place) {
		t.Helper()
		if err := tx.Append(ctx, r, pl, "a", nil); err != nil {
			t.Fatal(err)
		}
	}
	appendPart(halves[0], places[0])
	appendPart(b2.Result, b2.Places)
	if g := tx.goDays[d1]; g == nil || !g.stored || g.cells != nil || g.pending != nil {
		t.Fatalf("day 1 after a part of day 2: %+v, want its cells let go", g)
	}
	if _, ok := tx.peaks.picked[d1]; !ok {
		t.Errorf("day 1 after a part of day 2: its peaks not picked")
	}
	appendPart(halves[1], places[1])
	if g := tx.goDays[d1]; g == nil || g.dirty || g.stored {
		t.Fatalf("day 1 come back: %+v, want counted in Go with its cells read back", g)
	}
	if !tx.peaks.sql[d1] {
		t.Errorf("day 1 come back: its peaks are not left to SQL")
	}
	if err := tx.Finish(ctx, b1.Ingest, false, b1.Sensor); err != nil {
		t.Fatal(err)
	}
	checkRollupsRebuilt(t, st)
	want := peakRows(t, st, `SELECT day, sensor, class, proto, port, packets FROM (
		SELECT day, sensor, class, proto, port, sum(packets) AS packets FROM (
			SELECT h.day, h.sensor, c.name AS class, h.proto, h.port, h.packets FROM port_hits h JOIN classes c ON (h.classes & c.bit) <> 0
			UNION ALL SELECT h.day, NULL, c.name, h.proto, h.port, h.packets FROM port_hits h JOIN classes c ON (h.classes & c.bit) <> 0)
		GROUP BY ALL)
		QUALIFY row_number() OVER (PARTITION BY day, sensor, class ORDER BY packets DESC, proto, port) <= 2 ORDER BY ALL`)
	got := peakRows(t, st, `SELECT day, sensor, class, proto, port, packets FROM rollup_port_peak ORDER BY ALL`)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("rollup_port_peak\n%v\nrecount\n%v", got, want)
	}
}
