package owner

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

func newComponent(t *testing.T) (*Component, string) {
	t.Helper()
	cfg := DefaultConfiguration()
	cfg.Path = filepath.Join(t.TempDir(), "s.duckdb")
	cfg.TimeZone = "Asia/Tokyo"
	c, err := New(daemon.NewReporter(nil), cfg, Dependencies{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Store().Stats(context.Background(), store.StatsQuery{}); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Stats before Start: %v, want ErrNotStarted", err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return c, cfg.Path
}

// ingests lists the ingest paths a closed store holds.
func ingests(t *testing.T, path string) map[string]bool {
	t.Helper()
	st, err := duckstore.Open(context.Background(), path, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer st.Close()
	if st.TimeZone() != "Asia/Tokyo" {
		t.Errorf("zone %q", st.TimeZone())
	}
	known, err := st.KnownSizes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, ks := range known {
		for _, k := range ks {
			out[k.Path] = true
		}
	}
	return out
}

func waitStopping(t *testing.T, c *Component) {
	t.Helper()
	for {
		_, err := c.Store().Begin(context.Background())
		if errors.Is(err, ErrStopping) {
			return
		}
		if err != nil {
			t.Fatalf("Begin while waiting for stop: %v", err)
		}
		t.Fatal("Begin succeeded while a transaction was open and Stop pending")
	}
}

// TestStopLetsCommitFinish: Stop waits for an open transaction; Finish
// after Stop began still commits, and the store closes cleanly afterwards.
func TestStopLetsCommitFinish(t *testing.T) {
	c, path := newComponent(t)
	tx, err := c.Store().Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- c.Stop(context.Background()) }()
	// Poll until Stop has begun (new work refused).
	for {
		c.mu.Lock()
		s := c.stopping
		c.mu.Unlock()
		if s {
			break
		}
		time.Sleep(time.Millisecond)
	}
	waitStopping(t, c)
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) with a transaction open", err)
	default:
	}
	if err := tx.Finish(context.Background(), store.Ingest{Path: "late.pcap", Hash: "sha256:01", Size: 10}, false, store.Sensor{}); err != nil {
		t.Fatalf("Finish during Stop: %v", err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if got := testutil.ToFloat64(c.Commits()); got != 1 {
		t.Errorf("commits = %v, want 1", got)
	}
	if !ingests(t, path)["late.pcap"] {
		t.Error("commit finished during Stop is not in the reopened store")
	}
}

// TestStopDeadlineRollsBack: a transaction still open when Stop's context
// expires is rolled back, and the store still closes cleanly.
func TestStopDeadlineRollsBack(t *testing.T) {
	c, path := newComponent(t)
	if _, err := c.Store().Commit(context.Background(), &store.Batch{Ingest: store.Ingest{Path: "kept.pcap", Hash: "sha256:02", Size: 5}}); err != nil {
		t.Fatal(err)
	}
	tx, err := c.Store().Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the deadline has already passed
	if err := c.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := tx.Finish(context.Background(), store.Ingest{Path: "lost.pcap", Hash: "sha256:03", Size: 6}, false, store.Sensor{}); err == nil {
		t.Error("Finish after roll back succeeded")
	}
	if got := testutil.ToFloat64(c.Commits()); got != 1 {
		t.Errorf("commits = %v, want 1", got)
	}
	if got := testutil.ToFloat64(c.m.commitFailures); got != 1 {
		t.Errorf("failures = %v, want 1 (the rolled-back transaction)", got)
	}
	if got := testutil.ToFloat64(c.m.openTx); got != 0 {
		t.Errorf("open transactions = %v", got)
	}
	in := ingests(t, path)
	if !in["kept.pcap"] || in["lost.pcap"] {
		t.Errorf("reopened store has %v, want kept.pcap only", in)
	}
	if _, err := c.Store().Stats(context.Background(), store.StatsQuery{}); !errors.Is(err, ErrStopping) {
		t.Errorf("Stats after Stop: %v, want ErrStopping", err)
	}
}
