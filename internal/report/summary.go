package report

import (
	"fmt"
	"math"
	"strconv"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/classify"
)

// summary: headline numbers against the previous period (period.View.Change
// says how they are compared). The text states over how many days.
func (b *builder) summary() {
	b.d.h2("summary", b.tr("summary"))
	prevFrom := b.from.AddDate(0, 0, -b.v.N)
	prevTo := b.from.AddDate(0, 0, -1)
	cur := b.v.Totals.Current
	access := classify.Access.String()
	pc, sc := b.v.Change(access)
	prevData := pc.PreviousDays > 0
	change := func(c analysis.Change) string {
		if !prevData {
			return "–"
		}
		return c.Format(b.lang)
	}
	var cover string
	if prevData && (pc.CurrentDays < b.v.N || pc.PreviousDays < b.v.N) {
		if b.ja {
			cover = fmt.Sprintf("比較は全センサーのデータがある日の1日あたり平均で行いました（今期間%d日中%d日、前期間%d日中%d日）。", b.v.N, pc.CurrentDays, b.v.N, pc.PreviousDays)
		} else {
			cover = fmt.Sprintf(" Changes compare the average per day with data from every sensor: %d of %d days in this period, %d of %d in the previous one.", pc.CurrentDays, b.v.N, pc.PreviousDays, b.v.N)
		}
	}
	switch {
	case !prevData && b.ja:
		b.d.para(fmt.Sprintf("%sの期間に%sパケットを観測しました（ユニークIP数%s）。%s",
			b.period(b.from, b.to), chart.FormatCount(cur[access].Packets), chart.FormatCount(cur[access].Sources), b.tr("prevNoData")))
	case !prevData:
		b.d.para(fmt.Sprintf("From %s the sensors received %s packets from %s distinct sources. %s",
			b.period(b.from, b.to), chart.FormatCount(cur[access].Packets), chart.FormatCount(cur[access].Sources), b.tr("prevNoData")))
	case b.ja:
		b.d.para(fmt.Sprintf("%sの期間に%sパケットを観測しました（ユニークIP数%s）。前期間（%s）比は1日あたりパケット数%s、ユニークIP数%sです。%s",
			b.period(b.from, b.to), chart.FormatCount(cur[access].Packets), chart.FormatCount(cur[access].Sources),
			b.period(prevFrom, prevTo), pc.Format(b.lang), sc.Format(b.lang), cover))
	default:
		b.d.para(fmt.Sprintf("From %s the sensors received %s packets from %s distinct sources: %s packets and %s sources per day compared with the previous period (%s).%s",
			b.period(b.from, b.to), chart.FormatCount(cur[access].Packets), chart.FormatCount(cur[access].Sources),
			pc.Format(b.lang), sc.Format(b.lang), b.period(prevFrom, prevTo), cover))
	}
	t := &table{name: "summary", numeric: []bool{false, true, true, true, true, true},
		head: []string{b.tr("class"), b.tr("packets"), b.tr("changeDay"), b.tr("sources"), b.tr("changeDay"), b.tr("previousPackets")},
		csvHead: []string{"class", "packets", "packets_previous", "packets_change_percent", "sources", "sources_previous", "sources_change_percent",
			"days_with_data", "previous_days_with_data"}}
	for _, h := range b.v.Headline() {
		c, cu, pr, p, s := h.Class, h.Current, h.Previous, h.Packets, h.Sources
		prevPackets := chart.FormatCount(pr.Packets)
		if !prevData {
			prevPackets = b.tr("noData")
		}
		t.rows = append(t.rows, []string{b.className(c), chart.FormatCount(cu.Packets), change(p),
			chart.FormatCount(cu.Sources), change(s), prevPackets})
		t.csvRows = append(t.csvRows, []string{c, num(cu.Packets), num(pr.Packets), num(p.Percent),
			num(cu.Sources), num(pr.Sources), num(s.Percent), strconv.Itoa(p.CurrentDays), strconv.Itoa(p.PreviousDays)})
	}
	b.addTable(t)
	if lead := b.leadFindings(); len(lead) > 0 {
		var items []string
		for _, f := range lead {
			items = append(items, analysis.Sentence(f, b.lang, namer))
		}
		b.d.list(items)
	}
}

// num writes a raw number for CSV: integers without decimals, NaN empty.
func num(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}
