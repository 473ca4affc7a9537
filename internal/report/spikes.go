package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
)

func (b *builder) spikeSection() {
	b.d.h2("spikes", b.tr("spikes"))
	if len(b.v.Findings) == 0 {
		b.d.para(b.tr("noSpikes"))
		return
	}
	var items []string
	for _, f := range b.v.Listed {
		items = append(items, analysis.Sentence(f, b.lang, namer))
	}
	b.d.list(items)
	if len(items) < len(b.v.Findings) {
		if b.ja {
			b.d.note(fmt.Sprintf("全%d件のうち主な%d件を挙げています。全件は spikes.csv にあります。", len(b.v.Findings), len(items)))
		} else {
			b.d.note(fmt.Sprintf("The %d main findings of %d; all of them are in spikes.csv.", len(items), len(b.v.Findings)))
		}
	}
	b.d.note(b.tr("spikeOnChart"))
	multi := len(b.v.Sensors) > 1
	t := &table{name: "spikes", numeric: []bool{false, false, false, true, true, true},
		head: []string{b.tr("day"), b.tr("class"), b.tr("key"), b.tr("value"), b.tr("baseline"), b.tr("ratio")},
		csvHead: []string{"kind", "sensor", "also_at", "class", "dim", "key", "day", "last_day", "ongoing", "unit", "value", "baseline",
			"ratio", "test_ratio", "z", "baseline_days", "window_days", "sources", "drivers", "sentence_en", "sentence_ja"}}
	if multi {
		t.head = slices.Insert(t.head, 1, b.tr("sensor"))
		t.numeric = slices.Insert(t.numeric, 1, false)
	}
	for _, f := range b.v.Listed {
		day := dateArg(f.Day)
		if f.Kind == analysis.KindRise {
			day += " – " + dateArg(f.LastDay)
			if f.Ongoing {
				day = dateArg(f.Day) + " –"
			}
		}
		row := []string{day, b.className(f.Class), b.keyName(f.Dim, f.Key),
			chart.FormatCount(math.Round(f.Value)), chart.FormatCount(math.Round(f.Baseline)), ratioCell(f)}
		if multi {
			row = slices.Insert(row, 1, strings.Join(append([]string{f.Sensor}, f.AlsoAt...), ", "))
		}
		t.rows = append(t.rows, row)
	}
	for _, f := range b.v.Findings {
		var drvRaw []string
		for _, d := range f.Drivers {
			drvRaw = append(drvRaw, fmt.Sprintf("%s=%s:%s/%s", d.Dim, d.Key, num(math.Round(d.Value)), num(math.Round(d.Baseline))))
		}
		srcs := ""
		if f.Sources > 0 {
			srcs = num(f.Sources)
		}
		t.csvRows = append(t.csvRows, []string{f.Kind, f.Sensor, strings.Join(f.AlsoAt, " "), f.Class, f.Dim, f.Key, dateArg(f.Day), dateArg(f.LastDay),
			strconv.FormatBool(f.Ongoing), string(f.Unit), num(f.Value), num(f.Baseline), num(f.BaselineRatio()), num(f.Ratio), num(f.Z),
			strconv.Itoa(f.BaselineDays), strconv.Itoa(f.Window), srcs, strings.Join(drvRaw, " "),
			analysis.Sentence(f, analysis.LangEnglish, namer), analysis.Sentence(f, analysis.LangJapanese, namer)})
	}
	b.addTable(t)
}

// ratioCell is the value over the baseline for the findings table: "×4.8",
// or "new" when the baseline is 0.
func ratioCell(f analysis.Finding) string {
	r := f.BaselineRatio()
	if math.IsInf(r, 1) {
		return "0 →"
	}
	if math.IsNaN(r) {
		return "–"
	}
	return "×" + analysis.FormatRatio(r)
}

// leadFindings are the three findings of the summary: Mirai, exploit and
// access findings first, as the observation posts lead with them.
func (b *builder) leadFindings() []analysis.Finding {
	var lead, rest []analysis.Finding
	for _, f := range b.v.Listed {
		switch f.Class {
		case "mirai", "exploit", "access":
			lead = append(lead, f)
		default:
			rest = append(rest, f)
		}
	}
	lead = append(lead, rest...)
	return lead[:min(3, len(lead))]
}
