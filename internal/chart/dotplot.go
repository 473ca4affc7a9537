package chart

import (
	"math"
	"slices"
	"time"
)

// DotRow is one row of a DotPlot, usually a port.
type DotRow struct {
	// Label is shown left of the row, e.g. "23/tcp" or
	// "1024–65535 (high ports, 812 ports)".
	Label string
	// Values has one value per day; 0 (or missing) means no dot.
	Values []float64
	// Steady marks ports hit on most days; they are drawn in their own
	// colour.
	Steady bool
	// Folded marks a row that stands for a range of ports.
	Folded bool
	// Href, when set, makes the row's label and dots a link (SVG only).
	Href string
}

// DotPlot shows, per row (port) and day, a dot whose area grows with the
// logarithm of the value, from the smallest value drawn (smallest dot) to
// the largest, so that a handful of packets stays visible next to millions
// and sizes differ across the range; the legend shows three sizes that
// occur. Steady, sporadic and folded rows have distinct colours.
type DotPlot struct {
	Title, Subtitle string
	// Unit follows values in hover text, e.g. "packets".
	Unit string
	Days []time.Time
	// Rows are drawn top to bottom.
	Rows []DotRow
	// Gaps marks days without data.
	Gaps []bool
	// Coverage optionally gives each day's captured fraction (0..1); days
	// with 0 < Coverage < 1 are shaded as partial, as in StackedBars.
	Coverage []float64
	// PartialText optionally describes partial days, as in StackedBars.
	PartialText []string
	// Lang is "ja" for Japanese dates and labels.
	Lang string
	// Width in CSS pixels (0 means 800); the height follows from the rows.
	Width int
}

var _ Chart = (*DotPlot)(nil)

const (
	dotRowH      = 20.0
	colSteady    = "#3f6fa3"
	colSporadic  = "#e8833a"
	colFolded    = "#9a948f"
	colRowShade  = "#f6f6f6"
	maxDotRows   = 2000
	dotLabelMaxW = 260.0
)

// SVG returns the chart as a standalone SVG document.
func (c *DotPlot) SVG() []byte { return renderSVG(c) }

// PNG rasterises the chart; see Chart.
func (c *DotPlot) PNG(scale float64) ([]byte, error) { return renderPNG(c, scale) }

func (c *DotPlot) meta() (string, string) { return c.Title, c.Lang }

func (c *DotPlot) rows() []DotRow {
	if len(c.Rows) > maxDotRows {
		return c.Rows[:maxDotRows]
	}
	return c.Rows
}

// header returns the y where rows start (relative to 0) and the legend.
func (c *DotPlot) headerHeight(cv canvas, w float64) float64 {
	y := drawHeader(cv, box{pad, pad - 2, w - 2*pad, 0}, c.Title, c.Subtitle, sizeTitle)
	y = drawLegend(cv, box{pad, y + 10, w - 2*pad, 0}, c.legendItems(w))
	return y + 8
}

func (c *DotPlot) size() (float64, float64) {
	w := dim(c.Width, defaultWidth)
	top := c.headerHeight(nullCanvas{}, w)
	ticks := dayTicks(c.Days, 1e9, sizeTick, c.Lang) // only to know if a year line shows
	return w, top + float64(max(len(c.rows()), 1))*dotRowH + tickSpace(ticks) + pad
}

func (c *DotPlot) maxValue() float64 {
	vs := c.values()
	if len(vs) == 0 {
		return 0
	}
	return vs[len(vs)-1]
}

// values returns the positive values drawn as dots, sorted.
func (c *DotPlot) values() []float64 {
	var vs []float64
	for _, r := range c.rows() {
		for i := range c.Days {
			if v := valueAt(r.Values, i); v > 0 && !gapAt(c.Gaps, i) {
				vs = append(vs, v)
			}
		}
	}
	slices.Sort(vs)
	return vs
}

// minValue is the smallest value drawn as a dot (0 when none).
func (c *DotPlot) minValue() float64 {
	vs := c.values()
	if len(vs) == 0 {
		return 0
	}
	return vs[0]
}

func (c *DotPlot) labels() (steady, sporadic, folded string) {
	if isJa(c.Lang) {
		return "定常的に観測", "散発的に観測", "範囲をまとめた行"
	}
	return "steady", "sporadic", "folded range"
}

// labelWidth is the width of the row label column.
func (c *DotPlot) labelWidth() float64 {
	lw := 0.0
	for _, r := range c.rows() {
		lw = math.Max(lw, textWidth(r.Label, sizeTick, false))
	}
	return math.Min(lw, dotLabelMaxW)
}

// rMax is the largest dot radius for chart width w: dots fill their day
// column, but stay at least 2.5 px so long ranges remain readable (dots of
// neighbouring days then overlap into a bar).
func (c *DotPlot) rMax(w float64) float64 {
	pw := w - 2*pad - c.labelWidth() - 10
	bw := pw / float64(max(len(c.Days), 1))
	return math.Max(math.Min(math.Min(bw, dotRowH)/2-0.5, 8.5), 2.5)
}

func (c *DotPlot) legendItems(w float64) []legendItem {
	st, sp, fo := c.labels()
	var hasSteady, hasSporadic, hasFolded bool
	for _, r := range c.rows() {
		switch {
		case r.Folded:
			hasFolded = true
		case r.Steady:
			hasSteady = true
		default:
			hasSporadic = true
		}
	}
	var items []legendItem
	if hasSteady {
		items = append(items, legendItem{label: st, color: colSteady, kind: legendDot, r: 4.5})
	}
	if hasSporadic {
		items = append(items, legendItem{label: sp, color: colSporadic, kind: legendDot, r: 4.5})
	}
	if hasFolded {
		items = append(items, legendItem{label: fo, color: colFolded, kind: legendDot, r: 4.5})
	}
	// Size key: the smallest value drawn, the one nearest the middle of
	// the log range and the largest: three sizes that occur.
	if vs := c.values(); len(vs) > 0 {
		unit := ""
		if c.Unit != "" {
			unit = " " + c.Unit
		}
		lo, hi := vs[0], vs[len(vs)-1]
		key := sizeKey(vs)
		for i, v := range key {
			l := FormatSI(v)
			if i == len(key)-1 {
				l += unit
			}
			items = append(items, legendItem{label: l, color: colFaint, kind: legendDot, r: dotRadiusRange(v, lo, hi, c.rMax(w), 1.6)})
		}
	}
	return append(items, dayStateItems(c.Days, c.Gaps, c.Coverage, c.PartialText, c.Lang)...)
}

// sizeKey picks up to three of the sorted values vs for the size legend:
// the smallest, the one nearest the middle of the log range and the
// largest (fewer when they coincide).
func sizeKey(vs []float64) []float64 {
	lo, hi := vs[0], vs[len(vs)-1]
	if lo == hi {
		return []float64{hi}
	}
	target := (math.Log1p(lo) + math.Log1p(hi)) / 2
	mid := vs[0]
	for _, v := range vs {
		if math.Abs(math.Log1p(v)-target) < math.Abs(math.Log1p(mid)-target) {
			mid = v
		}
	}
	out := []float64{lo}
	if mid != lo && mid != hi {
		out = append(out, mid)
	}
	return append(out, hi)
}

// dotRadius maps v in (0, max] to a radius in [rMin, rMax] so that the dot
// AREA grows with log(1+v): small values stay visible, large ones do not
// swamp the row.
func dotRadius(v, max, rMax, rMin float64) float64 {
	return dotRadiusRange(v, 0, max, rMax, rMin)
}

// dotRadiusRange is dotRadius over the values lo..hi that occur: lo gets
// rMin and hi rMax, and the area in between grows with log(1+v), so that
// the sizes differ visibly across the range that the chart shows even when
// every value is large.
func dotRadiusRange(v, lo, hi, rMax, rMin float64) float64 {
	if !(v > 0) || !(hi > 0) {
		return 0
	}
	lo = math.Max(math.Min(lo, hi), 0)
	f := 1.0
	if d := math.Log1p(hi) - math.Log1p(lo); d > 0 {
		f = (math.Log1p(v) - math.Log1p(lo)) / d
	}
	f = math.Min(math.Max(f, 0), 1)
	return math.Sqrt(rMin*rMin + (rMax*rMax-rMin*rMin)*f)
}

func (c *DotPlot) draw(cv canvas) {
	w := dim(c.Width, defaultWidth)
	top := c.headerHeight(cv, w)
	rows := c.rows()
	labelW := c.labelWidth()
	p := box{pad + labelW + 10, top, w - 2*pad - labelW - 10, float64(max(len(rows), 1)) * dotRowH}
	da := dayAxis{p: p, n: len(c.Days)}
	ticks := dayTicks(c.Days, da.bw(), sizeTick, c.Lang)
	if p.w < 10 {
		return
	}
	// Row shading and labels.
	for ri, r := range rows {
		ry := p.y + float64(ri)*dotRowH
		if ri%2 == 0 {
			cv.rect(pad, ry, w-2*pad, dotRowH, style{fill: colRowShade})
		}
		col := colText
		if r.Folded {
			col = colMuted
		}
		cv.link(r.Href)
		cv.text(p.x-10, ry+dotRowH/2+sizeTick*0.36, truncate(r.Label, sizeTick, false, dotLabelMaxW), textStyle{size: sizeTick, color: col, anchor: anchorEnd, class: "rowlabel"})
		cv.unlink(r.Href)
	}
	if len(c.Days) == 0 || len(rows) == 0 {
		emptyMessage(cv, p, c.Lang)
		return
	}
	for _, t := range ticks {
		x := crisp(da.center(t.idx))
		cv.line(x, p.y, x, p.y+p.h, style{stroke: colGrid})
	}
	da.drawPartial(cv, c.Days, c.Gaps, c.Coverage, c.PartialText, c.Lang)
	da.drawGaps(cv, c.Days, c.Gaps, c.Lang)
	m, lo := c.maxValue(), c.minValue()
	rMax := c.rMax(w)
	rMin := 1.6
	unit := ""
	if c.Unit != "" {
		unit = " " + c.Unit
	}
	for ri, r := range rows {
		cy := p.y + float64(ri)*dotRowH + dotRowH/2
		col := colSporadic
		switch {
		case r.Folded:
			col = colFolded
		case r.Steady:
			col = colSteady
		}
		cv.link(r.Href)
		for i, day := range c.Days {
			v := valueAt(r.Values, i)
			if v == 0 || gapAt(c.Gaps, i) {
				continue
			}
			rad := dotRadiusRange(v, lo, m, rMax, rMin)
			cv.circle(da.center(i), cy, rad, style{fill: col, class: "dot",
				title: isoDay(day) + " · " + r.Label + " · " + FormatCount(v) + unit + partialNote(c.Coverage, c.PartialText, i, c.Lang)})
		}
		cv.unlink(r.Href)
	}
	cv.line(p.x, crisp(p.y+p.h), p.x+p.w, crisp(p.y+p.h), style{stroke: colAxis})
	da.drawDayTicks(cv, ticks)
}

// nullCanvas discards drawing; used to measure layouts.
type nullCanvas struct{}

func (nullCanvas) rect(x, y, w, h float64, st style)          {}
func (nullCanvas) line(x1, y1, x2, y2 float64, st style)      {}
func (nullCanvas) circle(cx, cy, r float64, st style)         {}
func (nullCanvas) path(pts []point, closed bool, st style)    {}
func (nullCanvas) hatch(x, y, w, h float64, st style)         {}
func (nullCanvas) text(x, y float64, s string, ts textStyle)  {}
func (nullCanvas) link(href string)                           {}
func (nullCanvas) unlink(href string)                         {}
func (nullCanvas) dayColumn(x, y, w, h float64, d, h2 string) {}
