package ingest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/synth"
)

// TestRewrittenFile: a capture ingested while it was still being written
// (truncated), then again complete under the same path, is reported as
// grown; with Force the complete file replaces the partial ingest, so every
// packet counts once. Another capture written under the same name is
// reported as rewritten, and Force does not remove the earlier one.
func TestRewrittenFile(t *testing.T) {
	dir := t.TempDir()
	truth, data := synthBytes(t, filepath.Join(dir, "full.pcap"), synth.Config{Packets: 20000, Days: 1, Seed: 11})
	capPath := filepath.Join(dir, "sensor.pcap")
	if err := os.WriteFile(capPath, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "s.duckdb")
	run := func(force bool) FileResult {
		t.Helper()
		res, err := Run(context.Background(), Config{DBPath: db, Force: force}, []string{capPath})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	total := func() int64 {
		t.Helper()
		p, _ := storeTotals(t, db)
		return p
	}
	first := run(false)
	if !first.Committed || first.Rewritten || first.Grown || first.Packets == 0 || first.Packets >= uint64(truth.Packets) {
		t.Fatalf("partial file: %+v", first)
	}
	if err := os.WriteFile(capPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	second := run(false)
	if !second.Committed || !second.Grown || second.Rewritten || second.Replaced {
		t.Fatalf("completed file without force: %+v, want committed and grown", second)
	}
	if got, want := total(), int64(first.Packets+second.Packets); got != want {
		t.Errorf("without force the store holds %d packets, want both ingests (%d)", got, want)
	}
	third := run(true)
	if !third.Committed || !third.Replaced {
		t.Fatalf("completed file with force: %+v, want committed and replaced", third)
	}
	if got := total(); got != int64(truth.Packets) {
		t.Errorf("after --force the store holds %d packets, want the complete file's %d", got, truth.Packets)
	}

	// Another day's capture written under the same name.
	truth2, data2 := synthBytes(t, filepath.Join(dir, "other.pcap"),
		synth.Config{Packets: 15000, Days: 1, Seed: 12, Start: synth.DefaultStart.AddDate(0, 0, 5)})
	if err := os.WriteFile(capPath, data2, 0o644); err != nil {
		t.Fatal(err)
	}
	fourth := run(true)
	if !fourth.Committed || !fourth.Rewritten || fourth.Grown || fourth.Replaced {
		t.Fatalf("another capture under the same name: %+v, want committed and rewritten, nothing replaced", fourth)
	}
	if got, want := total(), int64(truth.Packets+truth2.Packets); got != want {
		t.Errorf("the store holds %d packets, want both captures' %d", got, want)
	}
}
