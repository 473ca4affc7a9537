package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/rules"
)

// statsJSON runs stats with args and decodes its JSON rows.
func statsJSON(t *testing.T, db string, args ...string) []map[string]any {
	t.Helper()
	out, err := run(t, append([]string{"stats", "--db", db, "--format", "json"}, args...)...)
	var rows []map[string]any
	if err != nil || json.Unmarshal([]byte(out), &rows) != nil {
		t.Fatalf("stats %v: %v\n%s", args, err, out)
	}
	return rows
}

func num(v any) uint64 { f, _ := v.(float64); return uint64(f) }

// TestStatsByRuleAndClasstype: --by rule gives the pattern rows as rules
// with their msg; --by classtype adds the packets of the rules of each
// classtype (classtypes read here from the built-in rule file) and counts
// the distinct sources over them (checked against --by pattern,src).
func TestStatsByRuleAndClasstype(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	capPath := filepath.Join(dir, "radiation.pcap")
	if _, err := run(t, "synth", "--out", capPath, "--packets", "30000", "--days", "2", "--seed", "4"); err != nil {
		t.Fatal(err)
	}
	if out, err := run(t, "ingest", "-q", "--db", db, capPath); err != nil {
		t.Fatalf("ingest: %v\n%s", err, out)
	}
	set, err := rules.LoadBuiltin(rules.Options{})
	if err != nil {
		t.Fatal(err)
	}
	classOf := map[string]string{}
	for _, r := range set.Rules {
		classOf[r.ID()] = r.Classtype
	}

	pats := statsJSON(t, db, "--by", "pattern")
	if len(pats) < 2 {
		t.Fatalf("%d pattern rows: the capture has too few exploits to test with", len(pats))
	}
	byRule := statsJSON(t, db, "--by", "rule")
	if len(byRule) != len(pats) {
		t.Fatalf("%d rule rows, %d pattern rows", len(byRule), len(pats))
	}
	want := map[string][2]any{}
	for _, p := range pats {
		want[p["pattern"].(string)] = [2]any{num(p["packets"]), p["msg"]}
	}
	for _, r := range byRule {
		id, _ := r["rule"].(string)
		w, ok := want[id]
		if _, has := r["pattern"]; has || !ok || num(r["packets"]) != w[0] || r["msg"] != w[1] || r["msg"] == "" {
			t.Errorf("rule row %v: want the pattern row %s %v", r, id, w)
		}
	}

	wantPackets := map[string]uint64{}
	for _, p := range pats {
		c, ok := classOf[p["pattern"].(string)]
		if !ok {
			t.Fatalf("pattern %v is no built-in rule", p["pattern"])
		}
		wantPackets[c] += num(p["packets"])
	}
	wantSrcs := map[string]map[string]bool{}
	for _, p := range statsJSON(t, db, "--by", "pattern,src") {
		c := classOf[p["pattern"].(string)]
		if wantSrcs[c] == nil {
			wantSrcs[c] = map[string]bool{}
		}
		wantSrcs[c][fmt.Sprint(p["src"])] = true
	}
	cts := statsJSON(t, db, "--by", "classtype")
	if len(cts) != len(wantPackets) {
		t.Errorf("%d classtype rows, want %d (%v)", len(cts), len(wantPackets), wantPackets)
	}
	var last uint64 = 1 << 63
	for _, r := range cts {
		c, _ := r["classtype"].(string)
		if num(r["packets"]) != wantPackets[c] || num(r["sources"]) != uint64(len(wantSrcs[c])) {
			t.Errorf("classtype %q: %d packets, %d sources; want %d, %d", c, num(r["packets"]), num(r["sources"]), wantPackets[c], len(wantSrcs[c]))
		}
		if num(r["packets"]) > last {
			t.Errorf("classtype rows not by packets descending: %v", cts)
		}
		last = num(r["packets"])
	}
	if top := statsJSON(t, db, "--by", "classtype", "--top", "1"); len(top) != 1 || top[0]["classtype"] != cts[0]["classtype"] {
		t.Errorf("--top 1: %v, want the first of %v", top, cts)
	}
	// By day too: the days add up to the classtype's packets.
	sum := map[string]uint64{}
	for _, r := range statsJSON(t, db, "--by", "day,classtype") {
		if r["day"] == nil {
			t.Fatalf("row without day: %v", r)
		}
		sum[r["classtype"].(string)] += num(r["packets"])
	}
	for c, n := range wantPackets {
		if sum[c] != n {
			t.Errorf("classtype %q by day: %d packets, want %d", c, sum[c], n)
		}
	}
	out, err := run(t, "stats", "--db", db, "--by", "classtype")
	if err != nil || !strings.Contains(out, "classtype") || !strings.Contains(out, cts[0]["classtype"].(string)) {
		t.Errorf("table: %v\n%s", err, out)
	}
	if _, err := run(t, "stats", "--db", db, "--by", "pattern,rule"); err == nil {
		t.Error("--by pattern,rule accepted")
	}
}

// TestClasstypeOfStoredRules: a stored rule set names the classtypes of its
// rules; a legacy pattern name has none.
func TestClasstypeOfStoredRules(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.duckdb")
	f := filepath.Join(dir, "a.rules")
	os.WriteFile(f, []byte("alert tcp any any -> any any (msg:\"one\"; content:\"zzqq\"; classtype:misc-attack; sid:7000001; rev:3;)\n"), 0o644)
	if out, err := run(t, "rules", "add", "--db", db, "--name", "local", f); err != nil {
		t.Fatalf("add: %v %s", err, out)
	}
	st, err := openStore(context.Background(), db, false)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ct := classtyper(context.Background(), st)
	if got := ct("1:7000001:3"); got != "misc-attack" {
		t.Errorf("stored rule: classtype %q", got)
	}
	if got := ct("1:7000001:2"); got != "" {
		t.Errorf("another rev: classtype %q", got)
	}
	if got := ct("1:9000004:1"); got == "" {
		t.Error("built-in JAWS rule: no classtype")
	}
	if got := ct("mirai-loader"); got != "" {
		t.Errorf("legacy pattern: classtype %q", got)
	}
}
