package main

import (
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/synth"
)

func writeScan(t *testing.T, path string, s synth.FixedPortScan) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteFixedPortScan(f, s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSrcPortsCLI stores a sandbox run whose capture scans 23 and 2323
// from two fixed source ports, and a capture of the wild with a source that
// behaves the same, one that shares a source port only, and noise; then
// studies the run and a source and matches the run.
func TestSrcPortsCLI(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	day := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	flows := func(a, b int) []synth.FixedPortFlow {
		return []synth.FixedPortFlow{{SrcPort: 40000, DstPort: 23, Packets: a}, {SrcPort: 40001, DstPort: 2323, Packets: b}}
	}
	sb := filepath.Join(dir, "run.pcap")
	writeScan(t, sb, synth.FixedPortScan{Src: netip.MustParseAddr("10.0.2.15"), Sensor: netip.MustParsePrefix("198.18.0.0/24"),
		Start: day.AddDate(0, 0, 9), Days: [][]synth.FixedPortFlow{flows(30, 10)}})
	wild := filepath.Join(dir, "wild.pcap")
	s := synth.FixedPortScan{Src: netip.MustParseAddr("203.0.113.77"), Sensor: netip.MustParsePrefix("192.0.2.0/24"), Start: day, Noise: 2}
	for _, n := range []int{20, 60, 35, 80} {
		s.Days = append(s.Days, flows(n, 100-n))
	}
	writeScan(t, wild, s)
	other := filepath.Join(dir, "other.pcap")
	writeScan(t, other, synth.FixedPortScan{Src: netip.MustParseAddr("203.0.113.99"), Sensor: netip.MustParsePrefix("192.0.2.0/24"),
		Start: day, Days: [][]synth.FixedPortFlow{{{SrcPort: 40000, DstPort: 80, Packets: 10}}}})
	for _, c := range [][]string{{"--sensor", "sandbox", sb}, {"--sensor", "honey", wild, other}} {
		if out, err := run(t, append([]string{"ingest", "--db", db}, c...)...); err != nil {
			t.Fatalf("ingest: %v\n%s", err, out)
		}
	}
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := st.AddSandboxRun(context.Background(), store.SandboxRun{SHA256: strings.Repeat("ab", 32), Arch: "arm",
		Started: day.AddDate(0, 0, 9), Duration: 5 * time.Hour, Packets: 40, Sensor: "sandbox"})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	out, err := run(t, "srcports", "--db", db, "--run", "1", "--format", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var study struct {
		Sources  int  `json:"sources"`
		Packets  int  `json:"packets"`
		Confined bool `json:"confined"`
		Src      []struct {
			Port    int `json:"port"`
			Packets int `json:"packets"`
		} `json:"src_ports"`
		ShareCorr *float64 `json:"share_corr"`
	}
	if err := json.Unmarshal([]byte(out), &study); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if r.ID != 1 || study.Sources != 1 || study.Packets != 40 || !study.Confined || len(study.Src) != 2 ||
		study.Src[0].Port != 40000 || study.Src[0].Packets != 30 || study.ShareCorr != nil {
		t.Fatalf("run study %+v\n%s", study, out)
	}

	out, err = run(t, "srcports", "match", "--db", db, "--run", "1", "--format", "json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var m struct {
		Matches []struct {
			Src   string  `json:"src"`
			Days  int     `json:"days"`
			Score float64 `json:"score"`
		} `json:"matches"`
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(m.Matches) != 2 || m.Matches[0].Src != "203.0.113.77" || m.Matches[0].Score != 1 || m.Matches[0].Days != 4 ||
		m.Matches[1].Src != "203.0.113.99" || m.Matches[1].Score != 0.25 {
		t.Fatalf("matches %+v\n%s", m, out)
	}

	outDir := filepath.Join(dir, "study")
	out, err = run(t, "srcports", "--db", db, "--src", "203.0.113.77", "--out", outDir)
	if err != nil || !strings.Contains(out, "distinct source ports 2: confined") || !strings.Contains(out, "shares 1.000") {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, f := range []string{"srcports-packets.svg", "srcports-share.png", "srcports.json"} {
		if fi, err := os.Stat(filepath.Join(outDir, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := run(t, "srcports", "match", "--db", db); err == nil {
		t.Error("match without --run succeeded")
	}
	if _, err := run(t, "srcports", "--db", db, "--net", "not-a-prefix"); err == nil {
		t.Error("a bad --net was accepted")
	}
}
