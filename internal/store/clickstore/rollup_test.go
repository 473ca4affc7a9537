package clickstore_test

import (
	"context"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store/clickstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// TestRollupsMatchRaw asks every read of a store holding two sensors'
// captures (in parts), their honeypot sessions and a --force re-ingest
// once through the rollups and once from hits alone, and compares.
func TestRollupsMatchRaw(t *testing.T) {
	ctx := context.Background()
	st := contract.ClickHouse(t, "")
	dir := t.TempDir()
	caps := contract.Captures(t, dir, 20000)
	contract.Ingest(t, st, caps, false, 2000)
	for _, c := range caps {
		contract.CheckTruth(t, st, c)
	}
	contract.Ingest(t, st, contract.SessionLogs(t, dir, caps, 20), false, 0)
	contract.Ingest(t, st, caps[:1], true, 1500)
	for _, tb := range []string{"rollup_source_day", "rollup_port"} {
		if n, err := clickstore.RollupRows(ctx, st, tb); err != nil || n == 0 {
			t.Fatalf("%s: %d rows, %v", tb, n, err)
		}
	}
	raw := clickstore.WithoutRollups(st)
	contract.CompareStats(t, raw, st)
	contract.Compare(t, raw, st, contract.Period(caps))
}

// TestRollupMigration: a store of schema 2 holding captures gets its
// rollups filled by migration 3, exactly (compared with hits), and the
// commits after it go through the views.
func TestRollupMigration(t *testing.T) {
	ctx := context.Background()
	url := contract.ClickHouseURL(t)
	old, err := clickstore.OpenUpTo(ctx, url, 2)
	if err != nil {
		t.Skipf("ClickHouse: %v", err)
	}
	defer func() { old.Drop(ctx); old.Close() }()
	dir := t.TempDir()
	caps := contract.Captures(t, dir, 10000)
	contract.Ingest(t, old, caps[:1], false, 0)
	if _, err := clickstore.RollupRows(ctx, old, "rollup_port"); err == nil {
		t.Fatal("schema 2 has a rollup_port table")
	}
	st, err := clickstore.Open(ctx, url, clickstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	contract.Ingest(t, st, caps[1:], false, 0)
	// Opening again runs nothing twice.
	again, err := clickstore.Open(ctx, url, clickstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	again.Close()
	for _, c := range caps {
		contract.CheckTruth(t, st, c)
	}
	contract.CompareStats(t, clickstore.WithoutRollups(st), st)
	contract.Compare(t, clickstore.WithoutRollups(st), st, contract.Period(caps))
}
