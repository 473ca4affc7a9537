package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/ingest"
)

// synthCapture writes a small synthetic capture at path.
func synthCapture(t *testing.T, path string) {
	t.Helper()
	if out, err := run(t, "synth", "--out", path, "--packets", "20000", "--days", "1", "--seed", "7"); err != nil {
		t.Fatalf("synth: %v\n%s", err, out)
	}
}

// TestStorePathOrigin: a store path DuckDB would take for something else
// than a file is refused before anything is read, and the error names
// where the value came from.
func TestStorePathOrigin(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "c.pcap")
	synthCapture(t, capPath)
	work := t.TempDir()
	t.Chdir(work)
	t.Setenv("HONEYSCOPE_DB", "")
	out, err := run(t, "ingest", "-q", "--db", ":memory:", capPath)
	if err == nil || !strings.HasPrefix(err.Error(), "--db: ") || !strings.Contains(err.Error(), `":memory:"`) || strings.Contains(out, "ingested") {
		t.Errorf("--db :memory:: %v\n%s", err, out)
	}
	// From a config file picked up from the working directory.
	if err := os.WriteFile("honeyscope.json", []byte(`{"db": "x?threads=1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = run(t, "ingest", "-q", capPath)
	if err == nil || !strings.HasPrefix(err.Error(), `config honeyscope.json: "db": `) || !strings.Contains(err.Error(), `"?"`) {
		t.Errorf("config db x?threads=1: %v\n%s", err, out)
	}
	if _, err := run(t, "stats"); err == nil || !strings.HasPrefix(err.Error(), `config honeyscope.json: "db": `) {
		t.Errorf("stats with config db x?threads=1: %v", err)
	}
	os.Remove("honeyscope.json")
	t.Setenv("HONEYSCOPE_DB", ":memory:")
	if _, err := run(t, "stats"); err == nil || !strings.HasPrefix(err.Error(), "$HONEYSCOPE_DB: ") {
		t.Errorf("HONEYSCOPE_DB=:memory:: %v", err)
	}
	if ents, _ := os.ReadDir(work); len(ents) != 0 {
		t.Errorf("files made: %v", ents)
	}
}

// TestBoundedFileReads: config and GeoIP files that are devices or too
// large are refused with their names, not read until memory runs out.
func TestBoundedFileReads(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(maxConfigSize + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	capPath := filepath.Join(dir, "c.pcap")
	synthCapture(t, capPath)
	db := filepath.Join(dir, "s.duckdb")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--config", "/dev/zero", "stats"}, []string{"config /dev/zero", "not a regular file"}},
		{[]string{"--config", big, "stats"}, []string{"config " + big, "larger than"}},
		{[]string{"ingest", "-q", "--db", db, "--geoip", "/dev/zero", capPath}, []string{"/dev/zero", "not a regular file"}},
		{[]string{"ingest", "-q", "--db", db, "--asn", "/dev/zero", capPath}, []string{"/dev/zero", "not a regular file"}},
	} {
		if _, err := os.Stat("/dev/zero"); err != nil && strings.Contains(strings.Join(tc.args, " "), "/dev/zero") {
			continue
		}
		_, err := run(t, tc.args...)
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%v: %v, want %q", tc.args, err, w)
			}
		}
	}
}

// TestSensorNames: --sensor refuses a name that --sensor could never
// select; a name derived from a file name is made valid, with a note.
func TestSensorNames(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "tok,yo-2026-05-01.pcap")
	synthCapture(t, capPath)
	db := filepath.Join(dir, "s.duckdb")
	for _, bad := range []string{"a,b", "a\x1bb", "a\xffb", strings.Repeat("s", 65)} {
		if _, err := run(t, "ingest", "-q", "--db", db, "--sensor", bad, capPath); err == nil || !strings.HasPrefix(err.Error(), "--sensor: ") {
			t.Errorf("--sensor %q: %v", bad, err)
		}
	}
	if _, err := os.Stat(db); err == nil {
		t.Error("a store was made for a refused --sensor")
	}
	out, err := run(t, "ingest", "-q", "--db", db, capPath)
	if err != nil || !strings.Contains(out, `note: `+capPath) || !strings.Contains(out, `sensor "tok-yo" used`) {
		t.Fatalf("derived name: %v\n%s", err, out)
	}
	out, err = run(t, "stats", "--db", db, "--sensor", "tok-yo", "--by", "sensor")
	if err != nil || !strings.Contains(out, "tok-yo") {
		t.Errorf("stats --sensor tok-yo: %v\n%s", err, out)
	}
}

// TestSensorNetWarnings: a --sensor-net that matches nothing of a file, or
// that names no IPv6 network while the file has IPv6 packets, is warned
// about, naming the file and the packets that went elsewhere.
func TestSensorNetWarnings(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "c.pcap")
	synthCapture(t, capPath)
	for i, tc := range []struct {
		nets string
		want []string // empty: no warning
	}{
		{"198.51.100.0/24", []string{"warning: " + capPath + ": --sensor-net matches no packet of this file: ", " IPv4 and ", " IPv6 packets went to other addresses"}},
		{"192.0.2.0/24", []string{"warning: " + capPath + ": ", " IPv6 packets not counted: --sensor-net lists no IPv6 network"}},
		{"2001:db8:4e:100::/64", []string{"warning: " + capPath + ": ", " IPv4 packets not counted: --sensor-net lists no IPv4 network"}},
		{"192.0.2.0/24,2001:db8:4e:100::/64", nil},
	} {
		out, err := run(t, "ingest", "-q", "--db", filepath.Join(dir, fmt.Sprintf("s%d.duckdb", i)), "--sensor-net", tc.nets, capPath)
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.nets, err, out)
		}
		if len(tc.want) == 0 && strings.Contains(out, "warning") {
			t.Errorf("%s: %s", tc.nets, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.nets, w, out)
			}
		}
	}
}

// TestReportInterrupted: what an interrupted ingest prints follows what
// ingest found out, says "interrupted" and never "context canceled".
func TestReportInterrupted(t *testing.T) {
	canceled := fmt.Errorf("x: %w", context.Canceled)
	for _, tc := range []struct {
		name    string
		r       ingest.FileResult
		summary string
		stderr  string
	}{
		{"queued", ingest.FileResult{Path: "q.pcap", Err: canceled, Interrupted: ingest.InterruptedQueued},
			"ingested 0 files, interrupted 1:", "interrupted before q.pcap was read: nothing kept from it"},
		{"reading", ingest.FileResult{Path: "r.pcap", Err: canceled, Interrupted: ingest.InterruptedReading, Frames: 9},
			"ingested 0 files, interrupted 1:", "interrupted while reading r.pcap: nothing kept from this file"},
		{"writing, not committed", ingest.FileResult{Path: "w.pcap", Err: canceled, Interrupted: ingest.InterruptedWriting, Frames: 9},
			"ingested 0 files, interrupted 1:", "interrupted while writing w.pcap to the store: the commit did not complete, nothing kept"},
		{"writing, committed", ingest.FileResult{Path: "c.pcap", Committed: true, Interrupted: ingest.InterruptedWriting, Frames: 9, Packets: 9},
			"ingested 1 file: 9 frames, 9 packets counted", "interrupted while writing c.pcap to the store, but its commit had completed: the file is in the store"},
		{"writing, unknown", ingest.FileResult{Path: "u.pcap", Err: canceled, Interrupted: ingest.InterruptedWriting, CommitUnknown: true},
			"ingested 0 files, interrupted 1:", "whether its commit completed could not be told: run the ingest again"},
	} {
		var out, errw bytes.Buffer
		err := reportIngest(&out, &errw, []ingest.FileResult{tc.r}, 0)
		if !strings.HasPrefix(out.String(), tc.summary) || !strings.Contains(errw.String(), tc.stderr) {
			t.Errorf("%s: %q / %q", tc.name, out.String(), errw.String())
		}
		if strings.Contains(out.String()+errw.String(), "context canceled") || strings.Contains(errw.String(), "nothing kept") != (!tc.r.Committed && !tc.r.CommitUnknown) {
			t.Errorf("%s: %q", tc.name, errw.String())
		}
		var ee exitError
		if tc.r.Committed != (err == nil) || (err != nil && !errors.As(err, &ee)) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestIngestInterruptedBeforeStart: an ingest interrupted before any file
// was read says so in words.
func TestIngestInterruptedBeforeStart(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "c.pcap")
	synthCapture(t, capPath)
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs([]string{"ingest", "-q", "--db", filepath.Join(dir, "s.duckdb"), capPath})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := root.ExecuteContext(ctx)
	if err == nil || !strings.Contains(err.Error(), "interrupted") || strings.Contains(err.Error(), "context canceled") {
		t.Errorf("%v\n%s", err, out.String())
	}
}
