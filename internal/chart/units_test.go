package chart

import (
	"strings"
	"testing"
	"time"
)

func TestCapturedHours(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{{9.0 / 24, "9"}, {3.5 / 24, "3.5"}, {1.0 / 24, "1"}, {12.4 / 24, "12"}, {4.6 / 24, "4.6"}} {
		if got := capturedHours(tc.f); got != tc.want {
			t.Errorf("capturedHours(%v h) = %q, want %q", tc.f*24, got, tc.want)
		}
	}
}

// TestRiseMarkIsAShape: a rise mark's arrow is drawn as lines, so the PNG
// needs no glyph for it (an arrow glyph was an empty box without a CJK font).
func TestRiseMarkIsAShape(t *testing.T) {
	days := make([]time.Time, 7)
	vals := make([]float64, 7)
	for i := range days {
		days[i] = time.Date(2026, 5, 1+i, 0, 0, 0, 0, time.UTC)
		vals[i] = float64(10 + 5*i)
	}
	c := &StackedBars{Title: "Access packets", Days: days, Series: []Series{{Key: "IT", Values: vals}},
		Marks: []Mark{{Day: days[4], Key: "IT", Text: "Italy", Rise: true}}, Lang: "en", Width: 600, Height: 300}
	svg := string(c.SVG())
	if !strings.Contains(svg, `class="mark-rise"`) || strings.Contains(svg, "↗") {
		t.Errorf("rise mark: arrow shape %v, arrow glyph %v", strings.Contains(svg, `class="mark-rise"`), strings.Contains(svg, "↗"))
	}
	if _, err := c.PNG(1); err != nil {
		t.Errorf("PNG of an English chart with a rise mark: %v", err)
	}
}
