package report

import (
	"cmp"
	"slices"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/period"
)

// domesticSection charts the distinct sources placed in Japan per day by
// AS.
func (b *builder) domesticSection() {
	b.d.h2("domestic", b.tr("domestic"))
	ss, err := b.src.Series(b.ctx, period.SeriesQuery{Range: b.v.Range, Dim: analysis.DimASN, Unit: analysis.UnitSources,
		Classes: []string{classify.Access.String()}, Country: "JP", Keep: b.opt.TopN})
	if err != nil {
		b.warnings = append(b.warnings, err.Error())
		return
	}
	if len(ss) == 0 {
		b.d.para(b.tr("noDomestic"))
		return
	}
	// Series covers exactly the period here.
	series := b.stackOf(ss, classify.Access.String(), analysis.DimASN, func(v []float64) []float64 { return v })
	for i := range series {
		if o := b.v.Orgs[series[i].Key]; o != "" {
			series[i].Label = series[i].Key + " " + chart.Shorten(o, 28)
		}
	}
	title := b.tr("domestic")
	gaps, notes := b.chartDays()
	c := &chart.StackedBars{Title: title, Subtitle: b.tr("domesticSub"), YLabel: b.tr("perDaySources"), Unit: b.tr("unitSources"),
		Days: b.days, Series: series, Gaps: gaps, Coverage: b.v.Coverage, PartialText: notes, Annotations: b.opt.Annotations, Lang: b.lang, Width: 840, Height: 400}
	b.addFig("domestic-asn", title, c)
	t := &table{name: "domestic-asn", numeric: []bool{false, false, true, true},
		head:    []string{b.tr("asn"), b.tr("org"), b.tr("sources") + " (max/day)", b.tr("sources") + " (Σ days)"},
		csvHead: append([]string{"asn", "org"}, dayHeads(b.days)...)}
	slices.SortFunc(ss, func(x, y analysis.Series) int {
		return cmp.Or(cmp.Compare(period.Sum(y.Values), period.Sum(x.Values)), cmp.Compare(x.Key, y.Key))
	})
	for _, s := range ss {
		name := b.v.Orgs[s.Key]
		if period.IsOther(s.Key) {
			name = "" // the AS column says "other ASes" already
		}
		t.rows = append(t.rows, []string{b.keyName(analysis.DimASN, s.Key), chart.Shorten(name, 40), chart.FormatCount(slices.Max(s.Values)), chart.FormatCount(period.Sum(s.Values))})
		rec := []string{s.Key, name}
		for i, v := range s.Values {
			if !b.v.Present[b.v.Off+i] {
				rec = append(rec, "")
			} else {
				rec = append(rec, num(v))
			}
		}
		t.csvRows = append(t.csvRows, rec)
	}
	b.addTable(t)
}

func dayHeads(days []time.Time) []string {
	out := make([]string, len(days))
	for i, d := range days {
		out[i] = dateArg(d)
	}
	return out
}
