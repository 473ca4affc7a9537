package web

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/period"
)

func init() {
	register(&page{Name: "compare", Pattern: "/compare", Nav: "navCompare", NavOrder: 70, Params: []string{"a", "b"}, Build: buildCompare})
	addMessages(map[string][2]string{
		"navCompare":     {"Compare", "比較"},
		"cmpTitle":       {"Compare two sensors", "センサーの比較"},
		"cmpLead":        {"Two sensors side by side over the same days: volume per monitored address, and per class how alike their countries are.", "同じ期間の2つのセンサーを並べて比較します。監視アドレスあたりの観測量と、分類ごとの送信元国の類似度です。"},
		"cmpNeedTwo":     {"The store holds fewer than two sensors: nothing to compare.", "ストアのセンサーが2つ未満のため、比較できません。"},
		"cmpSame":        {"choose two different sensors", "異なる2つのセンサーを選んでください"},
		"cmpUnknown":     {"no such sensor in the store", "ストアにそのセンサーはありません"},
		"cmpShow":        {"Compare", "比較"},
		"cmpSensorA":     {"Sensor A", "センサーA"},
		"cmpSensorB":     {"Sensor B", "センサーB"},
		"cmpSensors":     {"The two sensors", "2つのセンサー"},
		"cmpAddresses":   {"Monitored addresses", "監視アドレス数"},
		"cmpPresentDays": {"Days with data", "データのある日数"},
		"cmpPerAddr":     {"Packets / day / address", "パケット数／日／アドレス"},
		"cmpPerAddrT":    {"Packets per monitored address per day", "監視アドレスあたりの1日のパケット数"},
		"cmpSimilarity":  {"Similarity by class", "分類ごとの類似度"},
		"cmpSpearman":    {"Country rank correlation ρ", "国の順位相関 ρ"},
		"cmpDaily":       {"Daily co-movement", "日別推移の相関"},
		"cmpSimNote":     {"ρ is Spearman's rank correlation of the two sensors' country totals over their top 20 countries (1: same order); daily co-movement is the mean Pearson correlation of the shared countries' daily series.", "ρ は両センサーの上位20か国における国別合計のスピアマン順位相関です（1で順位が一致）。日別推移の相関は、共通する国の日別系列のピアソン相関の平均です。"},
		"cmpShares":      {"Shares by country", "国別の割合"},
		"cmpOnly":        {"Seen at one sensor only", "片方のセンサーのみで観測"},
		"cmpCountries":   {"countries", "国"},
		"cmpPorts":       {"ports", "ポート"},
	})
}

// compareData is the sensor form and notes of the compare page.
type compareData struct {
	A, B    []option
	Hidden  [][2]string
	Pair    string
	NoPair  bool
	Classes []compareClass
	// Only lists, per class, what one sensor saw only.
	Only []string
}

// compareClass is one class's panel: its chart and shares table IDs.
type compareClass struct {
	Figure, Table string
}

func buildCompare(q *request, c *content) error {
	c.Title, c.Lead = q.T("cmpTitle"), q.T("cmpLead")
	d := &compareData{}
	c.Data = d
	all, err := q.h.deps.Store.Sensors(q.ctx)
	if err != nil {
		return err
	}
	names := make([]string, len(all))
	for i, s := range all {
		names[i] = s.Name
	}
	a, b := strings.TrimSpace(q.arg("a")), strings.TrimSpace(q.arg("b"))
	for _, x := range []struct{ param, v string }{{"a", a}, {"b", b}} {
		if x.v != "" && !slices.Contains(names, x.v) {
			return &FilterError{Param: x.param, Message: q.T("cmpUnknown")}
		}
	}
	// Defaults: the first two sensors (of the view's, when it names some).
	pool := names
	if len(q.F.Sensors) >= 2 {
		pool = q.F.Sensors
	}
	for _, n := range pool {
		switch {
		case a == "" && n != b:
			a = n
		case b == "" && n != a:
			b = n
		}
	}
	vals := q.F.Query()
	for _, k := range filterNames {
		if v := vals.Get(k); v != "" && k != qSensor {
			d.Hidden = append(d.Hidden, [2]string{k, v})
		}
	}
	for _, n := range names {
		d.A = append(d.A, option{Value: n, Label: n, Selected: n == a})
		d.B = append(d.B, option{Value: n, Label: n, Selected: n == b})
	}
	if len(names) < 2 || a == "" || b == "" {
		d.NoPair = true
		c.Notes = append(c.Notes, q.T("cmpNeedTwo"))
		return nil
	}
	if a == b {
		return &FilterError{Param: "b", Message: q.T("cmpSame")}
	}
	d.Pair = a + " / " + b
	pair := []string{a, b}
	if len(names) == 2 {
		// The pair is every sensor: the view over all sensors is the
		// same view, and its answers are those the other pages asked for.
		pair = nil
	}
	src := q.h.deps.Period(pair)
	r, err := src.Resolve(q.ctx, q.F.Spec())
	if err != nil {
		return err
	}
	c.Range, c.HasRange = r, true
	v, err := src.Load(q.ctx, period.ViewOptions{Range: r, Unit: q.Unit()})
	if err != nil {
		return err
	}
	var sa, sb period.Sensor
	for _, s := range v.Sensors {
		switch s.Name {
		case a:
			sa = s
		case b:
			sb = s
		}
	}
	if sa.Name == "" || sb.Name == "" {
		d.NoPair = true
		c.Notes = append(c.Notes, q.T("cmpNeedTwo"))
		return nil
	}
	res, err := v.Compare(sa, sb)
	if err != nil {
		return err
	}
	compareTables(q, c, d, v, res, sa, sb)
	return nil
}

// compareTables fills the compare page from the comparison.
func compareTables(q *request, c *content, d *compareData, v *period.View, res analysis.Comparison, sa, sb period.Sensor) {
	st := &table{ID: "sensors", Caption: q.T("cmpSensors"),
		Head:    []string{q.T("sensor"), q.T("cmpAddresses"), q.T("cmpPresentDays"), q.T("packets"), q.T("cmpPerAddr")},
		Numeric: []bool{false, true, true, true, true},
		CSVHead: []string{"sensor", "addresses", "present_days", "packets", "packets_per_day_per_address"}}
	for _, s := range []analysis.SensorSummary{res.A, res.B} {
		addr := "?"
		if s.Addresses > 0 {
			addr = chart.FormatCount(float64(s.Addresses))
		}
		st.Rows = append(st.Rows, []cell{link(s.Name, q.link("/", Drop(qClass, qCountry, qPort, qASN), func(f *Filters) { f.Sensors = []string{s.Name} })),
			{Text: addr, Num: true}, num(float64(s.PresentDays)), num(s.Packets), {Text: chart.FormatValue(s.PerDayPerAddress), Num: true}})
		st.CSVRows = append(st.CSVRows, []string{s.Name, strconv.Itoa(s.Addresses), strconv.Itoa(s.PresentDays), raw(s.Packets), rawFloat(s.PerDayPerAddress)})
	}
	c.addTable(st)
	days := v.Days()
	if res.A.Addresses > 0 && res.B.Addresses > 0 {
		title := q.T("cmpPerAddrT")
		lc := &chart.LineChart{Title: title, Subtitle: d.Pair + " · " + rangeText(v.Range, q.Lang), YLabel: q.T("cmpPerAddr"), Unit: q.T("unitPackets"),
			Days: days, Series: []chart.Series{
				{Key: "sensor-a-" + sa.Name, Label: sa.Name, Values: res.A.DailyPerAddress, Color: "#4e79a7"},
				{Key: "sensor-b-" + sb.Name, Label: sb.Name, Values: res.B.DailyPerAddress, Color: "#f28e2b"}},
			Lang: q.Lang, Width: 640, Height: 300}
		c.addFigure(&figure{ID: "peraddr", Title: title, Chart: lc})
	}
	sim := &table{ID: "similarity", Caption: q.T("cmpSimilarity"),
		Head:    []string{q.T("class"), q.T("cmpSpearman"), q.T("cmpDaily"), sa.Name, sb.Name},
		Numeric: []bool{false, true, true, true, true},
		CSVHead: []string{"class", "spearman", "countries", "daily_correlation", "daily_countries", "total_a", "total_b", "only_a", "only_b", "ports_only_a", "ports_only_b"}}
	for _, cc := range res.Classes {
		sim.Rows = append(sim.Rows, []cell{link(className(cc.Class, q.Lang), q.classHref(cc.Class)), {Text: chart.FormatCorrelation(cc.Spearman), Num: true},
			{Text: chart.FormatCorrelation(cc.DailyCorrelation), Num: true}, num(cc.TotalA), num(cc.TotalB)})
		sim.CSVRows = append(sim.CSVRows, []string{cc.Class, rawFloat(cc.Spearman), strconv.Itoa(cc.Countries), rawFloat(cc.DailyCorrelation),
			strconv.Itoa(cc.DailyCountries), raw(cc.TotalA), raw(cc.TotalB), strings.Join(cc.OnlyA, " "), strings.Join(cc.OnlyB, " "),
			strings.Join(cc.PortsOnlyA, " "), strings.Join(cc.PortsOnlyB, " ")})
	}
	c.addTable(sim)
	present := v.PeriodPresent()
	series := v.CountrySeries()
	for _, cc := range res.Classes {
		if cc.TotalA == 0 || cc.TotalB == 0 {
			continue
		}
		title := fmt.Sprintf("%s · %s · ρ = %s", className(cc.Class, q.Lang), q.T("byCountry"), chart.FormatCorrelation(cc.Spearman))
		var panels []chart.StackedBars
		for _, s := range []period.Sensor{sa, sb} {
			var mine []analysis.Series
			for _, x := range series {
				if x.Sensor == s.Name {
					mine = append(mine, x)
				}
			}
			gaps := make([]bool, v.N)
			for i, p := range present[s.Name] {
				gaps[i] = !p
			}
			panels = append(panels, chart.StackedBars{Title: s.Name, Days: days, Series: q.stack(mine, cc.Class, analysis.DimCountry, v.Cut, v.N, v.Orgs),
				Gaps: gaps, Unit: q.unitName()})
		}
		c.addFigure(&figure{ID: "class-" + cc.Class, Title: title, Chart: &chart.SmallMultiples{Title: title, Subtitle: d.Pair + " · " + q.perDay(),
			Panels: panels, Columns: 2, SharedY: true, Lang: q.Lang, Width: 880}})
		sh := &table{ID: "shares-" + cc.Class, Caption: className(cc.Class, q.Lang) + " · " + q.T("cmpShares"),
			Head: []string{q.T("country"), sa.Name, sb.Name}, Numeric: []bool{false, true, true},
			CSVHead: []string{"country", "count_a", "count_b", "share_a", "share_b"}}
		for _, r := range cc.Shares {
			sh.Rows = append(sh.Rows, []cell{link(q.name(analysis.DimCountry, r.Country, nil), q.keyHref(analysis.DimCountry, r.Country, cc.Class)),
				{Text: chart.FormatPercent(r.ShareA), Num: true}, {Text: chart.FormatPercent(r.ShareB), Num: true}})
			sh.CSVRows = append(sh.CSVRows, []string{r.Country, raw(r.CountA), raw(r.CountB), rawFloat(r.ShareA), rawFloat(r.ShareB)})
		}
		c.addTable(sh)
		d.Classes = append(d.Classes, compareClass{Figure: "class-" + cc.Class, Table: "shares-" + cc.Class})
		if len(cc.OnlyA)+len(cc.OnlyB) > 0 {
			d.Only = append(d.Only, fmt.Sprintf("%s · %s · %s: %s · %s: %s", className(cc.Class, q.Lang), q.T("cmpCountries"),
				sa.Name, chart.JoinMax(cc.OnlyA, 12), sb.Name, chart.JoinMax(cc.OnlyB, 12)))
		}
		if len(cc.PortsOnlyA)+len(cc.PortsOnlyB) > 0 {
			d.Only = append(d.Only, fmt.Sprintf("%s · %s · %s: %s · %s: %s", className(cc.Class, q.Lang), q.T("cmpPorts"),
				sa.Name, chart.JoinMax(portKeys(cc.PortsOnlyA), 12), sb.Name, chart.JoinMax(portKeys(cc.PortsOnlyB), 12)))
		}
	}
}

// portKeys drops the folded keys of a port list.
func portKeys(keys []string) []string {
	var out []string
	for _, k := range keys {
		if !period.IsOther(k) {
			out = append(out, k)
		}
	}
	return out
}

// rawFloat writes a float for CSV ("" for NaN).
func rawFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
