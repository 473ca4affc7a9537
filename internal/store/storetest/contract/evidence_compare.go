package contract

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/honeyscope/honeyscope/internal/backfill"
	"github.com/honeyscope/honeyscope/internal/store"
)

// CompareEvidence compares what the ingest pipeline kept as evidence in
// ref and got (the same captures and sessions ingested into both), and a
// backfill of it under the built-in rules in each: the evidence per day
// and sensor, the backfill's result, the exploit counts under the
// built-in rules by day, pattern, source and port, and the rule-set runs
// (their times aside).
func CompareEvidence(t *testing.T, ref, got store.Store, sel store.Selection) {
	t.Helper()
	ctx := context.Background()
	var es [2]store.EvidenceStore
	for i, st := range []store.Store{ref, got} {
		e, err := store.EvidenceOf(st)
		if err != nil {
			t.Fatalf("store %d: %v", i, err)
		}
		es[i] = e
	}
	qs := []store.EvidenceQuery{{}, {From: sel.From.AddDays(2), To: sel.From.AddDays(4)}, {Sensor: "osaka"}}
	for _, q := range qs {
		a, errA := es[0].EvidenceDays(ctx, q)
		b, errB := es[1].EvidenceDays(ctx, q)
		if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("EvidenceDays %+v:\n ref %v (%v)\n got %v (%v)", q, a, errA, b, errB)
		}
		if errA == nil && q == (store.EvidenceQuery{}) && len(a) == 0 {
			t.Error("no evidence to compare")
		}
	}
	builtin := store.RuleSet{ID: store.BuiltinRuleSet, Name: "builtin"}
	for _, q := range qs {
		a, errA := backfill.Run(ctx, es[0], builtin, q, nil)
		b, errB := backfill.Run(ctx, es[1], builtin, q, nil)
		if errA != nil || errB != nil || a != b {
			t.Errorf("Backfill %+v:\n ref %+v (%v)\n got %+v (%v)", q, a, errA, b, errB)
		}
	}
	for _, by := range [][]string{{"day", "pattern"}, {"day", "sensor", "src", "port", "pattern"}, {"country", "asn"}} {
		q := store.StatsQuery{By: by, Classes: []string{"exploit"}, RuleSet: store.BuiltinRuleSet}
		a, errA := ref.Stats(ctx, q)
		b, errB := got.Stats(ctx, q)
		if errA != nil || errB != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("Stats %+v:\n ref %v (%v)\n got %v (%v)", q, a, errA, b, errB)
		}
		if errA == nil && len(a) == 0 {
			t.Errorf("Stats %+v: no exploits to compare", q)
		}
	}
	var runs [2][]string
	for i, e := range es {
		rs, err := e.RuleSetRuns(ctx, store.EvidenceQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			runs[i] = append(runs[i], fmt.Sprintf("%s %s %d %v", r.Day, r.Sensor, r.RuleSet, r.Backfill))
		}
	}
	if !reflect.DeepEqual(runs[0], runs[1]) || len(runs[0]) == 0 {
		t.Errorf("RuleSetRuns:\n ref %v\n got %v", runs[0], runs[1])
	}
}
