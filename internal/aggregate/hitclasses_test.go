package aggregate

import (
	"testing"

	"github.com/honeyscope/honeyscope/internal/classify"
)

func TestCheckHitClasses(t *testing.T) {
	access, intr, mirai := classify.Access.Bit(), classify.Intrusion.Bit(), classify.Mirai.Bit()
	for _, c := range []struct {
		name string
		hit  classify.Tags
		hour classify.Tags
		ok   bool
	}{
		{"access", access, access, true},
		{"access and mirai", access | mirai, access | mirai, true},
		{"intrusion", intr, intr, true},
		{"mirai alone", mirai, access, false},
		{"both", access | intr, access, false},
		{"hour without base class", access, mirai, false},
		{"hour with both", access, access | intr, false},
	} {
		r := &Result{Hits: []Hit{{Proto: 6, Port: 23, Tags: access}, {Proto: 6, Port: 23, Tags: c.hit}},
			Hourly: []HourCount{{Tags: c.hour}}}
		if err := r.CheckHitClasses(); (err == nil) != c.ok {
			t.Errorf("%s: CheckHitClasses = %v, want ok %v", c.name, err, c.ok)
		}
	}
}
