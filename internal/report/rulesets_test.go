package report

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/rulecmp/rulecmptest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

func rsOpen(t *testing.T, db string) *duckstore.Store {
	t.Helper()
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// rsDaily is `stats --by day --class exploit --ruleset id` as a map.
func rsDaily(t *testing.T, st store.Store, id int32) map[string]float64 {
	t.Helper()
	rows, err := st.Stats(context.Background(), store.StatsQuery{By: []string{"day"}, Classes: []string{"exploit"}, RuleSet: id})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, r := range rows {
		out[fmt.Sprint(r.Keys[0])] += float64(r.Packets)
	}
	return out
}

func rsPatterns(t *testing.T, st store.Store, id int32) []string {
	t.Helper()
	rows, err := st.Stats(context.Background(), store.StatsQuery{By: []string{"pattern"}, Classes: []string{"exploit"}, RuleSet: id})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		if r.Packets > 0 {
			out = append(out, fmt.Sprint(r.Keys[0]))
		}
	}
	return out
}

var rsDay, rsDays, rsStart = rulecmptest.Day, rulecmptest.Days, rulecmptest.Start

func rsBuild(t *testing.T, st store.Store, opt Options) (*Result, string, RuleSets) {
	t.Helper()
	opt.Out = t.TempDir()
	opt.From, opt.To = rsStart, rsStart.AddDate(0, 0, rsDays-1)
	opt.PNGScale = 0.25
	opt.Now = func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }
	res, err := Build(context.Background(), st, opt)
	if err != nil {
		t.Fatal(err)
	}
	html := readFile(t, filepath.Join(opt.Out, "index.html"))
	var js RuleSets
	data, err := os.ReadFile(filepath.Join(opt.Out, "rulesets.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &js); err != nil {
		t.Fatal(err)
	}
	return res, html, js
}

// TestRuleSetChangeReported: the built-in rules classify the first three
// days, rule set B (added from the fourth day) the others. The report marks
// the change on day 4 without being told, names the backfills that would
// split the change; once they are done it states the share of the change
// the rules explain (SplitRuleShift of the stored daily means), and with
// --ruleset B --compare-ruleset builtin draws the two as stats --ruleset
// gives them and lists the rules only B fires on.
func TestRuleSetChangeReported(t *testing.T) {
	ctx := context.Background()
	fx := rulecmptest.Build(t, t.TempDir())
	change, rsB := fx.Change, fx.B
	st := rsOpen(t, fx.DB)
	defer st.Close()

	// Before any backfill: the mark, and the commands that would tell.
	res, html, js := rsBuild(t, st, Options{})
	mark := "rule set B v2 from 2026-04-04"
	if len(js.Changes) != 1 || js.Changes[0].Day != change || js.Changes[0].Text != mark ||
		js.Changes[0].Before.ID != store.BuiltinRuleSet || js.Changes[0].After.ID != rsB.ID {
		t.Fatalf("changes %+v, want one on %s to B", js.Changes, change)
	}
	if res.RuleSets == nil || !strings.Contains(html, mark) {
		t.Fatalf("the report does not mark %q", mark)
	}
	svg := readFile(t, filepath.Join(res.Dir, "exploit-country.svg"))
	if !strings.Contains(svg, mark) {
		t.Fatal("the exploit chart by country does not carry the mark")
	}
	if svg := readFile(t, filepath.Join(res.Dir, "access-country.svg")); strings.Contains(svg, mark) {
		t.Fatal("a chart of another class carries the rule-set mark")
	}
	wantCmds := []string{"honeyscope rules backfill --ruleset B --from 2026-04-01 --to 2026-04-03",
		"honeyscope rules backfill --ruleset builtin --from 2026-04-04 --to 2026-04-07"}
	if js.Compare != nil {
		t.Fatal("without counts under both rule sets, the report compares them")
	}
	if len(js.Shifts) != 1 || js.Shifts[0].OK || !slices.Equal(js.Shifts[0].Backfills, wantCmds) {
		t.Fatalf("shift without backfill %+v, want the commands %q", js.Shifts, wantCmds)
	}
	for _, c := range wantCmds {
		if !strings.Contains(html, c) {
			t.Fatalf("report does not name %q", c)
		}
	}

	// Backfill both sides.
	fx.Backfill(t, st)
	old, neu := rsDaily(t, st, store.BuiltinRuleSet), rsDaily(t, st, rsB.ID)
	mean := func(m map[string]float64, from, to int) float64 {
		s := 0.0
		for d := from; d < to; d++ {
			s += m[rsDay(d)]
		}
		return s / float64(to-from)
	}
	want := analysis.SplitRuleShift(mean(old, 0, 3), mean(old, 3, rsDays), mean(neu, 0, 3), mean(neu, 3, rsDays))
	if want.Rules == 0 || want.Traffic == 0 || math.IsNaN(want.RulesShare) {
		t.Fatalf("split %+v: rules or traffic did not change, the test proves nothing", want)
	}
	for _, lang := range []string{"en", "ja"} {
		_, html, js := rsBuild(t, st, Options{Lang: lang})
		if len(js.Shifts) != 1 || !js.Shifts[0].OK || js.Shifts[0].RulesShare == nil || len(js.Shifts[0].Backfills) != 0 {
			t.Fatalf("%s: shift %+v", lang, js.Shifts)
		}
		s := js.Shifts[0]
		if s.OldFirst != want.OldFirst || s.OldSecond != want.OldSecond || s.NewFirst != want.NewFirst || s.NewSecond != want.NewSecond ||
			math.Abs(*s.RulesShare-want.RulesShare) > 1e-12 || math.Abs(s.Rules-want.Rules) > 1e-9 || s.DaysBefore != 3 || s.DaysAfter != 4 {
			t.Fatalf("%s: shift %+v, want %+v", lang, s, want)
		}
		if js.Compare == nil || js.Compare.A.ID != rsB.ID || js.Compare.B.ID != store.BuiltinRuleSet {
			t.Fatalf("%s: without --ruleset, compare %+v: want the two sides of the change", lang, js.Compare)
		}
		if !strings.Contains(html, chart.FormatPercent(want.RulesShare)) || !strings.Contains(html, chart.FormatPercent(math.Abs(want.Traffic/want.Before))) {
			t.Fatalf("%s: the report does not state the share %s and the traffic's change", lang, chart.FormatPercent(want.RulesShare))
		}
	}

	// B against the built-in rules over the same days.
	_, html, js = rsBuild(t, st, Options{RuleSet: "B", CompareRuleSet: "builtin"})
	cmp := js.Compare
	if cmp == nil || cmp.A.ID != rsB.ID || cmp.B.ID != store.BuiltinRuleSet || len(cmp.Days) != rsDays || len(cmp.SeriesA) != rsDays {
		t.Fatalf("compare %+v", cmp)
	}
	for i := range rsDays {
		if cmp.SeriesA[i] == nil || cmp.SeriesB[i] == nil || *cmp.SeriesA[i] != neu[rsDay(i)] || *cmp.SeriesB[i] != old[rsDay(i)] {
			t.Fatalf("day %d: series %v / %v, stats --ruleset %v / %v", i, cmp.SeriesA[i], cmp.SeriesB[i], neu[rsDay(i)], old[rsDay(i)])
		}
	}
	pb, po := rsPatterns(t, st, rsB.ID), rsPatterns(t, st, store.BuiltinRuleSet)
	var onlyB, onlyO []string
	for _, p := range pb {
		if !slices.Contains(po, p) {
			onlyB = append(onlyB, p)
		}
	}
	for _, p := range po {
		if !slices.Contains(pb, p) {
			onlyO = append(onlyO, p)
		}
	}
	var gotB, gotO []string
	for _, r := range cmp.OnlyA {
		gotB = append(gotB, r.Pattern)
	}
	for _, r := range cmp.OnlyB {
		gotO = append(gotO, r.Pattern)
	}
	slices.Sort(onlyB)
	slices.Sort(onlyO)
	slices.Sort(gotB)
	slices.Sort(gotO)
	if len(onlyB) == 0 || !slices.Equal(gotB, onlyB) || !slices.Equal(gotO, onlyO) {
		t.Fatalf("rules only B fires on %v, only builtin %v; want %v and %v", gotB, gotO, onlyB, onlyO)
	}
	if js.ByRule == nil || len(js.ByRule.Rows) != len(pb) || !strings.Contains(html, "By rule under B v2") {
		t.Fatalf("table by rule under B: %+v (want %d rules)", js.ByRule, len(pb))
	}
	var sum float64
	for _, r := range js.ByRule.Rows {
		sum += r.Packets
		if r.Days < 1 || r.Days > rsDays || r.Sources < 1 {
			t.Fatalf("rule row %+v", r)
		}
	}
	total := 0.0
	for _, v := range neu {
		total += v
	}
	if sum != total {
		t.Fatalf("table by rule under B adds up to %v packets, stats --ruleset B %v", sum, total)
	}
	if _, err := Build(ctx, st, Options{Out: t.TempDir(), CompareRuleSet: "builtin"}); err == nil {
		t.Fatal("--compare-ruleset without --ruleset: no error")
	}
}
