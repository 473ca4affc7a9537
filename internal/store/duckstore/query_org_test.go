package duckstore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// TestStatsASNames: a question by AS gives each row the name its sources
// have (the largest non-empty one over every source of the AS, whatever
// the filters), looked up for the rows kept only, and the rows in the
// question's order, as the rows without names are.
func TestStatsASNames(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "o.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(3)
	for i := 0; i < 8; i++ {
		if _, err := st.Commit(ctx, w.batch([]string{"a", "b"}[i%2], fmt.Sprintf("sha256:%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	// An AS with two names: one place of its sources named otherwise.
	if _, err := st.db.ExecContext(ctx, `UPDATE places SET as_org = as_org || ' Zeta'
		WHERE code = (SELECT min(code) FROM places WHERE as_org <> '')`); err != nil {
		t.Fatal(err)
	}
	names := map[int64]string{}
	rows, err := st.db.QueryContext(ctx, `SELECT asn, max(as_org) FROM sources WHERE as_org <> '' GROUP BY asn`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a int64
		var n string
		if err := rows.Scan(&a, &n); err != nil {
			t.Fatal(err)
		}
		names[a] = n
	}
	rows.Close()
	if len(names) == 0 {
		t.Fatal("no AS names in the test store")
	}
	named := 0
	for i := 0; i < 400; i++ {
		if i == 200 {
			// Again with the links (and their table of AS names) up
			// to date.
			if did, err := st.UpdateLinks(ctx); err != nil || !did {
				t.Fatalf("update links: %v %v", did, err)
			}
		}
		q := w.query()
		if i%2 == 0 {
			q.By = []string{"asn"}
		} else {
			q.By = []string{"day", "asn"}
		}
		q.Top = []int{0, 1, 3, 10}[i%4]
		q.OrderBy = []string{"", "sources", "key"}[i%3]
		if q.OrderBy == "sources" {
			q.NoSources = false
		}
		got, err := st.Stats(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got {
			a := r.Keys[len(r.Keys)-1].(int64)
			if r.Org != names[a] {
				t.Fatalf("%+v: AS %d named %q, want %q", q, a, r.Org, names[a])
			}
			if r.Org != "" {
				named++
			}
		}
		// The same rows, names and order from the source-level tables.
		raw, err := st.stats(ctx, q, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) != len(got) {
			t.Fatalf("%+v: %d rows, raw %d", q, len(got), len(raw))
		}
		for j := range raw {
			if fmt.Sprint(raw[j]) != fmt.Sprint(got[j]) {
				t.Fatalf("%+v row %d: %v, raw %v", q, j, got[j], raw[j])
			}
		}
	}
	if named == 0 {
		t.Fatal("no row had an AS name")
	}
}
