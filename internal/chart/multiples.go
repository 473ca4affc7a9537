package chart

import "math"

// SmallMultiples lays out several stacked bar panels in a grid with one
// shared legend, e.g. the same week at two sensors side by side with their
// similarity in the title. A key has the same colour in every panel.
type SmallMultiples struct {
	Title, Subtitle string
	// Panels are drawn left to right, top to bottom. Their Title names the
	// panel; their Width, Height and Lang are ignored.
	Panels []StackedBars
	// Columns is the number of panels per row; 0 means 2.
	Columns int
	// SharedY puts every panel on the same value scale.
	SharedY bool
	// Lang is "ja" for Japanese dates and labels.
	Lang string
	// Width in CSS pixels (0 means 800); PanelHeight per panel row (0 means
	// 280).
	Width, PanelHeight int
}

var _ Chart = (*SmallMultiples)(nil)

const maxPanels = 64

// SVG returns the chart as a standalone SVG document.
func (c *SmallMultiples) SVG() []byte { return renderSVG(c) }

// PNG rasterises the chart; see Chart.
func (c *SmallMultiples) PNG(scale float64) ([]byte, error) { return renderPNG(c, scale) }

func (c *SmallMultiples) meta() (string, string) { return c.Title, c.Lang }

func (c *SmallMultiples) panels() []StackedBars {
	if len(c.Panels) > maxPanels {
		return c.Panels[:maxPanels]
	}
	return c.Panels
}

func (c *SmallMultiples) cols() int {
	n := c.Columns
	if n <= 0 {
		n = 2
	}
	return clampInt(n, 1, max(len(c.panels()), 1))
}

// legend returns the union of series keys (first appearance order), their
// colours, and legend items.
func (c *SmallMultiples) legend() (map[string]string, []legendItem) {
	var keys, explicit, labels []string
	seen := map[string]bool{}
	gap, part := false, false
	for _, p := range c.panels() {
		for _, s := range p.Series {
			if !seen[s.Key] {
				seen[s.Key] = true
				keys = append(keys, s.Key)
				explicit = append(explicit, s.Color)
				labels = append(labels, s.label())
			}
		}
		for _, it := range dayStateItems(p.Days, p.Gaps, p.Coverage, p.PartialText, c.Lang) {
			gap = gap || it.kind == legendHatch
			part = part || it.kind == legendPartial
		}
	}
	cols := assignColors(keys, explicit)
	m := make(map[string]string, len(keys))
	items := make([]legendItem, 0, len(keys)+2)
	for i, k := range keys {
		m[k] = cols[i]
	}
	// "other" comes last even when a later panel brings more keys.
	for _, i := range otherLast(len(keys), func(i int) bool { return isOtherKey(keys[i]) }) {
		items = append(items, legendItem{label: labels[i], color: cols[i]})
	}
	if gap {
		items = append(items, legendItem{label: noDataText(c.Lang), kind: legendHatch})
	}
	if part {
		items = append(items, legendItem{label: partialText(c.Lang), kind: legendPartial})
	}
	return m, items
}

func (c *SmallMultiples) panelHeight() float64 { return dim(c.PanelHeight, 280) }

func (c *SmallMultiples) top(cv canvas, w float64) float64 {
	_, items := c.legend()
	y := drawHeader(cv, box{pad, pad - 2, w - 2*pad, 0}, c.Title, c.Subtitle, sizeTitle)
	return drawLegend(cv, box{pad, y + 10, w - 2*pad, 0}, items) + 4
}

func (c *SmallMultiples) size() (float64, float64) {
	w := dim(c.Width, defaultWidth)
	rows := (len(c.panels()) + c.cols() - 1) / c.cols()
	return w, c.top(nullCanvas{}, w) + float64(max(rows, 1))*(c.panelHeight()+12) + pad
}

func (c *SmallMultiples) draw(cv canvas) {
	w, _ := c.size()
	y := c.top(cv, w)
	colorOf, _ := c.legend()
	panels := c.panels()
	if len(panels) == 0 {
		emptyMessage(cv, box{pad, y, w - 2*pad, c.panelHeight()}, c.Lang)
		return
	}
	yMax := 0.0
	if c.SharedY {
		marks := false
		for i := range panels {
			yMax = math.Max(yMax, panels[i].maxTotal())
			marks = marks || len(panels[i].Marks) > 0
		}
		if marks {
			yMax *= markHeadroom
		}
		if yMax == 0 {
			yMax = 1
		}
	}
	cols := c.cols()
	const hgap = 28.0
	pw := (w - 2*pad - hgap*float64(cols-1)) / float64(cols)
	ph := c.panelHeight()
	for i := range panels {
		p := panels[i] // copy: Lang is the figure's
		p.Lang = c.Lang
		colors := make([]string, len(p.Series))
		for si, s := range p.Series {
			colors[si] = colorOf[s.Key]
		}
		r, col := i/cols, i%cols
		b := box{pad + float64(col)*(pw+hgap), y + 12 + float64(r)*(ph+12), pw, ph}
		p.drawIn(cv, b, panelOpts{titleSize: 13.5, yMax: yMax, colors: colors})
	}
}
