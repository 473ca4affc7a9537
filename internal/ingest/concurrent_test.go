package ingest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/synth"
)

// TestConcurrentParts ingests files written in parts two at a time: two
// copies of one capture (one must be skipped as a duplicate, not counted
// twice) and two captures of a sensor new to the store (both must commit),
// then both copies again with Force (one ingest of that content remains).
func TestConcurrentParts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := filepath.Join(dir, "a.pcap")
	truthA, data := synthBytes(t, a, synth.Config{Packets: 40000, Days: 3, Seed: 31})
	acopy := filepath.Join(dir, "a-copy.pcap")
	if err := os.WriteFile(acopy, data, 0o644); err != nil {
		t.Fatal(err)
	}
	b := filepath.Join(dir, "b.pcap")
	truthB, _ := synthBytes(t, b, synth.Config{Packets: 30000, Days: 3, Seed: 32})
	db := filepath.Join(dir, "s.duckdb")
	cfg := Config{DBPath: db, Sensor: "fresh", Workers: 2, DayPartsMinSize: 1, dayPartMinPackets: 1}
	total := func() (int64, int) { return storeTotals(t, db) }

	res, err := Run(ctx, cfg, []string{a, acopy})
	if err != nil {
		t.Fatal(err)
	}
	committed, skipped := 0, 0
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Path, r.Err)
		}
		if r.Parts < 2 {
			t.Errorf("%s written in %d parts; the test wants parts", r.Path, r.Parts)
		}
		if r.Committed {
			committed++
		}
		if r.Skipped {
			skipped++
		}
	}
	if committed != 1 || skipped != 1 {
		t.Errorf("two copies at once: %d committed, %d skipped; want 1 and 1", committed, skipped)
	}
	if p, n := total(); p != int64(truthA.Packets) || n != 1 {
		t.Errorf("after two copies: %d packets in %d ingests, want %d in 1", p, n, truthA.Packets)
	}

	// Two different files of a new sensor at once.
	cfg.Sensor = "another-new-sensor"
	res, err = Run(ctx, cfg, []string{b, a})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Err != nil || !res[0].Committed {
		t.Errorf("b: %+v", res[0])
	}
	if !res[1].Skipped {
		t.Errorf("a again: %+v, want skipped", res[1])
	}
	if p, n := total(); p != int64(truthA.Packets+truthB.Packets) || n != 2 {
		t.Errorf("after b: %d packets in %d ingests, want %d in 2", p, n, truthA.Packets+truthB.Packets)
	}

	// Force with both copies at once: one ingest of that content remains.
	cfg.Force = true
	res, err = Run(ctx, cfg, []string{a, acopy})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil || !r.Committed {
			t.Errorf("force %s: %+v", r.Path, r)
		}
	}
	if p, n := total(); p != int64(truthA.Packets+truthB.Packets) || n != 2 {
		t.Errorf("after force: %d packets in %d ingests, want %d in 2", p, n, truthA.Packets+truthB.Packets)
	}
}
