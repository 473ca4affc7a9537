package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestRulesBackfillCommand: a capture ingested with the built-in rules,
// then backfilled under a stored set, gives under that set (stats
// --ruleset, by day and rule) what an ingest with --rules gives; a second
// backfill replaces the first; the errors say what is wrong.
func TestRulesBackfillCommand(t *testing.T) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "radiation.pcap")
	if _, err := run(t, "synth", "--out", capPath, "--packets", "30000", "--days", "3", "--seed", "4"); err != nil {
		t.Fatal(err)
	}
	rulesPath := filepath.Join(dir, "b.rules")
	if err := os.WriteFile(rulesPath, []byte(`alert tcp any any -> any any (msg:"TEST http get"; content:"GET /"; startswith; sid:1000002; rev:1;)`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "s.duckdb")
	direct := filepath.Join(dir, "direct.duckdb")
	for _, args := range [][]string{
		{"ingest", "-q", "--db", db, capPath},
		{"ingest", "-q", "--db", direct, "--rules", rulesPath, capPath},
		{"rules", "add", "--db", db, rulesPath, "--name", "B", "--version", "1"},
	} {
		if out, err := run(t, args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	rowsOf := func(db string, args ...string) map[string]uint64 {
		out := map[string]uint64{}
		for _, r := range statsJSON(t, db, append([]string{"--by", "day,pattern", "--class", "exploit"}, args...)...) {
			out[fmt.Sprint(r["day"], " ", r["pattern"])] += num(r["packets"])
		}
		return out
	}
	want := rowsOf(direct)
	if reflect.DeepEqual(want, rowsOf(db)) {
		t.Fatal("the rule set changes nothing on this capture: the test proves nothing")
	}
	for i := 0; i < 2; i++ {
		out, err := run(t, "rules", "backfill", "--db", db, "--ruleset", "B", "-q")
		if err != nil || !strings.Contains(out, "3 sensor-days") {
			t.Fatalf("backfill: %v\n%s", err, out)
		}
		if got := rowsOf(db, "--ruleset", "B"); !reflect.DeepEqual(got, want) {
			t.Fatalf("backfill %d under B:\n%v\ningest --rules:\n%v", i+1, got, want)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"rules", "backfill", "--db", db, "--ruleset", "nope"}, "no such rule set"},
		{[]string{"rules", "backfill", "--db", db, "--ruleset", "B", "--from", "2030-01-01"}, "no evidence"},
		{[]string{"rules", "backfill", "--db", db}, "--ruleset"},
		{[]string{"stats", "--db", db, "--ruleset", "B", "--class", "mirai"}, "only the exploit class"},
	} {
		out, err := run(t, c.args...)
		if err == nil || !strings.Contains(out+err.Error(), c.want) {
			t.Errorf("%v: %v\n%s (want an error saying %q)", c.args, err, out, c.want)
		}
	}
}
