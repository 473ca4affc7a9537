package chart

import (
	"math"
	"time"
)

// LineChart draws one line per series over days. A NaN value or a gap day
// breaks the line instead of dropping it to zero.
type LineChart struct {
	Title, Subtitle string
	// YLabel is the caption above the value axis; Unit follows values in
	// hover text.
	YLabel, Unit string
	Days         []time.Time
	Series       []Series
	Gaps         []bool
	// Coverage optionally gives each day's captured fraction (0..1); days
	// with 0 < Coverage < 1 are shaded as partial, as in StackedBars.
	Coverage    []float64
	Annotations []Annotation
	// YMax, when > 0, fixes the top of the value axis (rounded up to a
	// nice tick) so that separate charts can share one scale.
	YMax float64
	// Lang is "ja" for Japanese dates and labels.
	Lang string
	// Width and Height in CSS pixels; 0 means 800 × 400.
	Width, Height int
}

var _ Chart = (*LineChart)(nil)

// maxPointMarkers is the number of days up to which each value gets a
// marker (with hover text); longer series are drawn as bare lines.
const maxPointMarkers = 92

// SVG returns the chart as a standalone SVG document.
func (c *LineChart) SVG() []byte { return renderSVG(c) }

// PNG rasterises the chart; see Chart.
func (c *LineChart) PNG(scale float64) ([]byte, error) { return renderPNG(c, scale) }

func (c *LineChart) size() (float64, float64) { return dim(c.Width, defaultWidth), dim(c.Height, 400) }
func (c *LineChart) meta() (string, string)   { return c.Title, c.Lang }

// lineValue returns the value of day i and whether it is drawn.
func lineValue(vs []float64, gaps []bool, i int) (float64, bool) {
	if gapAt(gaps, i) || i >= len(vs) || math.IsNaN(vs[i]) || math.IsInf(vs[i], 0) {
		return 0, false
	}
	return math.Max(vs[i], 0), true
}

func (c *LineChart) draw(cv canvas) {
	w, h := c.size()
	b := box{pad, pad - 2, w - 2*pad, h - 2*pad + 4}
	keys := make([]string, len(c.Series))
	explicit := make([]string, len(c.Series))
	for i, s := range c.Series {
		keys[i], explicit[i] = s.Key, s.Color
	}
	colors := assignColors(keys, explicit)
	y := drawHeader(cv, b, c.Title, c.Subtitle, sizeTitle)
	items := make([]legendItem, 0, len(c.Series)+1)
	for i, s := range c.Series {
		items = append(items, legendItem{label: s.label(), color: colors[i], kind: legendLine})
	}
	items = append(items, dayStateItems(c.Days, c.Gaps, c.Coverage, nil, c.Lang)...)
	y = drawLegend(cv, box{b.x, y + 10, b.w, 0}, items) + 8
	if c.YLabel != "" {
		y += sizeTick
		cv.text(b.x, y, c.YLabel, textStyle{size: sizeTick, color: colMuted, class: "ylabel"})
		y += 6
	}
	y += sizeTick / 2

	maxV := 0.0
	for _, s := range c.Series {
		for i := range c.Days {
			if v, ok := lineValue(s.Values, c.Gaps, i); ok {
				maxV = math.Max(maxV, v)
			}
		}
	}
	maxV *= 1.04
	if c.YMax > 0 && !math.IsInf(c.YMax, 0) {
		maxV = c.YMax
	}
	ya := newYAxis(maxV, clampInt(int((b.y+b.h-y-30)/38), 2, 8))
	left := b.x + ya.labelW + 8
	p := box{left, y, b.x + b.w - left, 0}
	da := dayAxis{p: p, n: len(c.Days)}
	ticks := dayTicks(c.Days, da.bw(), sizeTick, c.Lang)
	p.h = b.y + b.h - y - tickSpace(ticks)
	if p.h < 10 || p.w < 10 {
		return
	}
	da.p = p
	ya.drawGrid(cv, p)
	if len(c.Days) == 0 {
		emptyMessage(cv, p, c.Lang)
		return
	}
	da.drawPartial(cv, c.Days, c.Gaps, c.Coverage, nil, c.Lang)
	da.drawGaps(cv, c.Days, c.Gaps, c.Lang)
	cv.line(p.x, crisp(p.y+p.h), p.x+p.w, crisp(p.y+p.h), style{stroke: colAxis})
	unit := ""
	if c.Unit != "" {
		unit = " " + c.Unit
	}
	for si, s := range c.Series {
		var run []point
		flush := func() {
			if len(run) >= 2 {
				cv.path(run, false, style{stroke: colors[si], strokeWidth: 2, class: "line", title: s.label()})
			}
			run = run[:0]
		}
		for i := range c.Days {
			v, ok := lineValue(s.Values, c.Gaps, i)
			if !ok {
				flush()
				continue
			}
			run = append(run, point{da.center(i), ya.y(p, v)})
		}
		flush()
		if len(c.Days) > maxPointMarkers {
			continue
		}
		for i, day := range c.Days {
			v, ok := lineValue(s.Values, c.Gaps, i)
			if !ok {
				continue
			}
			// A lone point between breaks would be invisible without
			// its marker, so markers are always drawn.
			cv.circle(da.center(i), ya.y(p, v), 2.6, style{fill: colors[si], stroke: colBg, strokeWidth: 0.8, class: "point",
				title: isoDay(day) + " · " + s.label() + " · " + FormatCount(v) + unit + partialNote(c.Coverage, nil, i, c.Lang)})
		}
	}
	da.drawDayTicks(cv, ticks)
	da.drawAnnotations(cv, c.Days, c.Annotations, nil)
}
