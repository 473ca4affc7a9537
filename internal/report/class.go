package report

import (
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/period"
)

func init() {
	msgs["intrusionUnit"] = [2]string{
		"Intrusions are honeypot sessions with a successful login that ran at least one command; the counts below are sessions, not packets.",
		"侵入は、ハニーポットでログインに成功し、1つ以上のコマンドを実行したセッションです。以下の数値はパケット数ではなくセッション数です。",
	}
}

func (b *builder) classSection(class string) {
	name := b.className(class)
	b.d.h2("class-"+class, name)
	if note := b.partialNote(); note != "" {
		b.d.note(note)
	}
	if class == classify.Intrusion.String() {
		b.d.note(b.tr("intrusionUnit"))
	}
	gaps, notes := b.chartDays()
	unitSeries := b.v.UnitSeries
	for _, dim := range []string{analysis.DimCountry, analysis.DimPort} {
		head, id := b.tr("byCountry"), class+"-country"
		if dim == analysis.DimPort {
			head, id = b.tr("byPort"), class+"-port"
		}
		b.d.h3(id, head)
		title := name + " · " + head
		marks := b.marks(class, dim)
		var marked []string
		for _, m := range marks {
			marked = append(marked, m.Key)
		}
		c := &chart.StackedBars{Title: title, Subtitle: b.period(b.from, b.to) + " · " + b.unitName(),
			YLabel: b.perDay(), Unit: b.unitName(), Days: b.days, Series: b.stack(unitSeries[dim], class, dim, marked...),
			Gaps: gaps, Coverage: b.v.Coverage, PartialText: notes, Marks: marks, Annotations: b.annotations(class), Lang: b.lang, Width: 840, Height: 420}
		b.addFig(id, title, c)
	}
	b.portDots(class)
	b.topTables(class)
}

// stack turns series of one class into a stacked bar chart's series: the
// TopN keys by period total and the promoted keys (those a spike mark
// points at, so that the mark points at a bar the legend names), then the
// rest summed as "other".
func (b *builder) stack(series []analysis.Series, class, dim string, promote ...string) []chart.Series {
	return b.stackOf(series, class, dim, b.v.Cut, promote...)
}

// stackOf is stack over series whose period values cut returns.
func (b *builder) stackOf(series []analysis.Series, class, dim string, cut func([]float64) []float64, promote ...string) []chart.Series {
	var out []chart.Series
	for _, p := range period.Stack(series, class, cut, b.opt.TopN, b.v.N, promote...) {
		if p.Other {
			out = append(out, chart.Series{Key: "other", Label: b.tr("other"), Values: p.Values})
			continue
		}
		out = append(out, chart.Series{Key: p.Key, Label: b.keyName(dim, p.Key), Values: p.Values})
	}
	return out
}

// marks are the findings of one class and dimension as chart marks.
func (b *builder) marks(class, dim string) []chart.Mark {
	var out []chart.Mark
	for _, f := range b.v.Listed {
		if f.Class != class || f.Dim != dim {
			continue
		}
		text := b.keyName(dim, f.Key) + " " + ratioCell(f)
		rise := f.Kind == analysis.KindRise
		if rise {
			text = b.keyName(dim, f.Key) // the chart draws the arrow
		}
		day := f.Day
		if day.Before(b.from) {
			day = b.from
		}
		out = append(out, chart.Mark{Day: day, Key: f.Key, Text: text, Rise: rise})
	}
	return out
}

// chartDays are the gaps and partial-day notes of merged daily charts: a
// day no sensor captured is a gap; a day only some of the sensors taking
// part captured is drawn from those that did, as a partial day noted "1 of
// 2 sensors" (period.View.SensorDays).
func (b *builder) chartDays() (gaps []bool, notes []string) {
	captured, active := b.v.SensorDays()
	gaps = b.v.ChartGap()
	notes = make([]string, len(captured))
	for i, n := range captured {
		if n > 0 && n < active {
			if b.ja {
				notes[i] = strconv.Itoa(active) + "か所中" + strconv.Itoa(n) + "か所のセンサー"
			} else {
				notes[i] = strconv.Itoa(n) + " of " + strconv.Itoa(active) + " sensors"
			}
		}
	}
	return gaps, notes
}

// partialNote states the days of the period that were captured only in
// part, next to the daily charts: "… 17 May (p: 2.9 h)". Empty when none.
func (b *builder) partialNote() string {
	var items []string
	multi := len(b.v.Sensors) > 1
	for i := range b.v.N {
		var parts []string
		for _, g := range b.v.Gaps {
			d := g.Days[b.v.Off+i]
			if d.State != analysis.Partial {
				continue
			}
			h := strconv.FormatFloat(d.Covered.Hours(), 'f', 1, 64) + " h"
			if multi {
				h = g.Sensor + ": " + h
			}
			parts = append(parts, h)
		}
		if len(parts) > 0 {
			items = append(items, b.dayShort(b.days[i])+" ("+strings.Join(parts, ", ")+")")
		}
	}
	if len(items) == 0 {
		return ""
	}
	sep := ", "
	if b.ja {
		sep = "、"
	}
	return b.tr("partialNote") + " " + strings.Join(items, sep)
}
