package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	svcconfig "github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/sandboxrun"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/storecache"
)

// TestServeSandboxComponent: the sandbox is off without its section, is
// refused beside a honeypot user (it needs root), and built when enabled;
// triage stored through serve's store kicks it.
func TestServeSandboxComponent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	st, err := duckstore.Open(ctx, db, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cst := storecache.New(st, storecache.Options{}).Direct()
	r := daemon.NewReporter(nil)
	if c, err := newSandbox(r, &svcconfig.File{}, cst, db); c != nil || err != nil {
		t.Errorf("disabled: %v %v", c, err)
	}
	if c, err := newSandbox(r, nil, cst, db); c != nil || err != nil {
		t.Errorf("no file: %v %v", c, err)
	}
	f := &svcconfig.File{}
	f.Sandbox.Enabled = true
	f.Honeypot.Enabled, f.Honeypot.User = true, "nobody"
	if _, err := newSandbox(r, f, cst, db); err == nil || !strings.Contains(err.Error(), "honeypot.user") {
		t.Errorf("beside a honeypot user: %v", err)
	}
	f.Honeypot.User = ""
	c, err := newSandbox(r, f, cst, db)
	if err != nil || c == nil {
		t.Fatalf("enabled: %v %v", c, err)
	}
	kicks := 0
	m := &malwareStore{Store: cst, kick: func() { kicks++ }}
	sha := strings.Repeat("ab", 32)
	if _, err := m.AddSamples(ctx, []store.SampleAdd{{SHA256: sha, Size: 1, Type: "elf"}}); err != nil {
		t.Fatal(err)
	}
	gen := cst.Generation()
	if err := m.PutTriage(ctx, []store.TriageRecord{{SHA256: sha, Version: 1, Arch: "arm"}}); err != nil {
		t.Fatal(err)
	}
	if kicks != 1 || cst.Generation() == gen {
		t.Errorf("put triage: %d kicks, generation %d → %d", kicks, gen, cst.Generation())
	}
	if err := m.PutTriage(ctx, nil); err != nil || kicks != 1 {
		t.Errorf("empty put kicked: %d %v", kicks, err)
	}
}

// TestServeSandboxIngest: a run's capture is ingested into serve's own
// store as sensor "sandbox", which stays open after.
func TestServeSandboxIngest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	st, err := duckstore.Open(ctx, db, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cst := storecache.New(st, storecache.Options{}).Direct()
	pcap := filepath.Join(dir, "capture.pcap")
	synthFile(t, pcap, 500, 1, 3)
	ing := serveSandboxIngest(cst, db, nil)
	gen := cst.Generation()
	if err := ing(ctx, pcap); err != nil {
		t.Fatal(err)
	}
	if err := ing(ctx, pcap); err != nil {
		t.Errorf("the same capture again: %v", err)
	}
	sensors, err := st.Sensors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(sensors) != 1 || sensors[0].Name != sandboxrun.Sensor {
		t.Errorf("sensors %+v", sensors)
	}
	if cst.Generation() == gen {
		t.Error("the ingest did not move the cache's generation on")
	}
	if _, err := st.Sensors(ctx); err != nil {
		t.Errorf("the store was closed: %v", err)
	}
}
