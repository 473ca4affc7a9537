package chart

import "math"

// Bar is one row of an HBar chart.
type Bar struct {
	// Key picks the colour (ColorFor); Label is shown left of the bar (Key
	// when empty).
	Key, Label string
	Value      float64
	// Note is an optional figure shown after the value, e.g. "+12%".
	Note string
	// Color overrides the colour ("#rrggbb").
	Color string
}

// HBar is a ranked, table-like list of horizontal bars (top-N countries,
// ports, ASNs) with the exact value printed after each bar.
type HBar struct {
	Title, Subtitle string
	// Unit follows values in hover text.
	Unit string
	Bars []Bar
	// Share adds each bar's share of the total to its value label.
	Share bool
	// Lang is "ja" for Japanese labels.
	Lang string
	// Width in CSS pixels (0 means 800); the height follows from the bars.
	Width int
}

var _ Chart = (*HBar)(nil)

const (
	hbarRowH = 24.0
	maxBars  = 2000
)

// SVG returns the chart as a standalone SVG document.
func (c *HBar) SVG() []byte { return renderSVG(c) }

// PNG rasterises the chart; see Chart.
func (c *HBar) PNG(scale float64) ([]byte, error) { return renderPNG(c, scale) }

func (c *HBar) meta() (string, string) { return c.Title, c.Lang }

func (c *HBar) bars() []Bar {
	if len(c.Bars) > maxBars {
		return c.Bars[:maxBars]
	}
	return c.Bars
}

func (c *HBar) size() (float64, float64) {
	w := dim(c.Width, defaultWidth)
	top := drawHeader(nullCanvas{}, box{pad, pad - 2, w - 2*pad, 0}, c.Title, c.Subtitle, sizeTitle)
	return w, top + 12 + float64(max(len(c.bars()), 1))*hbarRowH + pad
}

func (c *HBar) valueLabel(v, total float64, note string) string {
	s := FormatCount(v)
	if c.Share {
		s += " (" + percent(v, total) + ")"
	}
	if note != "" {
		s += "  " + note
	}
	return s
}

func (c *HBar) draw(cv canvas) {
	w, _ := c.size()
	b := box{pad, pad - 2, w - 2*pad, 0}
	y := drawHeader(cv, b, c.Title, c.Subtitle, sizeTitle) + 12
	bars := c.bars()
	keys := make([]string, len(bars))
	explicit := make([]string, len(bars))
	total, maxV := 0.0, 0.0
	labelW, valueW := 0.0, 0.0
	for i, br := range bars {
		keys[i], explicit[i] = br.Key, br.Color
		v := clean(br.Value)
		total += v
		maxV = math.Max(maxV, v)
	}
	for _, br := range bars {
		l := br.Label
		if l == "" {
			l = br.Key
		}
		labelW = math.Max(labelW, textWidth(l, sizeLegend, false))
		valueW = math.Max(valueW, textWidth(c.valueLabel(clean(br.Value), total, br.Note), sizeTick, false))
	}
	labelW = math.Min(labelW, b.w*0.35)
	colors := assignColors(keys, explicit)
	x0 := b.x + labelW + 10
	barMax := b.x + b.w - valueW - 8 - x0
	if len(bars) == 0 {
		emptyMessage(cv, box{b.x, y, b.w, hbarRowH}, c.Lang)
		return
	}
	if barMax < 10 {
		barMax = 10
	}
	unit := ""
	if c.Unit != "" {
		unit = " " + c.Unit
	}
	for i, br := range bars {
		v := clean(br.Value)
		ry := y + float64(i)*hbarRowH
		l := br.Label
		if l == "" {
			l = br.Key
		}
		cy := ry + hbarRowH/2
		cv.text(x0-10, cy+sizeLegend*0.36, truncate(l, sizeLegend, false, labelW), textStyle{size: sizeLegend, anchor: anchorEnd, class: "barlabel"})
		bw := 0.0
		if maxV > 0 {
			bw = math.Round(v / maxV * barMax)
		}
		title := l + " · " + FormatCount(v) + unit
		if total > 0 {
			title += " (" + percent(v, total) + ")"
		}
		cv.rect(x0, ry+4, bw, hbarRowH-8, style{fill: colors[i], class: "bar", title: title})
		cv.text(x0+bw+6, cy+sizeTick*0.36, c.valueLabel(v, total, br.Note), textStyle{size: sizeTick, color: colMuted, class: "barvalue"})
	}
	cv.line(crisp(x0), y, crisp(x0), y+float64(len(bars))*hbarRowH, style{stroke: colAxis})
}
