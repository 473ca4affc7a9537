package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/period"
)

// portDots draws the port × day dot plot of a class.
func (b *builder) portDots(class string) {
	pv, ok := b.v.Ports(class)
	if !ok {
		return
	}
	byKey := pv.Values
	rowLabel := func(r analysis.PortRow) (label, proto string, ports int) {
		proto = r.Proto
		switch {
		case r.Folded:
			ports = pv.FoldedPorts(r)
			label = fmt.Sprintf("%d–%d/%s: %s %s", r.Port, r.PortTo, strings.ToUpper(proto), chart.FormatCount(float64(ports)), b.tr("portsWord"))
			if b.ja {
				label = fmt.Sprintf("%d–%d/%s：%sポート", r.Port, r.PortTo, strings.ToUpper(proto), chart.FormatCount(float64(ports)))
			}
		case period.IsOther(r.Key):
			proto = strings.TrimPrefix(r.Key, period.OtherKey+"/")
			label = b.tr("otherPorts") + " (" + strings.ToUpper(proto) + ")"
		default:
			label, ports = b.keyName(analysis.DimPort, r.Key), 1
		}
		return label, proto, ports
	}
	const maxRows, maxTableRows = 24, 15
	var rows []chart.DotRow
	var other []analysis.PortRow
	for _, r := range pv.Table.Rows {
		if period.IsOther(r.Key) || r.Folded {
			other = append(other, r)
			continue
		}
		if len(rows) < maxRows {
			rows = append(rows, chart.DotRow{Label: b.keyName(analysis.DimPort, r.Key), Values: byKey[r.Key], Steady: r.Steady})
		}
	}
	for _, r := range other {
		label, proto, _ := rowLabel(r)
		vals := byKey[r.Key]
		if r.Folded {
			vals = pv.Folded(proto, b.v.N)
		}
		if vals == nil {
			continue
		}
		rows = append(rows, chart.DotRow{Label: label, Values: vals, Folded: true})
	}
	if len(rows) == 0 {
		return
	}
	id := class + "-portdays"
	title := b.className(class) + " · " + b.tr("portDays")
	b.d.h3(id, b.tr("portDays"))
	gaps, notes := b.chartDays()
	c := &chart.DotPlot{Title: title, Subtitle: b.period(b.from, b.to) + " · " + b.unitName(), Unit: b.unitName(),
		Days: b.days, Rows: rows, Gaps: gaps, Coverage: b.v.Coverage, PartialText: notes, Lang: b.lang, Width: 840}
	b.addFig(id, title, c)
	// Daily distinct sources do not add up to the period's distinct sources
	// (a source seen on two days counts twice): the column says so.
	totalHead, totalCSV := b.unitName(), "total"
	if b.opt.Unit == analysis.UnitSources {
		totalHead, totalCSV = b.tr("sourceDays"), "source_days"
	}
	t := &table{name: class + "-ports", numeric: []bool{false, true, true, false, false},
		head:    []string{b.tr("port"), totalHead, b.tr("daysActive"), b.tr("state"), b.tr("firstDay")},
		csvHead: []string{"port", "port_to", "proto", "ports", totalCSV, "days_active", "present_days", "active_share", "steady", "first_day"}}
	shown := 0
	for _, r := range pv.Table.Rows {
		first := ""
		if !r.FirstDay.IsZero() {
			first = dateArg(r.FirstDay)
		}
		state := b.tr("sporadic")
		if r.Steady {
			state = b.tr("steady")
		}
		label, proto, ports := rowLabel(r)
		// The table lists the top ports and always the summary rows.
		if summary := r.Folded || period.IsOther(r.Key); summary || shown < maxTableRows {
			if !summary {
				shown++
			}
			t.rows = append(t.rows, []string{label, chart.FormatCount(r.Total), fmt.Sprintf("%d / %d", r.DaysActive, r.PresentDays), state, first})
		}
		portNum, portTo, nPorts := "", "", ""
		switch {
		case period.IsOther(r.Key) && !r.Folded:
			portNum = period.OtherKey
		case r.Port >= 0:
			portNum, portTo, nPorts = strconv.Itoa(r.Port), strconv.Itoa(r.PortTo), strconv.Itoa(ports)
		}
		t.csvRows = append(t.csvRows, []string{portNum, portTo, proto, nPorts, num(r.Total), strconv.Itoa(r.DaysActive), strconv.Itoa(r.PresentDays),
			num(r.ActiveShare), strconv.FormatBool(r.Steady), first})
	}
	t.caption = title
	b.addTable(t)
}
