package chart

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// Chart is implemented by every chart kind.
type Chart interface {
	// SVG returns the chart as a standalone SVG document.
	SVG() []byte
	// PNG rasterises the same layout at scale device pixels per CSS pixel
	// (2 suits high-density screens). If the error wraps ErrMissingGlyphs
	// (and ErrNoCJKFont when no CJK font was found) the returned image is
	// complete but the characters no font has are drawn as empty boxes.
	PNG(scale float64) ([]byte, error)
}

// drawer is the internal side of a chart: its size and how to draw it.
type drawer interface {
	size() (w, h float64)
	meta() (title, lang string)
	draw(cv canvas)
}

func renderSVG(d drawer) []byte {
	w, h := d.size()
	title, lang := d.meta()
	c := newSVG(w, h, lang, title)
	d.draw(c)
	return c.bytes()
}

func renderPNG(d drawer, scale float64) ([]byte, error) {
	fs, err := currentFonts()
	if err != nil {
		return nil, err
	}
	return renderPNGWith(d, scale, fs)
}

func renderPNGWith(d drawer, scale float64, fs *fontSet) ([]byte, error) {
	w, h := d.size()
	c, err := newRaster(w, h, scale, fs)
	if err != nil {
		return nil, err
	}
	d.draw(c)
	return c.encode()
}

// box is a rectangle in CSS pixels.
type box struct{ x, y, w, h float64 }

const (
	defaultWidth = 800
	pad          = 20.0 // outer padding
	maxSide      = 20000
)

// dim turns a configured size into pixels: def when unset, clamped to a
// sane range.
func dim(v, def int) float64 {
	if v <= 0 {
		return float64(def)
	}
	return math.Min(float64(v), maxSide)
}

// drawHeader draws title and subtitle at the top of b and returns the y below
// them.
func drawHeader(cv canvas, b box, title, subtitle string, titleSize float64) float64 {
	y := b.y
	if title != "" {
		y += titleSize
		cv.text(b.x, y, truncate(title, titleSize, true, b.w), textStyle{size: titleSize, bold: true, class: "title"})
		y += titleSize * 0.5
	}
	if subtitle != "" {
		y += sizeSubtitle * 1.25
		cv.text(b.x, y, truncate(subtitle, sizeSubtitle, false, b.w), textStyle{size: sizeSubtitle, color: colMuted, class: "subtitle"})
		y += sizeSubtitle * 0.4
	}
	return y
}

type legendKind uint8

const (
	legendSwatch legendKind = iota
	legendHatch
	legendDot
	legendLine
	legendPartial
)

type legendItem struct {
	label string
	color string
	kind  legendKind
	r     float64 // dot radius for legendDot
	href  string  // link of the entry (SVG only)
}

// drawLegend flows items left to right, wrapping at the width of b, and
// returns the y below the last row.
func drawLegend(cv canvas, b box, items []legendItem) float64 {
	if len(items) == 0 {
		return b.y
	}
	const sw, gap, rowH = 11.0, 16.0, 19.0
	x, y := b.x, b.y
	for _, it := range items {
		mark := sw
		if it.kind == legendDot && it.r*2 > mark {
			mark = it.r * 2
		}
		label := truncate(it.label, sizeLegend, false, b.w-mark-6)
		w := mark + 5 + textWidth(label, sizeLegend, false)
		if x > b.x && x+w > b.x+b.w {
			x = b.x
			y += rowH
		}
		cy := y + sw/2
		cv.link(it.href)
		switch it.kind {
		case legendHatch:
			cv.hatch(x, y, sw, sw, style{class: "legend"})
			cv.rect(x, y, sw, sw, style{stroke: colHatch, strokeWidth: 0.5})
		case legendPartial:
			cv.hatch(x, y, sw, sw, style{class: "legend", pattern: patPartial})
			cv.rect(x, y, sw, sw, style{stroke: colPartial, strokeWidth: 0.5})
		case legendDot:
			cv.circle(x+mark/2, cy, it.r, style{fill: it.color, class: "legend"})
		case legendLine:
			cv.line(x, cy, x+sw, cy, style{stroke: it.color, strokeWidth: 2.5, class: "legend"})
		default:
			cv.rect(x, y, sw, sw, style{fill: it.color, class: "legend"})
		}
		cv.text(x+mark+5, y+sw-1, label, textStyle{size: sizeLegend, color: colText, class: "legend"})
		cv.unlink(it.href)
		x += w + gap
	}
	return y + rowH
}

// yAxis is a linear count scale drawn as horizontal grid lines.
type yAxis struct {
	ticks  []float64
	labels []string
	top    float64
	labelW float64
}

func newYAxis(maxV float64, target int) yAxis {
	t := niceTicks(maxV, target)
	a := yAxis{ticks: t, top: t[len(t)-1], labels: make([]string, len(t))}
	for i, v := range t {
		a.labels[i] = FormatSI(v)
		a.labelW = math.Max(a.labelW, textWidth(a.labels[i], sizeTick, false))
	}
	return a
}

// y maps a value to a pixel row in plot p.
func (a yAxis) y(p box, v float64) float64 {
	if a.top <= 0 {
		return p.y + p.h
	}
	return p.y + p.h - math.Min(v, a.top)/a.top*p.h
}

// drawGrid draws grid lines and their labels left of plot p.
func (a yAxis) drawGrid(cv canvas, p box) {
	for i, v := range a.ticks {
		y := crisp(a.y(p, v))
		if i > 0 {
			cv.line(p.x, y, p.x+p.w, y, style{stroke: colGrid, strokeWidth: 1})
		}
		cv.text(p.x-7, a.y(p, v)+sizeTick*0.36, a.labels[i], textStyle{size: sizeTick, color: colMuted, anchor: anchorEnd, class: "ytick"})
	}
}

// crisp moves a 1px horizontal or vertical line onto the pixel grid.
func crisp(v float64) float64 { return math.Floor(v) + 0.5 }

// dayAxis places days as equal bands across a plot.
type dayAxis struct {
	p box
	n int
}

func (d dayAxis) bw() float64 {
	if d.n == 0 {
		return d.p.w
	}
	return d.p.w / float64(d.n)
}

func (d dayAxis) start(i int) float64  { return d.p.x + float64(i)*d.bw() }
func (d dayAxis) center(i int) float64 { return d.start(i) + d.bw()/2 }

// bar returns the pixel-snapped left edge and width of the bar of day i.
func (d dayAxis) bar(i int) (x, w float64) {
	bw := d.bw()
	padding := 0.0
	switch {
	case bw >= 8:
		padding = bw * 0.12
	case bw >= 4:
		padding = 1
	}
	x0 := math.Round(d.start(i) + padding)
	x1 := math.Round(d.start(i) + bw - padding)
	if x1 <= x0 {
		x1 = x0 + 1
	}
	return x0, x1 - x0
}

// tickSpace is the height needed below a plot for its day labels.
func tickSpace(ticks []dayTick) float64 {
	for _, t := range ticks {
		if t.year != "" {
			return 6 + sizeTick + 4 + sizeTick + 2
		}
	}
	return 6 + sizeTick + 2
}

// drawDayTicks draws tick marks and labels under the plot.
func (d dayAxis) drawDayTicks(cv canvas, ticks []dayTick) {
	base := d.p.y + d.p.h
	for _, t := range ticks {
		x := crisp(d.center(t.idx))
		cv.line(x, base, x, base+4, style{stroke: colAxis, strokeWidth: 1})
		cv.text(d.center(t.idx), base+6+sizeTick, t.label, textStyle{size: sizeTick, color: colMuted, anchor: anchorMiddle, class: "xtick"})
		if t.year != "" {
			cv.text(d.center(t.idx), base+6+2*sizeTick+4, t.year, textStyle{size: sizeTick, color: colFaint, anchor: anchorMiddle, class: "xyear"})
		}
	}
}

// noDataText is the label of days without data.
func noDataText(lang string) string {
	if isJa(lang) {
		return "データなし"
	}
	return "no data"
}

// drawGaps hatches runs of days without data across the full plot height.
func (d dayAxis) drawGaps(cv canvas, days []time.Time, gaps []bool, lang string) {
	for i := 0; i < d.n; i++ {
		if !gapAt(gaps, i) {
			continue
		}
		j := i
		for j+1 < d.n && gapAt(gaps, j+1) {
			j++
		}
		x0, x1 := d.start(i), d.start(j+1)
		title := isoDay(days[i]) + " · " + noDataText(lang)
		if j > i {
			title = isoDay(days[i]) + " – " + isoDay(days[j]) + " · " + noDataText(lang)
		}
		cv.hatch(x0, d.p.y, x1-x0, d.p.h, style{class: "gap", title: title})
		lbl := noDataText(lang)
		if textWidth(lbl, sizeSmall, false)+6 <= x1-x0 {
			cv.text((x0+x1)/2, d.p.y+sizeSmall+4, lbl, textStyle{size: sizeSmall, color: colMuted, anchor: anchorMiddle, class: "gaplabel"})
		}
		i = j
	}
}

// dayIndex maps calendar days to their index in days.
func dayIndex(days []time.Time) map[int64]int {
	m := make(map[int64]int, len(days))
	for i, d := range days {
		if _, ok := m[dayKey(d)]; !ok {
			m[dayKey(d)] = i
		}
	}
	return m
}

// Annotation is a dated event drawn as a dashed vertical line with a label,
// such as a rule change.
type Annotation struct {
	Day  time.Time
	Text string
}

// annotationDay returns the index of the day an annotation is drawn at (the
// day itself or, when missing from the axis, the next day shown), or -1 when
// it lies outside the range.
func annotationDay(days []time.Time, a Annotation) int {
	if len(days) == 0 {
		return -1
	}
	k := dayKey(a.Day)
	for i, day := range days {
		if dayKey(day) >= k {
			if i == 0 && dayKey(day) != k {
				return -1
			}
			return i
		}
	}
	return -1
}

// annotationLines returns the x positions of the annotation lines.
func (d dayAxis) annotationLines(days []time.Time, anns []Annotation) []float64 {
	var xs []float64
	for _, a := range anns {
		if i := annotationDay(days, a); i >= 0 && d.n > 0 {
			xs = append(xs, crisp(d.start(i)))
		}
	}
	return xs
}

// drawAnnotations draws events at the left edge of their day. An event on a
// day missing from the axis goes before the next day shown; events outside
// the range are skipped. Labels sit at the top of the plot right of their
// line, else left of it, else lower down, so that they overlap neither each
// other nor the boxes in avoid (spike marks and their labels).
func (d dayAxis) drawAnnotations(cv canvas, days []time.Time, anns []Annotation, avoid []box) {
	if d.n == 0 {
		return
	}
	placed := append([]box(nil), avoid...)
	hits := func(b box) (bottom float64, hit bool) {
		for _, p := range placed {
			if b.x < p.x+p.w && p.x < b.x+b.w && b.y < p.y+p.h && p.y < b.y+b.h {
				bottom = math.Max(bottom, p.y+p.h)
				hit = true
			}
		}
		return bottom, hit
	}
	for _, a := range anns {
		idx := annotationDay(days, a)
		if idx < 0 {
			continue
		}
		x := crisp(d.start(idx))
		cv.line(x, d.p.y, x, d.p.y+d.p.h, style{stroke: colAnnotate, strokeWidth: 1, dash: 4, class: "annotation", title: isoDay(a.Day) + " · " + a.Text})
		if a.Text == "" {
			continue
		}
		label := truncate(a.Text, sizeSmall, false, d.p.w/2)
		tw := textWidth(label, sizeSmall, false)
		bh := sizeSmall + 5
		right := box{x + 2, 0, tw + 4, bh}     // text starts at x+4
		left := box{x - 6 - tw, 0, tw + 4, bh} // text ends at x-4
		var sides []box
		if right.x+right.w <= d.p.x+d.p.w+2 {
			sides = append(sides, right)
		}
		if left.x >= d.p.x-2 || len(sides) == 0 {
			sides = append(sides, left)
		}
		chosen := sides[0]
		chosen.y = d.p.y + 3
		by := d.p.y + 3
	search:
		for range 64 {
			next := math.Inf(1)
			for _, s := range sides {
				s.y = by
				bottom, hit := hits(s)
				if !hit {
					chosen = s
					break search
				}
				next = math.Min(next, bottom+1)
			}
			if next+bh > d.p.y+d.p.h {
				break // no free place inside the plot: keep the top one
			}
			by = next
		}
		placed = append(placed, chosen)
		tx, anc := chosen.x+2, anchorStart
		if chosen.x < x {
			tx, anc = x-4, anchorEnd
		}
		cv.rect(chosen.x, chosen.y, chosen.w, chosen.h, style{fill: colBg, opacity: 0.85})
		cv.text(tx, chosen.y+sizeSmall+1, label, textStyle{size: sizeSmall, color: colAnnotate, anchor: anc, class: "annotation-label"})
	}
}

// emptyMessage draws a centred note in an empty plot.
func emptyMessage(cv canvas, p box, lang string) {
	cv.text(p.x+p.w/2, p.y+p.h/2, noDataText(lang), textStyle{size: sizeLegend, color: colMuted, anchor: anchorMiddle, class: "empty"})
}

func clampInt(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// partialAt returns the captured fraction of day i when the day is partial
// (0 < coverage < 1).
func partialAt(cov []float64, i int) (float64, bool) {
	if i < 0 || i >= len(cov) {
		return 0, false
	}
	f := cov[i]
	return f, f > 0 && f < 1 // false for NaN
}

// capturedHours formats the hours captured of a day with fraction f.
func capturedHours(f float64) string {
	h := f * 24
	if h < 9.95 {
		// "9 h", not "9.0 h"
		return strings.TrimSuffix(strconv.FormatFloat(h, 'f', 1, 64), ".0")
	}
	return strconv.FormatFloat(math.Round(h), 'f', 0, 64)
}

// partialText is the legend label of partial days.
func partialText(lang string) string {
	if isJa(lang) {
		return "一部の時間のみ観測"
	}
	return "partial day"
}

// partialDay reports whether day i is partial: by its coverage, or by a
// note of its own (notes[i] != "").
func partialDay(cov []float64, notes []string, i int) bool {
	if i >= 0 && i < len(notes) && notes[i] != "" {
		return true
	}
	_, ok := partialAt(cov, i)
	return ok
}

// partialNote is appended to hover texts of day i: " · partial: N h
// captured", or "" when the day is not partial.
func partialNote(cov []float64, notes []string, i int, lang string) string {
	if i >= 0 && i < len(notes) && notes[i] != "" {
		if isJa(lang) {
			return " · 一部のみ: " + notes[i]
		}
		return " · partial: " + notes[i]
	}
	f, ok := partialAt(cov, i)
	if !ok {
		return ""
	}
	if isJa(lang) {
		return " · 一部のみ: " + capturedHours(f) + " 時間分を観測"
	}
	return " · partial: " + capturedHours(f) + " h captured"
}

// dayStateItems are the legend entries for gaps and partial days, when the
// chart has any.
func dayStateItems(days []time.Time, gaps []bool, cov []float64, notes []string, lang string) []legendItem {
	var gap, part bool
	for i := range days {
		if gapAt(gaps, i) {
			gap = true
		} else if partialDay(cov, notes, i) {
			part = true
		}
	}
	var items []legendItem
	if gap {
		items = append(items, legendItem{label: noDataText(lang), kind: legendHatch})
	}
	if part {
		items = append(items, legendItem{label: partialText(lang), kind: legendPartial})
	}
	return items
}

// drawPartial shades the columns of partial days (not gaps) with a light
// hatch whose hover text gives the hours captured.
func (d dayAxis) drawPartial(cv canvas, days []time.Time, gaps []bool, cov []float64, notes []string, lang string) {
	for i := 0; i < d.n && i < len(days); i++ {
		if gapAt(gaps, i) || !partialDay(cov, notes, i) {
			continue
		}
		title := isoDay(days[i]) + partialNote(cov, notes, i, lang)
		cv.hatch(d.start(i), d.p.y, d.bw(), d.p.h, style{class: "partial", title: title, pattern: patPartial})
	}
}
