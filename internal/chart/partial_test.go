package chart

import (
	"strings"
	"testing"
	"time"
)

// TestPartialSensors: a day one of two sensors captured is drawn as a
// partial day with its note, not as a gap, and keeps its spike mark.
func TestPartialSensors(t *testing.T) {
	d0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	days := []time.Time{d0, d0.AddDate(0, 0, 1), d0.AddDate(0, 0, 2)}
	c := &StackedBars{Days: days, Series: []Series{{Key: "IT", Label: "Italy", Values: []float64{10, 900, 12}}},
		Gaps: []bool{false, false, true}, PartialText: []string{"", "1 of 2 sensors", ""},
		Marks: []Mark{{Day: days[1], Key: "IT", Text: "Italy ×9"}}, Lang: "en"}
	svg := string(c.SVG())
	for _, want := range []string{"2026-05-02 · partial: 1 of 2 sensors", "partial day", "no data", `class="mark"`} {
		if !strings.Contains(svg, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if n := strings.Count(svg, "partial: 1 of 2 sensors"); n < 2 {
		t.Errorf("note on %d elements, want the day's band and its bar", n)
	}
	ja := *c
	ja.Lang, ja.PartialText = "ja", []string{"", "2か所中1か所", ""}
	if s := string(ja.SVG()); !strings.Contains(s, "一部のみ: 2か所中1か所") {
		t.Error("Japanese note missing")
	}
}
