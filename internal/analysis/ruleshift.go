package analysis

import (
	"math"
	"slices"
)

// RuleShift says how much of the change of an exploit count between two
// periods the traffic explains and how much a change of rule set does.
//
// The first period was classified with the old rule set, the second with
// the new one (so the change a chart shows is NewSecond − OldFirst), and
// both periods have counts under both sets (one of them from `rules
// backfill`). The change then splits exactly into a change of traffic
// under fixed rules and a change of rules on fixed traffic. Each can be
// measured two ways (traffic under the old or under the new rules; rules
// on the first or on the second period's traffic); Traffic and Rules are
// the means of the two (the Shapley split of a two-factor change), so that
// Traffic + Rules = Change always holds.
type RuleShift struct {
	OldFirst, OldSecond, NewFirst, NewSecond float64 // the four counts
	Before, After                            float64 // OldFirst and NewSecond: what was seen
	Change                                   float64 // After − Before
	Traffic                                  float64 // change under fixed rules
	Rules                                    float64 // change of rules on fixed traffic
	// The two measures of each: traffic under the old and under the new
	// rules; rules on the first and on the second period's traffic.
	TrafficOld, TrafficNew, RulesFirst, RulesSecond float64
	// RulesShare is |Rules| / (|Rules| + |Traffic|), in [0, 1]: the share
	// of the change the rules account for, whether the two effects add up
	// or pull apart. NaN when both are 0 or an input is not a finite
	// non-negative number.
	RulesShare float64
}

// SplitRuleShift splits the change between two periods from the counts
// under the old and the new rule set in each.
func SplitRuleShift(oldFirst, oldSecond, newFirst, newSecond float64) RuleShift {
	s := RuleShift{OldFirst: oldFirst, OldSecond: oldSecond, NewFirst: newFirst, NewSecond: newSecond,
		Before: oldFirst, After: newSecond, RulesShare: math.NaN()}
	for _, v := range []float64{oldFirst, oldSecond, newFirst, newSecond} {
		if !(v >= 0) || math.IsInf(v, 0) {
			s.Change, s.Traffic, s.Rules = math.NaN(), math.NaN(), math.NaN()
			s.TrafficOld, s.TrafficNew, s.RulesFirst, s.RulesSecond = math.NaN(), math.NaN(), math.NaN(), math.NaN()
			return s
		}
	}
	s.Change = newSecond - oldFirst
	s.TrafficOld, s.TrafficNew = oldSecond-oldFirst, newSecond-newFirst
	s.RulesFirst, s.RulesSecond = newFirst-oldFirst, newSecond-oldSecond
	s.Traffic = (s.TrafficOld + s.TrafficNew) / 2
	s.Rules = (s.RulesFirst + s.RulesSecond) / 2
	if d := math.Abs(s.Rules) + math.Abs(s.Traffic); d > 0 {
		s.RulesShare = math.Abs(s.Rules) / d
	}
	return s
}

// RuleShiftKey is the split of one key (an exploit pattern, say).
type RuleShiftKey struct {
	Key string
	RuleShift
}

// SplitRuleShiftBy splits the change of each key and of their total. A key
// missing from a map counts 0 there. Keys are ordered by the size of the
// rules' part, largest first (then by key).
func SplitRuleShiftBy(oldFirst, oldSecond, newFirst, newSecond map[string]float64) (total RuleShift, keys []RuleShiftKey) {
	seen := map[string]bool{}
	var sums [4]float64
	for i, m := range []map[string]float64{oldFirst, oldSecond, newFirst, newSecond} {
		for k, v := range m {
			seen[k] = true
			sums[i] += v
		}
	}
	for k := range seen {
		keys = append(keys, RuleShiftKey{k, SplitRuleShift(oldFirst[k], oldSecond[k], newFirst[k], newSecond[k])})
	}
	slices.SortFunc(keys, func(a, b RuleShiftKey) int {
		x, y := math.Abs(a.Rules), math.Abs(b.Rules)
		switch {
		case x > y:
			return -1
		case x < y:
			return 1
		case a.Key < b.Key:
			return -1
		case a.Key > b.Key:
			return 1
		}
		return 0
	})
	return SplitRuleShift(sums[0], sums[1], sums[2], sums[3]), keys
}
