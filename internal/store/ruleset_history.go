package store

import "github.com/honeyscope/honeyscope/internal/civil"

// RuleSetSpan is a run of days on which one rule set is the active one for
// a sensor (ActiveRuleSet); Set.ID is BuiltinRuleSet (and Set.Name
// "builtin") for days without an active stored set.
type RuleSetSpan struct {
	From, To civil.Day // inclusive
	Set      RuleSet
}

// ActiveRuleSets returns the days [from, to] as runs of the rule set
// active for sensor on each (sets as RuleSets lists them), in day order:
// where a run begins after from, the rule set changed that day (what a
// report marks on its time axis).
func ActiveRuleSets(sets []RuleSet, sensor string, from, to civil.Day) []RuleSetSpan {
	var out []RuleSetSpan
	for d := from; d <= to && d >= from; d++ { // d >= from: stops at the end of int32 too
		rs, ok := ActiveRuleSet(sets, sensor, d)
		if !ok {
			rs = RuleSet{ID: BuiltinRuleSet, Name: "builtin"}
		}
		if n := len(out); n > 0 && out[n-1].Set.ID == rs.ID {
			out[n-1].To = d
			continue
		}
		out = append(out, RuleSetSpan{From: d, To: d, Set: rs})
	}
	return out
}
