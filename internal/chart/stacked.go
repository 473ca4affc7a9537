package chart

import (
	"math"
	"strconv"
	"time"
)

// Series is one named sequence of per-day values.
type Series struct {
	// Key identifies the series for colouring (country code, class, port).
	Key string
	// Label is what the legend and hover text show; Key when empty.
	Label string
	// Values has one value per day; missing, negative and NaN values count
	// as 0 in bars. In a LineChart NaN breaks the line.
	Values []float64
	// Color overrides the colour ("#rrggbb"); empty means ColorFor(Key).
	Color string
	// Href, when set, makes the series' bar segments and legend entry
	// links (SVG only), e.g. to the drill-down the series summarises.
	Href string
}

func (s Series) label() string {
	if s.Label != "" {
		return s.Label
	}
	return s.Key
}

// Mark flags a day on a bar chart, e.g. a detected spike. Key names the
// series it concerns (for its colour) and may be empty.
type Mark struct {
	Day  time.Time
	Key  string
	Text string
	// Rise draws a rising arrow after Text (as a shape, so that a PNG needs
	// no font with an arrow glyph).
	Rise bool
	// Href, when set, makes the mark and its label a link (SVG only).
	Href string
}

// StackedBars is a daily stacked bar chart: one bar per day, one segment per
// series stacked bottom-up in the order given (top-N keys then "other").
type StackedBars struct {
	Title, Subtitle string
	// YLabel is the axis caption shown above the value axis, e.g.
	// "packets / day".
	YLabel string
	// Unit follows values in hover text, e.g. "packets".
	Unit string
	// Days are the bars, left to right, usually consecutive days.
	Days   []time.Time
	Series []Series
	// Gaps marks days without data: they get a hatched band, no bar.
	Gaps []bool
	// Coverage optionally gives, per day, the captured fraction of the day
	// (0..1). A day with 0 < Coverage < 1 is a partial day: its column gets
	// a light band (hover: "partial: N h captured") behind the bar, a
	// "partial" legend entry, and its bars' hover text says so. Other values
	// (1, 0, NaN, days past the slice) draw normally; days without any data
	// belong in Gaps.
	Coverage []float64
	// PartialText optionally describes, per day, why a day is partial
	// ("1 of 2 sensors"): a non-empty entry makes the day partial like a
	// Coverage below 1 and its text replaces the hours captured in the
	// hover texts and the label above the bar.
	PartialText []string
	Marks       []Mark
	Annotations []Annotation
	// DayLinks, when set, puts an invisible column over each day (class
	// "daycol", its ISO day in data-day) for scripts that select days,
	// linked to DayLinks[i] when that is not empty (SVG only).
	DayLinks []string
	// YMax, when > 0, fixes the top of the value axis (rounded up to a nice
	// tick) instead of fitting the tallest bar, so that separate charts can
	// share one scale; taller bars are clipped at the top. See SharedScale.
	YMax float64
	// Lang is "ja" for Japanese dates and labels; anything else is English.
	Lang string
	// Width and Height in CSS pixels; 0 means 800 × 440.
	Width, Height int
}

var _ Chart = (*StackedBars)(nil)

// SVG returns the chart as a standalone SVG document.
func (c *StackedBars) SVG() []byte { return renderSVG(c) }

// PNG rasterises the chart; see Chart.
func (c *StackedBars) PNG(scale float64) ([]byte, error) { return renderPNG(c, scale) }

func (c *StackedBars) size() (float64, float64) {
	return dim(c.Width, defaultWidth), dim(c.Height, 440)
}
func (c *StackedBars) meta() (string, string) { return c.Title, c.Lang }

func (c *StackedBars) draw(cv canvas) {
	w, h := c.size()
	c.drawIn(cv, box{pad, pad - 2, w - 2*pad, h - 2*pad + 4}, panelOpts{legend: true, titleSize: sizeTitle})
}

// markHeadroom leaves room for spike markers above the tallest bar.
const markHeadroom = 1.15

// panelOpts lets SmallMultiples draw bar panels without their own legend
// and on a shared scale.
type panelOpts struct {
	legend    bool
	titleSize float64
	yMax      float64  // >0: use this value maximum instead of the panel's
	colors    []string // precomputed colours per series, nil to assign
}

func (c *StackedBars) colors() []string {
	keys := make([]string, len(c.Series))
	explicit := make([]string, len(c.Series))
	for i, s := range c.Series {
		keys[i], explicit[i] = s.Key, s.Color
	}
	return assignColors(keys, explicit)
}

// maxTotal is the tallest bar outside the gaps.
func (c *StackedBars) maxTotal() float64 {
	m := 0.0
	for i := range c.Days {
		if gapAt(c.Gaps, i) {
			continue
		}
		t := 0.0
		for _, s := range c.Series {
			t += valueAt(s.Values, i)
		}
		m = math.Max(m, t)
	}
	return m
}

// order is the stacking (and legend) order of the series: as given, with
// "other" keys moved last.
func (c *StackedBars) order() []int {
	return otherLast(len(c.Series), func(i int) bool { return isOtherKey(c.Series[i].Key) })
}

func (c *StackedBars) legendItems(colors []string) []legendItem {
	items := make([]legendItem, 0, len(c.Series)+2)
	for _, i := range c.order() {
		items = append(items, legendItem{label: c.Series[i].label(), color: colors[i], href: c.Series[i].Href})
	}
	return append(items, dayStateItems(c.Days, c.Gaps, c.Coverage, c.PartialText, c.Lang)...)
}

func (c *StackedBars) drawIn(cv canvas, b box, o panelOpts) {
	colors := o.colors
	if len(colors) != len(c.Series) {
		colors = c.colors()
	}
	y := drawHeader(cv, b, c.Title, c.Subtitle, o.titleSize)
	if o.legend {
		y = drawLegend(cv, box{b.x, y + 10, b.w, 0}, c.legendItems(colors))
	}
	y += 8
	if c.YLabel != "" {
		y += sizeTick
		cv.text(b.x, y, c.YLabel, textStyle{size: sizeTick, color: colMuted, class: "ylabel"})
		y += 6
	}
	y += sizeTick / 2 // room for the top tick label

	maxV := c.maxTotal()
	switch {
	case o.yMax > 0:
		maxV = o.yMax // shared scale, headroom already included
	case c.YMax > 0 && !math.IsInf(c.YMax, 0):
		maxV = c.YMax
	case len(c.Marks) > 0:
		maxV *= markHeadroom
	}
	n := len(c.Days)
	plotH0 := b.y + b.h - y - 30
	ya := newYAxis(maxV, clampInt(int(plotH0/38), 2, 8))
	left := b.x + ya.labelW + 8
	p := box{left, y, b.x + b.w - left, 0}
	da := dayAxis{p: p, n: n}
	ticks := dayTicks(c.Days, da.bw(), sizeTick, c.Lang)
	p.h = b.y + b.h - y - tickSpace(ticks)
	if p.h < 10 || p.w < 10 {
		return
	}
	da.p = p

	ya.drawGrid(cv, p)
	if n == 0 {
		emptyMessage(cv, p, c.Lang)
		cv.line(p.x, crisp(p.y+p.h), p.x+p.w, crisp(p.y+p.h), style{stroke: colAxis})
		return
	}
	da.drawPartial(cv, c.Days, c.Gaps, c.Coverage, c.PartialText, c.Lang)
	da.drawGaps(cv, c.Days, c.Gaps, c.Lang)
	if c.DayLinks != nil {
		for i, day := range c.Days {
			href := ""
			if i < len(c.DayLinks) {
				href = c.DayLinks[i]
			}
			cv.dayColumn(da.start(i), p.y, da.bw(), p.h, isoDay(day), href)
		}
	}

	order := c.order()
	unit := ""
	if c.Unit != "" {
		unit = " " + c.Unit
	}
	for i, day := range c.Days {
		if gapAt(c.Gaps, i) {
			continue
		}
		total := 0.0
		for _, s := range c.Series {
			total += valueAt(s.Values, i)
		}
		x, bw := da.bar(i)
		cum := 0.0
		first := true
		date := isoDay(day)
		partial := partialNote(c.Coverage, c.PartialText, i, c.Lang)
		for _, si := range order {
			s := c.Series[si]
			v := valueAt(s.Values, i)
			if v == 0 {
				continue
			}
			y0, y1 := ya.y(p, cum), ya.y(p, cum+v)
			cum += v
			hgt := y0 - y1
			if !first && hgt > 2.5 && bw >= 4 {
				hgt -= 0.75 // hairline of background between segments
			}
			first = false
			title := date + " · " + s.label() + " · " + FormatCount(v) + unit + " (" + percent(v, total) + ")" + partial
			cv.link(s.Href)
			cv.rect(x, y1, bw, hgt, style{fill: colors[si], class: "seg", title: title})
			cv.unlink(s.Href)
		}
	}
	c.drawPartialLabels(cv, da, ya)
	cv.line(p.x, crisp(p.y+p.h), p.x+p.w, crisp(p.y+p.h), style{stroke: colAxis})
	da.drawDayTicks(cv, ticks)
	lines := da.annotationLines(c.Days, c.Annotations)
	taken := c.drawMarks(cv, da, ya, colors, lines)
	da.drawAnnotations(cv, c.Days, c.Annotations, taken)
}

// SharedScale puts charts on one value scale: it sets every chart's YMax to
// the tallest bar among them (with the headroom spike marks need when any
// chart has marks). Use it for charts meant to be compared side by side that
// are not drawn as one SmallMultiples (which has SharedY).
func SharedScale(charts ...*StackedBars) {
	m, marks := 0.0, false
	for _, c := range charts {
		if c == nil {
			continue
		}
		m = math.Max(m, c.maxTotal())
		marks = marks || len(c.Marks) > 0
	}
	if marks {
		m *= markHeadroom
	}
	for _, c := range charts {
		if c != nil {
			c.YMax = m
		}
	}
}

// percent formats part/total as "12.3%".
func percent(part, total float64) string {
	if total <= 0 {
		return "0%"
	}
	return strconv.FormatFloat(part/total*100, 'f', 1, 64) + "%"
}

// drawMarks puts a small downward triangle over the bar of each marked day
// with its text above. A label that would cross an annotation line (x in
// lines) moves sideways to the mark's side of the line; labels that would
// overlap are lifted. It returns the boxes the triangles and labels take, for
// annotation labels to keep clear of.
func (c *StackedBars) drawMarks(cv canvas, da dayAxis, ya yAxis, colors []string, lines []float64) []box {
	idx := dayIndex(c.Days)
	var placed, taken []box
	for _, m := range c.Marks {
		i, ok := idx[dayKey(m.Day)]
		if !ok || gapAt(c.Gaps, i) {
			continue
		}
		total := 0.0
		for _, s := range c.Series {
			total += valueAt(s.Values, i)
		}
		col := colText
		for si, s := range c.Series {
			if m.Key != "" && s.Key == m.Key {
				col = colors[si]
			}
		}
		cx := da.center(i)
		top := ya.y(da.p, total) - 3
		title := isoDay(c.Days[i])
		if m.Text != "" {
			title += " · " + m.Text
		}
		cv.link(m.Href)
		cv.path([]point{{cx - 4.5, top - 7}, {cx + 4.5, top - 7}, {cx, top}}, true,
			style{fill: col, stroke: colText, strokeWidth: 0.6, class: "mark", title: title})
		cv.unlink(m.Href)
		taken = append(taken, box{cx - 5, top - 8, 10, 9})
		if m.Text == "" && !m.Rise {
			continue
		}
		label := truncate(m.Text, sizeSmall, false, 160)
		tw := textWidth(label, sizeSmall, false)
		arrow := 0.0 // width taken by the rise arrow after the label
		if m.Rise {
			arrow = sizeSmall + 2
			tw += arrow
		}
		lx := clearOfLines(cx, tw, lines, da.p)
		by := top - 10 - sizeSmall
		for moved := true; moved; {
			moved = false
			for _, q := range placed {
				if lx < q.x+q.w && q.x < lx+tw && by < q.y+q.h && q.y < by+sizeSmall+2 {
					by = q.y - sizeSmall - 3
					moved = true
				}
			}
		}
		b := box{lx, by, tw, sizeSmall + 2}
		placed = append(placed, b)
		taken = append(taken, b)
		if crossesLine(lx, tw, lines) {
			// No room between the lines: mask them behind the label.
			cv.rect(lx-2, by, tw+4, sizeSmall+4, style{fill: colBg, opacity: 0.85, class: "mark-label-bg"})
		}
		if label != "" {
			cv.text(lx, by+sizeSmall, label, textStyle{size: sizeSmall, color: colText, class: "mark-label"})
		}
		if m.Rise {
			drawRiseArrow(cv, lx+tw-arrow+2, by+sizeSmall, sizeSmall-1)
		}
	}
	return taken
}

// drawRiseArrow draws a rising arrow (↗) as lines in a square of side s
// whose bottom-left corner is (x, y).
func drawRiseArrow(cv canvas, x, y, s float64) {
	st := style{stroke: colText, strokeWidth: 1.2, class: "mark-rise"}
	cv.path([]point{{x + 1, y - 1}, {x + s - 1, y - s + 1}}, false, st)
	cv.path([]point{{x + s*0.4, y - s + 1}, {x + s - 1, y - s + 1}, {x + s - 1, y - s*0.4}}, false, st)
}

// crossesLine reports whether a label from lx of width tw crosses a line at
// one of xs (with a small margin).
func crossesLine(lx, tw float64, xs []float64) bool {
	for _, x := range xs {
		if lx < x+1 && x-1 < lx+tw {
			return true
		}
	}
	return false
}

// clearOfLines returns the left edge of a label of width tw for a mark at cx:
// centred over the mark and inside plot p, unless that crosses one of the
// vertical lines at xs, in which case the label ends (or starts) just short
// of the line on the mark's side.
func clearOfLines(cx, tw float64, xs []float64, p box) float64 {
	clampX := func(x float64) float64 { return math.Max(p.x, math.Min(x, p.x+p.w-tw)) }
	lx := clampX(cx - tw/2)
	const margin = 3.0
	for range 4 { // a shift can run into a neighbouring line: retry a little
		moved := false
		for _, x := range xs {
			if lx < x+margin && x-margin < lx+tw {
				if cx < x {
					lx = x - margin - tw
				} else {
					lx = x + margin
				}
				lx = clampX(lx)
				moved = true
			}
		}
		if !moved {
			break
		}
	}
	return lx
}

// drawPartialLabels writes the hours captured ("3.5 h") above the bar of each
// partial day that has room for it and no spike mark.
func (c *StackedBars) drawPartialLabels(cv canvas, da dayAxis, ya yAxis) {
	marked := map[int64]bool{}
	for _, m := range c.Marks {
		marked[dayKey(m.Day)] = true
	}
	unit := " h"
	if isJa(c.Lang) {
		unit = "時間"
	}
	for i, day := range c.Days {
		if !partialDay(c.Coverage, c.PartialText, i) || gapAt(c.Gaps, i) || marked[dayKey(day)] {
			continue
		}
		var label string
		if i < len(c.PartialText) && c.PartialText[i] != "" {
			label = c.PartialText[i]
		} else {
			f, _ := partialAt(c.Coverage, i)
			label = capturedHours(f) + unit
		}
		if textWidth(label, sizeSmall, false) > da.bw()+2 {
			continue
		}
		total := 0.0
		for _, s := range c.Series {
			total += valueAt(s.Values, i)
		}
		y := math.Max(ya.y(da.p, total)-4, da.p.y+sizeSmall)
		cv.text(da.center(i), y, label, textStyle{size: sizeSmall, color: colMuted, anchor: anchorMiddle, class: "partial-label"})
	}
}
