package duckstore

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/store"
)

// TestRuleSets stores rule sets in a store upgraded from schema 2 and in a
// new one: they list, show with their files and rules, an ad-hoc set is
// stored once per content, and an ingest records its rule set.
func TestRuleSets(t *testing.T) {
	ctx := context.Background()
	for name, path := range map[string]string{"upgraded": schema2Store(t), "new": filepath.Join(t.TempDir(), "n.duckdb")} {
		st, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		a, err := st.AddRuleSet(ctx, store.RuleSet{Name: "et", Version: "2024-04-21", Hash: "sha256:a",
			Files: []store.RuleFile{{Name: "x.rules", Text: "alert ip any any -> any any (sid:1;)\n"}, {Name: "y.rules", Text: ""}},
			From:  day("2026-04-22"),
			Rules: []store.RuleInfo{{GID: 1, SID: 1, Rev: 2, Msg: "one", Classtype: "misc"}, {GID: 1, SID: 2, Rev: 1, Msg: "two"}}})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := st.AddRuleSet(ctx, store.RuleSet{Name: "et", Version: "2025-08-17", Hash: "sha256:b", Sensor: "open"})
		if err != nil {
			t.Fatal(err)
		}
		h1, err := st.AddRuleSet(ctx, store.RuleSet{Name: "adhoc", Hash: "sha256:h", AdHoc: true})
		if err != nil {
			t.Fatal(err)
		}
		h2, err := st.AddRuleSet(ctx, store.RuleSet{Name: "adhoc-again", Hash: "sha256:h", AdHoc: true})
		if err != nil || h2.ID != h1.ID || h2.Name != "adhoc" {
			t.Errorf("%s: ad-hoc set stored twice: %+v then %+v (%v)", name, h1, h2, err)
		}
		sets, err := st.RuleSets(ctx)
		if err != nil || len(sets) != 3 || sets[0].ID != a.ID || sets[1].ID != b.ID || sets[0].From != day("2026-04-22") ||
			sets[1].Sensor != "open" || !sets[2].AdHoc || sets[0].Files != nil {
			t.Fatalf("%s: rule sets %+v (%v)", name, sets, err)
		}
		got, err := st.RuleSet(ctx, "et")
		if err != nil || got.ID != b.ID || got.Version != "2025-08-17" {
			t.Errorf("%s: newest et: %+v (%v)", name, got, err)
		}
		got, err = st.RuleSet(ctx, "#1")
		if err != nil || got.ID != a.ID || len(got.Files) != 2 || got.Files[0].Name != "x.rules" || got.Files[1].Text != "" ||
			len(got.Rules) != 2 || got.Rules[0].Msg != "one" || got.Rules[0].Classtype != "misc" {
			t.Errorf("%s: set #1: %+v (%v)", name, got, err)
		}
		if _, err := st.RuleSet(ctx, "absent"); !errors.Is(err, store.ErrNoRuleSet) {
			t.Errorf("%s: absent set: %v", name, err)
		}
		msgs, err := st.RuleMsgs(ctx)
		if err != nil || msgs["1:1:2"] != "one" || msgs["1:2:1"] != "two" || len(msgs) != 2 {
			t.Errorf("%s: msgs %v (%v)", name, msgs, err)
		}
		// The active set per sensor and day.
		for _, c := range []struct {
			sensor, day string
			want        int32
		}{{"open", "2026-04-21", b.ID}, {"other", "2026-04-21", 0}, {"other", "2026-04-22", a.ID}, {"open", "2027-01-01", a.ID}} {
			rs, ok := store.ActiveRuleSet(sets, c.sensor, day(c.day))
			if !ok {
				rs.ID = 0
			}
			if rs.ID != c.want {
				t.Errorf("%s: active for %s on %s: %d, want %d", name, c.sensor, c.day, rs.ID, c.want)
			}
		}
		// An ingest records its rule set.
		if _, err := st.Commit(ctx, &store.Batch{Ingest: store.Ingest{Path: "r.pcap", Hash: "sha256:r", Sensor: "open", ErrorOffset: -1, RuleSet: a.ID},
			Result: &aggregate.Result{}, Sensor: store.Sensor{Name: "open"}}); err != nil {
			t.Fatal(err)
		}
		var rsID int32
		if err := st.DB().QueryRow(`SELECT rule_set FROM ingests WHERE hash = 'sha256:r'`).Scan(&rsID); err != nil || rsID != a.ID {
			t.Errorf("%s: ingest's rule set %d (%v), want %d", name, rsID, err, a.ID)
		}
		st.Close()
	}
}
