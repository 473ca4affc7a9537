package report

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
)

// coverageSection states the days without data plainly.
func (b *builder) coverageSection() {
	b.d.h2("coverage", b.tr("coverage"))
	t := &table{name: "coverage", numeric: []bool{false, false, false, true},
		head:    []string{b.tr("sensor"), b.tr("day"), b.tr("state"), b.tr("missingHours")},
		csvHead: []string{"sensor", "day", "state", "covered_hours", "missing_hours"}}
	any := false
	for _, g := range b.v.Gaps {
		var none, part []string
		for _, d := range g.Days[b.v.Off:] {
			if d.State == analysis.Full {
				continue
			}
			any = true
			state := b.tr("noData")
			if d.State == analysis.Partial {
				state = b.tr("partial")
				part = append(part, b.dayShort(d.Day))
			} else {
				none = append(none, b.dayShort(d.Day))
			}
			t.rows = append(t.rows, []string{g.Sensor, dateArg(d.Day), state, strconv.Itoa(len(d.MissingHours))})
			var mh []string
			for _, h := range d.MissingHours {
				mh = append(mh, strconv.Itoa(h))
			}
			t.csvRows = append(t.csvRows, []string{g.Sensor, dateArg(d.Day), d.State.String(),
				strconv.FormatFloat(d.Covered.Hours(), 'f', 2, 64), strings.Join(mh, " ")})
		}
		if len(none) == 0 && len(part) == 0 {
			continue
		}
		sep := ", "
		if b.ja {
			sep = "、"
		}
		var s string
		switch {
		case b.ja && len(none) > 0 && len(part) > 0:
			s = fmt.Sprintf("センサー%s：%sはデータがありません（ゼロではなく欠測です）。%sは一部の時間帯のみのデータです。", g.Sensor, strings.Join(none, sep), strings.Join(part, sep))
		case b.ja && len(none) > 0:
			s = fmt.Sprintf("センサー%s：%sはデータがありません（ゼロではなく欠測です）。", g.Sensor, strings.Join(none, sep))
		case b.ja:
			s = fmt.Sprintf("センサー%s：%sは一部の時間帯のみのデータです。", g.Sensor, strings.Join(part, sep))
		case len(none) > 0 && len(part) > 0:
			s = fmt.Sprintf("Sensor %s: no data on %s (missing, not zero); only part of the day was captured on %s.", g.Sensor, strings.Join(none, sep), strings.Join(part, sep))
		case len(none) > 0:
			s = fmt.Sprintf("Sensor %s: no data on %s (missing, not zero).", g.Sensor, strings.Join(none, sep))
		default:
			s = fmt.Sprintf("Sensor %s: only part of the day was captured on %s.", g.Sensor, strings.Join(part, sep))
		}
		b.d.para(s)
	}
	b.dropsParagraphs()
	if !any {
		b.d.para(b.tr("allCovered"))
		return
	}
	b.d.note(b.tr("hatchNote"))
	b.addTable(t)
}

// dropsParagraphs says which sensors' live captures lost packets, and how
// many: their counts in this report are lower bounds.
func (b *builder) dropsParagraphs() {
	for _, n := range slices.Sorted(maps.Keys(b.v.Drops)) {
		d := b.v.Drops[n]
		if b.ja {
			b.d.para(fmt.Sprintf("センサー%s：ライブキャプチャで%s個のパケットを取りこぼしました（カーネル%s、処理待ち%s）。この期間の件数は下限値です。",
				n, chart.FormatCount(float64(d.Total())), chart.FormatCount(float64(d.Kernel)), chart.FormatCount(float64(d.Queue))))
			continue
		}
		b.d.para(fmt.Sprintf("Sensor %s: its live capture lost %s packets in the period (kernel %s, queue %s); its counts here are lower bounds.",
			n, chart.FormatCount(float64(d.Total())), chart.FormatCount(float64(d.Kernel)), chart.FormatCount(float64(d.Queue))))
	}
}
