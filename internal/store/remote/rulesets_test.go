package remote

import (
	"context"
	"errors"
	"testing"

	"github.com/honeyscope/honeyscope/internal/store"
)

// TestRuleSetsThroughOwner: rule sets stored through the owner are the
// owner's store's, and read back alike; a read-only client cannot add.
func TestRuleSetsThroughOwner(t *testing.T) {
	ctx := context.Background()
	st, _ := owned(t)
	cl := dial(t, st)
	rs, err := cl.AddRuleSet(ctx, store.RuleSet{Name: "et", Version: "v1", Hash: "sha256:x",
		Files: []store.RuleFile{{Name: "a.rules", Text: "alert ip any any -> any any (sid:7;)\n"}},
		Rules: []store.RuleInfo{{GID: 1, SID: 7, Rev: 1, Msg: "seven"}}})
	if err != nil || rs.ID == 0 {
		t.Fatalf("add: %+v %v", rs, err)
	}
	direct, err := st.RuleSet(ctx, "et")
	if err != nil || direct.ID != rs.ID || len(direct.Files) != 1 {
		t.Fatalf("in the owner's store: %+v %v", direct, err)
	}
	got, err := cl.RuleSet(ctx, "et")
	if err != nil || got.ID != rs.ID || got.Files[0].Text != direct.Files[0].Text || got.Rules[0].Msg != "seven" {
		t.Errorf("through the owner: %+v %v", got, err)
	}
	sets, err := cl.RuleSets(ctx)
	if err != nil || len(sets) != 1 || sets[0].Name != "et" {
		t.Errorf("list: %+v %v", sets, err)
	}
	msgs, err := cl.RuleMsgs(ctx)
	if err != nil || msgs["1:7:1"] != "seven" {
		t.Errorf("msgs: %v %v", msgs, err)
	}
	if _, err := cl.RuleSet(ctx, "absent"); err == nil {
		t.Error("absent set found")
	}
	cl.ReadOnly()
	if _, err := cl.AddRuleSet(ctx, store.RuleSet{Name: "x", Hash: "sha256:y"}); !errors.Is(err, errReadOnly) {
		t.Errorf("read-only add: %v", err)
	}
}
