package chart

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"slices"
	"unicode"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// maxPixels bounds the PNG size so that absurd Width/Height/scale values give
// an error instead of exhausting memory.
const maxPixels = 64 << 20

// rasterCanvas paints the layout into an RGBA image. Shapes are filled with
// x/image/vector, one bounding-box-sized rasterisation each (resetting a
// full-image rasteriser per shape would clear megabytes every time); strokes,
// dashes and circles are turned into filled polygons here because vector only
// fills.
type rasterCanvas struct {
	img     *image.RGBA
	scale   float64
	z       vector.Rasterizer
	fonts   *fontSet
	faces   map[faceKey]font.Face
	buf     sfnt.Buffer
	missing []rune // visible characters without a glyph in any font (first few)
}

type faceKey struct {
	f    *sfnt.Font
	size float64
}

func newRaster(w, h, scale float64, fonts *fontSet) (*rasterCanvas, error) {
	if !(scale > 0) || math.IsInf(scale, 0) {
		scale = 1
	}
	pw, ph := int(math.Round(w*scale)), int(math.Round(h*scale))
	if pw < 1 || ph < 1 || float64(pw)*float64(ph) > maxPixels {
		return nil, fmt.Errorf("chart: PNG of %dx%d pixels is out of range", pw, ph)
	}
	img := image.NewRGBA(image.Rect(0, 0, pw, ph))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	return &rasterCanvas{img: img, scale: scale, fonts: fonts, faces: map[faceKey]font.Face{}}, nil
}

// encode returns the PNG; when Japanese text could not be drawn the error
// wraps ErrNoCJKFont and the image is still returned.
func (c *rasterCanvas) encode() ([]byte, error) {
	var out bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&out, c.img); err != nil {
		return nil, fmt.Errorf("encode PNG: %w", err)
	}
	for _, f := range c.faces {
		_ = f.Close()
	}
	if len(c.missing) > 0 {
		if c.fonts == nil || c.fonts.cjkPath == "" {
			return out.Bytes(), fmt.Errorf("chart text %q: %w: %w", string(c.missing), ErrMissingGlyphs, ErrNoCJKFont)
		}
		return out.Bytes(), fmt.Errorf("chart text %q: %w in %s", string(c.missing), ErrMissingGlyphs, c.fonts.cjkPath)
	}
	return out.Bytes(), nil
}

func toRGBA(col string, opacity float64) color.NRGBA {
	r, g, b := rgb(col)
	a := uint8(255)
	if opacity > 0 && opacity < 1 {
		a = uint8(math.Round(opacity * 255))
	}
	return color.NRGBA{r, g, b, a}
}

// fill rasterises polygons (device coordinates) in one colour. All polygons
// should wind the same way so that overlaps union; a polygon wound the other
// way cuts a hole.
func (c *rasterCanvas) fill(polys [][]point, col color.Color) {
	c.fillClip(polys, col, c.img.Bounds())
}

// fillClip is fill limited to the device rectangle clip.
func (c *rasterCanvas) fillClip(polys [][]point, col color.Color, clip image.Rectangle) {
	minx, miny := math.Inf(1), math.Inf(1)
	maxx, maxy := math.Inf(-1), math.Inf(-1)
	for _, p := range polys {
		for _, q := range p {
			minx, maxx = math.Min(minx, q.x), math.Max(maxx, q.x)
			miny, maxy = math.Min(miny, q.y), math.Max(maxy, q.y)
		}
	}
	b := c.img.Bounds().Intersect(clip)
	x0 := max(int(math.Floor(minx)), b.Min.X)
	y0 := max(int(math.Floor(miny)), b.Min.Y)
	x1 := min(int(math.Ceil(maxx)), b.Max.X)
	y1 := min(int(math.Ceil(maxy)), b.Max.Y)
	if math.IsNaN(minx) || math.IsNaN(miny) || x1 <= x0 || y1 <= y0 {
		return
	}
	c.z.Reset(x1-x0, y1-y0)
	c.z.DrawOp = draw.Over
	for _, p := range polys {
		if len(p) < 3 {
			continue
		}
		c.z.MoveTo(float32(p[0].x-float64(x0)), float32(p[0].y-float64(y0)))
		for _, q := range p[1:] {
			c.z.LineTo(float32(q.x-float64(x0)), float32(q.y-float64(y0)))
		}
		c.z.ClosePath()
	}
	c.z.Draw(c.img, image.Rect(x0, y0, x1, y1), image.NewUniform(col), image.Point{})
}

func (c *rasterCanvas) dev(x, y float64) point { return point{x * c.scale, y * c.scale} }

func (c *rasterCanvas) rectPoly(x, y, w, h float64) []point {
	a, b := c.dev(x, y), c.dev(x+w, y+h)
	return []point{a, {b.x, a.y}, b, {a.x, b.y}}
}

func (c *rasterCanvas) rect(x, y, w, h float64, st style) {
	if !(w > 0 && h > 0) {
		return
	}
	if st.fill != "" {
		c.fill([][]point{c.rectPoly(x, y, w, h)}, toRGBA(st.fill, st.opacity))
	}
	if st.stroke != "" {
		pts := []point{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}}
		c.stroke(pts, true, st)
	}
}

func (c *rasterCanvas) hatch(x, y, w, h float64, st style) {
	if !(w > 0 && h > 0) {
		return
	}
	bg, fg, sp, lw, dir := colHatchBg, colHatch, hatchSpacing*math.Sqrt2, 1.2, 1.0
	if st.pattern == patPartial {
		bg, fg, sp, lw, dir = colPartialBg, colPartial, partialSpacing*math.Sqrt2, 1.0, -1
	}
	c.fill([][]point{c.rectPoly(x, y, w, h)}, toRGBA(bg, 0))
	// Diagonal lines as in the SVG patterns (rotated ±45° and anchored at the
	// origin): px + py = k*sp for the no-data hatch, px - py = k*sp for
	// partial days; clipped to the rectangle.
	var polys [][]point
	var k0, k1 float64
	if dir > 0 {
		k0, k1 = math.Floor((x+y)/sp), math.Ceil((x+w+y+h)/sp)
	} else {
		k0, k1 = math.Floor((x-y-h)/sp), math.Ceil((x+w-y)/sp)
	}
	for k := k0; k <= k1; k++ {
		off := k * sp
		var ya, yb float64
		if dir > 0 { // px = off - py within [x, x+w]
			ya, yb = math.Max(y, off-x-w), math.Min(y+h, off-x)
		} else { // px = off + py within [x, x+w]
			ya, yb = math.Max(y, x-off), math.Min(y+h, x+w-off)
		}
		if yb <= ya {
			continue
		}
		pa, pb := point{off - ya, ya}, point{off - yb, yb}
		if dir < 0 {
			pa, pb = point{off + ya, ya}, point{off + yb, yb}
		}
		if s := c.segPoly(pa, pb, lw); s != nil {
			polys = append(polys, s)
		}
	}
	a, b := c.dev(x, y), c.dev(x+w, y+h)
	clip := image.Rect(int(math.Round(a.x)), int(math.Round(a.y)), int(math.Round(b.x)), int(math.Round(b.y)))
	c.fillClip(polys, toRGBA(fg, 0), clip)
}

// segPoly is a stroked segment (CSS px in, device px out) as a quad wound
// clockwise in device space.
func (c *rasterCanvas) segPoly(a, b point, width float64) []point {
	a, b = c.dev(a.x, a.y), c.dev(b.x, b.y)
	dx, dy := b.x-a.x, b.y-a.y
	l := math.Hypot(dx, dy)
	if l == 0 {
		return nil
	}
	hw := width * c.scale / 2
	nx, ny := -dy/l*hw, dx/l*hw
	return orient([]point{{a.x + nx, a.y + ny}, {b.x + nx, b.y + ny}, {b.x - nx, b.y - ny}, {a.x - nx, a.y - ny}}, true)
}

// orient returns p wound clockwise (cw) or counter-clockwise in device space.
func orient(p []point, cw bool) []point {
	area := 0.0
	for i := range p {
		j := (i + 1) % len(p)
		area += p[i].x*p[j].y - p[j].x*p[i].y
	}
	if (area > 0) != cw {
		for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
			p[i], p[j] = p[j], p[i]
		}
	}
	return p
}

func (c *rasterCanvas) line(x1, y1, x2, y2 float64, st style) {
	c.stroke([]point{{x1, y1}, {x2, y2}}, false, st)
}

// stroke draws a polyline (CSS px) with round joins, dashed if asked.
func (c *rasterCanvas) stroke(pts []point, closed bool, st style) {
	if st.stroke == "" || len(pts) < 2 {
		return
	}
	w := st.strokeWidth
	if w <= 0 {
		w = 1
	}
	if closed {
		pts = append(append([]point(nil), pts...), pts[0])
	}
	var polys [][]point
	if st.dash > 0 {
		on, off := st.dash, st.dash*0.75
		drawing, left := true, on
		for i := 0; i+1 < len(pts); i++ {
			a, b := pts[i], pts[i+1]
			l := math.Hypot(b.x-a.x, b.y-a.y)
			t := 0.0
			for t < l {
				step := math.Min(left, l-t)
				if drawing {
					p := point{a.x + (b.x-a.x)*t/l, a.y + (b.y-a.y)*t/l}
					q := point{a.x + (b.x-a.x)*(t+step)/l, a.y + (b.y-a.y)*(t+step)/l}
					if s := c.segPoly(p, q, w); s != nil {
						polys = append(polys, s)
					}
				}
				t += step
				left -= step
				if left <= 1e-9 {
					drawing = !drawing
					if drawing {
						left = on
					} else {
						left = off
					}
				}
			}
		}
	} else {
		for i := 0; i+1 < len(pts); i++ {
			if s := c.segPoly(pts[i], pts[i+1], w); s != nil {
				polys = append(polys, s)
			}
			if len(pts) > 2 && i > 0 {
				polys = append(polys, c.circlePoly(pts[i].x, pts[i].y, w/2, true))
			}
		}
	}
	c.fill(polys, toRGBA(st.stroke, 0))
}

// circlePoly approximates a circle (CSS px in) by a polygon fine enough that
// the flattening error stays under a tenth of a device pixel.
func (c *rasterCanvas) circlePoly(cx, cy, r float64, cw bool) []point {
	rd := r * c.scale
	n := 12
	for n < 256 && rd*(1-math.Cos(math.Pi/float64(n))) > 0.1 {
		n *= 2
	}
	p := make([]point, n)
	ctr := c.dev(cx, cy)
	for i := range p {
		a := 2 * math.Pi * float64(i) / float64(n)
		p[i] = point{ctr.x + rd*math.Cos(a), ctr.y + rd*math.Sin(a)}
	}
	return orient(p, cw)
}

func (c *rasterCanvas) circle(cx, cy, r float64, st style) {
	if !(r > 0) {
		return
	}
	if st.fill != "" {
		c.fill([][]point{c.circlePoly(cx, cy, r, true)}, toRGBA(st.fill, st.opacity))
	}
	if st.stroke != "" {
		w := st.strokeWidth
		if w <= 0 {
			w = 1
		}
		outer := c.circlePoly(cx, cy, r+w/2, true)
		inner := c.circlePoly(cx, cy, math.Max(r-w/2, 0), false)
		c.fill([][]point{outer, inner}, toRGBA(st.stroke, 0))
	}
}

func (c *rasterCanvas) path(pts []point, closed bool, st style) {
	if len(pts) < 2 {
		return
	}
	if closed && st.fill != "" && len(pts) >= 3 {
		d := make([]point, len(pts))
		for i, p := range pts {
			d[i] = c.dev(p.x, p.y)
		}
		c.fill([][]point{d}, toRGBA(st.fill, st.opacity))
	}
	c.stroke(pts, closed, st)
}

func (c *rasterCanvas) face(f *sfnt.Font, size float64) font.Face {
	k := faceKey{f, size}
	if fc, ok := c.faces[k]; ok {
		return fc
	}
	fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil
	}
	c.faces[k] = fc
	return fc
}

// pick returns the first font in chain with a glyph for r; ok is false when
// none has one (the first font's missing-glyph box is used).
func (c *rasterCanvas) pick(chain []*sfnt.Font, r rune) (*sfnt.Font, bool) {
	for _, f := range chain {
		if i, err := f.GlyphIndex(&c.buf, r); err == nil && i != 0 {
			return f, true
		}
	}
	return chain[0], false
}

// Links and day columns are SVG-only.
func (c *rasterCanvas) link(href string)                               {}
func (c *rasterCanvas) unlink(href string)                             {}
func (c *rasterCanvas) dayColumn(x, y, w, h float64, day, href string) {}

func (c *rasterCanvas) text(x, y float64, s string, ts textStyle) {
	if s == "" || c.fonts == nil {
		return
	}
	chain := c.fonts.regular
	if ts.bold {
		chain = c.fonts.bold
	}
	if len(chain) == 0 {
		return
	}
	size := ts.size * c.scale
	type glyph struct {
		r    rune
		face font.Face
		adv  fixed.Int26_6
		tofu bool // no font has it: draw an empty box
	}
	gs := make([]glyph, 0, len(s))
	var total fixed.Int26_6
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			continue
		}
		f, ok := c.pick(chain, r)
		tofu := !ok && !unicode.IsSpace(r)
		if tofu && len(c.missing) < 8 && !slices.Contains(c.missing, r) {
			c.missing = append(c.missing, r)
		}
		fc := c.face(f, size)
		if fc == nil {
			continue
		}
		adv, _ := fc.GlyphAdvance(r)
		if tofu {
			// The same advance as layout assumed (runeEm), so that the
			// boxes take the place the text was given.
			adv = fixed.Int26_6(math.Round(runeEm(r, ts.bold) * size * 64))
		}
		gs = append(gs, glyph{r, fc, adv, tofu})
		total += adv
	}
	px := x * c.scale
	switch ts.anchor {
	case anchorMiddle:
		px -= float64(total) / 128
	case anchorEnd:
		px -= float64(total) / 64
	}
	col := ts.color
	if col == "" {
		col = colText
	}
	src := image.NewUniform(toRGBA(col, 0))
	dot := fixed.Point26_6{X: fixed.Int26_6(math.Round(px * 64)), Y: fixed.Int26_6(math.Round(y * c.scale * 64))}
	for _, g := range gs {
		if g.tofu {
			c.tofu(float64(dot.X)/64, float64(dot.Y)/64, float64(g.adv)/64, size, col)
			dot.X += g.adv
			continue
		}
		dr, mask, maskp, adv, ok := g.face.Glyph(dot, g.r)
		if ok && !dr.Empty() {
			draw.DrawMask(c.img, dr, src, image.Point{}, mask, maskp, draw.Over)
		}
		if !ok {
			adv = g.adv
		}
		dot.X += adv
	}
}

// tofu draws the replacement for a character no font has: an empty box the
// height of a capital letter, so that missing text stays visible instead of
// vanishing. x, y (baseline) and adv are device pixels.
func (c *rasterCanvas) tofu(x, y, adv, size float64, col string) {
	s := c.scale
	lw := math.Max(size*0.06, 0.8*s) / s
	w := adv * 0.8 / s
	bx := x/s + adv*0.1/s
	h := size * 0.72 / s
	st := style{stroke: col, strokeWidth: lw}
	c.stroke([]point{{bx, y/s - h}, {bx + w, y/s - h}, {bx + w, y / s}, {bx, y / s}}, true, st)
}
