package duckstore

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// readBoth runs one read question with the rollups and with the
// source-level tables (rawReads) and fails when the answers differ.
func readBoth[T any](t *testing.T, st *Store, what string, f func() (T, error), norm func(T) T) T {
	t.Helper()
	st.rawReads = false
	got, err := f()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	st.rawReads = true
	want, err := f()
	st.rawReads = false
	if err != nil {
		t.Fatalf("%s (raw): %v", what, err)
	}
	if norm != nil {
		got, want = norm(got), norm(want)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\nrollups %v\nraw     %v", what, got, want)
	}
	return want
}

// TestReadsMatchRaw checks every read method that answers from the
// rollups against the same question asked of the source-level tables, on
// a multi-file two-sensor store, after replacements and after a
// re-geolocation.
func TestReadsMatchRaw(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "r.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(3)
	commit := func(b *store.Batch) {
		t.Helper()
		if _, err := st.Commit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 14; i++ {
		commit(w.batch([]string{"a", "b"}[i%2], fmt.Sprintf("sha256:%02d", i)))
	}
	// Non-empty answers seen, so that the comparison is not of nothing.
	seen := map[string]int{}
	check := func(stage string) {
		t.Helper()
		checkReads(t, st, stage, seen)
		// Again with the links counted again after the writes.
		if did, err := st.UpdateLinks(ctx); err != nil || !did {
			t.Fatalf("%s: update links: %v %v", stage, did, err)
		}
		checkReads(t, st, stage+", links up to date", seen)
	}
	check("after 14 files")
	b := w.batch("a", "sha256:grown")
	b.Ingest.Supersedes = []string{"sha256:00", "sha256:02"}
	b.Replace = true
	commit(b)
	b = w.batch("b", "sha256:01")
	b.Replace = true
	commit(b)
	check("after replacements")
	moved := func(a netip.Addr) store.Place {
		if a.Is4() && a.As4()[3]%3 == 0 {
			return store.Place{Country: "DE", ASN: 3320, Org: "AS3320 Org"}
		}
		return store.Place{Country: "JP", ASN: 4713, Org: "AS4713 Org"}
	}
	if _, err := st.Reassign(ctx, "2026-05-02", "2026-05-03", moved, "test-country", "test-asn"); err != nil {
		t.Fatal(err)
	}
	check("after reassign")
	for _, m := range []string{"series", "series-folded", "topkeys", "distinct", "breakdown", "topsources", "totals", "highports"} {
		if seen[m] == 0 {
			t.Errorf("no non-empty answer of %s was compared (%v)", m, seen)
		}
	}
	t.Logf("non-empty answers compared: %v", seen)
}

func checkReads(t *testing.T, st *Store, stage string, seen map[string]int) {
	ctx := context.Background()
	from, to := civil.Day(0), civil.Day(0)
	var err error
	if from, err = civil.Parse("2026-04-30"); err != nil {
		t.Fatal(err)
	}
	if to, err = civil.Parse("2026-05-04"); err != nil {
		t.Fatal(err)
	}
	one, _ := civil.Parse("2026-05-02")
	sensorSets := [][]string{nil, {"a"}, {"a", "b"}, {"b", "b"}}
	classSets := [][]string{nil, {"mirai"}, {"zmap", "access"}}
	dims := []string{store.DimCountry, store.DimPort, store.DimASN, store.DimSensor}
	sortKeys := func(ks []store.Key) []store.Key {
		if len(ks) == 0 {
			return nil
		}
		return ks
	}
	for _, dim := range dims {
		for _, sensors := range sensorSets {
			for _, country := range []string{"", "JP"} {
				for _, classes := range classSets {
					sel := store.Selection{Sensors: sensors, From: from, To: to}
					var kept []store.Key
					for _, n := range []int{1, 2} {
						tq := store.TopKeysQuery{Selection: sel, Dim: dim, Classes: classes, Country: country, N: n}
						kept = readBoth(t, st, fmt.Sprintf("%s: top keys %+v", stage, tq), func() ([]store.Key, error) { return st.TopKeys(ctx, tq) }, sortKeys)
						if len(kept) > 0 {
							seen["topkeys"]++
						}
					}
					for _, unit := range []store.Unit{store.UnitPackets, store.UnitSources} {
						for _, bySensor := range []bool{false, true} {
							for _, fold := range []int{0, 1, 2} {
								q := store.SeriesQuery{Selection: sel, Dim: dim, Unit: unit, Classes: classes, Country: country, BySensor: bySensor}
								switch fold {
								case 1:
									q.Fold, q.Keep = true, kept
								case 2:
									q.Fold, q.Keep, q.FoldFrom = true, kept, 50
								}
								got := readBoth(t, st, fmt.Sprintf("%s: series %+v", stage, q), func() ([]store.Series, error) { return st.Series(ctx, q) }, nil)
								if len(got) > 0 {
									seen[map[bool]string{false: "series", true: "series-folded"}[q.Fold]]++
								}
								if t.Failed() {
									t.FailNow()
								}
							}
						}
					}
				}
			}
		}
	}
	// Distinct sources of many keys at once: single days (which a
	// rollup answers for ports at one sensor) and ranges.
	var kds []store.KeyDays
	for _, c := range []string{"access", "mirai", "masscan", "nonsense"} {
		for _, sensor := range []string{"", "a", "b"} {
			for _, d := range [][2]civil.Day{{one, one}, {from, to}, {one, one.AddDays(1)}, {one.AddDays(1), one}} {
				for _, k := range []store.KeyDays{
					{Dim: store.DimCountry, Key: store.Key{Country: "JP"}}, {Dim: store.DimCountry, Key: store.Key{Country: "CN"}},
					{Dim: store.DimPort, Key: store.Key{Proto: 6, Port: 23}}, {Dim: store.DimPort, Key: store.Key{Proto: 17, Port: 80}},
					{Dim: store.DimASN, Key: store.Key{ASN: 4713}}, {Dim: store.DimASN, Key: store.Key{ASN: 0}},
				} {
					k.Class, k.Sensor, k.From, k.To = c, sensor, d[0], d[1]
					kds = append(kds, k)
				}
			}
		}
	}
	for _, sensors := range sensorSets {
		got := readBoth(t, st, fmt.Sprintf("%s: distinct sources at %v", stage, sensors), func() ([]float64, error) { return st.DistinctSources(ctx, sensors, kds) }, nil)
		if slices.ContainsFunc(got, func(v float64) bool { return v > 0 }) {
			seen["distinct"]++
		}
	}
	sortRows := func(rs []store.BreakdownRow) []store.BreakdownRow {
		if len(rs) == 0 {
			return nil
		}
		rs = slices.Clone(rs)
		slices.SortFunc(rs, func(a, b store.BreakdownRow) int {
			return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Dim, b.Dim), compareKeys(a.Key, b.Key), cmp.Compare(a.Value, b.Value))
		})
		return rs
	}
	keys := map[string][]store.Key{
		store.DimCountry: {{Country: "JP"}, {Country: "US"}, {Country: "DE"}},
		store.DimPort:    {{Proto: 6, Port: 23}, {Proto: 1, Port: 8}},
		store.DimASN:     {{ASN: 4713}, {ASN: 0}},
	}
	for dim, ks := range keys {
		for _, k := range ks {
			for _, sensors := range sensorSets {
				for _, c := range []string{"access", "mirai", "backscatter"} {
					for _, unit := range []store.Unit{store.UnitPackets, store.UnitSources} {
						q := store.BreakdownQuery{Selection: store.Selection{Sensors: sensors, From: from, To: to}, Class: c, Dim: dim, Key: k, Unit: unit}
						got := readBoth(t, st, fmt.Sprintf("%s: breakdown %+v", stage, q), func() ([]store.BreakdownRow, error) { return st.Breakdown(ctx, q) }, sortRows)
						if len(got) > 0 {
							seen["breakdown"]++
						}
					}
					for _, n := range []int{1, 3, 50} {
						q := store.BreakdownQuery{Selection: store.Selection{Sensors: sensors, From: one, To: to}, Class: c, Dim: dim, Key: k}
						got := readBoth(t, st, fmt.Sprintf("%s: top %d sources %+v", stage, n, q), func() ([]store.SourcePackets, error) { return st.TopSources(ctx, q, n) },
							func(s []store.SourcePackets) []store.SourcePackets {
								if len(s) == 0 {
									return nil
								}
								return s
							})
						if len(got) > 0 {
							seen["topsources"]++
						}
					}
				}
			}
		}
	}
	for _, sensors := range sensorSets {
		// Splits before, at, within and after the days (one's days start
		// after the store's first).
		for _, first := range []civil.Day{from, one} {
			for _, split := range []civil.Day{from.AddDays(-2), from, one, one.AddDays(1), to, to.AddDays(1)} {
				q := store.TotalsQuery{Selection: store.Selection{Sensors: sensors, From: first, To: to}, Split: split}
				got := readBoth(t, st, fmt.Sprintf("%s: totals %+v", stage, q), func() (store.ClassTotals, error) { return st.ClassTotals(ctx, q) }, nil)
				if len(got.After) > 0 {
					seen["totals"]++
				}
			}
		}
		for _, fromPort := range []int{0, 50, 100000} {
			sel := store.Selection{Sensors: sensors, From: one, To: to}
			got := readBoth(t, st, fmt.Sprintf("%s: high ports from %d %+v", stage, fromPort, sel), func() ([]store.HighPorts, error) { return st.HighPorts(ctx, sel, fromPort) },
				func(h []store.HighPorts) []store.HighPorts {
					if len(h) == 0 {
						return nil
					}
					return h
				})
			if len(got) > 0 {
				seen["highports"]++
			}
		}
	}
}
