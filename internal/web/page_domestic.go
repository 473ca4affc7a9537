package web

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/store"
)

func init() {
	register(&page{Name: "domestic", Pattern: "/domestic", Nav: "navDomestic", NavOrder: 75, Build: buildDomestic})
	addMessages(map[string][2]string{
		"navDomestic":   {"Domestic by AS", "国内（AS別）"},
		"domTitle":      {"Domestic sources", "国内の送信元"},
		"domLead":       {"Sources the GeoIP database places in %s: which networks they are in, day by day.", "GeoIPデータベースで%sに位置付けられた送信元です。どのネットワークから来ているかを日別に示します。"},
		"domByASN":      {"Distinct sources in %s by AS", "%sのユニークIP数（AS別）"},
		"domByClass":    {"%s: %s by class", "%s：分類別の%s"},
		"domASNTable":   {"ASes", "AS"},
		"domMaxDay":     {"Max / day", "最大／日"},
		"domSumDays":    {"Σ over days", "日別の合計"},
		"domTopSources": {"Busiest sources", "パケット数の多い送信元"},
		"domNone":       {"No sources placed in this country in the period.", "この期間、この国に位置付けられた送信元はありません。"},
	})
}

// domesticData is the page's own text.
type domesticData struct {
	Country string
	None    bool
}

// domesticTopSources is how many of the busiest domestic sources are
// listed.
const domesticTopSources = 25

func buildDomestic(q *request, c *content) error {
	v, err := q.View()
	if err != nil {
		return err
	}
	cc := q.h.deps.Country
	cname := geo.CountryName(cc, q.Lang)
	c.Title = q.T("domTitle") + " · " + cname
	c.Lead = fmt.Sprintf(q.T("domLead"), cname)
	c.Range, c.HasRange = v.Range, true
	d := &domesticData{Country: cc}
	c.Data = d
	access := classify.Access.String()
	ss, err := q.src.Series(q.ctx, period.SeriesQuery{Range: v.Range, Dim: analysis.DimASN, Unit: analysis.UnitSources,
		Classes: []string{access}, Country: cc, Keep: q.h.cfg.TopN})
	if err != nil {
		return err
	}
	d.None = len(ss) == 0
	gaps, notes := q.chartDays(v)
	ident := func(x []float64) []float64 { return x }
	series := q.stack(ss, access, analysis.DimASN, ident, v.N, v.Orgs)
	for i := range series {
		if o := v.Orgs[series[i].Key]; o != "" {
			series[i].Label = series[i].Key + " " + chart.Shorten(o, 28)
		}
		if series[i].Href != "" {
			series[i].Href = q.link(keyPath(analysis.DimASN, series[i].Key), Drop(qASN), func(f *Filters) { f.Country = cc })
		}
	}
	title := fmt.Sprintf(q.T("domByASN"), cname)
	c.addFigure(&figure{ID: "asn", Title: title, Brush: true, Chart: &chart.StackedBars{Title: title, Subtitle: rangeText(v.Range, q.Lang),
		YLabel: q.T("perDaySources"), Unit: q.T("unitSources"), Days: v.Days(), Series: series, Gaps: gaps, Coverage: v.Coverage,
		PartialText: notes, DayLinks: q.dayLinks(v.Range), Lang: q.Lang, Width: 640, Height: 360}})
	// The classes of the country's traffic by day, in the view's unit.
	byClass, err := q.src.Series(q.ctx, period.SeriesQuery{Range: v.Range, Dim: analysis.DimCountry, Unit: q.Unit(), Country: cc})
	if err != nil {
		return err
	}
	var cs []chart.Series
	for _, cl := range classify.Names() {
		vals := make([]float64, v.N)
		seen := false
		for _, x := range byClass {
			if x.Class == cl && x.Key == cc {
				for i, y := range x.Values {
					if i < v.N {
						vals[i] += y
					}
				}
				seen = true
			}
		}
		if seen && period.Sum(vals) > 0 {
			cs = append(cs, chart.Series{Key: cl, Label: className(cl, q.Lang), Values: vals,
				Href: q.link("/country/"+cc, Drop(qCountry), func(f *Filters) { f.Class = cl })})
		}
	}
	ctitle := fmt.Sprintf(q.T("domByClass"), cname, q.unitName())
	c.addFigure(q.dailyChart(v, "classes", ctitle, cs, nil))
	// The ASes, most sources first.
	t := &table{ID: "asn", Caption: q.T("domASNTable"), Empty: q.T("domNone"),
		Head:    []string{q.T("asn"), q.T("org"), q.T("domMaxDay"), q.T("domSumDays")},
		Numeric: []bool{false, false, true, true},
		CSVHead: []string{"asn", "org"}}
	for _, day := range v.Days() {
		t.CSVHead = append(t.CSVHead, day.Format("2006-01-02"))
	}
	slices.SortFunc(ss, func(x, y analysis.Series) int {
		return cmp.Or(cmp.Compare(period.Sum(y.Values), period.Sum(x.Values)), cmp.Compare(x.Key, y.Key))
	})
	for _, s := range ss {
		org := v.Orgs[s.Key]
		label := q.name(analysis.DimASN, s.Key, nil)
		href := ""
		if p := keyPath(analysis.DimASN, s.Key); p != "" {
			href = q.link(p, Drop(qASN), func(f *Filters) { f.Country = cc })
		}
		if period.IsOther(s.Key) {
			org = ""
		}
		t.Rows = append(t.Rows, []cell{link(label, href), text(chart.Shorten(org, 48)), num(slices.Max(s.Values)), num(period.Sum(s.Values))})
		rec := []string{s.Key, org}
		for i, x := range s.Values {
			if !v.Present[v.Off+i] {
				rec = append(rec, "")
			} else {
				rec = append(rec, raw(x))
			}
		}
		t.CSVRows = append(t.CSVRows, rec)
	}
	c.addTable(t)
	// The busiest domestic sources, each to its page.
	top, err := q.h.deps.Store.TopSources(q.ctx, store.BreakdownQuery{
		Selection: store.Selection{Sensors: q.F.Sensors, From: v.Range.From, To: v.Range.To},
		Class:     access, Dim: store.DimCountry, Key: store.Key{Country: cc}, Unit: store.UnitPackets}, domesticTopSources)
	if err != nil {
		return err
	}
	ts := &table{ID: "sources", Caption: q.T("domTopSources"), Head: []string{q.T("source"), q.T("packets")}, Numeric: []bool{false, true},
		CSVHead: []string{"src", "packets"}}
	for _, s := range top {
		a, err := netip.ParseAddr(s.Addr)
		href := ""
		if err == nil {
			href = q.sourceHref(a)
		}
		ts.Rows = append(ts.Rows, []cell{link(s.Addr, href), num(s.Packets)})
		ts.CSVRows = append(ts.CSVRows, []string{s.Addr, raw(s.Packets)})
	}
	c.addTable(ts)
	return nil
}
