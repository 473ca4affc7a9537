package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden SVG files in testdata")

// node is one SVG element with its attributes and <title> text.
type node struct {
	name  string
	attrs map[string]string
	title string
}

// parseSVG checks that doc is well-formed XML and returns its elements in
// document order.
func parseSVG(t *testing.T, doc []byte) []*node {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var all, stack []*node
	inTitle := false
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("SVG is not well-formed: %v", err)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			n := &node{name: v.Name.Local, attrs: map[string]string{}}
			for _, a := range v.Attr {
				n.attrs[a.Name.Local] = a.Value
			}
			if v.Name.Local == "title" {
				inTitle = true
			}
			stack = append(stack, n)
			all = append(all, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			inTitle = false
		case xml.CharData:
			if inTitle && len(stack) >= 2 {
				stack[len(stack)-2].title += string(v)
			}
		}
	}
	if len(all) == 0 || all[0].name != "svg" {
		t.Fatalf("document does not start with <svg>")
	}
	return all
}

func byClass(nodes []*node, class string) []*node {
	var out []*node
	for _, n := range nodes {
		if n.attrs["class"] == class {
			out = append(out, n)
		}
	}
	return out
}

func goldenCharts() map[string]Chart {
	empty := &StackedBars{Title: "Empty"}
	return map[string]Chart{
		"stacked-en":   sampleStacked("en"),
		"stacked-ja":   sampleStacked("ja"),
		"dots-en":      sampleDotPlot("en"),
		"dots-ja":      sampleDotPlot("ja"),
		"line-en":      sampleLine("en"),
		"hbar-ja":      sampleHBar("ja"),
		"multiples-en": sampleMultiples("en"),
		"empty":        empty,
	}
}

func TestGoldenSVG(t *testing.T) {
	for name, ch := range goldenCharts() {
		t.Run(name, func(t *testing.T) {
			got := ch.SVG()
			parseSVG(t, got)
			path := filepath.Join("testdata", name+".svg")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file; inspect and rerun with -update if intended", path)
			}
		})
	}
}

func TestSVGDeterministic(t *testing.T) {
	a, b := sampleStacked("en").SVG(), sampleStacked("en").SVG()
	if !bytes.Equal(a, b) {
		t.Fatal("two renderings of the same chart differ")
	}
}

func TestStackedSegmentTitles(t *testing.T) {
	c := sampleStacked("en")
	c.Series[3].Values[5] = 0          // zero: no segment
	c.Series[4].Values[6] = math.NaN() // NaN: no segment
	c.Series[5].Values = c.Series[5].Values[:10]
	nodes := parseSVG(t, c.SVG())
	segs := byClass(nodes, "seg")
	want := 0
	for i := range c.Days {
		if c.Gaps[i] {
			continue
		}
		for _, s := range c.Series {
			if valueAt(s.Values, i) > 0 {
				want++
			}
		}
	}
	if len(segs) != want {
		t.Fatalf("got %d bar segments, want %d", len(segs), want)
	}
	titles := map[string]bool{}
	for _, s := range segs {
		if s.title == "" {
			t.Fatalf("segment without <title>: %v", s.attrs)
		}
		titles[s.title] = true
	}
	// Every non-zero value appears with its exact count and share.
	for i, d := range c.Days {
		if c.Gaps[i] {
			for tt := range titles {
				if strings.HasPrefix(tt, isoDay(d)) {
					t.Errorf("gap day %s has a bar segment %q", isoDay(d), tt)
				}
			}
			continue
		}
		total := 0.0
		for _, s := range c.Series {
			total += valueAt(s.Values, i)
		}
		for _, s := range c.Series {
			v := valueAt(s.Values, i)
			if v == 0 {
				continue
			}
			tt := fmt.Sprintf("%s · %s · %s packets (%.1f%%)", isoDay(d), s.Label, FormatCount(v), v/total*100)
			if !titles[tt] {
				t.Errorf("missing segment title %q", tt)
			}
		}
	}
	gaps := byClass(nodes, "gap")
	if len(gaps) != 1 || gaps[0].title != "2026-04-27 – 2026-04-28 · no data" {
		t.Errorf("gap bands = %d, first title %q", len(gaps), func() string {
			if len(gaps) > 0 {
				return gaps[0].title
			}
			return ""
		}())
	}
}

func TestGapsAndMarksEdgeCases(t *testing.T) {
	days := sampleDays(5)
	tests := []struct {
		name       string
		gaps       []bool
		marks      []Mark
		anns       []Annotation
		wantSegs   int
		wantMarks  int
		wantAnns   int
		wantGapRun int
	}{
		{"no gaps", nil, nil, nil, 5, 0, 0, 0},
		{"all gaps", []bool{true, true, true, true, true}, nil, nil, 0, 0, 0, 1},
		{"short gaps slice", []bool{false, true}, nil, nil, 4, 0, 0, 1},
		{"two runs", []bool{true, false, true, true, false}, nil, nil, 2, 0, 0, 2},
		{"mark on gap dropped", []bool{false, true}, []Mark{{Day: days[1], Text: "x"}, {Day: days[2], Text: "y"}}, nil, 4, 1, 0, 1},
		{"mark outside range", nil, []Mark{{Day: days[0].AddDate(0, 0, -3)}}, nil, 5, 0, 0, 0},
		{"annotations in, between and out", nil, nil, []Annotation{
			{Day: days[2], Text: "in"},
			{Day: days[0].AddDate(0, 0, -1), Text: "before"},
			{Day: days[4].AddDate(0, 0, 1), Text: "after"},
		}, 5, 0, 1, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &StackedBars{Days: days, Gaps: tc.gaps, Marks: tc.marks, Annotations: tc.anns,
				Series: []Series{{Key: "US", Values: []float64{1, 2, 3, 4, 5}}}}
			nodes := parseSVG(t, c.SVG())
			if got := len(byClass(nodes, "seg")); got != tc.wantSegs {
				t.Errorf("segments = %d, want %d", got, tc.wantSegs)
			}
			if got := len(byClass(nodes, "mark")); got != tc.wantMarks {
				t.Errorf("marks = %d, want %d", got, tc.wantMarks)
			}
			if got := len(byClass(nodes, "annotation")); got != tc.wantAnns {
				t.Errorf("annotations = %d, want %d", got, tc.wantAnns)
			}
			if got := len(byClass(nodes, "gap")); got != tc.wantGapRun {
				t.Errorf("gap runs = %d, want %d", got, tc.wantGapRun)
			}
		})
	}
}

func TestAnnotationOnMissingDay(t *testing.T) {
	// Days with a hole: an annotation on the missing day goes before the
	// next day shown.
	d := sampleDays(6)
	days := []time.Time{d[0], d[1], d[4], d[5]}
	c := &StackedBars{Days: days, Series: []Series{{Key: "US", Values: []float64{1, 1, 1, 1}}},
		Annotations: []Annotation{{Day: d[2], Text: "event"}}}
	nodes := parseSVG(t, c.SVG())
	anns := byClass(nodes, "annotation")
	if len(anns) != 1 {
		t.Fatalf("annotations = %d, want 1", len(anns))
	}
	segs := byClass(nodes, "seg")
	x := anns[0].attrs["x1"]
	var lineX, bar2, bar3 float64
	fmt.Sscan(x, &lineX)
	fmt.Sscan(segs[1].attrs["x"], &bar2)
	fmt.Sscan(segs[2].attrs["x"], &bar3)
	if !(lineX > bar2 && lineX < bar3) {
		t.Errorf("annotation at x=%v, want between bars at %v and %v", lineX, bar2, bar3)
	}
}

func TestColorsStableAcrossCharts(t *testing.T) {
	a := &StackedBars{Days: sampleDays(2), Series: []Series{
		{Key: "CN", Values: []float64{1, 1}}, {Key: "IT", Values: []float64{1, 1}}, {Key: "zz-custom", Values: []float64{1, 1}}}}
	b := &StackedBars{Days: sampleDays(3), Series: []Series{
		{Key: "it", Values: []float64{2, 2, 2}}, {Key: "BR", Values: []float64{1, 1, 1}}, {Key: "other", Values: []float64{1, 1, 1}}}}
	fill := func(c *StackedBars, key string) string {
		for _, n := range byClass(parseSVG(t, c.SVG()), "seg") {
			if strings.Contains(n.title, " · "+key+" · ") {
				return n.attrs["fill"]
			}
		}
		t.Fatalf("no segment for %s", key)
		return ""
	}
	if fa, fb := fill(a, "IT"), fill(b, "it"); fa != fb || fa != ColorFor("IT") {
		t.Errorf("IT is %s in one chart and %s in another (ColorFor %s)", fa, fb, ColorFor("IT"))
	}
	if got := fill(b, "other"); got != OtherColor {
		t.Errorf("other = %s, want %s", got, OtherColor)
	}
}

func TestColorFor(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"CN", "cn", true},
		{" us ", "US", true},
		{"CN", "US", false},
		{"other", "OTHER", true},
		{"mirai", "zmap", false},
		{"AS4134", "AS4134", true},
	}
	for _, tc := range tests {
		if got := ColorFor(tc.a) == ColorFor(tc.b); got != tc.same {
			t.Errorf("ColorFor(%q)==ColorFor(%q) is %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
	// The common countries all have different colours.
	seen := map[string]string{}
	for _, k := range []string{"CN", "US", "BR", "IN", "RU", "VN", "ID", "TW", "KR", "JP", "IT", "MX", "FR", "DE", "NL", "GB", "HK", "SG", "TH", "IR"} {
		c := ColorFor(k)
		if prev, ok := seen[c]; ok {
			t.Errorf("%s and %s share %s", prev, k, c)
		}
		if c == OtherColor {
			t.Errorf("%s got the 'other' grey", k)
		}
		seen[c] = k
	}
	for _, k := range []string{"", "x", "AS13335", "65535/udp", "日本"} {
		if _, ok := normColor(ColorFor(k)); !ok {
			t.Errorf("ColorFor(%q) = %q is not a colour", k, ColorFor(k))
		}
	}
}

func TestAssignColorsIgnoreOtherKeys(t *testing.T) {
	// A key's colour must not depend on which other keys share the chart
	// (Sudan once had two colours in one report), even when hashed keys
	// clash.
	var keys []string
	for i := 0; i < 3*(len(palette)-fixedSlots); i++ {
		keys = append(keys, fmt.Sprintf("AS%d", 1000+i))
	}
	keys = append(keys, "CN", "US", "SD", "ee", "BZ", "CA", "other", "other/tcp")
	rev := slices.Clone(keys)
	slices.Reverse(rev)
	tests := []struct {
		name string
		keys []string
	}{
		{"all", keys},
		{"reversed", rev},
		{"alone", []string{"SD"}},
		{"pairs", []string{"SD", "EE", "BZ", "AS1000"}},
	}
	for _, tc := range tests {
		got := assignColors(tc.keys, nil)
		for i, k := range tc.keys {
			if got[i] != ColorFor(k) {
				t.Errorf("%s: %s got %s, ColorFor says %s", tc.name, k, got[i], ColorFor(k))
			}
		}
	}
	cols := assignColors([]string{"CN", "US", "BR"}, []string{"", "#ABC", "not-a-colour"})
	if cols[0] != ColorFor("CN") || cols[1] != "#aabbcc" || cols[2] != ColorFor("BR") {
		t.Errorf("explicit colours: got %v", cols)
	}
}

func TestColorForGroups(t *testing.T) {
	// Each group of fixed keys uses distinct reserved slots; hashed keys
	// never take a reserved colour.
	reserved := map[string]bool{}
	for _, c := range palette[:fixedSlots] {
		reserved[c] = true
	}
	groups := map[string][]string{"countries": fixedCountries, "ports": fixedPorts}
	for _, k := range []string{"zmap", "masscan", "mirai", "access", "backscatter", "exploit", "intrusion"} {
		groups["classes"] = append(groups["classes"], k)
	}
	for name, keys := range groups {
		seen := map[string]string{}
		for _, k := range keys {
			c := ColorFor(strings.ToUpper(k))
			if !reserved[c] {
				t.Errorf("%s: %s has %s, not a reserved colour", name, k, c)
			}
			if prev, ok := seen[c]; ok {
				t.Errorf("%s: %s and %s share %s", name, prev, k, c)
			}
			seen[c] = k
		}
	}
	if len(fixedCountries) > fixedSlots || len(fixedPorts) > fixedSlots {
		t.Fatalf("more fixed keys than reserved slots")
	}
	for _, k := range []string{"SD", "EE", "BZ", "AS4134", "AS13335", "65535/udp", "x", "日本"} {
		if c := ColorFor(k); reserved[c] || c == OtherColor || c == unknownColor {
			t.Errorf("hashed key %s got %s, a reserved or grey colour", k, c)
		}
	}
	for _, k := range []string{"other", "Others", "その他", "other/tcp", "OTHER/udp"} {
		if ColorFor(k) != OtherColor {
			t.Errorf("%s is %s, want the other grey", k, ColorFor(k))
		}
	}
}

func TestPaletteDistinct(t *testing.T) {
	// Thresholds in CIEDE2000: 13 between the reserved colours (they are
	// meant to be told apart at a glance), 9.5 for every pair in the
	// palette and against the greys of "other" and unknown keys.
	if len(palette) != 80 {
		t.Fatalf("palette has %d colours", len(palette))
	}
	for i, a := range palette {
		if _, ok := normColor(a); !ok || a != strings.ToLower(a) {
			t.Errorf("palette[%d] = %q is not #rrggbb", i, a)
		}
		for _, g := range []string{OtherColor, unknownColor, colBg, colText} {
			if d := deltaE00(labOf(a), labOf(g)); d < 9.5 {
				t.Errorf("palette[%d] %s is only ΔE00 %.1f from %s", i, a, d, g)
			}
		}
		for j := i + 1; j < len(palette); j++ {
			b := palette[j]
			min := 9.5
			if j < fixedSlots {
				min = 13
			}
			if d := deltaE00(labOf(a), labOf(b)); d < min {
				t.Errorf("palette[%d] %s and palette[%d] %s: ΔE00 %.1f < %v", i, a, j, b, d, min)
			}
		}
	}
	// The pairs the report audit found side by side.
	for _, p := range [][2]string{{"VN", "NL"}, {"445/tcp", "8/icmp"}, {"443/tcp", "8983/tcp"}} {
		if d := deltaE00(labOf(ColorFor(p[0])), labOf(ColorFor(p[1]))); d < 13 {
			t.Errorf("%s and %s: ΔE00 %.1f", p[0], p[1], d)
		}
	}
}

// labOf converts "#rrggbb" (sRGB, D65) to CIELAB.
func labOf(hex string) [3]float64 {
	r, g, b := rgb(hex)
	lin := func(v uint8) float64 {
		c := float64(v) / 255
		if c <= 0.04045 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	R, G, B := lin(r), lin(g), lin(b)
	x := (0.4124564*R + 0.3575761*G + 0.1804375*B) / 0.95047
	y := 0.2126729*R + 0.7151522*G + 0.0721750*B
	z := (0.0193339*R + 0.1191920*G + 0.9503041*B) / 1.08883
	f := func(v float64) float64 {
		if v > 216.0/24389 {
			return math.Cbrt(v)
		}
		return (24389.0/27*v + 16) / 116
	}
	fx, fy, fz := f(x), f(y), f(z)
	return [3]float64{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

// deltaE00 is the CIEDE2000 colour difference (Sharma, Wu and Dalal 2005).
func deltaE00(p, q [3]float64) float64 {
	const deg = math.Pi / 180
	c1, c2 := math.Hypot(p[1], p[2]), math.Hypot(q[1], q[2])
	cb7 := math.Pow((c1+c2)/2, 7)
	g := 0.5 * (1 - math.Sqrt(cb7/(cb7+math.Pow(25, 7))))
	a1, a2 := (1+g)*p[1], (1+g)*q[1]
	c1p, c2p := math.Hypot(a1, p[2]), math.Hypot(a2, q[2])
	hue := func(b, a float64) float64 {
		if a == 0 && b == 0 {
			return 0
		}
		h := math.Atan2(b, a) / deg
		if h < 0 {
			h += 360
		}
		return h
	}
	h1, h2 := hue(p[2], a1), hue(q[2], a2)
	dL, dC := q[0]-p[0], c2p-c1p
	dh := 0.0
	if c1p*c2p != 0 {
		dh = h2 - h1
		switch {
		case dh > 180:
			dh -= 360
		case dh < -180:
			dh += 360
		}
	}
	dH := 2 * math.Sqrt(c1p*c2p) * math.Sin(dh/2*deg)
	lb, cb := (p[0]+q[0])/2, (c1p+c2p)/2
	hb := h1 + h2
	if c1p*c2p != 0 {
		switch {
		case math.Abs(h1-h2) <= 180:
			hb = (h1 + h2) / 2
		case h1+h2 < 360:
			hb = (h1 + h2 + 360) / 2
		default:
			hb = (h1 + h2 - 360) / 2
		}
	}
	tt := 1 - 0.17*math.Cos((hb-30)*deg) + 0.24*math.Cos(2*hb*deg) + 0.32*math.Cos((3*hb+6)*deg) - 0.20*math.Cos((4*hb-63)*deg)
	dTheta := 30 * math.Exp(-math.Pow((hb-275)/25, 2))
	cb7p := math.Pow(cb, 7)
	rc := 2 * math.Sqrt(cb7p/(cb7p+math.Pow(25, 7)))
	sl := 1 + 0.015*math.Pow(lb-50, 2)/math.Sqrt(20+math.Pow(lb-50, 2))
	sc := 1 + 0.045*cb
	sh := 1 + 0.015*cb*tt
	rt := -math.Sin(2*dTheta*deg) * rc
	return math.Sqrt(math.Pow(dL/sl, 2) + math.Pow(dC/sc, 2) + math.Pow(dH/sh, 2) + rt*(dC/sc)*(dH/sh))
}

func TestDeltaE00(t *testing.T) {
	// Test data from Sharma, Wu and Dalal (2005), table 1.
	tests := []struct {
		a, b [3]float64
		want float64
	}{
		{[3]float64{50, 2.6772, -79.7751}, [3]float64{50, 0, -82.7485}, 2.0425},
		{[3]float64{50, -1.3802, -84.2814}, [3]float64{50, 0, -82.7485}, 1.0},
		{[3]float64{50, 2.5, 0}, [3]float64{50, 0, -2.5}, 4.3065},
		{[3]float64{50, 2.5, 0}, [3]float64{73, 25, -18}, 27.1492},
		{[3]float64{50, 2.5, 0}, [3]float64{50, 3.1736, 0.5854}, 1.0},
		{[3]float64{60.2574, -34.0099, 36.2677}, [3]float64{60.4626, -34.1751, 39.4387}, 1.2644},
		{[3]float64{22.7233, 20.0904, -46.694}, [3]float64{23.0331, 14.973, -42.5619}, 2.0373},
		{[3]float64{90.9257, -0.5406, -0.9208}, [3]float64{88.6381, -0.8985, -0.7239}, 1.5381},
		{[3]float64{2.0776, 0.0795, -1.135}, [3]float64{0.9033, -0.0636, -0.5514}, 0.9082},
	}
	for _, tc := range tests {
		if got := deltaE00(tc.a, tc.b); math.Abs(got-tc.want) > 1e-4 {
			t.Errorf("ΔE00(%v, %v) = %.4f, want %.4f", tc.a, tc.b, got, tc.want)
		}
	}
	// sRGB conversion: white and a known red.
	if l := labOf("#ffffff"); math.Abs(l[0]-100) > 0.01 || math.Abs(l[1]) > 0.01 || math.Abs(l[2]) > 0.01 {
		t.Errorf("white = %v", l)
	}
	if l := labOf("#ff0000"); math.Abs(l[0]-53.24) > 0.05 || math.Abs(l[1]-80.09) > 0.05 || math.Abs(l[2]-67.20) > 0.05 {
		t.Errorf("red = %v", l)
	}
}

func TestFormatCount(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {12345, "12,345"},
		{1234567, "1,234,567"}, {-12345, "-12,345"}, {1234.5, "1,234.5"}, {0.25, "0.25"},
		{math.NaN(), "–"}, {math.Inf(1), "–"}, {-0.001, "0"},
	}
	for _, tc := range tests {
		if got := FormatCount(tc.v); got != tc.want {
			t.Errorf("FormatCount(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestFormatSI(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0"}, {950, "950"}, {1000, "1k"}, {12000, "12k"}, {12500, "12.5k"},
		{999999, "1M"}, {1200000, "1.2M"}, {2500000000, "2.5G"}, {0.5, "0.5"},
		{-2000, "-2k"}, {math.NaN(), "–"},
	}
	for _, tc := range tests {
		if got := FormatSI(tc.v); got != tc.want {
			t.Errorf("FormatSI(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	for _, max := range []float64{0, 0.3, 1, 7, 10, 99, 101, 310500, 1e6, 123456789, 1e300, math.NaN(), math.Inf(1), -5} {
		for _, target := range []int{0, 2, 5, 8} {
			ticks := niceTicks(max, target)
			if len(ticks) < 2 || ticks[0] != 0 {
				t.Fatalf("niceTicks(%v,%d) = %v", max, target, ticks)
			}
			step := ticks[1] - ticks[0]
			for i := 1; i < len(ticks); i++ {
				if d := ticks[i] - ticks[i-1]; math.Abs(d-step) > step*1e-9 {
					t.Fatalf("niceTicks(%v,%d) uneven: %v", max, target, ticks)
				}
			}
			if max > 0 && !math.IsInf(max, 0) && ticks[len(ticks)-1] < max {
				t.Errorf("niceTicks(%v,%d) top %v below max", max, target, ticks[len(ticks)-1])
			}
			if target >= 1 && len(ticks)-1 > target+1 && max > 1 {
				t.Errorf("niceTicks(%v,%d) has %d intervals", max, target, len(ticks)-1)
			}
		}
	}
	// The top should not waste much of the axis.
	for _, tc := range []struct {
		max    float64
		target int
		top    float64
	}{{310500, 6, 350000}, {310500, 7, 350000}, {270000, 6, 300000}, {99, 5, 100}, {101, 5, 125}, {3, 5, 3}} {
		if got := niceTicks(tc.max, tc.target); got[len(got)-1] != tc.top {
			t.Errorf("niceTicks(%v,%d) = %v, want top %v", tc.max, tc.target, got, tc.top)
		}
	}
}

func TestDayTicksDoNotCollide(t *testing.T) {
	start := time.Date(2025, 11, 20, 0, 0, 0, 0, time.UTC)
	for _, lang := range []string{"en", "ja"} {
		for _, n := range []int{1, 7, 30, 90, 365, 800} {
			for _, width := range []float64{300, 740} {
				days := make([]time.Time, n)
				for i := range days {
					days[i] = start.AddDate(0, 0, i)
				}
				px := width / float64(n)
				ticks := dayTicks(days, px, sizeTick, lang)
				if len(ticks) == 0 {
					t.Fatalf("%s n=%d: no ticks", lang, n)
				}
				right := math.Inf(-1)
				for _, tk := range ticks {
					c := (float64(tk.idx) + 0.5) * px
					w := textWidth(tk.label, sizeTick, false)
					if c-w/2 < right {
						t.Errorf("%s n=%d w=%v: label %q overlaps its neighbour", lang, n, width, tk.label)
					}
					right = c + w/2
				}
				if ticks[0].year == "" {
					t.Errorf("%s n=%d: first tick has no year", lang, n)
				}
			}
		}
	}
	jst := time.FixedZone("JST", 9*3600)
	d := []time.Time{time.Date(2026, 5, 22, 0, 0, 0, 0, jst)}
	if got := dayTicks(d, 100, sizeTick, "ja"); got[0].label != "5/22" || got[0].year != "2026年" {
		t.Errorf("ja tick = %+v", got[0])
	}
	if got := dayTicks(d, 100, sizeTick, "en"); got[0].label != "May 22" {
		t.Errorf("en tick = %+v", got[0])
	}
}

func TestEscaping(t *testing.T) {
	c := &StackedBars{
		Title:  `<script>alert("x")</script> & 'quotes'`,
		YLabel: "bad \xff utf8 \x00 ctl",
		Days:   sampleDays(2),
		Series: []Series{{Key: `"><x`, Label: "a<b&c", Values: []float64{1, 2}, Color: `red" onload="x`}},
		Marks:  []Mark{{Day: sampleDays(1)[0], Text: "]]><!--"}},
	}
	doc := c.SVG()
	nodes := parseSVG(t, doc)
	if bytes.Contains(doc, []byte("<script")) || bytes.Contains(doc, []byte("onload")) {
		t.Fatalf("unescaped input in SVG:\n%s", doc)
	}
	segs := byClass(nodes, "seg")
	if len(segs) != 2 || !strings.Contains(segs[0].title, "a<b&c") {
		t.Errorf("segment titles not round-tripped: %+v", segs)
	}
}

func TestDotPlotDots(t *testing.T) {
	c := sampleDotPlot("en")
	nodes := parseSVG(t, c.SVG())
	dots := byClass(nodes, "dot")
	want := 0
	for _, r := range c.Rows {
		for i := range c.Days {
			if !c.Gaps[i] && valueAt(r.Values, i) > 0 {
				want++
			}
		}
	}
	if len(dots) != want {
		t.Fatalf("dots = %d, want %d", len(dots), want)
	}
	fills := map[string]bool{}
	for _, d := range dots {
		if d.title == "" {
			t.Fatal("dot without <title>")
		}
		fills[d.attrs["fill"]] = true
	}
	for _, f := range []string{colSteady, colSporadic, colFolded} {
		if !fills[f] {
			t.Errorf("no dot drawn in %s", f)
		}
	}
}

func TestDotRadius(t *testing.T) {
	const rMax, rMin = 8.0, 1.6
	prev := 0.0
	for _, v := range []float64{1, 2, 10, 100, 1e4, 1e6} {
		r := dotRadius(v, 1e6, rMax, rMin)
		if r < rMin || r > rMax+1e-9 || r <= prev {
			t.Errorf("dotRadius(%v) = %v (prev %v)", v, r, prev)
		}
		prev = r
	}
	// Area, not radius, follows log(1+v).
	a1 := dotRadius(1e3, 1e6, rMax, 0)
	a2 := dotRadius(1e6, 1e6, rMax, 0)
	if got, want := a1*a1/(a2*a2), math.Log1p(1e3)/math.Log1p(1e6); math.Abs(got-want) > 1e-9 {
		t.Errorf("area ratio %v, want %v", got, want)
	}
	for _, v := range []float64{0, -1, math.NaN()} {
		if r := dotRadius(v, 10, rMax, rMin); r != 0 {
			t.Errorf("dotRadius(%v) = %v, want 0", v, r)
		}
	}
}

func TestLineBreaksAtGapsAndNaN(t *testing.T) {
	c := sampleLine("en")
	nodes := parseSVG(t, c.SVG())
	paths := byClass(nodes, "line")
	// Every line is broken by the gap, zmap also by its NaN.
	if len(paths) != 9 {
		t.Errorf("line runs = %d, want 9", len(paths))
	}
	if got, want := len(byClass(nodes, "point")), 4*len(c.Days)-4-1; got != want {
		t.Errorf("points = %d, want %d", got, want)
	}
}

func TestHBarTitles(t *testing.T) {
	c := sampleHBar("en")
	nodes := parseSVG(t, c.SVG())
	bars := byClass(nodes, "bar")
	if len(bars) != len(c.Bars) {
		t.Fatalf("bars = %d, want %d", len(bars), len(c.Bars))
	}
	if want := "China · 1,800,000 packets (40.7%)"; bars[0].title != want {
		t.Errorf("first bar title %q, want %q", bars[0].title, want)
	}
}

func TestSmallMultiplesSharedColorsAndScale(t *testing.T) {
	c := sampleMultiples("en")
	c.Panels[1].Series[0], c.Panels[1].Series[1] = c.Panels[1].Series[1], c.Panels[1].Series[0]
	nodes := parseSVG(t, c.SVG())
	colorOf := map[string]map[string]bool{}
	for _, s := range byClass(nodes, "seg") {
		parts := strings.Split(s.title, " · ")
		if colorOf[parts[1]] == nil {
			colorOf[parts[1]] = map[string]bool{}
		}
		colorOf[parts[1]][s.attrs["fill"]] = true
	}
	for k, fills := range colorOf {
		if len(fills) != 1 {
			t.Errorf("%s has %d colours across panels", k, len(fills))
		}
	}
	// Shared scale: both panels have the same tick labels.
	labels := func() []string {
		var out []string
		for _, n := range nodes {
			if n.attrs["class"] == "ytick" {
				out = append(out, n.attrs["y"])
			}
		}
		return out
	}()
	if len(labels)%2 != 0 {
		t.Fatalf("odd number of y ticks: %d", len(labels))
	}
	half := len(labels) / 2
	for i := 0; i < half; i++ {
		if labels[i] != labels[half+i] {
			t.Errorf("tick %d at y=%s in one panel, %s in the other", i, labels[i], labels[half+i])
		}
	}
}

// pngImage decodes a PNG and fails the test when it is not one.
func pngImage(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	return img
}

func countColor(img image.Image, hex string, tol int) int {
	r0, g0, b0 := rgb(hex)
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if abs(int(r>>8)-int(r0)) <= tol && abs(int(g>>8)-int(g0)) <= tol && abs(int(bb>>8)-int(b0)) <= tol {
				n++
			}
		}
	}
	return n
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func TestPNG(t *testing.T) {
	fs, err := buildFontSet("", "") // Go fonts only: same result on every machine
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		d     drawer
		scale float64
		color string // a colour that must cover a visible area
		per   int    // ... of at least 1/per of the image
	}{
		{"stacked x1", sampleStacked("en"), 1, ColorFor("CN"), 200},
		{"stacked x2", sampleStacked("en"), 2, ColorFor("US"), 200},
		{"dots", sampleDotPlot("en"), 1.5, colSteady, 200},
		{"line", sampleLine("en"), 1, ColorFor("mirai"), 1000},
		{"hbar", sampleHBar("en"), 1, ColorFor("BR"), 200},
		{"multiples", sampleMultiples("en"), 1, ColorFor("CN"), 200},
		{"bad scale", sampleStacked("en"), math.NaN(), ColorFor("CN"), 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := renderPNGWith(tc.d, tc.scale, fs)
			if err != nil {
				t.Fatal(err)
			}
			img := pngImage(t, b)
			w, h := tc.d.size()
			scale := tc.scale
			if math.IsNaN(scale) {
				scale = 1
			}
			if got, want := img.Bounds().Size(), (image.Point{int(math.Round(w * scale)), int(math.Round(h * scale))}); got != want {
				t.Errorf("size %v, want %v", got, want)
			}
			area := img.Bounds().Dx() * img.Bounds().Dy()
			if n := countColor(img, tc.color, 2); n < area/tc.per {
				t.Errorf("only %d pixels of %s in %d", n, tc.color, area)
			}
			if n := countColor(img, colBg, 0); n == area {
				t.Error("image is blank")
			}
		})
	}
}

func TestPNGHatchesGaps(t *testing.T) {
	fs, err := buildFontSet("", "")
	if err != nil {
		t.Fatal(err)
	}
	c := &StackedBars{Days: sampleDays(3), Gaps: []bool{false, true, false}, Width: 300, Height: 200,
		Series: []Series{{Key: "CN", Values: []float64{5, 5, 5}}}}
	b, err := renderPNGWith(c, 1, fs)
	if err != nil {
		t.Fatal(err)
	}
	img := pngImage(t, b)
	// Find the middle third of the plot: hatch colours, no bar colour.
	var hatch, bar int
	for y := 100; y < 150; y++ {
		for x := 150; x < 180; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			col := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bb >> 8), 255}
			cr, cg, cb := rgb(ColorFor("CN"))
			if col.R == col.G && col.G == col.B && col.R < 0xe0 {
				hatch++ // grey stroke of the hatch
			}
			if col.R == cr && col.G == cg && col.B == cb {
				bar++
			}
		}
	}
	if hatch == 0 || bar != 0 {
		t.Errorf("gap column: %d hatch pixels, %d bar pixels", hatch, bar)
	}
}

func TestPNGTooLarge(t *testing.T) {
	c := &StackedBars{Width: 20000, Height: 20000}
	if _, err := c.PNG(4); err == nil {
		t.Error("want an error for a 80000×80000 image")
	}
}

func TestPNGWithoutCJKFont(t *testing.T) {
	fs, err := buildFontSet("", "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := renderPNGWith(sampleStacked("ja"), 1, fs)
	if !errors.Is(err, ErrNoCJKFont) || !errors.Is(err, ErrMissingGlyphs) {
		t.Errorf("Japanese chart with Go fonts only: err = %v, want ErrNoCJKFont and ErrMissingGlyphs", err)
	}
	pngImage(t, b)
	if _, err := renderPNGWith(sampleStacked("en"), 1, fs); err != nil {
		t.Errorf("English chart with Go fonts only: %v", err)
	}
}

// glyphImage renders s alone and returns its ink as a bitmap string.
func glyphImage(t *testing.T, fs *fontSet, s string) (string, int) {
	t.Helper()
	c, err := newRaster(40, 40, 1, fs)
	if err != nil {
		t.Fatal(err)
	}
	c.text(4, 30, s, textStyle{size: 26})
	if len(c.missing) > 0 {
		t.Fatalf("%q reported missing glyphs", s)
	}
	var sb strings.Builder
	ink := 0
	for y := 0; y < 40; y++ {
		for x := 0; x < 40; x++ {
			if c.img.RGBAAt(x, y).R < 128 {
				sb.WriteByte('#')
				ink++
			} else {
				sb.WriteByte('.')
			}
		}
	}
	return sb.String(), ink
}

func TestPNGRendersJapanese(t *testing.T) {
	path, ok := CJKFont()
	if !ok {
		t.Skip("no CJK font installed (e.g. fonts-noto-cjk)")
	}
	t.Logf("CJK font: %s", path)
	fs, err := currentFonts()
	if err != nil {
		t.Fatal(err)
	}
	a, inkA := glyphImage(t, fs, "日")
	b, inkB := glyphImage(t, fs, "本")
	if inkA < 20 || inkB < 20 || a == b {
		t.Errorf("CJK glyphs not drawn distinctly (ink %d, %d)", inkA, inkB)
	}
	if _, err := sampleStacked("ja").PNG(1); err != nil {
		t.Errorf("Japanese chart: %v", err)
	}
}

func TestUseFontFilesErrors(t *testing.T) {
	if err := UseFontFiles(filepath.Join(t.TempDir(), "missing.ttf"), ""); err == nil {
		t.Error("want error for a missing font file")
	}
	bad := filepath.Join(t.TempDir(), "bad.ttf")
	if err := os.WriteFile(bad, []byte("ttcfnot a font"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := UseFontFiles(bad, ""); err == nil {
		t.Error("want error for a corrupt font file")
	}
}

func TestFindCJKFontFiles(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a/IPAexG.ttf", "b/NotoSansCJK-Regular.ttc", "b/NotoSansCJK-Bold.ttc", "c/DejaVuSans.ttf"} {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, b := findCJKFontFiles([]string{filepath.Join(dir, "missing"), dir})
	if filepath.Base(r) != "NotoSansCJK-Regular.ttc" || filepath.Base(b) != "NotoSansCJK-Bold.ttc" {
		t.Errorf("picked %q, %q", r, b)
	}
	if r, _ := findCJKFontFiles([]string{filepath.Join(dir, "c")}); r != "" {
		t.Errorf("picked %q from a directory without CJK fonts", r)
	}
}

func TestOddInputsDoNotPanic(t *testing.T) {
	days := sampleDays(3)
	charts := []Chart{
		&StackedBars{},
		&StackedBars{Days: days},
		&StackedBars{Days: days, Series: []Series{{Values: []float64{math.Inf(1), -1, math.NaN()}}}},
		&StackedBars{Days: days, Series: []Series{{Key: "x", Values: []float64{1e300, 1e300, 1e300}}, {Key: "y", Values: []float64{1e300}}}},
		&StackedBars{Days: days, Width: 30, Height: 20, Series: []Series{{Values: []float64{1, 2, 3}}}},
		&StackedBars{Days: []time.Time{days[2], days[0], days[0]}, Marks: []Mark{{Day: days[0]}}, Series: []Series{{Values: []float64{1}}}},
		&DotPlot{},
		&DotPlot{Days: days, Rows: []DotRow{{}}},
		&DotPlot{Days: days, Width: 10, Rows: []DotRow{{Label: strings.Repeat("長", 200), Values: []float64{1, math.NaN(), -5}}}},
		&LineChart{},
		&LineChart{Days: days, Series: []Series{{Values: []float64{math.NaN(), 1, math.NaN()}}}},
		&HBar{},
		&HBar{Bars: []Bar{{Value: math.NaN()}, {Value: -1}, {Label: strings.Repeat("x", 500), Value: 1}}},
		&SmallMultiples{},
		&SmallMultiples{Columns: 9, Panels: []StackedBars{{}, {Days: days}}},
		&SmallMultiples{Columns: -1, SharedY: true, Panels: []StackedBars{{Days: days}}},
		&StackedBars{Days: days, Coverage: []float64{0.5, math.Inf(1), 0.001}, YMax: 1e-300, Series: []Series{{Values: []float64{1, 2, 3}}},
			Marks: []Mark{{Day: days[0], Text: strings.Repeat("長", 50)}}, Annotations: []Annotation{{Day: days[0], Text: "a"}, {Day: days[0], Text: "b"}}},
		&LineChart{Days: days, Coverage: []float64{0.5}, YMax: math.MaxFloat64, Series: []Series{{Values: []float64{1, 2, 3}}}},
		&DotPlot{Days: days, Coverage: []float64{math.NaN(), 0.3}, Rows: []DotRow{{Values: []float64{1, 2}}}},
	}
	fs, err := buildFontSet("", "")
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range charts {
		parseSVG(t, c.SVG())
		b, err := renderPNGWith(c.(drawer), 0.5, fs)
		if err != nil && !errors.Is(err, ErrNoCJKFont) {
			t.Errorf("chart %d: %v", i, err)
			continue
		}
		pngImage(t, b)
	}
}

func FuzzStackedBars(f *testing.F) {
	f.Add("CN", "China", 1.0, 2.0, 3, false, "title", 0.5, 0.0)
	f.Add("", "<&>", math.Inf(1), -1.0, 0, true, "\xff\x00", math.NaN(), -1.0)
	f.Fuzz(func(t *testing.T, key, label string, v1, v2 float64, n int, gap bool, title string, cov, yMax float64) {
		n = clampInt(n, 0, 60)
		days := sampleDays(n)
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = v1 + float64(i)*v2
		}
		gaps := make([]bool, n)
		if n > 0 {
			gaps[n/2] = gap
		}
		coverage := make([]float64, n)
		for i := range coverage {
			coverage[i] = cov * float64(i%3)
		}
		c := &StackedBars{Title: title, Days: days, Gaps: gaps, Coverage: coverage, YMax: yMax,
			Series: []Series{{Key: "other", Values: vals}, {Key: key, Label: label, Values: vals}}}
		if n > 0 {
			c.Marks = []Mark{{Day: days[0], Key: key, Text: label}}
			c.Annotations = []Annotation{{Day: days[n-1], Text: title}}
		}
		dec := xml.NewDecoder(bytes.NewReader(c.SVG()))
		for {
			if _, err := dec.Token(); err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("bad SVG: %v", err)
				}
				break
			}
		}
	})
}

func benchStacked() *StackedBars {
	c := sampleStacked("en")
	c.Marks, c.Annotations = nil, nil
	return c
}

func BenchmarkStackedBarsSVG(b *testing.B) {
	c := benchStacked()
	b.ReportAllocs()
	for b.Loop() {
		_ = c.SVG()
	}
}

func BenchmarkStackedBarsPNG(b *testing.B) {
	c := benchStacked()
	if _, err := c.PNG(1); err != nil {
		b.Fatal(err)
	}
	for _, scale := range []float64{1, 2} {
		b.Run(fmt.Sprintf("scale=%g", scale), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.PNG(scale); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
