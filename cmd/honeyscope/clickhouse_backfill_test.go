package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store/clickstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// TestClickHouseRulesBackfill: a capture ingested into a ClickHouse store
// with the built-in rules, then backfilled there under a stored set, gives
// under that set (stats --ruleset, by day and rule) what an ingest with
// --rules gives; a second backfill replaces the first. With the same
// capture and honeypot sessions in a DuckDB file, the backfill says the
// same and stats under the set are the same by source and port.
func TestClickHouseRulesBackfill(t *testing.T) {
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
	dir := t.TempDir()
	capPath := filepath.Join(dir, "radiation.pcap")
	if out, err := run(t, "synth", "--out", capPath, "--packets", "30000", "--days", "3", "--seed", "4", "--sessions", "15"); err != nil {
		t.Fatalf("synth: %v\n%s", err, out)
	}
	cowrie := strings.TrimSuffix(capPath, ".pcap") + ".cowrie.json"
	rulesPath := filepath.Join(dir, "b.rules")
	if err := os.WriteFile(rulesPath, []byte(`alert tcp any any -> any any (msg:"TEST http get"; content:"GET /"; startswith; sid:1000002; rev:1;)
alert tcp any any -> any any (msg:"TEST wget"; honeyscope.cmdline; content:"wget"; sid:1000003; rev:1;)
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ch := []string{"--store", url}
	duck := []string{"--db", filepath.Join(dir, "ref.duckdb")}
	direct := []string{"--db", filepath.Join(dir, "direct.duckdb")}
	for _, args := range [][]string{
		append([]string{"ingest", "-q", capPath}, ch...),
		append([]string{"ingest", "-q", capPath}, duck...),
		append([]string{"ingest", "-q", "--rules", rulesPath, capPath}, direct...),
		append([]string{"rules", "add", rulesPath, "--name", "B", "--version", "1"}, ch...),
		append([]string{"rules", "add", rulesPath, "--name", "B", "--version", "1"}, duck...),
	} {
		if out, err := run(t, args...); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	rowsOf := func(target []string, by string, args ...string) map[string]uint64 {
		t.Helper()
		a := append(append([]string{"stats", "--format", "json", "--by", by, "--class", "exploit"}, target...), args...)
		out, err := run(t, a...)
		var rows []map[string]any
		if err != nil || json.Unmarshal([]byte(out), &rows) != nil {
			t.Fatalf("%v: %v\n%s", a, err, out)
		}
		m := map[string]uint64{}
		for _, r := range rows {
			var k []string
			for _, d := range strings.Split(by, ",") {
				k = append(k, fmt.Sprint(r[d]))
			}
			m[strings.Join(k, " ")] += num(r["packets"])
		}
		return m
	}
	want := rowsOf(direct, "day,pattern")
	if len(want) == 0 || reflect.DeepEqual(want, rowsOf(ch, "day,pattern")) {
		t.Fatalf("the rule set changes nothing on this capture: the test proves nothing (%v)", want)
	}
	backfill := func(target []string) string {
		t.Helper()
		out, err := run(t, append([]string{"rules", "backfill", "--ruleset", "B", "-q"}, target...)...)
		if err != nil || !strings.Contains(out, "3 sensor-days") {
			t.Fatalf("backfill %v: %v\n%s", target, err, out)
		}
		return out
	}
	for i := 0; i < 2; i++ {
		backfill(ch)
		if got := rowsOf(ch, "day,pattern", "--ruleset", "B"); !reflect.DeepEqual(got, want) {
			t.Fatalf("backfill %d under B on ClickHouse:\n%v\ningest --rules:\n%v", i+1, got, want)
		}
	}

	// The honeypot's sessions too, in both stores.
	for _, target := range [][]string{ch, duck} {
		if out, err := run(t, append([]string{"ingest", "-q", cowrie}, target...)...); err != nil {
			t.Fatalf("ingest %s: %v\n%s", cowrie, err, out)
		}
	}
	took := regexp.MustCompile(`, [0-9.]+[µm]?s\n`)
	a, b := took.ReplaceAllString(backfill(duck), ""), took.ReplaceAllString(backfill(ch), "")
	t.Logf("backfill with sessions: %s", b)
	if a != b || strings.Contains(a, " 0 honeypot sessions") {
		t.Errorf("backfill with sessions:\n duck %s\n  ch  %s", a, b)
	}
	for _, by := range []string{"day,pattern", "day,src,port,pattern", "country,asn"} {
		x, y := rowsOf(duck, by, "--ruleset", "B"), rowsOf(ch, by, "--ruleset", "B")
		if len(x) == 0 || !reflect.DeepEqual(x, y) {
			t.Errorf("stats --by %s under B:\n duck %v\n  ch  %v", by, x, y)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"rules", "backfill", "--ruleset", "B", "--from", "2030-01-01"}, "no evidence"},
		{[]string{"stats", "--ruleset", "B", "--class", "mirai"}, "only the exploit class"},
	} {
		out, err := run(t, append(c.args, ch...)...)
		if err == nil || !strings.Contains(out+err.Error(), c.want) {
			t.Errorf("%v: %v\n%s (want an error saying %q)", c.args, err, out, c.want)
		}
	}
}
