package report

import (
	"slices"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/period"
)

// TestMarkedKeyPromoted: a key with a finding is drawn as its own series
// (not folded into "other") in its chart, so the mark points at a bar the
// legend names; a key without one stays in "other".
func TestMarkedKeyPromoted(t *testing.T) {
	day0 := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var series []analysis.Series
	for i, k := range []string{"CN", "US", "BR", "IT", "FR"} {
		v := make([]float64, 4) // CN 1000, US 800, BR 600, IT 400, FR 200 a day
		for d := range v {
			v[d] = float64(1000 - 200*i)
		}
		series = append(series, analysis.Series{Class: "mirai", Dim: analysis.DimCountry, Key: k, Values: v})
	}
	// IT (4th by total) spikes on day 2.
	f := analysis.Finding{Kind: analysis.KindSpike, Class: "mirai", Dim: analysis.DimCountry, Key: "IT",
		Day: day0.AddDate(0, 0, 2), LastDay: day0.AddDate(0, 0, 2), Value: 900, Baseline: 200}
	b := &builder{v: &period.View{N: 4, Off: 0, Listed: []analysis.Finding{f}}, opt: Options{TopN: 2}, lang: "en", from: day0}
	cut := func(v []float64) []float64 { return v }
	keys := func(marked ...string) []string {
		var out []string
		for _, s := range b.stackOf(series, "mirai", analysis.DimCountry, cut, marked...) {
			out = append(out, s.Key)
		}
		return out
	}
	if got := keys(); !slices.Equal(got, []string{"CN", "US", "other"}) {
		t.Fatalf("without marks: %v", got)
	}
	marks := b.marks("mirai", analysis.DimCountry)
	if len(marks) != 1 || marks[0].Key != "IT" {
		t.Fatalf("marks %+v", marks)
	}
	got := keys(marks[0].Key)
	if !slices.Equal(got, []string{"CN", "US", "IT", "other"}) {
		t.Fatalf("with the IT mark: %v, want IT as its own series", got)
	}
	for _, s := range b.stackOf(series, "mirai", analysis.DimCountry, cut, "IT") {
		if s.Key == "IT" && s.Label != "Italy" {
			t.Errorf("IT legend label %q", s.Label)
		}
		// BR and FR remain in other, IT no longer.
		if s.Key == "other" && s.Values[0] != 800 {
			t.Errorf("other on day 0 = %v, want BR+FR = 800", s.Values[0])
		}
	}
}
