package rulecmp

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/rulecmp/rulecmptest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// sets is a store of rule sets only.
type sets []store.RuleSet

func (s sets) AddRuleSet(context.Context, store.RuleSet) (store.RuleSet, error) {
	return store.RuleSet{}, nil
}
func (s sets) RuleSets(context.Context) ([]store.RuleSet, error) { return s, nil }
func (s sets) RuleSet(context.Context, string) (store.RuleSet, error) {
	return store.RuleSet{}, store.ErrNoRuleSet
}
func (s sets) RuleMsgs(context.Context) (map[string]string, error) { return nil, nil }

// runs adds the runs of ingests and backfills.
type runs struct {
	sets
	r []store.RuleSetRun
}

func (r runs) EvidenceDays(context.Context, store.EvidenceQuery) ([]store.EvidenceDay, error) {
	return nil, nil
}
func (r runs) Backfill(context.Context, int32, store.EvidenceQuery, store.Classifiers, func(int, int)) (store.BackfillResult, error) {
	return store.BackfillResult{}, nil
}
func (r runs) RuleSetRuns(_ context.Context, q store.EvidenceQuery) ([]store.RuleSetRun, error) {
	var out []store.RuleSetRun
	for _, x := range r.r {
		if x.Day >= q.From && x.Day <= q.To {
			out = append(out, x)
		}
	}
	return out, nil
}

var d0 = civil.FromDate(2026, 4, 1)

func ingested(sensor string, day int, id int32) store.RuleSetRun {
	return store.RuleSetRun{Day: d0.AddDays(day), Sensor: sensor, RuleSet: id}
}

func changes(h *History) string {
	var out string
	for _, c := range h.Changes {
		out += fmt.Sprintf("%s %v %s->%s all=%v; ", c.Day, c.Sensors, c.Before.Label(), c.After.Label(), c.AllSensors)
	}
	return out
}

// TestLoadChanges: the history follows the rule set the ingests were
// classified with, carries it over days without data, prefers the active
// set among several of one day, groups sensors that changed alike, and
// falls back to the active sets when the store does not list its runs.
func TestLoadChanges(t *testing.T) {
	ctx := context.Background()
	ss := sets{
		{ID: 1, Name: "et", Version: "1", From: d0.AddDays(2)},
		{ID: 2, Name: "et", Version: "2", From: d0.AddDays(5)},
		{ID: 3, Name: "own", From: d0.AddDays(4), Sensor: "y"},
		{ID: 4, Name: "adhoc", AdHoc: true},
	}
	var r []store.RuleSetRun
	for d := range 8 {
		id := int32(store.BuiltinRuleSet)
		switch {
		case d >= 5:
			id = 2
		case d >= 2:
			id = 1
		}
		if d != 3 { // x has no data on day 3
			r = append(r, ingested("x", d, id))
		}
		if d == 6 {
			r = append(r, ingested("x", d, 4)) // an ad-hoc ingest besides
		}
		if d >= 4 && d < 5 {
			id = 3
		}
		r = append(r, ingested("y", d, id))
	}
	r = append(r, store.RuleSetRun{Day: d0.AddDays(1), Sensor: "x", RuleSet: 2, Backfill: true})
	h, err := Load(ctx, runs{ss, r}, []string{"x", "y"}, d0, d0.AddDays(7))
	if err != nil {
		t.Fatal(err)
	}
	want := "2026-04-03 [x y] builtin->#1 v1 all=true; 2026-04-05 [y] #1 v1->own all=false; 2026-04-06 [x] #1 v1->#2 v2 all=false; 2026-04-06 [y] own->#2 v2 all=false; "
	if got := changes(h); got != want || h.Unlisted {
		t.Fatalf("changes\n%s\nwant\n%s (unlisted %v)", got, want, h.Unlisted)
	}
	// No day has counts under both sets of a change: no store is asked,
	// and each change names its backfills, per sensor when not all changed.
	sh, err := h.Shifts(ctx, nil)
	if err != nil || len(sh) != 4 || sh[1].OK {
		t.Fatalf("shifts %+v %v", sh, err)
	}
	if got, want := strings.Join(sh[1].Backfills, "\n"), "honeyscope rules backfill --ruleset own --from 2026-04-03 --to 2026-04-04 --sensor y\n"+
		"honeyscope rules backfill --ruleset #1 --from 2026-04-05 --to 2026-04-05 --sensor y"; got != want {
		t.Fatalf("backfills\n%s\nwant\n%s", got, want)
	}
	if got := sh[0].Backfills; len(got) != 2 || strings.Contains(got[0], "--sensor") || !strings.HasSuffix(got[0], "--ruleset #1 --from 2026-04-01 --to 2026-04-02") {
		t.Fatalf("backfills of the change of every sensor: %q", got)
	}
	if !h.HasCounts("x", d0.AddDays(1), 2) || h.HasCounts("x", d0.AddDays(3), 1) {
		t.Fatal("HasCounts: backfill not seen, or a day without data has counts")
	}
	if s, ok := h.Find("et"); !ok || s.ID != 2 {
		t.Fatalf("Find(et) = %+v, want the newest", s)
	}
	if s, ok := h.Find("builtin"); !ok || s.ID != store.BuiltinRuleSet {
		t.Fatalf("Find(builtin) = %+v", s)
	}
	if _, ok := h.Find("nope"); ok {
		t.Fatal("Find(nope) found a set")
	}
	for _, s := range h.Sets() {
		if s.ID == 4 {
			t.Fatal("Sets lists an ad-hoc set")
		}
	}

	// Without runs: the active sets.
	h, err = Load(ctx, ss, []string{"x"}, d0, d0.AddDays(7))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := changes(h), "2026-04-03 [x] builtin->#1 v1 all=true; 2026-04-06 [x] #1 v1->#2 v2 all=true; "; got != want || !h.Unlisted {
		t.Fatalf("unlisted changes %s, want %s (unlisted %v)", got, want, h.Unlisted)
	}
}

// TestShiftsOfFixture: the split of the fixture's change is SplitRuleShift
// of the stored daily means, and the missing backfills are named before.
func TestShiftsOfFixture(t *testing.T) {
	ctx := context.Background()
	fx := rulecmptest.Build(t, t.TempDir())
	st, err := duckstore.Open(ctx, fx.DB, duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	from, to := civil.Of(rulecmptest.Start), civil.Of(rulecmptest.Start).AddDays(rulecmptest.Days-1)
	h, err := Load(ctx, st, []string{"lab"}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := h.Shifts(ctx, st)
	if err != nil || len(sh) != 1 || sh[0].OK || len(sh[0].Backfills) != 2 || sh[0].MissingBefore != 3 || sh[0].MissingAfter != 4 {
		t.Fatalf("shifts before backfill %+v %v", sh, err)
	}
	fx.Backfill(t, st)
	if h, err = Load(ctx, st, []string{"lab"}, from, to); err != nil {
		t.Fatal(err)
	}
	if sh, err = h.Shifts(ctx, st); err != nil || len(sh) != 1 || !sh[0].OK || len(sh[0].Backfills) != 0 {
		t.Fatalf("shifts after backfill %+v %v", sh, err)
	}
	mean := func(id int32, a, b int) float64 {
		rows, err := st.Stats(ctx, store.StatsQuery{Classes: []string{"exploit"}, RuleSet: id, From: rulecmptest.Day(a), To: rulecmptest.Day(b - 1)})
		if err != nil {
			t.Fatal(err)
		}
		s := 0.0
		for _, r := range rows {
			s += float64(r.Packets)
		}
		return s / float64(b-a)
	}
	c, n := rulecmptest.ChangeAt, rulecmptest.Days
	want := analysis.SplitRuleShift(mean(store.BuiltinRuleSet, 0, c), mean(store.BuiltinRuleSet, c, n), mean(fx.B.ID, 0, c), mean(fx.B.ID, c, n))
	got := sh[0].Split
	if got.OldFirst != want.OldFirst || got.NewSecond != want.NewSecond || got.OldSecond != want.OldSecond || got.NewFirst != want.NewFirst ||
		math.Abs(got.RulesShare-want.RulesShare) > 1e-12 || want.Rules == 0 {
		t.Fatalf("split %+v, want %+v", got, want)
	}
	if p := sh[0].ChangePct(); math.Abs(p-sh[0].TrafficPct()-got.Rules/got.Before) > 1e-12 {
		t.Fatalf("change %% %v is not traffic %% %v + rules / before", p, sh[0].TrafficPct())
	}
}
