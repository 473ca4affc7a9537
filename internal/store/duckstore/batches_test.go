package duckstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store"
)

// A batch id seen before makes Finish a no-op reporting ErrDuplicate, even
// with replace and another content hash; another batch id commits.
func TestIngestBatchID(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "t.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	packets := func() uint64 {
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
	b := sampleBatch("sha256:aa")
	b.Ingest.BatchID = "s1/1"
	if _, err := st.Commit(ctx, b); err != nil {
		t.Fatal(err)
	}
	one := packets()
	if one == 0 {
		t.Fatal("nothing committed")
	}
	again := sampleBatch("sha256:bb")
	again.Ingest.BatchID = "s1/1"
	again.Replace = true
	if _, err := st.Commit(ctx, again); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("same batch id: %v, want ErrDuplicate", err)
	}
	if got := packets(); got != one {
		t.Fatalf("after a duplicate batch: %d packets, want %d", got, one)
	}
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM ingests`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("ingests: %d (%v), want 1", n, err)
	}
	other := sampleBatch("sha256:cc")
	other.Ingest.BatchID = "s1/2"
	if _, err := st.Commit(ctx, other); err != nil {
		t.Fatal(err)
	}
	if got := packets(); got != 2*one {
		t.Fatalf("after a second batch: %d packets, want %d", got, 2*one)
	}
	long := sampleBatch("sha256:dd")
	long.Ingest.BatchID = string(make([]byte, maxIDLen+1))
	if _, err := st.Commit(ctx, long); err == nil {
		t.Fatal("over-long batch id accepted")
	}
}
