package duckstore_test

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// TestSessionHitsRollups checks that the intrusion hits of honeypot
// sessions (Cowrie logs and session batches, committed on days captures
// already cover, and a --force re-ingest after them) reach the rollups:
// every Stats grouping answered from the rollups must equal the same
// question answered from the source-level tables.
func TestSessionHitsRollups(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := duckstore.Open(ctx, filepath.Join(dir, "s.duckdb"), duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	caps := contract.Captures(t, dir, 10000)
	contract.Ingest(t, st, caps, false, 1000)
	compareRollupStats(t, st, "captures")
	contract.Ingest(t, st, contract.SessionLogs(t, dir, caps, 30), false, 0)
	compareRollupStats(t, st, "cowrie logs")
	contract.CommitBatches(t, st)
	compareRollupStats(t, st, "session batches")
	contract.Ingest(t, st, caps[:1], true, 1000)
	compareRollupStats(t, st, "forced re-ingest")
}

// compareRollupStats asks st every grouping's Stats with the rollups and
// with the source-level tables and fails on any difference.
func compareRollupStats(t *testing.T, st *duckstore.Store, stage string) {
	t.Helper()
	ctx := context.Background()
	// Every grouping of none, one or two of the dimensions the rollups keep.
	dims := []string{"day", "sensor", "class", "country", "asn", "proto", "port"}
	bys := [][]string{nil}
	for i, a := range dims {
		bys = append(bys, []string{a})
		for _, b := range dims[i+1:] {
			bys = append(bys, []string{a, b})
		}
	}
	intrusions := false
	for _, by := range bys {
		for _, q := range []store.StatsQuery{
			{By: by, NoSources: true},
			{By: by, Ports: []int{23, 2323}, NoSources: true},
			{By: by, Classes: []string{"intrusion"}, NoSources: true},
			{By: by, Sensors: []string{"osaka"}, NoSources: true},
			{By: by},
			{By: by, Classes: []string{"intrusion", "mirai"}},
			{By: by, Sensors: []string{"tokyo"}, From: "2026-05-02", To: "2026-05-02"},
			{By: by, Sensors: []string{"tokyo"}, Classes: []string{"intrusion"}, From: "2026-05-02", To: "2026-05-02"},
		} {
			duckstore.SetRawReads(st, false)
			got, errA := st.Stats(ctx, q)
			duckstore.SetRawReads(st, true)
			want, errB := st.Stats(ctx, q)
			duckstore.SetRawReads(st, false)
			if errA != nil || errB != nil {
				t.Fatalf("%s: Stats %+v: errors %v / %v", stage, q, errA, errB)
			}
			if len(want) == 0 && (stage != "captures" || len(q.Classes) != 1) {
				t.Errorf("%s: Stats %+v: nothing to compare", stage, q)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: Stats %+v:\n rollups %v\n raw     %v", stage, q, got, want)
			}
			if slices.Equal(q.Classes, []string{"intrusion"}) && len(want) > 0 {
				intrusions = true
			}
		}
	}
	if stage != "captures" && !intrusions {
		t.Errorf("%s: no intrusion hits compared", stage)
	}
}
