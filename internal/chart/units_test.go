package chart

import (
	"math"
	"regexp"
	"slices"
	"strconv"
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

// TestDotSizesSpanRange: with every value large (1,000 to 1,000,000) the
// smallest dot is still much smaller than the largest, and the size legend
// shows three values that occur.
func TestDotSizesSpanRange(t *testing.T) {
	days := make([]time.Time, 7)
	for i := range days {
		days[i] = time.Date(2026, 5, 1+i, 0, 0, 0, 0, time.UTC)
	}
	c := &DotPlot{Title: "ports", Unit: "packets", Days: days, Width: 700, Rows: []DotRow{
		{Label: "23/tcp", Values: []float64{1e6, 5e5, 2e5, 1e5, 5e4, 3e4, 2e4}},
		{Label: "80/tcp", Values: []float64{1000, 2000, 0, 4000, 31000, 0, 1500}},
	}}
	svg := string(c.SVG())
	re := regexp.MustCompile(`<circle[^>]*\sr="([0-9.]+)"[^>]*class="dot"`)
	var rs []float64
	for _, m := range re.FindAllStringSubmatch(svg, -1) {
		r, _ := strconv.ParseFloat(m[1], 64)
		rs = append(rs, r)
	}
	if len(rs) != 12 {
		t.Fatalf("%d dots, want 12", len(rs))
	}
	lo, hi := slices.Min(rs), slices.Max(rs)
	if hi*hi < 4*lo*lo {
		t.Errorf("dot areas span only %.1f×: radii %v", hi*hi/(lo*lo), rs)
	}
	for _, want := range []string{">" + FormatSI(1000) + "<", ">" + FormatSI(31000) + "<", ">" + FormatSI(1e6) + " packets<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("size legend lacks %q", want)
		}
	}
	if strings.Contains(svg, ">1<") {
		t.Error("size legend shows 1, a value that does not occur")
	}
}

func TestFormatHelpers(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{FormatPercent(0.1234), "12.3%"},
		{FormatCorrelation(math.NaN()), "–"},
		{FormatCorrelation(0.915), "0.92"},
		{FormatValue(math.NaN()), "–"},
		{FormatValue(3.14159), "3.14"},
		{FormatValue(12345.6), "12,346"},
		{JoinMax(nil, 3), "–"},
		{JoinMax([]string{"a", "b"}, 3), "a, b"},
		{JoinMax([]string{"a", "b", "c", "d", "e"}, 2), "a, b (+3)"},
	} {
		if c.got != c.want {
			t.Errorf("%q, want %q", c.got, c.want)
		}
	}
}
