package main

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// TestStatsWarnsOfDrops: stats says on stderr when a selected sensor's
// live capture lost packets in the selected days, and stdout stays data.
func TestStatsWarnsOfDrops(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "live.duckdb")
	st, err := duckstore.Open(ctx, db, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)
	a := netip.MustParseAddr("203.0.113.9")
	r := &aggregate.Result{Packets: 3, Inbound: 3, First: day.UnixNano(), Last: day.UnixNano(),
		Sources: []aggregate.SourceDay{{Addr: a, Day: civil.Of(day), Packets: 3, First: day.UnixNano(), Last: day.UnixNano(), Tags: classify.Access.Bit()}},
		Hits:    []aggregate.Hit{{Source: 0, Proto: 6, Port: 23, Tags: classify.Access.Bit(), Packets: 3}}}
	if _, err := st.Commit(ctx, &store.Batch{Result: r, Places: []store.Place{{Country: "US"}}, Sensor: store.Sensor{Name: "eth0"},
		Ingest: store.Ingest{Path: "live:eth0", Hash: "live:eth0:1", Sensor: "eth0", Format: "live", Packets: 3,
			First: day, Last: day.Add(10 * time.Second), ErrorOffset: -1, KernelDrops: 40, QueueDrops: 2}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	out, errOut, err := runSplit(t, "stats", "--db", db, "--format", "csv")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, "sensor eth0: its live capture lost 42 packets in these days (kernel 40, queue 2)") || strings.Contains(out, "lost") {
		t.Errorf("stdout %q stderr %q", out, errOut)
	}
	_, errOut, err = runSplit(t, "stats", "--db", db, "--from", "2026-05-03")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(errOut, "lost") {
		t.Errorf("days without drops warned: %q", errOut)
	}
}
