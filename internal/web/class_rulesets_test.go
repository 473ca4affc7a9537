package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/rulecmp/rulecmptest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// TestExploitRuleSets: on the exploit class page of a store whose rule set
// changed on day 4 and was backfilled, the charts carry the change, the
// page offers the rule sets, draws exploit under B against the built-in
// rules, lists the rules only B fires on as stats gives them, and with
// ?ruleset=B tabulates the rules under B adding up to stats --ruleset B.
func TestExploitRuleSets(t *testing.T) {
	ctx := context.Background()
	fx := rulecmptest.Build(t, t.TempDir())
	st, err := duckstore.Open(ctx, fx.DB, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fx.Backfill(t, st)
	h := newTestHandler(t, Dependencies{Store: st}, Configuration{})
	period := "from=" + rulecmptest.Day(0) + "&to=" + rulecmptest.Day(rulecmptest.Days-1)

	for _, lang := range []string{"en", "ja"} {
		rec := get(t, h, "/class/exploit?"+period+"&lang="+lang)
		if rec.Code != 200 {
			t.Fatalf("%s: status %d: %s", lang, rec.Code, body(rec))
		}
		page := body(rec)
		mark := "rule set B v2 from 2026-04-04"
		if lang == "ja" {
			mark = "ルールセット B v2（2026-04-04から）"
		}
		if !strings.Contains(page, mark) || !strings.Contains(page, `name="ruleset"`) || !strings.Contains(page, `<option value="B">B v2</option>`) ||
			!strings.Contains(page, `id="fig-ruleset-vs"`) {
			t.Fatalf("%s: page lacks the mark %q, the selector or the chart of B vs builtin", lang, mark)
		}
	}

	patterns := func(id int32) []string {
		rows, err := st.Stats(ctx, store.StatsQuery{By: []string{"pattern"}, Classes: []string{"exploit"}, RuleSet: id})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows {
			out = append(out, fmt.Sprint(r.Keys[0]))
		}
		return out
	}
	pb, po := patterns(fx.B.ID), patterns(store.BuiltinRuleSet)
	var want []string
	for _, p := range pb {
		if !slices.Contains(po, p) {
			want = append(want, p)
		}
	}
	readCSV := func(target string) [][]string {
		rec := get(t, h, target)
		if rec.Code != 200 {
			t.Fatalf("%s: status %d: %s", target, rec.Code, body(rec))
		}
		recs, err := csv.NewReader(strings.NewReader(body(rec))).ReadAll()
		if err != nil || len(recs) == 0 {
			t.Fatalf("%s: %v", target, err)
		}
		return recs[1:]
	}
	var got []string
	for _, r := range readCSV("/csv/class.ruleset-only-a.csv?class=exploit&" + period) {
		got = append(got, r[0])
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Fatalf("rules only B fires on: %v, want %v", got, want)
	}

	rows, err := st.Stats(ctx, store.StatsQuery{Classes: []string{"exploit"}, RuleSet: fx.B.ID})
	if err != nil || len(rows) != 1 {
		t.Fatal(rows, err)
	}
	var sum uint64
	recs := readCSV("/csv/class.ruleset-rules.csv?class=exploit&ruleset=B&" + period)
	for _, r := range recs {
		n, err := strconv.ParseUint(r[2], 10, 64)
		if err != nil {
			t.Fatal(r, err)
		}
		sum += n
	}
	if len(recs) != len(pb) || sum != rows[0].Packets {
		t.Fatalf("table by rule under B: %d rules, %d packets; stats --ruleset B: %d rules, %d packets", len(recs), sum, len(pb), rows[0].Packets)
	}

	for _, target := range []string{"/class/exploit?ruleset=nope", "/class/mirai?ruleset=B", "/class/exploit?vs=%3Cscript%3E"} {
		if rec := get(t, h, target); rec.Code != 400 || strings.Contains(body(rec), "<script>") {
			t.Fatalf("%s: status %d, want 400", target, rec.Code)
		}
	}
}
