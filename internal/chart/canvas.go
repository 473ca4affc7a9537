package chart

import (
	"bytes"
	"encoding/xml"
	"math"
	"strconv"
)

// canvas is the drawing interface every chart lays itself out against. The
// SVG backend writes markup; the raster backend paints pixels. Coordinates are
// CSS pixels with the origin at the top left.
type canvas interface {
	rect(x, y, w, h float64, st style)
	line(x1, y1, x2, y2 float64, st style)
	circle(cx, cy, r float64, st style)
	// path draws a polyline (closed: polygon).
	path(pts []point, closed bool, st style)
	// hatch fills a rectangle with the "no data" pattern.
	hatch(x, y, w, h float64, st style)
	// text draws s with its baseline at y.
	text(x, y float64, s string, ts textStyle)
	// link makes what is drawn until unlink a link to href (SVG only; ""
	// draws no link).
	link(href string)
	unlink(href string)
	// dayColumn is an invisible column over one day, for a page's script
	// to find the days under the pointer (SVG only).
	dayColumn(x, y, w, h float64, day, href string)
}

type point struct{ x, y float64 }

// style describes how a shape is painted. Colours are "#rrggbb"; empty means
// none.
type style struct {
	fill        string
	stroke      string
	strokeWidth float64
	dash        float64 // dash and gap length; 0 is solid
	opacity     float64 // fill opacity; 0 means opaque
	class       string  // SVG class, for tests and styling
	title       string  // hover text
	pattern     pattern // for hatch: which fill pattern
}

// pattern is the fill of a hatched rectangle.
type pattern uint8

const (
	patNoData  pattern = iota // dense grey hatch: no data
	patPartial                // light, sparse hatch the other way: partial day
)

type anchor uint8

const (
	anchorStart anchor = iota
	anchorMiddle
	anchorEnd
)

type textStyle struct {
	size   float64
	bold   bool
	color  string
	anchor anchor
	class  string
}

// Typography and colours shared by all charts.
const (
	colText      = "#1f1f1f"
	colMuted     = "#5f5f5f"
	colFaint     = "#8a8a8a"
	colGrid      = "#e6e6e6"
	colAxis      = "#9a9a9a"
	colBg        = "#ffffff"
	colHatch     = "#c4c4c4"
	colHatchBg   = "#f4f4f4"
	colAnnotate  = "#4a4a4a"
	colPartial   = "#e0e0e0"
	colPartialBg = "#fafafa"

	sizeTitle    = 17
	sizeSubtitle = 12.5
	sizeLegend   = 12
	sizeTick     = 11
	sizeSmall    = 10.5

	hatchSpacing   = 5.0
	partialSpacing = 8.0
)

// fontStack is the CSS font-family list for SVG text.
func fontStack(lang string) string {
	if isJa(lang) {
		return `"Noto Sans CJK JP","Noto Sans JP","Hiragino Sans","Hiragino Kaku Gothic ProN","Yu Gothic UI","Yu Gothic",Meiryo,"Source Han Sans JP",sans-serif`
	}
	return `"Noto Sans","Helvetica Neue",Arial,"Noto Sans CJK JP","Hiragino Sans","Yu Gothic",Meiryo,sans-serif`
}

// svgCanvas writes SVG markup.
type svgCanvas struct {
	b bytes.Buffer
	// partialDef is set once the partial-day pattern has been defined; it
	// is written on first use so that charts without partial days keep
	// their markup.
	partialDef bool
}

func newSVG(w, h float64, lang, title string) *svgCanvas {
	c := &svgCanvas{}
	c.b.Grow(16 << 10)
	c.b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" width="`)
	c.num(w)
	c.b.WriteString(`" height="`)
	c.num(h)
	c.b.WriteString(`" viewBox="0 0 `)
	c.num(w)
	c.b.WriteByte(' ')
	c.num(h)
	// graphics-document, not img: an img's children are hidden from
	// assistive technology, and charts hold links (Series.Href, Mark.Href).
	c.b.WriteString(`" role="graphics-document"`)
	if lang != "" {
		c.b.WriteString(` xml:lang="`)
		c.esc(lang)
		c.b.WriteByte('"')
	}
	c.b.WriteString(` font-family="`)
	c.esc(fontStack(lang))
	c.b.WriteString("\">\n")
	if title != "" {
		c.b.WriteString("<title>")
		c.esc(title)
		c.b.WriteString("</title>\n")
	}
	c.hatchDef("nodata-hatch", hatchSpacing, "45", colHatchBg, colHatch, "1.2")
	c.b.WriteString(`<rect width="100%" height="100%" fill="` + colBg + `"/>` + "\n")
	return c
}

func (c *svgCanvas) bytes() []byte {
	c.b.WriteString("</svg>\n")
	return c.b.Bytes()
}

// num writes a coordinate with at most two decimals.
func (c *svgCanvas) num(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		v = 0
	}
	v = math.Round(v*100) / 100
	if v == 0 {
		v = 0 // no "-0"
	}
	c.b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
}

func (c *svgCanvas) esc(s string) {
	_ = xml.EscapeText(&c.b, []byte(s))
}

func (c *svgCanvas) attr(name string, v float64) {
	c.b.WriteByte(' ')
	c.b.WriteString(name)
	c.b.WriteString(`="`)
	c.num(v)
	c.b.WriteByte('"')
}

func (c *svgCanvas) paint(st style) {
	if st.class != "" {
		c.b.WriteString(` class="`)
		c.esc(st.class)
		c.b.WriteByte('"')
	}
	if st.fill != "" {
		c.b.WriteString(` fill="` + st.fill + `"`)
		if st.opacity > 0 && st.opacity < 1 {
			c.attr("fill-opacity", st.opacity)
		}
	} else {
		c.b.WriteString(` fill="none"`)
	}
	if st.stroke != "" {
		c.b.WriteString(` stroke="` + st.stroke + `"`)
		w := st.strokeWidth
		if w <= 0 {
			w = 1
		}
		c.attr("stroke-width", w)
		if st.dash > 0 {
			c.b.WriteString(` stroke-dasharray="`)
			c.num(st.dash)
			c.b.WriteByte(' ')
			c.num(st.dash * 0.75)
			c.b.WriteByte('"')
		}
	}
}

func (c *svgCanvas) close(st style) {
	if st.title == "" {
		c.b.WriteString("/>\n")
		return
	}
	c.b.WriteString("><title>")
	c.esc(st.title)
	c.b.WriteString("</title></")
}

func (c *svgCanvas) rect(x, y, w, h float64, st style) {
	if !(w > 0 && h > 0) {
		return
	}
	c.b.WriteString("<rect")
	c.attr("x", x)
	c.attr("y", y)
	c.attr("width", w)
	c.attr("height", h)
	c.paint(st)
	c.close(st)
	if st.title != "" {
		c.b.WriteString("rect>\n")
	}
}

// hatchDef defines a hatch pattern: lines spacing apart at angle degrees
// over a background.
func (c *svgCanvas) hatchDef(id string, spacing float64, angle, bg, stroke, width string) {
	c.b.WriteString(`<defs><pattern id="` + id + `" width="`)
	c.num(spacing)
	c.b.WriteString(`" height="`)
	c.num(spacing)
	c.b.WriteString(`" patternUnits="userSpaceOnUse" patternTransform="rotate(` + angle + `)"><rect width="`)
	c.num(spacing)
	c.b.WriteString(`" height="`)
	c.num(spacing)
	c.b.WriteString(`" fill="` + bg + `"/><line x1="0" y1="0" x2="0" y2="`)
	c.num(spacing)
	c.b.WriteString(`" stroke="` + stroke + `" stroke-width="` + width + `"/></pattern></defs>` + "\n")
}

func (c *svgCanvas) hatch(x, y, w, h float64, st style) {
	if !(w > 0 && h > 0) {
		return
	}
	if st.pattern == patPartial && !c.partialDef {
		c.partialDef = true
		c.hatchDef("partial-hatch", partialSpacing, "-45", colPartialBg, colPartial, "1")
	}
	c.b.WriteString("<rect")
	c.attr("x", x)
	c.attr("y", y)
	c.attr("width", w)
	c.attr("height", h)
	if st.class != "" {
		c.b.WriteString(` class="`)
		c.esc(st.class)
		c.b.WriteByte('"')
	}
	if st.pattern == patPartial {
		c.b.WriteString(` fill="url(#partial-hatch)"`)
	} else {
		c.b.WriteString(` fill="url(#nodata-hatch)"`)
	}
	c.close(st)
	if st.title != "" {
		c.b.WriteString("rect>\n")
	}
}

func (c *svgCanvas) line(x1, y1, x2, y2 float64, st style) {
	c.b.WriteString("<line")
	c.attr("x1", x1)
	c.attr("y1", y1)
	c.attr("x2", x2)
	c.attr("y2", y2)
	st.fill = ""
	c.paint(st)
	c.close(st)
	if st.title != "" {
		c.b.WriteString("line>\n")
	}
}

func (c *svgCanvas) circle(cx, cy, r float64, st style) {
	if !(r > 0) {
		return
	}
	c.b.WriteString("<circle")
	c.attr("cx", cx)
	c.attr("cy", cy)
	c.attr("r", r)
	c.paint(st)
	c.close(st)
	if st.title != "" {
		c.b.WriteString("circle>\n")
	}
}

func (c *svgCanvas) path(pts []point, closed bool, st style) {
	if len(pts) < 2 {
		return
	}
	c.b.WriteString(`<path d="`)
	for i, p := range pts {
		if i == 0 {
			c.b.WriteByte('M')
		} else {
			c.b.WriteByte('L')
		}
		c.num(p.x)
		c.b.WriteByte(' ')
		c.num(p.y)
	}
	if closed {
		c.b.WriteByte('Z')
	}
	c.b.WriteByte('"')
	if !closed {
		st.fill = ""
		c.b.WriteString(` stroke-linejoin="round" stroke-linecap="round"`)
	}
	c.paint(st)
	c.close(st)
	if st.title != "" {
		c.b.WriteString("path>\n")
	}
}

func (c *svgCanvas) link(href string) {
	if href == "" {
		return
	}
	c.b.WriteString(`<a href="`)
	c.esc(href)
	c.b.WriteString(`">`)
}

func (c *svgCanvas) unlink(href string) {
	if href != "" {
		c.b.WriteString("</a>\n")
	}
}

func (c *svgCanvas) dayColumn(x, y, w, h float64, day, href string) {
	if !(w > 0 && h > 0) {
		return
	}
	c.link(href)
	c.b.WriteString(`<rect class="daycol" data-day="`)
	c.esc(day)
	c.b.WriteByte('"')
	c.attr("x", x)
	c.attr("y", y)
	c.attr("width", w)
	c.attr("height", h)
	c.b.WriteString(` fill="#000000" fill-opacity="0"/>`)
	c.unlink(href)
	if href == "" {
		c.b.WriteByte('\n')
	}
}

func (c *svgCanvas) text(x, y float64, s string, ts textStyle) {
	if s == "" {
		return
	}
	c.b.WriteString("<text")
	c.attr("x", x)
	c.attr("y", y)
	if ts.class != "" {
		c.b.WriteString(` class="`)
		c.esc(ts.class)
		c.b.WriteByte('"')
	}
	c.attr("font-size", ts.size)
	if ts.bold {
		c.b.WriteString(` font-weight="bold"`)
	}
	switch ts.anchor {
	case anchorMiddle:
		c.b.WriteString(` text-anchor="middle"`)
	case anchorEnd:
		c.b.WriteString(` text-anchor="end"`)
	}
	col := ts.color
	if col == "" {
		col = colText
	}
	c.b.WriteString(` fill="` + col + `">`)
	c.esc(s)
	c.b.WriteString("</text>\n")
}
