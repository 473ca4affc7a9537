package chart

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// TestLinks checks the optional links: series segments and legend entries,
// marks, day columns and dot rows become <a href> in the SVG (escaped),
// the SVG stays well-formed, and charts without links keep their markup.
func TestLinks(t *testing.T) {
	days := []time.Time{time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC)}
	plain := &StackedBars{Title: "t", Days: days, Series: []Series{{Key: "US", Values: []float64{3, 4}}, {Key: "JP", Values: []float64{1, 2}}},
		Marks: []Mark{{Day: days[1], Key: "US", Text: "US ×3"}}}
	before := string(plain.SVG())
	if strings.Contains(before, "<a ") || strings.Contains(before, "daycol") {
		t.Fatal("a chart without links has links")
	}
	linked := *plain
	linked.Series = []Series{{Key: "US", Values: []float64{3, 4}, Href: "/country/US?a=1&b=<x>"}, {Key: "JP", Values: []float64{1, 2}}}
	linked.Marks = []Mark{{Day: days[1], Key: "US", Text: "US ×3", Href: "/m"}}
	linked.DayLinks = []string{"/d1", ""}
	svg := string(linked.SVG())
	if got := strings.Count(svg, `<a href="/country/US?a=1&amp;b=&lt;x&gt;">`); got != 3 {
		t.Errorf("US links: %d, want 3 (two segments, one legend entry)", got)
	}
	if strings.Contains(svg, "<x>") {
		t.Error("href not escaped")
	}
	if !strings.Contains(svg, `<a href="/m">`) {
		t.Error("mark not linked")
	}
	if got := strings.Count(svg, `class="daycol"`); got != 2 {
		t.Errorf("day columns: %d, want 2", got)
	}
	if !strings.Contains(svg, `<a href="/d1"><rect class="daycol" data-day="2026-05-01"`) || !strings.Contains(svg, `data-day="2026-05-02"`) {
		t.Error("day columns lack their day or link")
	}
	if strings.Count(svg, "<a ") != strings.Count(svg, "</a>") {
		t.Error("unbalanced links")
	}
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		if _, err := dec.Token(); err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("SVG not well-formed: %v", err)
			}
			break
		}
	}
	dp := &DotPlot{Days: days, Rows: []DotRow{{Label: "23/tcp", Values: []float64{1, 5}, Href: "/port/23"}, {Label: "80/tcp", Values: []float64{2, 0}}}}
	dsvg := string(dp.SVG())
	if got := strings.Count(dsvg, `<a href="/port/23">`); got != 2 {
		t.Errorf("dot row links: %d, want 2 (label, dots)", got)
	}
	// PNGs are the same with and without links.
	a, err1 := plain.PNG(1)
	b, err2 := linked.PNG(1)
	if err1 != nil || err2 != nil {
		t.Fatal("PNG:", err1, err2)
	}
	if !bytes.Equal(a, b) {
		t.Error("links changed the PNG")
	}
}
