package clickstore_test

import (
	"context"
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/clickstore"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// TestReassign re-geolocates part of the contract's captures in a DuckDB
// and a ClickHouse store the same way (a few days with an ASN database,
// then every day with countries only) and compares what Reassign says and
// every read after each run, through the rollups and from hits, and the
// evidence kept and a backfill of it (the new places in its counts).
func TestReassign(t *testing.T) {
	ctx := context.Background()
	ch := contract.ClickHouse(t, "")
	dir := t.TempDir()
	duck, err := duckstore.Open(ctx, filepath.Join(dir, "ref.duckdb"), duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	caps := contract.Captures(t, dir, 15000)
	contract.Ingest(t, duck, caps, false, 0)
	contract.Ingest(t, ch, caps, false, 1000)
	sel := contract.Period(caps)
	// Sources whose address ends in an even byte move to another country
	// and AS; the others keep the built-in table's place.
	base := contract.Locate(t)
	moved := func(a netip.Addr) store.Place {
		p := base(a)
		if b := a.As16(); b[15]%2 == 0 {
			p = store.Place{Country: "ZZ", ASN: 64512, Org: "Moved Net"}
		}
		return p
	}
	countryOnly := func(a netip.Addr) store.Place {
		if b := a.As16(); b[15]%3 == 0 {
			return store.Place{Country: "YY"}
		}
		return base(a)
	}
	for _, run := range []struct {
		from, to, cdb, adb string
		locate             func(netip.Addr) store.Place
	}{
		{sel.From.AddDays(2).String(), sel.From.AddDays(4).String(), "c-1", "a-1", moved},
		{"", "", "c-2", "", countryOnly},
	} {
		a, errA := duck.Reassign(ctx, run.from, run.to, run.locate, run.cdb, run.adb)
		b, errB := ch.Reassign(ctx, run.from, run.to, run.locate, run.cdb, run.adb)
		if errA != nil || errB != nil {
			t.Fatalf("Reassign %s..%s: %v / %v", run.from, run.to, errA, errB)
		}
		if !reflect.DeepEqual(a, b) || b.Changed == 0 {
			t.Errorf("Reassign %s..%s: DuckDB %+v, ClickHouse %+v", run.from, run.to, a, b)
		}
		contract.CompareStats(t, duck, ch)
		contract.Compare(t, duck, ch, sel)
		contract.Compare(t, clickstore.WithoutRollups(ch), ch, sel)
		contract.CompareEvidence(t, duck, ch, sel)
	}
	if _, err := ch.Reassign(ctx, "May 1", "", base, "", ""); err == nil {
		t.Error("bad day accepted")
	}
}
