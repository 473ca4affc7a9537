package clickstore_test

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// TestRuleSets stores the same rule sets in a DuckDB and a ClickHouse
// store: they list, show with their files and rules, an ad-hoc set is
// stored once per content, the active set per sensor and day is the same,
// and an ingest records its rule set (its exploit stats name it).
func TestRuleSets(t *testing.T) {
	ctx := context.Background()
	day := func(s string) civil.Day {
		d, err := civil.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	duck, err := duckstore.Open(ctx, filepath.Join(t.TempDir(), "r.duckdb"), duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	ch := contract.ClickHouse(t, "")
	type answer struct {
		Sets       []store.RuleSet
		Et, One    store.RuleSet
		Msgs       map[string]string
		Active     []int32
		AdHocTwice bool
	}
	var answers []answer
	for _, st := range []interface {
		store.Store
		store.RuleSetStore
	}{duck, ch} {
		var ans answer
		a, err := st.AddRuleSet(ctx, store.RuleSet{Name: "et", Version: "2024-04-21", Hash: "sha256:a",
			Files: []store.RuleFile{{Name: "x.rules", Text: "alert ip any any -> any any (sid:1;)\n"}, {Name: "y.rules", Text: ""}},
			From:  day("2026-04-22"),
			Rules: []store.RuleInfo{{GID: 1, SID: 1, Rev: 2, Msg: "one", Classtype: "misc"}, {GID: 1, SID: 2, Rev: 1, Msg: "two"}}})
		if err != nil {
			t.Fatalf("%T: %v", st, err)
		}
		if _, err := st.AddRuleSet(ctx, store.RuleSet{Name: "et", Version: "2025-08-17", Hash: "sha256:b", Sensor: "open"}); err != nil {
			t.Fatal(err)
		}
		h1, err := st.AddRuleSet(ctx, store.RuleSet{Name: "adhoc", Hash: "sha256:h", AdHoc: true})
		if err != nil {
			t.Fatal(err)
		}
		h2, err := st.AddRuleSet(ctx, store.RuleSet{Name: "adhoc-again", Hash: "sha256:h", AdHoc: true})
		if err != nil {
			t.Fatal(err)
		}
		ans.AdHocTwice = h2.ID != h1.ID || h2.Name != "adhoc"
		if ans.Sets, err = st.RuleSets(ctx); err != nil || len(ans.Sets) != 3 {
			t.Fatalf("%T: rule sets %+v (%v)", st, ans.Sets, err)
		}
		if ans.Et, err = st.RuleSet(ctx, "et"); err != nil {
			t.Fatal(err)
		}
		if ans.One, err = st.RuleSet(ctx, "#1"); err != nil || len(ans.One.Files) != 2 || len(ans.One.Rules) != 2 {
			t.Fatalf("%T: set #1: %+v (%v)", st, ans.One, err)
		}
		for _, name := range []string{"absent", "#99", "#x"} {
			if _, err := st.RuleSet(ctx, name); !errors.Is(err, store.ErrNoRuleSet) {
				t.Errorf("%T: set %s: %v", st, name, err)
			}
		}
		if ans.Msgs, err = st.RuleMsgs(ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ sensor, day string }{{"open", "2026-04-21"}, {"other", "2026-04-21"}, {"other", "2026-04-22"}, {"open", "2027-01-01"}} {
			rs, ok := store.ActiveRuleSet(ans.Sets, c.sensor, day(c.day))
			if !ok {
				rs.ID = 0
			}
			ans.Active = append(ans.Active, rs.ID)
		}
		if _, err := st.Commit(ctx, &store.Batch{Ingest: store.Ingest{Path: "r.pcap", Hash: "sha256:r", Sensor: "open", ErrorOffset: -1, RuleSet: a.ID},
			Result: &aggregate.Result{}, Sensor: store.Sensor{Name: "open"}}); err != nil {
			t.Fatal(err)
		}
		// The times differ between the stores; the rest must not.
		for i := range ans.Sets {
			if ans.Sets[i].AddedAt.IsZero() || time.Since(ans.Sets[i].AddedAt) > time.Hour {
				t.Errorf("%T: set %d added at %v", st, ans.Sets[i].ID, ans.Sets[i].AddedAt)
			}
			ans.Sets[i].AddedAt = time.Time{}
		}
		ans.Et.AddedAt, ans.One.AddedAt = time.Time{}, time.Time{}
		answers = append(answers, ans)
	}
	if !reflect.DeepEqual(answers[0], answers[1]) {
		t.Errorf("rule sets differ:\n DuckDB     %+v\n ClickHouse %+v", answers[0], answers[1])
	}
	if want := []int32{2, 0, 1, 1}; !reflect.DeepEqual(answers[1].Active, want) || answers[1].AdHocTwice || answers[1].Et.Version != "2025-08-17" {
		t.Errorf("ClickHouse: active %v (want %v), ad-hoc stored twice %v, newest et %+v", answers[1].Active, want, answers[1].AdHocTwice, answers[1].Et)
	}
}
