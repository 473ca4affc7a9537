package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/rulecmp/rulecmptest"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// TestRuleSetsThroughOwner: with a running owner of the store, stats
// under rule sets and the report's rule-set part (the change marked, the
// split, A against B) are what they are on the file; a capture ingested
// through the owner keeps its evidence, which a backfill through the
// owner and one on the file re-run alike.
func TestRuleSetsThroughOwner(t *testing.T) {
	binary(t)
	dir := t.TempDir()
	fx := rulecmptest.Build(t, dir)
	st, err := duckstore.Open(context.Background(), fx.DB, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fx.Backfill(t, st)
	st.Close()

	cmds := [][]string{
		{"stats", "--format", "json", "--class", "exploit", "--ruleset", "B", "--by", "day,rule"},
		{"stats", "--format", "json", "--class", "exploit", "--ruleset", "builtin", "--by", "day,pattern,src"},
		{"stats", "--format", "json", "--by", "classtype", "--class", "exploit"},
	}
	reports := [][]string{nil, {"--ruleset", "B", "--compare-ruleset", "builtin"}}
	run := func(tag string) (outs []string, reps [][]byte) {
		for _, c := range cmds {
			out, errs, code := hs(t, append(c, "--db", fx.DB)...)
			if code != 0 {
				t.Fatalf("%s: %v: exit %d\n%s%s", tag, c, code, out, errs)
			}
			outs = append(outs, out)
		}
		for i, extra := range reports {
			rep := filepath.Join(dir, tag+"-report"+string(rune('0'+i)))
			args := append([]string{"report", "--db", fx.DB, "--out", rep}, extra...)
			if out, errs, code := hs(t, args...); code != 0 {
				t.Fatalf("%s: %v: exit %d\n%s%s", tag, args, code, out, errs)
			}
			ents, err := os.ReadDir(rep)
			if err != nil {
				t.Fatal(err)
			}
			var all []byte
			for _, e := range ents {
				b, err := os.ReadFile(filepath.Join(rep, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				// The generation time differs when the runs straddle a minute.
				all = append(append(append(all, "== "+e.Name()+"\n"...), unstamp(b)...), '\n')
			}
			reps = append(reps, all)
		}
		return outs, reps
	}
	fileOuts, fileReps := run("file")
	if !strings.Contains(string(fileReps[0]), "rule change accounts for") {
		t.Fatalf("the report on the file has no split of the rule change:\n%.2000s", fileReps[0])
	}
	o := startOwner(t, fx.DB, "")
	ownOuts, ownReps := run("owner")
	for i := range cmds {
		if fileOuts[i] != ownOuts[i] || len(fileOuts[i]) < 20 {
			t.Errorf("%v through the owner\n%s\non the file\n%s", cmds[i], ownOuts[i], fileOuts[i])
		}
	}
	for i := range reports {
		if !bytes.Equal(fileReps[i], ownReps[i]) {
			a, b := strings.Split(string(fileReps[i]), "\n"), strings.Split(string(ownReps[i]), "\n")
			for k := range min(len(a), len(b)) {
				if a[k] != b[k] {
					t.Errorf("report %v: line %d on the file\n%s\nthrough the owner\n%s", reports[i], k, a[k], b[k])
					break
				}
			}
			if len(a) != len(b) {
				t.Errorf("report %v: %d lines on the file, %d through the owner", reports[i], len(a), len(b))
			}
		}
	}

	// A capture ingested through the owner keeps its evidence.
	f := filepath.Join(dir, "tokyo-20260601.pcap")
	synthFile(t, f, 30000, 2, 7)
	if out, errs, code := hs(t, "ingest", "-q", "--db", fx.DB, "--sensor", "tokyo", f); code != 0 {
		t.Fatalf("ingest through the owner: exit %d\n%s%s", code, out, errs)
	}
	// Backfilled through the owner, then on the file: the same result,
	// the built-in rules giving the capture's own exploit counts.
	stats := func() (string, string) {
		a, _, _ := hs(t, "stats", "--format", "json", "--class", "exploit", "--sensor", "tokyo", "--by", "day,pattern,src", "--db", fx.DB)
		b, _, _ := hs(t, "stats", "--format", "json", "--class", "exploit", "--sensor", "tokyo", "--ruleset", "builtin", "--by", "day,pattern,src", "--db", fx.DB)
		return a, b
	}
	var outs []string
	for _, through := range []string{"the owner", "the file"} {
		if through == "the file" {
			o.stop()
		}
		out, errs, code := hs(t, "rules", "backfill", "-q", "--ruleset", "builtin", "--db", fx.DB, "--sensor", "tokyo")
		if code != 0 || strings.Contains(errs, "kept no evidence") || !strings.Contains(out, "2 sensor-days") {
			t.Fatalf("backfill through %s of the capture ingested through the owner: exit %d\n%s%s", through, code, out, errs)
		}
		outs = append(outs, out[:strings.LastIndex(out, ",")]) // without the time taken
		if a, b := stats(); a != b || len(a) < 20 {
			t.Errorf("after a backfill through %s: exploit counts as ingested\n%.1000s\nbackfilled from the evidence\n%.1000s", through, a, b)
		}
	}
	if outs[0] != outs[1] {
		t.Errorf("backfill through the owner\n%s\non the file\n%s", outs[0], outs[1])
	}
}
