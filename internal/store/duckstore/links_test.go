package duckstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// linkRows are the rows of every links table, in order, as text.
func linkRows(t *testing.T, st *Store) []string {
	t.Helper()
	var out []string
	for _, tb := range []string{"links_all", "links_country", "links_asn", "links_port", "links_port_set"} {
		rows, err := st.db.Query(`SELECT * FROM ` + tb + ` ORDER BY ALL`)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, tb+fmt.Sprint(vals...))
		}
		rows.Close()
	}
	return out
}

// TestLinksIncremental updates the links after each commit (files of
// days in any order, replacements, a re-geolocation) and checks that they
// equal the links counted from scratch, and that a write leaves them to be
// counted again.
//
// It does so three times: with the tables written whole in order at every
// update, never, and as by default (linksClusterShare); when written whole
// at every update, it also checks that their rows are stored in order.
func TestLinksIncremental(t *testing.T) {
	for _, share := range []int{1 << 20, 0, linksClusterShare} {
		t.Run(fmt.Sprintf("share=%d", share), func(t *testing.T) {
			defer func(s int) { linksClusterShare = s }(linksClusterShare)
			linksClusterShare = share
			testLinksIncremental(t, share == 1<<20)
		})
	}
}

// linksStoredInOrder fails t unless the rows of every links table are
// stored (read without ORDER BY) in linksOrder.
func linksStoredInOrder(t *testing.T, st *Store, stage string) {
	t.Helper()
	for _, tb := range []struct{ table, key string }{{"links_all", ""}, {"links_country", "country, "}, {"links_asn", "asn, "}, {"links_port", "proto, port, "}} {
		read := func(order string) []string {
			rows, err := st.db.Query(`SELECT CAST(COLUMNS(*) AS VARCHAR) FROM (SELECT * FROM ` + tb.table + order + `)`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			var out []string
			for rows.Next() {
				vals := make([]sql.NullString, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				out = append(out, fmt.Sprint(vals))
			}
			return out
		}
		stored, ordered := read(""), read(" ORDER BY "+linksOrder(tb.key)+", sources")
		if len(stored) == 0 || !slices.Equal(stored, ordered) {
			for i := range stored {
				if stored[i] != ordered[i] {
					t.Logf("row %d: stored %s, in order %s", i, stored[i], ordered[i])
					break
				}
			}
			t.Fatalf("%s: %s (%d rows) is not stored in its order", stage, tb.table, len(stored))
		}
	}
}

func testLinksIncremental(t *testing.T, ordered bool) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "l.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(5)
	if did, err := st.UpdateLinks(ctx); err != nil || did {
		t.Fatalf("a new store's links: %v %v, want nothing to do", did, err)
	}
	checkFull := func(stage string) {
		t.Helper()
		got := linkRows(t, st)
		if len(got) == 0 {
			t.Fatalf("%s: no links", stage)
		}
		if _, err := st.db.ExecContext(ctx, `UPDATE links_state SET from_day = DATE '2000-01-01'`); err != nil {
			t.Fatal(err)
		}
		if did, err := st.UpdateLinks(ctx); err != nil || !did {
			t.Fatalf("%s: full update: %v %v", stage, did, err)
		}
		if want := linkRows(t, st); !slices.Equal(got, want) {
			t.Fatalf("%s: links updated after each write (%d rows) differ from links counted afresh (%d rows)", stage, len(got), len(want))
		}
		if ordered {
			linksStoredInOrder(t, st, stage)
		}
	}
	for i := 0; i < 12; i++ {
		b := w.batch([]string{"a", "b"}[i%2], fmt.Sprintf("sha256:%02d", i))
		if _, err := st.Commit(ctx, b); err != nil {
			t.Fatal(err)
		}
		if did, err := st.UpdateLinks(ctx); err != nil || !did {
			t.Fatalf("after commit %d: %v %v", i, did, err)
		}
		if did, err := st.UpdateLinks(ctx); err != nil || did {
			t.Fatalf("again after commit %d: %v %v, want nothing to do", i, did, err)
		}
	}
	checkFull("after 12 files")
	// A port that joins the busiest (linked) while the links of only the
	// last day are to be counted: it gets the links of every day.
	for _, q := range []string{`DELETE FROM links_port WHERE port = 23`, `DELETE FROM links_port_set WHERE port = 23`,
		`UPDATE links_state SET from_day = DATE '2026-05-04'`} {
		if _, err := st.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if did, err := st.UpdateLinks(ctx); err != nil || !did {
		t.Fatalf("update: %v %v", did, err)
	}
	checkFull("after a port was linked")
	b := w.batch("a", "sha256:03")
	b.Replace = true
	if _, err := st.Commit(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateLinks(ctx); err != nil {
		t.Fatal(err)
	}
	checkFull("after a replacement")
	if _, err := st.Reassign(ctx, "2026-05-03", "", func(a netip.Addr) store.Place { return store.Place{Country: "DE", ASN: 3320, Org: "AS3320 Org"} }, "c", "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateLinks(ctx); err != nil {
		t.Fatal(err)
	}
	checkFull("after reassign")
}

// TestPortLinks asks port questions that the links answer (named ports of
// one class) and checks them against the source-level tables, before the
// links are up to date and after.
func TestPortLinks(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "p.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(9)
	for i := 0; i < 10; i++ {
		if _, err := st.Commit(ctx, w.batch([]string{"a", "b"}[i%2], fmt.Sprintf("sha256:%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	linked := 0
	ask := func(stage string) {
		t.Helper()
		for _, by := range [][]string{{"port"}, {"day", "port"}, {"port", "sensor"}, {"class", "port"}} {
			for _, sensors := range [][]string{nil, {"a"}, {"a", "b"}} {
				for _, days := range [][2]string{{"", ""}, {"2026-05-02", "2026-05-03"}, {"2026-05-03", "2026-05-03"}} {
					for _, ports := range [][]int{{23}, {23, 80, 2323}, {443, 8}} {
						q := store.StatsQuery{By: by, Classes: []string{"mirai"}, Sensors: sensors, Ports: ports, From: days[0], To: days[1], OrderBy: "key"}
						if by[0] == "class" {
							q.Classes = []string{"access", "mirai"}
						}
						if _, ok := linksPlan(store.StatsQuery{By: q.Dims(), Classes: q.Classes, Sensors: q.Sensors, Ports: q.Ports, From: q.From, To: q.To}); ok {
							linked++
						}
						compareStats(t, st, q)
						if t.Failed() {
							t.Fatalf("%s: %+v", stage, q)
						}
					}
				}
			}
		}
	}
	ask("links not up to date")
	if did, err := st.UpdateLinks(ctx); err != nil || !did {
		t.Fatalf("update: %v %v", did, err)
	}
	var set int
	if err := st.db.QueryRow(`SELECT count(*) FROM links_port_set`).Scan(&set); err != nil || set == 0 {
		t.Fatalf("linked ports: %d %v", set, err)
	}
	linked = 0
	ask("links up to date")
	if linked == 0 {
		t.Fatal("no question was one the links answer")
	}
	// The top ports by distinct sources: all ports linked, then two
	// not (their upper bound then decides whether the links answer).
	top := func(stage string) {
		t.Helper()
		for _, class := range []string{"mirai", "access", "zmap"} {
			for _, sensors := range [][]string{nil, {"b"}} {
				for _, days := range [][2]string{{"", ""}, {"2026-05-02", "2026-05-03"}, {"2026-05-04", ""}} {
					for n := 1; n <= 6; n++ {
						q := store.StatsQuery{By: []string{"port"}, Classes: []string{class}, Sensors: sensors, From: days[0], To: days[1], OrderBy: "sources", Top: n}
						compareStats(t, st, q)
						if t.Failed() {
							t.Fatalf("%s: %+v", stage, q)
						}
					}
				}
			}
		}
	}
	top("every port linked")
	for _, q := range []string{`DELETE FROM links_port WHERE port IN (80, 2323)`, `DELETE FROM links_port_set WHERE port IN (80, 2323)`} {
		if _, err := st.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	top("ports 80 and 2323 not linked")
}

// TestSeriesLinksFold: once every source has one country and AS a day,
// folded series of distinct sources add up from the links; checked
// against the source-level tables.
func TestSeriesLinksFold(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "f.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(11)
	for i := 0; i < 8; i++ {
		if _, err := st.Commit(ctx, w.batch([]string{"a", "b"}[i%2], fmt.Sprintf("sha256:%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	byAddr := func(a netip.Addr) store.Place {
		i := int(a.As16()[15]) % 3
		return store.Place{Country: []string{"JP", "CN", "US"}[i], ASN: []uint32{4713, 4134, 7922}[i], Org: "Org"}
	}
	if _, err := st.Reassign(ctx, "", "", byAddr, "c", "a"); err != nil {
		t.Fatal(err)
	}
	if did, err := st.UpdateLinks(ctx); err != nil || !did {
		t.Fatalf("update: %v %v", did, err)
	}
	var multi int
	if err := st.db.QueryRow(`SELECT count(*) FROM links_multi`).Scan(&multi); err != nil || multi != 0 {
		t.Fatalf("sources with two places a day: %d %v", multi, err)
	}
	from, _ := civil.Parse("2026-05-01")
	to, _ := civil.Parse("2026-05-04")
	n := 0
	for _, dim := range []string{store.DimCountry, store.DimASN} {
		for _, sensors := range [][]string{nil, {"a"}, {"a", "b"}} {
			for _, bySensor := range []bool{false, true} {
				for _, keep := range [][]store.Key{nil, {{Country: "JP", ASN: 4713}}, {{Country: "CN", ASN: 4134}, {Country: "US", ASN: 7922}}} {
					var kept []store.Key
					for _, k := range keep {
						if dim == store.DimCountry {
							kept = append(kept, store.Key{Country: k.Country})
						} else {
							kept = append(kept, store.Key{ASN: k.ASN})
						}
					}
					q := store.SeriesQuery{Selection: store.Selection{Sensors: sensors, From: from, To: to}, Dim: dim, Unit: store.UnitSources,
						Classes: []string{"mirai", "access"}, BySensor: bySensor, Fold: true, Keep: kept}
					if got := readBoth(t, st, fmt.Sprintf("series %+v", q), func() ([]store.Series, error) { return st.Series(ctx, q) }, nil); len(got) > 0 {
						n++
					}
				}
			}
		}
	}
	if n == 0 {
		t.Fatal("no non-empty series compared")
	}
}

// TestLinksWriteWhileCounting: a commit made while an update counts the
// links (without the write lock) goes through, and leaves the links from
// the earliest day it touched marked as not up to date: reads of those
// days count distinct keys as before (the answers equal the source-level
// tables'), and the next update brings them to what a count afresh gives.
func TestLinksWriteWhileCounting(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "w.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(11)
	for i := 0; i < 6; i++ {
		if _, err := st.Commit(ctx, w.batch([]string{"a", "b"}[i%2], fmt.Sprintf("sha256:%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	var touched time.Time
	defer func() { linksCounted = nil }()
	linksCounted = func() {
		linksCounted = nil
		b := w.batch("b", "sha256:during")
		for _, s := range b.Result.Sources {
			if d := s.Day.Time(); touched.IsZero() || d.Before(touched) {
				touched = d
			}
		}
		done := make(chan error, 1)
		go func() { _, err := st.Commit(ctx, b); done <- err }()
		select {
		case err := <-done:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(time.Minute):
			t.Error("a commit waited for the links being counted")
		}
	}
	if did, err := st.UpdateLinks(ctx); err != nil || !did {
		t.Fatalf("update: %v %v", did, err)
	}
	if linksCounted != nil || touched.IsZero() {
		t.Fatal("no commit was made while the links were counted")
	}
	var from sql.NullTime
	if err := st.db.QueryRowContext(ctx, `SELECT from_day FROM links_state`).Scan(&from); err != nil {
		t.Fatal(err)
	}
	if !from.Valid || !from.Time.Equal(touched) {
		t.Fatalf("links not up to date from %v, want from %v (the day the commit touched)", from, touched.Format(time.DateOnly))
	}
	seen := map[string]int{}
	checkReads(t, st, "links counted before the last commit", seen)
	got := func() []string {
		if did, err := st.UpdateLinks(ctx); err != nil || !did {
			t.Fatalf("update: %v %v", did, err)
		}
		return linkRows(t, st)
	}()
	if _, err := st.db.ExecContext(ctx, `UPDATE links_state SET from_day = DATE '2000-01-01'`); err != nil {
		t.Fatal(err)
	}
	if did, err := st.UpdateLinks(ctx); err != nil || !did {
		t.Fatalf("full update: %v %v", did, err)
	}
	if want := linkRows(t, st); !slices.Equal(got, want) {
		t.Fatalf("links after the write and one more update (%d rows) differ from links counted afresh (%d rows)", len(got), len(want))
	}
}

// TestLinksClusteredNotADay: a links_clustered that is not a day (an
// edited meta) is taken as none: the update writes the tables whole, in
// order, and records a day.
func TestLinksClusteredNotADay(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "l.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(7)
	for i := 0; i < 4; i++ {
		if _, err := st.Commit(ctx, w.batch("a", fmt.Sprintf("sha256:%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{`INSERT OR REPLACE INTO meta VALUES ('links_clustered', '1 (not a day)')`} {
		if _, err := st.db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if did, err := st.UpdateLinks(ctx); err != nil || !did {
		t.Fatalf("update: %v %v", did, err)
	}
	linksStoredInOrder(t, st, "after the update")
	var v string
	if err := st.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'links_clustered'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if _, err := store.ParseDay(v); err != nil {
		t.Fatalf("links_clustered %q after the update: %v", v, err)
	}
}
