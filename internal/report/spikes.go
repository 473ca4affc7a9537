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
	if len(b.v.Shown) == 0 {
		b.d.para(b.tr("noSpikes"))
		b.hiddenNote()
		if len(b.v.Findings) > 0 {
			b.spikeTable()
		}
		return
	}
	var items []string
	for _, f := range b.v.Listed {
		items = append(items, analysis.Sentence(f, b.lang, namer))
	}
	b.d.list(items)
	if len(items) < len(b.v.Shown) {
		if b.ja {
			b.d.note(fmt.Sprintf("全%d件のうち主な%d件を挙げています。全件は spikes.csv にあります。", len(b.v.Shown), len(items)))
		} else {
			b.d.note(fmt.Sprintf("The %d main findings of %d; all of them are in spikes.csv.", len(items), len(b.v.Shown)))
		}
	}
	b.hiddenNote()
	b.d.note(b.tr("spikeOnChart"))
	b.spikeTable()
}

// hiddenNote says how many findings were below the significance threshold.
func (b *builder) hiddenNote() {
	if b.v.Hidden == 0 {
		return
	}
	min := analysis.DefaultRankConfig().MinSignificance
	if b.ja {
		b.d.note(fmt.Sprintf("有意度 %s 未満の%d件は省略しました（spikes.csv にはあります。honeyscope spikes --all で一覧できます）。", num(min), b.v.Hidden))
	} else {
		b.d.note(fmt.Sprintf("%d findings of significance below %s are left out (they are in spikes.csv; honeyscope spikes --all lists them).", b.v.Hidden, num(min)))
	}
}

// spikeTable is the table of listed findings and the CSV of all findings.
func (b *builder) spikeTable() {
	multi := len(b.v.Sensors) > 1
	t := &table{name: "spikes", numeric: []bool{false, false, false, true, true, true},
		head: []string{b.tr("day"), b.tr("class"), b.tr("key"), b.tr("value"), b.tr("baseline"), b.tr("ratio")},
		csvHead: []string{"kind", "sensor", "also_at", "class", "dim", "key", "day", "last_day", "ongoing", "unit", "value", "baseline",
			"ratio", "test_ratio", "z", "baseline_days", "window_days", "sources", "drivers", "sentence_en", "sentence_ja",
			"share", "significance", "shown", "same_event"}}
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
			analysis.Sentence(f, analysis.LangEnglish, namer), analysis.Sentence(f, analysis.LangJapanese, namer),
			strconv.FormatFloat(f.Share, 'f', 4, 64), strconv.FormatFloat(f.Significance, 'f', 3, 64),
			strconv.FormatBool(f.Significance >= analysis.DefaultRankConfig().MinSignificance), sameEventText(f)})
	}
	b.addTable(t)
}

// sameEventText lists the findings folded into f: "port=23/tcp asn=AS3269".
func sameEventText(f analysis.Finding) string {
	var parts []string
	for _, g := range f.SameEvent {
		parts = append(parts, g.Dim+"="+g.Key)
	}
	return strings.Join(parts, " ")
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

// leadFindings are the three findings of the summary: Mirai, exploit,
// intrusion and access findings first, as the observation posts lead with them.
func (b *builder) leadFindings() []analysis.Finding {
	var lead, rest []analysis.Finding
	for _, f := range b.v.Listed {
		switch f.Class {
		case "mirai", "exploit", "intrusion", "access":
			lead = append(lead, f)
		default:
			rest = append(rest, f)
		}
	}
	lead = append(lead, rest...)
	return lead[:min(3, len(lead))]
}
