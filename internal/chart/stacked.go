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
	Gaps        []bool
	Marks       []Mark
	Annotations []Annotation
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

func (c *StackedBars) legendItems(colors []string) []legendItem {
	items := make([]legendItem, 0, len(c.Series)+1)
	for i, s := range c.Series {
		items = append(items, legendItem{label: s.label(), color: colors[i]})
	}
	for i := range c.Days {
		if gapAt(c.Gaps, i) {
			items = append(items, legendItem{label: noDataText(c.Lang), kind: legendHatch})
			break
		}
	}
	return items
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
	da.drawGaps(cv, c.Days, c.Gaps, c.Lang)

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
		for si, s := range c.Series {
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
			title := date + " · " + s.label() + " · " + FormatCount(v) + unit + " (" + percent(v, total) + ")"
			cv.rect(x, y1, bw, hgt, style{fill: colors[si], class: "seg", title: title})
		}
	}
	cv.line(p.x, crisp(p.y+p.h), p.x+p.w, crisp(p.y+p.h), style{stroke: colAxis})
	da.drawDayTicks(cv, ticks)
	da.drawAnnotations(cv, c.Days, c.Annotations)
	c.drawMarks(cv, da, ya, colors)
}

// percent formats part/total as "12.3%".
func percent(part, total float64) string {
	if total <= 0 {
		return "0%"
	}
	return strconv.FormatFloat(part/total*100, 'f', 1, 64) + "%"
}

// drawMarks puts a small downward triangle over the bar of each marked day
// with its text above; labels that would overlap are lifted.
func (c *StackedBars) drawMarks(cv canvas, da dayAxis, ya yAxis, colors []string) {
	idx := dayIndex(c.Days)
	var placed []box
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
		cv.path([]point{{cx - 4.5, top - 7}, {cx + 4.5, top - 7}, {cx, top}}, true,
			style{fill: col, stroke: colText, strokeWidth: 0.6, class: "mark", title: title})
		if m.Text == "" {
			continue
		}
		label := truncate(m.Text, sizeSmall, false, 160)
		tw := textWidth(label, sizeSmall, false)
		lx := math.Max(da.p.x, math.Min(cx-tw/2, da.p.x+da.p.w-tw))
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
		placed = append(placed, box{lx, by, tw, sizeSmall + 2})
		cv.text(lx, by+sizeSmall, label, textStyle{size: sizeSmall, color: colText, class: "mark-label"})
	}
}
