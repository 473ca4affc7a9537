package api

import (
	"testing"

	"github.com/honeyscope/honeyscope/internal/store"
)

func TestRuleSetParam(t *testing.T) {
	allowed := with(filterParams, pBy, pRuleSet)
	for _, c := range []struct {
		query string
		want  int32
		bad   string // the parameter rejected
	}{
		{"ruleset=builtin", store.BuiltinRuleSet, ""},
		{"ruleset=3", 3, ""},
		{"ruleset=%233&class=exploit", 3, ""},
		{"ruleset=0", 0, "ruleset"},
		{"ruleset=-2", 0, "ruleset"},
		{"ruleset=et-open", 0, "ruleset"},
		{"ruleset=99999999999", 0, "ruleset"},
		{"ruleset=1&ruleset=2", 0, "ruleset"},
		{"ruleset=1&class=mirai", 0, "class"},
	} {
		vals, pe := parseRawQuery(c.query)
		if pe != nil {
			t.Fatal(pe)
		}
		p, pe := parseParams(vals, allowed)
		switch {
		case c.bad != "" && (pe == nil || pe.Param != c.bad):
			t.Errorf("%s: error %v, want one for %s", c.query, pe, c.bad)
		case c.bad == "" && pe != nil:
			t.Errorf("%s: %v", c.query, pe)
		case c.bad == "" && p.statsQuery().RuleSet != c.want:
			t.Errorf("%s: rule set %d, want %d", c.query, p.statsQuery().RuleSet, c.want)
		}
	}
	vals, _ := parseRawQuery("ruleset=1")
	if _, pe := parseParams(vals, filterParams); pe == nil {
		t.Error("ruleset accepted by an endpoint that does not take it")
	}
}
