package chart

import (
	"cmp"
	"math"
	"slices"
)

// NetNode is one node of a Network chart.
type NetNode struct {
	// X and Y are the node's position from a layout, in any units: the
	// chart scales all positions alike to fit.
	X, Y float64
	// Label is drawn beside the node when ShowLabel is set; Title is the
	// hover text (Label when empty).
	Label, Title string
	ShowLabel    bool
	// Color fills the node ("#rrggbb"); Ring, when set, outlines it.
	Color, Ring string
	// R is the radius in CSS pixels (0: 3, at most 40).
	R float64
	// Href makes the node a link (SVG only).
	Href string
	// Class is the node's SVG class (for a page's script and styles).
	Class string
}

// NetEdge joins two nodes by index.
type NetEdge struct{ A, B int }

// NetGroup labels a set of nodes as one (a CDN and the names it serves):
// the label is drawn at the nodes' centre when they lie close together.
type NetGroup struct {
	Label, Color string
	Nodes        []int
}

// NetLegend is one legend entry.
type NetLegend struct{ Label, Color string }

// Network draws a laid-out graph: edges as thin lines, nodes as dots,
// labels for the nodes that ask for one (placed biggest first, skipped
// where they would overlap one already drawn) and group labels.
type Network struct {
	Title, Subtitle string
	Nodes           []NetNode
	Edges           []NetEdge
	Groups          []NetGroup
	Legend          []NetLegend
	// Lang is "ja" for Japanese labels.
	Lang string
	// Width and Height in CSS pixels (0: 1000 and 760).
	Width, Height int
}

var _ Chart = (*Network)(nil)

// Bounds on what a Network draws; beyond them nodes and edges are dropped.
const (
	MaxNetNodes  = 50_000
	MaxNetEdges  = 200_000
	maxNetGroups = 64
	colEdge      = "#c9c9c9"
)

// SVG returns the chart as a standalone SVG document.
func (c *Network) SVG() []byte { return renderSVG(c) }

// PNG rasterises the chart; see Chart.
func (c *Network) PNG(scale float64) ([]byte, error) { return renderPNG(c, scale) }

func (c *Network) meta() (string, string) { return c.Title, c.Lang }

func (c *Network) size() (float64, float64) {
	return dim(c.Width, 1000), dim(c.Height, 760)
}

func (c *Network) nodes() []NetNode {
	if len(c.Nodes) > MaxNetNodes {
		return c.Nodes[:MaxNetNodes]
	}
	return c.Nodes
}

// finite turns NaN and infinities into 0 (positions may be negative).
func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func nodeR(n NetNode) float64 {
	r := clean(n.R)
	if r <= 0 {
		return 3
	}
	return math.Min(r, 40)
}

func (c *Network) draw(cv canvas) {
	w, h := c.size()
	b := box{pad, pad - 2, w - 2*pad, 0}
	y := drawHeader(cv, b, c.Title, c.Subtitle, sizeTitle)
	if len(c.Legend) > 0 {
		items := make([]legendItem, 0, len(c.Legend))
		for _, l := range c.Legend {
			items = append(items, legendItem{label: l.Label, color: l.Color, kind: legendDot, r: 5})
		}
		y = drawLegend(cv, box{b.x, y + 8, b.w, 0}, items)
	}
	p := box{pad, y + 8, w - 2*pad, h - y - 8 - pad}
	nodes := c.nodes()
	if len(nodes) == 0 || p.h < 20 {
		emptyMessage(cv, box{p.x, p.y, p.w, math.Max(p.h, 20)}, c.Lang)
		return
	}
	// Fit the positions, keeping room for the biggest dot.
	minX, minY := math.Inf(1), math.Inf(1)
	maxX, maxY := math.Inf(-1), math.Inf(-1)
	maxR := 0.0
	for _, n := range nodes {
		x, y := finite(n.X), finite(n.Y)
		minX, maxX = math.Min(minX, x), math.Max(maxX, x)
		minY, maxY = math.Min(minY, y), math.Max(maxY, y)
		maxR = math.Max(maxR, nodeR(n))
	}
	inner := box{p.x + maxR, p.y + maxR, math.Max(p.w-2*maxR, 1), math.Max(p.h-2*maxR, 1)}
	sx, sy := maxX-minX, maxY-minY
	scale := 1.0
	if sx > 0 || sy > 0 {
		scale = math.Min(inner.w/math.Max(sx, 1e-12), inner.h/math.Max(sy, 1e-12))
	}
	ox := inner.x + (inner.w-sx*scale)/2
	oy := inner.y + (inner.h-sy*scale)/2
	at := func(n NetNode) point {
		return point{ox + (finite(n.X)-minX)*scale, oy + (finite(n.Y)-minY)*scale}
	}
	pts := make([]point, len(nodes))
	for i, n := range nodes {
		pts[i] = at(n)
	}
	edges := c.Edges
	if len(edges) > MaxNetEdges {
		edges = edges[:MaxNetEdges]
	}
	for _, e := range edges {
		if e.A < 0 || e.B < 0 || e.A >= len(pts) || e.B >= len(pts) || e.A == e.B {
			continue
		}
		a, bb := pts[e.A], pts[e.B]
		cv.line(a.x, a.y, bb.x, bb.y, style{stroke: colEdge, strokeWidth: 0.6})
	}
	for i, n := range nodes {
		title := n.Title
		if title == "" {
			title = n.Label
		}
		st := style{fill: n.Color, class: n.Class, title: title}
		if st.fill == "" {
			st.fill = colFaint
		}
		if n.Ring != "" {
			st.stroke, st.strokeWidth = n.Ring, 1.5
		}
		cv.link(n.Href)
		cv.circle(pts[i].x, pts[i].y, nodeR(n), st)
		cv.unlink(n.Href)
	}
	// Labels, biggest node first, none over another.
	var order []int
	for i, n := range nodes {
		if n.ShowLabel && n.Label != "" {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(nodeR(nodes[b]), nodeR(nodes[a])) })
	var placed []box
	free := func(r box) bool {
		if r.x < 0 || r.x+r.w > w || r.y < p.y-sizeSmall || r.y+r.h > h {
			return false
		}
		for _, o := range placed {
			if r.x < o.x+o.w && o.x < r.x+r.w && r.y < o.y+o.h && o.y < r.y+r.h {
				return false
			}
		}
		return true
	}
	for _, i := range order {
		n := nodes[i]
		label := truncate(n.Label, sizeSmall, false, 220)
		tw := textWidth(label, sizeSmall, false)
		r := nodeR(n)
		q := pts[i]
		// Right of the node, else left.
		for _, cand := range []struct {
			x  float64
			an anchor
		}{{q.x + r + 3, anchorStart}, {q.x - r - 3, anchorEnd}} {
			bx := cand.x
			if cand.an == anchorEnd {
				bx -= tw
			}
			rb := box{bx, q.y - sizeSmall*0.7, tw, sizeSmall * 1.2}
			if free(rb) {
				placed = append(placed, rb)
				cv.text(cand.x, q.y+sizeSmall*0.36, label, textStyle{size: sizeSmall, color: colText, anchor: cand.an, class: "netlabel"})
				break
			}
		}
	}
	groups := c.Groups
	if len(groups) > maxNetGroups {
		groups = groups[:maxNetGroups]
	}
	for _, g := range groups {
		var cx, cy float64
		k := 0
		for _, i := range g.Nodes {
			if i >= 0 && i < len(pts) {
				cx += pts[i].x
				cy += pts[i].y
				k++
			}
		}
		if k == 0 || g.Label == "" {
			continue
		}
		cx, cy = cx/float64(k), cy/float64(k)
		// Only a compact group gets a label: the centre of nodes spread
		// over the drawing is no place of theirs (the legend names it).
		var ss float64
		for _, i := range g.Nodes {
			if i >= 0 && i < len(pts) {
				ss += (pts[i].x-cx)*(pts[i].x-cx) + (pts[i].y-cy)*(pts[i].y-cy)
			}
		}
		if math.Sqrt(ss/float64(k)) > 0.12*math.Min(p.w, p.h) {
			continue
		}
		label := truncate(g.Label, sizeLegend, true, 220)
		tw := textWidth(label, sizeLegend, true)
		col := g.Color
		if col == "" {
			col = colText
		}
		cv.rect(cx-tw/2-4, cy-sizeLegend, tw+8, sizeLegend*1.45, style{fill: colBg, stroke: col, strokeWidth: 1, opacity: 0.85, class: "netgroup"})
		cv.text(cx, cy+sizeLegend*0.1, label, textStyle{size: sizeLegend, bold: true, color: col, anchor: anchorMiddle, class: "netgroup"})
	}
}
