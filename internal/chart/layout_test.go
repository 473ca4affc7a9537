package chart

import (
	"errors"
	"html"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

func attrF(t *testing.T, n *node, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(n.attrs[name], 64)
	if err != nil {
		t.Fatalf("<%s> %s=%q: %v", n.name, name, n.attrs[name], err)
	}
	return v
}

// textBox is the estimated box of an SVG text element.
func textBox(t *testing.T, n *node, s string, size float64) box {
	x, y := attrF(t, n, "x"), attrF(t, n, "y")
	w := textWidth(s, size, false)
	switch n.attrs["text-anchor"] {
	case "middle":
		x -= w / 2
	case "end":
		x -= w
	}
	return box{x, y - size, w, size + 2}
}

// textsOf returns the text content of the <text> elements of a class, in
// order, re-reading the SVG because parseSVG keeps only <title> text.
func textsOf(doc []byte, class string) []string {
	var out []string
	marker := `class="` + class + `"`
	for _, line := range strings.Split(string(doc), "\n") {
		if strings.HasPrefix(line, "<text") && strings.Contains(line, marker) {
			i := strings.Index(line, ">")
			j := strings.LastIndex(line, "</text>")
			if i >= 0 && j > i {
				out = append(out, html.UnescapeString(line[i+1:j]))
			}
		}
	}
	return out
}

func overlaps(a, b box) bool {
	return a.x < b.x+b.w && b.x < a.x+a.w && a.y < b.y+b.h && b.y < a.y+a.h
}

func TestMarkLabelsClearAnnotations(t *testing.T) {
	days := sampleDays(14)
	flat := func(v float64) []float64 {
		out := make([]float64, len(days))
		for i := range out {
			out[i] = v
		}
		return out
	}
	tests := []struct {
		name      string
		marks     []Mark
		anns      []Annotation
		clearable bool // there is room for every label beside the lines
	}{
		// The audit's case: two marks on the day before a rule change.
		{"before line", []Mark{{Day: days[5], Key: "TJ", Text: "Tajikistan ↗"}, {Day: days[5], Key: "RO", Text: "Romania ↗"}},
			[]Annotation{{Day: days[6], Text: "rules v2"}}, true},
		{"after line", []Mark{{Day: days[6], Key: "BA", Text: "Bosnia & Herzegovina ↗"}},
			[]Annotation{{Day: days[6], Text: "rules v2"}}, true},
		{"both sides", []Mark{{Day: days[5], Text: "Romania ×100"}, {Day: days[6], Text: "Bosnia & Herzegovina ↗"}},
			[]Annotation{{Day: days[6], Text: "sensor moved to a new address block"}, {Day: days[7], Text: "rules v3"}}, false},
		{"last day", []Mark{{Day: days[13], Text: "Bosnia & Herzegovina ↗"}},
			[]Annotation{{Day: days[13], Text: "rules v2"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &StackedBars{Days: days, Width: 840, Height: 420, Marks: tc.marks, Annotations: tc.anns,
				Series: []Series{{Key: "US", Values: flat(8000)}, {Key: "other", Values: flat(30000)}}}
			doc := c.SVG()
			nodes := parseSVG(t, doc)
			var lines []float64
			for _, n := range byClass(nodes, "annotation") {
				lines = append(lines, attrF(t, n, "x1"))
			}
			var markBoxes, annBoxes []box
			mt, at := textsOf(doc, "mark-label"), textsOf(doc, "annotation-label")
			for i, n := range byClass(nodes, "mark-label") {
				markBoxes = append(markBoxes, textBox(t, n, mt[i], sizeSmall))
			}
			for i, n := range byClass(nodes, "annotation-label") {
				annBoxes = append(annBoxes, textBox(t, n, at[i], sizeSmall))
			}
			if len(markBoxes) != len(tc.marks) || len(annBoxes) != len(tc.anns) {
				t.Fatalf("%d mark labels, %d annotation labels", len(markBoxes), len(annBoxes))
			}
			var masks []box
			for _, n := range byClass(nodes, "mark-label-bg") {
				masks = append(masks, box{attrF(t, n, "x"), attrF(t, n, "y"), attrF(t, n, "width"), attrF(t, n, "height")})
			}
			for i, m := range markBoxes {
				for _, x := range lines {
					if !(m.x < x && x < m.x+m.w) {
						continue
					}
					// Crossing is allowed only where the label cannot
					// clear the line, and then the line is masked.
					masked := false
					for _, k := range masks {
						masked = masked || (k.x <= m.x && m.x+m.w <= k.x+k.w && k.y <= m.y+2 && m.y+m.h-2 <= k.y+k.h)
					}
					if !masked || tc.clearable {
						t.Errorf("mark label %q [%.1f, %.1f] crosses the annotation line at %.1f (masked %v)", mt[i], m.x, m.x+m.w, x, masked)
					}
				}
				for j, a := range annBoxes {
					if overlaps(m, a) {
						t.Errorf("mark label %q overlaps annotation label %q", mt[i], at[j])
					}
				}
				for j := i + 1; j < len(markBoxes); j++ {
					if overlaps(m, markBoxes[j]) {
						t.Errorf("mark labels %q and %q overlap", mt[i], mt[j])
					}
				}
			}
			for i := range annBoxes {
				for j := i + 1; j < len(annBoxes); j++ {
					if overlaps(annBoxes[i], annBoxes[j]) {
						t.Errorf("annotation labels %q and %q overlap", at[i], at[j])
					}
				}
			}
		})
	}
}

func TestOtherIsLast(t *testing.T) {
	days := sampleDays(2)
	v := []float64{10, 10}
	tests := []struct {
		name string
		keys []string
	}{
		{"first", []string{"other", "CN", "US"}},
		{"middle", []string{"CN", "other", "US"}},
		{"ja", []string{"その他", "CN", "US"}},
		{"per proto", []string{"23/tcp", "other/tcp", "445/tcp"}},
		{"last already", []string{"CN", "US", "other"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &StackedBars{Days: days}
			otherKey := ""
			for _, k := range tc.keys {
				c.Series = append(c.Series, Series{Key: k, Values: v})
				if isOtherKey(k) {
					otherKey = k
				}
			}
			doc := c.SVG()
			legend := textsOf(doc, "legend")
			if len(legend) != len(tc.keys) || legend[len(legend)-1] != otherKey {
				t.Errorf("legend %v: want %q last", legend, otherKey)
			}
			// The other segment is the top one: smallest y on day 0.
			top, topKey := math.Inf(1), ""
			for _, n := range byClass(parseSVG(t, doc), "seg") {
				if strings.HasPrefix(n.title, isoDay(days[0])) {
					if y := attrF(t, n, "y"); y < top {
						top, topKey = y, strings.Split(n.title, " · ")[1]
					}
				}
			}
			if topKey != otherKey {
				t.Errorf("top segment is %q, want %q", topKey, otherKey)
			}
		})
	}
	// Small multiples: a later panel's extra keys still come before other.
	sm := &SmallMultiples{Panels: []StackedBars{
		{Days: days, Series: []Series{{Key: "CN", Values: v}, {Key: "other", Values: v}}},
		{Days: days, Series: []Series{{Key: "CN", Values: v}, {Key: "SD", Values: v}, {Key: "other", Values: v}}},
	}}
	if got := textsOf(sm.SVG(), "legend"); !slices.Equal(got, []string{"CN", "SD", "other"}) {
		t.Errorf("small multiples legend %v, want [CN SD other]", got)
	}
}

func TestSharedScaleAndYMax(t *testing.T) {
	days := sampleDays(3)
	a := &StackedBars{Days: days, Series: []Series{{Key: "CN", Values: []float64{100, 200, 300}}}}
	b := &StackedBars{Days: days, Series: []Series{{Key: "CN", Values: []float64{1000, 4000, 12000}}}}
	ticks := func(c Chart) []string { return textsOf(c.SVG(), "ytick") }
	if slices.Equal(ticks(a), ticks(b)) {
		t.Fatal("different data gave the same axis: test is not meaningful")
	}
	SharedScale(a, b, nil)
	if a.YMax != 12000 || b.YMax != 12000 {
		t.Errorf("YMax = %v, %v, want 12000", a.YMax, b.YMax)
	}
	if ta, tb := ticks(a), ticks(b); !slices.Equal(ta, tb) {
		t.Errorf("after SharedScale: %v vs %v", ta, tb)
	}
	// Marks add headroom on the shared scale too.
	b.Marks = []Mark{{Day: days[2], Text: "spike"}}
	SharedScale(a, b)
	if want := 12000 * markHeadroom; math.Abs(a.YMax-want) > 1e-9 {
		t.Errorf("with marks YMax = %v, want %v", a.YMax, want)
	}
	// Bad values fall back to the automatic scale.
	auto := ticks(&StackedBars{Days: days, Series: a.Series})
	for _, v := range []float64{0, -5, math.NaN(), math.Inf(1)} {
		c := &StackedBars{Days: days, Series: a.Series, YMax: v}
		if got := ticks(c); !slices.Equal(got, auto) {
			t.Errorf("YMax %v: ticks %v, want %v", v, got, auto)
		}
	}
	l := &LineChart{Days: days, Series: a.Series, YMax: 5000}
	if got := ticks(l); got[len(got)-1] != "5k" {
		t.Errorf("line chart with YMax 5000: ticks %v", got)
	}
}

func TestPartialDays(t *testing.T) {
	days := sampleDays(8)
	v := []float64{5, 5, 5, 5, 5, 5, 5, 5}
	cov := []float64{1, 0.119, 0, math.NaN(), 1.5, -1, 0.5, 0.9} // day 6 is a gap too
	gaps := []bool{false, false, false, false, false, false, true}
	wantPartial := map[string]string{
		isoDay(days[1]): isoDay(days[1]) + " · partial: 2.9 h captured",
		isoDay(days[7]): isoDay(days[7]) + " · partial: 22 h captured",
	}
	charts := map[string]Chart{
		"stacked": &StackedBars{Days: days, Gaps: gaps, Coverage: cov, Unit: "packets", Series: []Series{{Key: "CN", Values: v}}},
		"line":    &LineChart{Days: days, Gaps: gaps, Coverage: cov, Series: []Series{{Key: "CN", Values: v}}},
		"dots":    &DotPlot{Days: days, Gaps: gaps, Coverage: cov, Rows: []DotRow{{Label: "23/tcp", Values: v}}},
		"multiples": &SmallMultiples{Panels: []StackedBars{
			{Days: days, Gaps: gaps, Coverage: cov, Series: []Series{{Key: "CN", Values: v}}}}},
	}
	for name, c := range charts {
		t.Run(name, func(t *testing.T) {
			doc := c.SVG()
			nodes := parseSVG(t, doc)
			got := map[string]string{}
			for _, n := range byClass(nodes, "partial") {
				got[n.title[:10]] = n.title
				if n.attrs["fill"] != "url(#partial-hatch)" {
					t.Errorf("partial band fill %q", n.attrs["fill"])
				}
			}
			if len(got) != len(wantPartial) {
				t.Errorf("partial bands on %v, want %v", got, wantPartial)
			}
			for d, w := range wantPartial {
				if got[d] != w {
					t.Errorf("band title %q, want %q", got[d], w)
				}
			}
			if !strings.Contains(string(doc), `<pattern id="partial-hatch"`) {
				t.Error("partial-hatch pattern not defined")
			}
			if legend := textsOf(doc, "legend"); !slices.Contains(legend, "partial day") {
				t.Errorf("legend %v lacks the partial entry", legend)
			}
		})
	}
	// Hover text of the data marks says so too; full days do not.
	for _, n := range byClass(parseSVG(t, charts["stacked"].SVG()), "seg") {
		partial := strings.HasPrefix(n.title, isoDay(days[1])) || strings.HasPrefix(n.title, isoDay(days[7]))
		if strings.Contains(n.title, "partial:") != partial {
			t.Errorf("segment title %q", n.title)
		}
	}
	if got := textsOf(charts["stacked"].SVG(), "partial-label"); !slices.Equal(got, []string{"2.9 h", "22 h"}) {
		t.Errorf("hour labels %v", got)
	}
	// Japanese wording.
	ja := &StackedBars{Days: days, Coverage: cov, Lang: "ja", Series: []Series{{Key: "CN", Values: v}}}
	if !strings.Contains(string(ja.SVG()), "一部のみ: 2.9 時間分を観測") {
		t.Error("Japanese partial hover text missing")
	}
	// Without Coverage nothing changes.
	plain := &StackedBars{Days: days, Series: []Series{{Key: "CN", Values: v}}}
	if strings.Contains(string(plain.SVG()), "partial") {
		t.Error("a chart without Coverage mentions partial days")
	}
}

func TestPNGPartialBand(t *testing.T) {
	fs, err := buildFontSet("", "")
	if err != nil {
		t.Fatal(err)
	}
	c := &StackedBars{Days: sampleDays(3), Coverage: []float64{1, 0.25, 1}, Width: 300, Height: 200,
		Series: []Series{{Key: "CN", Values: []float64{5, 1, 5}}}}
	b, err := renderPNGWith(c, 1, fs)
	if err != nil {
		t.Fatal(err)
	}
	img := pngImage(t, b)
	// Above the short middle bar: the partial hatch; above the outer bars'
	// tops there is nothing but background and grid.
	count := func(x0, x1 int) (n int) {
		for y := 90; y < 110; y++ {
			for x := x0; x < x1; x++ {
				r, g, bb, _ := img.At(x, y).RGBA()
				if r>>8 == 0xe0 && g>>8 == 0xe0 && bb>>8 == 0xe0 || r>>8 == 0xfa && g>>8 == 0xfa && bb>>8 == 0xfa {
					n++
				}
			}
		}
		return n
	}
	if mid, left := count(150, 180), count(70, 100); mid < 50 || left != 0 {
		t.Errorf("partial band pixels: %d in the partial column, %d in a full one", mid, left)
	}
}

func TestTofuForMissingGlyphs(t *testing.T) {
	fs, err := buildFontSet("", "") // no CJK font
	if err != nil {
		t.Fatal(err)
	}
	draw := func(s string) (*rasterCanvas, int) {
		c, err := newRaster(80, 40, 1, fs)
		if err != nil {
			t.Fatal(err)
		}
		c.text(4, 30, s, textStyle{size: 26})
		ink := 0
		for y := 0; y < 40; y++ {
			for x := 0; x < 80; x++ {
				if c.img.RGBAAt(x, y).R < 128 {
					ink++
				}
			}
		}
		return c, ink
	}
	one, ink1 := draw("日")
	_, ink2 := draw("日本")
	if ink1 < 40 {
		t.Fatalf("missing glyph left %d ink pixels: not visible", ink1)
	}
	if ink2 < ink1*3/2 {
		t.Errorf("two missing glyphs: %d ink pixels, one: %d", ink2, ink1)
	}
	if !slices.Equal(one.missing, []rune{'日'}) {
		t.Errorf("missing = %q", one.missing)
	}
	// The box is hollow: its middle is background.
	if px := one.img.RGBAAt(4+13, 30-9); px.R < 200 {
		t.Errorf("box centre is not empty: %v", px)
	}
	// Latin text is unaffected and reports nothing.
	if c, ink := draw("Mirai"); ink < 40 || len(c.missing) != 0 {
		t.Errorf("Latin: ink %d, missing %q", ink, c.missing)
	}
	_, err = renderPNGWith(sampleStacked("ja"), 1, fs)
	if !errors.Is(err, ErrNoCJKFont) || !strings.Contains(err.Error(), "empty boxes") {
		t.Errorf("error %v does not say what happened", err)
	}
}

func TestFontNotice(t *testing.T) {
	if got := FontNotice("en") == ""; got != CJKFontAvailable() {
		t.Errorf("FontNotice empty = %v, CJKFontAvailable = %v", got, CJKFontAvailable())
	}
	tests := []struct {
		lang, want string
		ja         bool
	}{
		{"en", "empty boxes", false},
		{"", "fonts-noto-cjk", false},
		{"ja", "fonts-noto-cjk", true},
		{"ja-JP", "空の四角", true},
	}
	for _, tc := range tests {
		s := fontNotice(tc.lang)
		hasJa := strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Hiragana, r) })
		if !strings.Contains(s, tc.want) || hasJa != tc.ja {
			t.Errorf("fontNotice(%q) = %q", tc.lang, s)
		}
	}
}
