package clickstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// TestContract ingests the same captures and honeypot sessions into a
// DuckDB and a ClickHouse store (the latter in small parts) and compares
// every read (contract.Run).
func TestContract(t *testing.T) {
	ch := contract.ClickHouse(t, "")
	dir := t.TempDir()
	duck, err := duckstore.Open(context.Background(), filepath.Join(dir, "ref.duckdb"), duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	contract.Run(t, dir, duck, ch, 0, 3000)
}

// TestVisibility: rows of a Tx are invisible until Finish, an aborted Tx
// stays invisible, a duplicate is refused, and Cleanup removes the dead rows.
func TestVisibility(t *testing.T) {
	ctx := context.Background()
	st := contract.ClickHouse(t, "")
	total := func() uint64 {
		t.Helper()
		rows, err := st.Stats(ctx, store.StatsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			return 0
		}
		return rows[0].Packets
	}
	r := storetestResult()
	places := []store.Place{{Country: "CN", ASN: 4134}}
	tx, err := st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.Append(ctx, r, places, "s1", nil); err != nil {
		t.Fatal(err)
	}
	if n := total(); n != 0 {
		t.Fatalf("rows visible before Finish: %d packets", n)
	}
	tx2, err := st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tx2.ID() == tx.ID() {
		t.Fatalf("two Txs share ingest id %d", tx.ID())
	}
	if err := tx2.Append(ctx, r, places, "s1", nil); err != nil {
		t.Fatal(err)
	}
	if err := tx2.Abort(); err != nil {
		t.Fatal(err)
	}
	in := store.Ingest{Path: "a.pcap", Hash: "sha256:aa", Sensor: "s1", Format: "pcap", Packets: 5}
	if err := tx.Finish(ctx, in, false, store.Sensor{Name: "s1"}); err != nil {
		t.Fatal(err)
	}
	if n := total(); n != 5 {
		t.Fatalf("after Finish: %d packets, want 5", n)
	}
	_, err = st.Commit(ctx, &store.Batch{Ingest: in, Result: r, Places: places})
	if !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("second commit of the same content: %v, want ErrDuplicate", err)
	}
	if _, err := st.Commit(ctx, &store.Batch{Ingest: in, Result: r, Places: places, Replace: true}); err != nil {
		t.Fatal(err)
	}
	if n := total(); n != 5 {
		t.Fatalf("after a replacement: %d packets, want 5", n)
	}
	if err := st.Cleanup(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if n := total(); n != 5 {
		t.Fatalf("after cleanup: %d packets, want 5", n)
	}
	day := r.Sources[0].Day
	days, err := st.SourceDays(ctx, r.Sources[0].Addr, store.Selection{From: day, To: day})
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 1 || days[0].Packets != 5 {
		t.Fatalf("SourceDays after a replacement and cleanup: %+v, want one day of 5 packets", days)
	}
}

func storetestResult() *aggregate.Result {
	return contractResult()
}

var _ = aggregate.Result{}
