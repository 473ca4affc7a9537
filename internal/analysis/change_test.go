package analysis

import (
	"math"
	"testing"
)

func TestHeadlineChange(t *testing.T) {
	tests := []struct {
		cur, prev float64
		en, ja    string
		percent   float64 // NaN: undefined
		isNew     bool
	}{
		{112.3, 100, "+12.3%", "+12.3%", 12.3, false},
		{96, 100, "\u22124.0%", "\u22124.0%", -4, false},
		{300, 100, "+200.0%", "+200.0%", 200, false},
		{0, 100, "\u2212100.0%", "\u2212100.0%", -100, false},
		{100, 100, "0.0%", "0.0%", 0, false},
		{100.04, 100, "0.0%", "0.0%", 0.04, false}, // rounds to zero: no sign
		{99.96, 100, "0.0%", "0.0%", -0.04, false},
		{5, 0, "new", "新規", math.NaN(), true},
		{0, 0, "0.0%", "0.0%", 0, false},
		{math.NaN(), 10, "n/a", "n/a", math.NaN(), false},
		{10, math.Inf(1), "n/a", "n/a", math.NaN(), false},
		{-1, 10, "n/a", "n/a", math.NaN(), false},
	}
	for _, tc := range tests {
		c := HeadlineChange(tc.cur, tc.prev)
		if c.String() != tc.en || c.Format("ja") != tc.ja || c.New != tc.isNew {
			t.Errorf("HeadlineChange(%v, %v): %q / %q new=%v, want %q / %q new=%v", tc.cur, tc.prev, c.String(), c.Format("ja"), c.New, tc.en, tc.ja, tc.isNew)
		}
		if math.IsNaN(tc.percent) != math.IsNaN(c.Percent) || (!math.IsNaN(c.Percent) && math.Abs(c.Percent-tc.percent) > 1e-9) {
			t.Errorf("HeadlineChange(%v, %v).Percent = %v, want %v", tc.cur, tc.prev, c.Percent, tc.percent)
		}
		if !math.IsNaN(c.Ratio) && tc.prev > 0 && c.Ratio != tc.cur/tc.prev {
			t.Errorf("HeadlineChange(%v, %v).Ratio = %v", tc.cur, tc.prev, c.Ratio)
		}
	}
}

func TestPerDayChange(t *testing.T) {
	tests := []struct {
		name               string
		cur                float64
		curDays            int
		prev               float64
		prevDays           int
		en                 string
		wantCur, wantPrevD int
	}{
		// 14 days against 7 days with data: the same daily rate is no change,
		// where the totals would say +100%.
		{"half-covered previous period", 1400, 14, 700, 7, "0.0%", 14, 7},
		{"higher rate", 2800, 14, 700, 7, "+100.0%", 14, 7},
		{"current period partly covered", 1200, 12, 1400, 14, "0.0%", 12, 14},
		{"no previous days with data", 1400, 14, 0, 0, "n/a", 14, 0},
		{"no current days with data", 0, 0, 700, 7, "n/a", 0, 7},
		{"silent previous days", 1400, 14, 0, 7, "new", 14, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := PerDayChange(tc.cur, tc.curDays, tc.prev, tc.prevDays)
			if c.String() != tc.en || c.CurrentDays != tc.wantCur || c.PreviousDays != tc.wantPrevD || c.Current != tc.cur || c.Previous != tc.prev {
				t.Errorf("got %q %+v, want %q", c.String(), c, tc.en)
			}
		})
	}
}
