package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/period"
)

// compareSection compares the first sensor with each other one (at most
// three pairs).
func (b *builder) compareSection() {
	b.d.h2("compare", b.tr("compare"))
	present := b.v.PeriodPresent()
	// Shares and charts follow the report's unit; the per-address volume
	// stays in packets (period.View.Compare).
	unitLabel, perDayLabel := b.tr("unitPackets"), b.tr("perDayPackets")
	countrySeries := b.v.CountrySeries()
	if b.opt.Unit == analysis.UnitSources && b.v.UnitBySensor != nil {
		unitLabel, perDayLabel = b.tr("unitSources"), b.tr("perDaySources")
	}
	a := b.v.Sensors[0]
	for pi, o := range b.v.Sensors[1:min(len(b.v.Sensors), 4)] {
		cmpRes, err := b.v.Compare(a, o)
		if err != nil {
			b.warnings = append(b.warnings, err.Error())
			continue
		}
		pair := a.Name + " / " + o.Name
		slug := fmt.Sprintf("compare%d", pi+1)
		b.d.h3(slug, pair)
		t := &table{name: slug + "-sensors", numeric: []bool{false, true, true, true, true},
			head:    []string{b.tr("sensor"), b.tr("addresses"), b.tr("presentDays"), b.tr("packets"), b.tr("perAddr")},
			csvHead: []string{"sensor", "addresses", "present_days", "packets", "packets_per_day_per_address"}}
		for _, s := range []analysis.SensorSummary{cmpRes.A, cmpRes.B} {
			addr := "?"
			if s.Addresses > 0 {
				addr = chart.FormatCount(float64(s.Addresses))
			}
			t.rows = append(t.rows, []string{s.Name, addr, strconv.Itoa(s.PresentDays), chart.FormatCount(s.Packets), chart.FormatValue(s.PerDayPerAddress)})
			t.csvRows = append(t.csvRows, []string{s.Name, strconv.Itoa(s.Addresses), strconv.Itoa(s.PresentDays), num(s.Packets), num(s.PerDayPerAddress)})
		}
		b.addTable(t)
		if cmpRes.A.Addresses > 0 && cmpRes.B.Addresses > 0 {
			lc := &chart.LineChart{Title: b.tr("perAddrTitle"), Subtitle: pair, YLabel: b.tr("perAddr"), Unit: b.tr("unitPackets"),
				Days: b.days, Series: []chart.Series{
					{Key: "sensor-a-" + a.Name, Label: a.Name, Values: cmpRes.A.DailyPerAddress, Color: "#4e79a7"},
					{Key: "sensor-b-" + o.Name, Label: o.Name, Values: cmpRes.B.DailyPerAddress, Color: "#f28e2b"}},
				Annotations: b.opt.Annotations, Lang: b.lang, Width: 840, Height: 320}
			b.addFig(slug+"-per-address", b.tr("perAddrTitle")+" · "+pair, lc)
		}
		st := &table{name: slug + "-similarity", numeric: []bool{false, true, true, true, true},
			head:    []string{b.tr("class"), b.tr("spearman"), b.tr("dailyCorr"), a.Name, o.Name},
			csvHead: []string{"class", "spearman", "countries", "daily_correlation", "daily_countries", "total_a", "total_b", "only_a", "only_b", "ports_only_a", "ports_only_b"}}
		for _, cc := range cmpRes.Classes {
			st.rows = append(st.rows, []string{b.className(cc.Class), chart.FormatCorrelation(cc.Spearman), chart.FormatCorrelation(cc.DailyCorrelation),
				chart.FormatCount(cc.TotalA), chart.FormatCount(cc.TotalB)})
			st.csvRows = append(st.csvRows, []string{cc.Class, num(cc.Spearman), strconv.Itoa(cc.Countries), num(cc.DailyCorrelation),
				strconv.Itoa(cc.DailyCountries), num(cc.TotalA), num(cc.TotalB), strings.Join(cc.OnlyA, " "), strings.Join(cc.OnlyB, " "),
				strings.Join(cc.PortsOnlyA, " "), strings.Join(cc.PortsOnlyB, " ")})
		}
		b.addTable(st)
		b.d.note(b.tr("similarityNote"))
		for _, cc := range cmpRes.Classes {
			if cc.TotalA == 0 || cc.TotalB == 0 {
				continue
			}
			title := fmt.Sprintf("%s · %s · ρ = %s", b.className(cc.Class), b.tr("byCountry"), chart.FormatCorrelation(cc.Spearman))
			var panels []chart.StackedBars
			for _, s := range []period.Sensor{a, o} {
				var mine []analysis.Series
				for _, x := range countrySeries {
					if x.Sensor == s.Name {
						mine = append(mine, x)
					}
				}
				panels = append(panels, chart.StackedBars{Title: s.Name, Days: b.days, Series: b.stack(mine, cc.Class, analysis.DimCountry),
					Gaps: invert(present[s.Name]), Annotations: b.opt.Annotations, Unit: unitLabel})
			}
			sm := &chart.SmallMultiples{Title: title, Subtitle: pair + " · " + perDayLabel, Panels: panels, Columns: 2, SharedY: true, Lang: b.lang, Width: 840}
			b.addFig(slug+"-"+cc.Class, title, sm)
			sh := &table{name: slug + "-" + cc.Class + "-shares", caption: b.className(cc.Class) + " · " + b.tr("sharesTitle"),
				numeric: []bool{false, false, true, true},
				head:    []string{b.tr("country"), "", a.Name, o.Name},
				csvHead: []string{"country", "count_a", "count_b", "share_a", "share_b"}}
			for _, r := range cc.Shares {
				sh.rows = append(sh.rows, []string{r.Country, geo.CountryName(r.Country, b.lang), chart.FormatPercent(r.ShareA), chart.FormatPercent(r.ShareB)})
				sh.csvRows = append(sh.csvRows, []string{r.Country, num(r.CountA), num(r.CountB), num(r.ShareA), num(r.ShareB)})
			}
			b.addTable(sh)
			if len(cc.OnlyA) > 0 || len(cc.OnlyB) > 0 {
				b.d.note(fmt.Sprintf("%s %s: %s · %s: %s", b.tr("onlyIn"), a.Name, chart.JoinMax(cc.OnlyA, 12), o.Name, chart.JoinMax(cc.OnlyB, 12)))
			}
			if len(cc.PortsOnlyA) > 0 || len(cc.PortsOnlyB) > 0 {
				portList := func(keys []string) []string {
					var out []string
					for _, k := range keys {
						if !period.IsOther(k) {
							out = append(out, analysis.DefaultName(analysis.DimPort, k))
						}
					}
					return out
				}
				b.d.note(fmt.Sprintf("%s %s: %s · %s: %s", b.tr("portsOnlyIn"), a.Name, chart.JoinMax(portList(cc.PortsOnlyA), 12),
					o.Name, chart.JoinMax(portList(cc.PortsOnlyB), 12)))
			}
		}
	}
}

func invert(p []bool) []bool {
	out := make([]bool, len(p))
	for i, v := range p {
		out[i] = !v
	}
	return out
}
