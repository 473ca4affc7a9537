package clickstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/clickstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// A transport batch id seen before makes Finish a no-op reporting
// ErrDuplicate, even with replace and another content hash; another id
// commits; an id recorded by a Finish that never committed does not count.
func TestIngestBatchID(t *testing.T) {
	ctx := context.Background()
	st := contract.ClickHouse(t, "")
	packets := func() uint64 {
		t.Helper()
		rows, err := st.Stats(ctx, store.StatsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var n uint64
		for _, r := range rows {
			n += r.Packets
		}
		return n
	}
	batch := func(hash, id string, replace bool) *store.Batch {
		return &store.Batch{Ingest: store.Ingest{Path: "a.pcap", Hash: hash, Sensor: "s1", Format: "pcap", Packets: 5, BatchID: id},
			Result: contractResult(), Places: []store.Place{{Country: "CN", ASN: 4134}}, Replace: replace, Sensor: store.Sensor{Name: "s1"}}
	}
	if _, err := st.Commit(ctx, batch("sha256:aa", "s1/1", false)); err != nil {
		t.Fatal(err)
	}
	if got := packets(); got != 5 {
		t.Fatalf("after one batch: %d packets, want 5", got)
	}
	if _, err := st.Commit(ctx, batch("sha256:bb", "s1/1", true)); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("same batch id: %v, want ErrDuplicate", err)
	}
	if got := packets(); got != 5 {
		t.Fatalf("after a duplicate batch: %d packets, want 5", got)
	}
	if _, err := st.Commit(ctx, batch("sha256:cc", "s1/2", false)); err != nil {
		t.Fatal(err)
	}
	if got := packets(); got != 10 {
		t.Fatalf("after a second batch: %d packets, want 10", got)
	}
	// A collector that died after recording s1/3 and before its ingest
	// row: the batch delivered again commits.
	tx, err := st.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := clickstore.RecordBatch(ctx, tx.(*clickstore.Tx), "s1/3"); err != nil {
		t.Fatal(err)
	}
	tx.Abort()
	if _, err := st.Commit(ctx, batch("sha256:dd", "s1/3", false)); err != nil {
		t.Fatalf("batch whose first Finish never committed: %v", err)
	}
	if got := packets(); got != 15 {
		t.Fatalf("after the redelivered batch: %d packets, want 15", got)
	}
	if _, err := st.Commit(ctx, batch("sha256:ee", strings.Repeat("x", 257), false)); err == nil {
		t.Fatal("over-long batch id accepted")
	}
}
