package period

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
)

func gapsOf(sensor, states string) analysis.SensorGaps {
	g := analysis.SensorGaps{Sensor: sensor}
	for _, c := range states {
		st := analysis.Full
		switch c {
		case '-':
			st = analysis.NoData
		case 'p':
			st = analysis.Partial
		}
		g.Days = append(g.Days, analysis.DayCoverage{State: st})
	}
	return g
}

func flags(p []bool) string {
	b := make([]byte, len(p))
	for i, v := range p {
		b[i] = '-'
		if v {
			b[i] = 'x'
		}
	}
	return string(b)
}

// TestPresentAll: a combined day is present only when every sensor with
// data in the period has data that day; a sensor without data in the
// period does not count.
func TestPresentAll(t *testing.T) {
	tests := []struct {
		name   string
		gaps   []analysis.SensorGaps
		lo, hi int
		want   string
	}{
		{"one sensor", []analysis.SensorGaps{gapsOf("a", "xx-px")}, 0, 5, "xx-xx"},
		{"other sensor missing two days", []analysis.SensorGaps{gapsOf("a", "xxxxx"), gapsOf("b", "xx--x")}, 0, 5, "xx--x"},
		{"sensor without data in the period ignored", []analysis.SensorGaps{gapsOf("a", "xxxxx"), gapsOf("b", "xx---")}, 2, 5, "xxxxx"},
		{"no sensor with data", []analysis.SensorGaps{gapsOf("a", "---")}, 0, 3, "---"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := flags(PresentAll(tc.gaps, len(tc.want), tc.lo, tc.hi))
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestHighlights(t *testing.T) {
	day := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	f := func(class, dim, key string, v float64) analysis.Finding {
		return analysis.Finding{Class: class, Dim: dim, Key: key, Day: day, LastDay: day, Value: v, Baseline: 10}
	}
	var fs []analysis.Finding
	// Eight mirai countries, an access duplicate of the first, then ports
	// and ASes.
	for i := range 8 {
		fs = append(fs, f("mirai", analysis.DimCountry, fmt.Sprintf("C%d", i), 100))
	}
	fs = append(fs, f("access", analysis.DimCountry, "C0", 110), f("access", analysis.DimCountry, "C9", 100))
	for i := range 4 {
		fs = append(fs, f("zmap", analysis.DimPort, fmt.Sprintf("%d/tcp", i+1), 100))
	}
	fs = append(fs, f("zmap", analysis.DimASN, "AS1", 100))
	got := Highlights(fs, 0)
	var keys []string
	for _, g := range got {
		keys = append(keys, g.Class+":"+g.Key)
	}
	// Three mirai countries (per-class cap), access C9 (C0 is the mirai
	// event again), three ports, one AS, then fill: the fourth port stays
	// out (per-class cap), so do further mirai countries.
	want := []string{"mirai:C0", "mirai:C1", "mirai:C2", "access:C9", "zmap:1/tcp", "zmap:2/tcp", "zmap:3/tcp", "zmap:AS1"}
	if !slices.Equal(keys, want) {
		t.Errorf("got  %v\nwant %v", keys, want)
	}
}
