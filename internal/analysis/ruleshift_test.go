package analysis

import (
	"math"
	"testing"
)

func TestSplitRuleShift(t *testing.T) {
	for _, c := range []struct {
		name                  string
		o1, o2, n1, n2        float64
		traffic, rules, share float64
	}{
		// Traffic flat, the new rules see twice as much: all rules.
		{"rules only", 100, 100, 200, 200, 0, 100, 1},
		// The same rules would see the rise: all traffic.
		{"traffic only", 100, 150, 100, 150, 50, 0, 0},
		// Both: traffic +50% under either set, new rules +100 / +150.
		{"both", 100, 150, 200, 300, 75, 125, 125.0 / 200},
		// Opposite: attacks fell by half, new rules catch more.
		{"opposite", 200, 100, 400, 200, -150, 150, 0.5},
	} {
		s := SplitRuleShift(c.o1, c.o2, c.n1, c.n2)
		if s.Traffic != c.traffic || s.Rules != c.rules || s.RulesShare != c.share {
			t.Errorf("%s: traffic %v rules %v share %v, want %v %v %v", c.name, s.Traffic, s.Rules, s.RulesShare, c.traffic, c.rules, c.share)
		}
		if s.Traffic+s.Rules != s.Change || s.Change != c.n2-c.o1 || s.Before != c.o1 || s.After != c.n2 {
			t.Errorf("%s: traffic %v + rules %v is not the change %v", c.name, s.Traffic, s.Rules, s.Change)
		}
		if s.TrafficOld+s.RulesSecond != s.Change || s.RulesFirst+s.TrafficNew != s.Change {
			t.Errorf("%s: the two paths do not add up to the change: %+v", c.name, s)
		}
	}
	if s := SplitRuleShift(5, 5, 5, 5); !math.IsNaN(s.RulesShare) || s.Change != 0 {
		t.Errorf("no change: %+v", s)
	}
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		if s := SplitRuleShift(1, bad, 2, 3); !math.IsNaN(s.Change) || !math.IsNaN(s.Rules) || !math.IsNaN(s.RulesShare) {
			t.Errorf("input %v: %+v", bad, s)
		}
	}
}

func TestSplitRuleShiftBy(t *testing.T) {
	o1 := map[string]float64{"jaws": 10, "gpon": 20}
	o2 := map[string]float64{"jaws": 30, "gpon": 20}
	n1 := map[string]float64{"jaws": 10, "gpon": 20, "new-rule": 40}
	n2 := map[string]float64{"jaws": 30, "gpon": 20, "new-rule": 60}
	total, keys := SplitRuleShiftBy(o1, o2, n1, n2)
	if total.Change != 110-30 || total.Traffic != (20+40)/2.0 || total.Rules != (40+60)/2.0 {
		t.Fatalf("total %+v", total)
	}
	if len(keys) != 3 || keys[0].Key != "new-rule" || keys[0].Rules != 50 || keys[0].Traffic != 10 {
		t.Fatalf("keys %+v", keys)
	}
	var rules, traffic float64
	for _, k := range keys {
		rules += k.Rules
		traffic += k.Traffic
		if k.Key == "jaws" && (k.Traffic != 20 || k.Rules != 0) {
			t.Errorf("jaws %+v", k)
		}
	}
	if rules != total.Rules || traffic != total.Traffic {
		t.Errorf("keys sum to rules %v traffic %v, total %v %v", rules, traffic, total.Rules, total.Traffic)
	}
}
