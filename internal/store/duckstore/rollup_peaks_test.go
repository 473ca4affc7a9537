package duckstore

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// TestPortPeaks keeps fewer ports per day than the test store has, then
// checks rollup_port_peak against a recount from the hits and TopKeys by
// port (which reads it) against the source-level answer, after new
// files, replacements and a geo reassign.
func TestPortPeaks(t *testing.T) {
	defer func(k int) { peakKeep = k }(peakKeep)
	peakKeep = 2
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "p.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(7)
	commit := func(b *store.Batch) {
		t.Helper()
		if _, err := st.Commit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	from, _ := civil.Parse("2026-04-30")
	to, _ := civil.Parse("2026-05-04")
	check := func(stage string) {
		t.Helper()
		// The kept rows are exactly the recount's.
		q := func(table string) string {
			return `SELECT day, sensor, class, proto, port, packets FROM (
				SELECT day, sensor, class, proto, port, sum(packets) AS packets FROM (` + table + `) GROUP BY ALL)
				QUALIFY row_number() OVER (PARTITION BY day, sensor, class ORDER BY packets DESC, proto, port) <= ` + fmt.Sprint(peakKeep) + `
				ORDER BY ALL`
		}
		raw := `SELECT h.day, h.sensor, c.name AS class, h.proto, h.port, h.packets FROM port_hits h JOIN classes c ON (h.classes & c.bit) <> 0
			UNION ALL SELECT h.day, NULL, c.name, h.proto, h.port, h.packets FROM port_hits h JOIN classes c ON (h.classes & c.bit) <> 0`
		want := peakRows(t, st, q(raw))
		got := peakRows(t, st, `SELECT day, sensor, class, proto, port, packets FROM rollup_port_peak ORDER BY ALL`)
		if len(want) == 0 {
			t.Fatalf("%s: the recount found no peaks", stage)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: rollup_port_peak\n%v\nrecount\n%v", stage, got, want)
		}
		truncated := false
		for _, sensors := range [][]string{nil, {"a"}, {"b"}, {"b", "b"}, {"a", "b"}} {
			for _, classes := range [][]string{nil, {"mirai"}, {"zmap", "access"}} {
				for n := 1; n <= peakKeep; n++ {
					tq := store.TopKeysQuery{Selection: store.Selection{Sensors: sensors, From: from, To: to}, Dim: store.DimPort, Classes: classes, N: n}
					keys := readBoth(t, st, fmt.Sprintf("%s: top keys %+v", stage, tq), func() ([]store.Key, error) { return st.TopKeys(ctx, tq) }, nil)
					truncated = truncated || len(keys) > 0
				}
			}
		}
		if !truncated {
			t.Errorf("%s: no top keys compared", stage)
		}
	}
	// Some captures in two parts whose sources share days and ports (the
	// peaks of a day counted in Go add up the parts).
	inParts := func(b *store.Batch) {
		t.Helper()
		parts, places := split(b, false)
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
	}
	for i := 0; i < 10; i++ {
		b := w.batch([]string{"a", "b", "c"}[i%3], fmt.Sprintf("sha256:%02d", i))
		if i%2 == 1 {
			inParts(b)
		} else {
			commit(b)
		}
		if i == 0 || i == 4 {
			check(fmt.Sprintf("after file %d", i))
		}
	}
	// The store must have more ports a day than are kept, or nothing is
	// left out of the peaks.
	var most int
	if err := st.db.QueryRowContext(ctx, `SELECT max(n) FROM (SELECT count(DISTINCT (proto, port)) AS n FROM rollup_day_port GROUP BY day, sensor, class)`).Scan(&most); err != nil {
		t.Fatal(err)
	}
	if most <= peakKeep {
		t.Fatalf("at most %d ports a day: the test keeps %d, so it checks nothing", most, peakKeep)
	}
	check("after 10 files")
	b := w.batch("a", "sha256:grown")
	b.Ingest.Supersedes = []string{"sha256:00", "sha256:02"}
	b.Replace = true
	commit(b)
	check("after a replacement")
}

// peakRows reads rows of (day, sensor, class, proto, port, packets) as
// text.
func peakRows(t *testing.T, st *Store, q string) []string {
	t.Helper()
	rows, err := st.db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var day, sensor, class any
		var proto, port, packets int64
		if err := rows.Scan(&day, &sensor, &class, &proto, &port, &packets); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%v/%v/%v/%d/%d=%d", day, sensor, class, proto, port, packets))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
