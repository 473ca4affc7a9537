package store

import (
	"fmt"
	"testing"

	"github.com/honeyscope/honeyscope/internal/civil"
)

func TestActiveRuleSets(t *testing.T) {
	d := func(s string) civil.Day {
		v, err := civil.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	sets := []RuleSet{
		{ID: 1, Name: "a", From: d("2026-04-02")},
		{ID: 2, Name: "b", From: d("2026-04-05")},
		{ID: 3, Name: "tokyo", From: d("2026-04-06"), Sensor: "tokyo"},
		{ID: 4, Name: "adhoc", AdHoc: true},
	}
	for _, c := range []struct {
		sensor string
		want   string
	}{
		{"osaka", "[2026-04-01..2026-04-01 builtin] [2026-04-02..2026-04-04 a] [2026-04-05..2026-04-08 b]"},
		{"tokyo", "[2026-04-01..2026-04-01 builtin] [2026-04-02..2026-04-04 a] [2026-04-05..2026-04-05 b] [2026-04-06..2026-04-08 tokyo]"},
	} {
		var got string
		for i, s := range ActiveRuleSets(sets, c.sensor, d("2026-04-01"), d("2026-04-08")) {
			if i > 0 {
				got += " "
			}
			got += fmt.Sprintf("[%s..%s %s]", s.From, s.To, s.Set.Name)
		}
		if got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.sensor, got, c.want)
		}
	}
	if s := ActiveRuleSets(sets, "x", d("2026-04-02"), d("2026-04-01")); len(s) != 0 {
		t.Errorf("empty period: %v", s)
	}
}
