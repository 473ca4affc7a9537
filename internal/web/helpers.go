package web

import (
	"strconv"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/queryparam"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Helpers the pages share to lay out the report's charts the way the
// report does (period.Stack, the view's gaps and partial days) with links.

// keyPath is the drill-down page of a key of a dimension ("" for keys
// without a page: "other", port ranges).
func keyPath(dim, key string) string {
	if period.IsOther(key) {
		return ""
	}
	switch dim {
	case analysis.DimCountry:
		if _, ok := queryparam.Country(key); ok {
			return "/country/" + key
		}
	case analysis.DimPort:
		if p, ok := parsePort(key); ok {
			return portPath(p)
		}
	case analysis.DimASN:
		if strings.HasPrefix(key, "AS") {
			return "/asn/" + key
		}
	}
	return ""
}

// portPath is the port page of p: /port/23-tcp.
func portPath(p Port) string {
	return "/port/" + strconv.Itoa(int(p.Port)) + "-" + store.ProtoName(p.Proto)
}

// keyHref links a key to its page with the view's filters, narrowed to
// class (when not "") and without the filter of the key's own dimension.
func (q *request) keyHref(dim, key, class string) string {
	path := keyPath(dim, key)
	if path == "" {
		return ""
	}
	return q.link(path, func(f *Filters) {
		if class != "" {
			f.Class = class
		}
		switch dim {
		case analysis.DimCountry:
			f.Country = ""
		case analysis.DimPort:
			f.Port, f.HasPort = Port{}, false
		case analysis.DimASN:
			f.ASN, f.HasASN = 0, false
		}
	})
}

// classHref links the class page with the view's filters.
func (q *request) classHref(class string) string {
	return q.link("/class/"+class, func(f *Filters) { f.Class = "" })
}

// name is a key's display name in the request's language.
func (q *request) name(dim, key string, orgs map[string]string) string {
	return keyName(dim, key, q.Lang, orgs)
}

// stack is the stacked chart's series of one class and dimension, linked
// to the keys' pages (narrowed to the class).
func (q *request) stack(series []analysis.Series, class, dim string, cut func([]float64) []float64, n int, orgs map[string]string, promote ...string) []chart.Series {
	var out []chart.Series
	for _, p := range period.Stack(series, class, cut, q.h.cfg.TopN, n, promote...) {
		if p.Other {
			out = append(out, chart.Series{Key: "other", Label: q.T("other"), Values: p.Values})
			continue
		}
		out = append(out, chart.Series{Key: p.Key, Label: q.name(dim, p.Key, orgs), Values: p.Values, Href: q.keyHref(dim, p.Key, class)})
	}
	return out
}

// dayLinks link each day of r to the same view narrowed to that day.
func (q *request) dayLinks(r period.Range) []string {
	out := make([]string, r.Days())
	for i := range out {
		out[i] = q.link(q.r.URL.Path, Day(r.Day(i)))
	}
	return out
}

// chartDays are the gaps and partial-day notes of the view's merged daily
// charts (as the report draws them).
func (q *request) chartDays(v *period.View) (gaps []bool, notes []string) {
	captured, active := v.SensorDays()
	gaps = v.ChartGap()
	notes = make([]string, len(captured))
	for i, n := range captured {
		if n > 0 && n < active {
			if q.Lang == "ja" {
				notes[i] = strconv.Itoa(active) + "か所中" + strconv.Itoa(n) + "か所のセンサー"
			} else {
				notes[i] = strconv.Itoa(n) + " of " + strconv.Itoa(active) + " sensors"
			}
		}
	}
	return gaps, notes
}

// marks are the listed findings of one class and dimension as chart
// marks, linked to the finding's drill-down.
func (q *request) marks(v *period.View, class, dim string) []chart.Mark {
	var out []chart.Mark
	from := q.src.Time(v.Range.From)
	for _, f := range v.Listed {
		if f.Class != class || f.Dim != dim {
			continue
		}
		day := f.Day
		if day.Before(from) {
			day = from
		}
		out = append(out, chart.Mark{Day: day, Key: f.Key, Text: q.name(dim, f.Key, v.Orgs), Rise: f.Kind == analysis.KindRise,
			Href: q.findingHref(f)})
	}
	return out
}

// findingHref is the drill-down of a finding: its key's page narrowed to
// its class and days (a week around a spike).
func (q *request) findingHref(f analysis.Finding) string {
	path := keyPath(f.Dim, f.Key)
	if path == "" {
		path = "/class/" + f.Class
	}
	first, last := q.src.Day(f.Day), q.src.Day(f.LastDay)
	return q.link(path, Drop(qCountry, qPort, qASN), func(g *Filters) {
		if !strings.HasPrefix(path, "/class/") {
			g.Class = f.Class
		} else {
			g.Class = ""
		}
		g.From, g.To, g.HasFrom, g.HasTo = first.AddDays(-3), last.AddDays(3), true, true
		if f.Sensor != "" {
			g.Sensors = []string{f.Sensor}
		}
	})
}

// perDay is the y-axis caption of the unit.
func (q *request) perDay() string {
	if q.F.Unit == "sources" {
		return q.T("perDaySources")
	}
	return q.T("perDayPackets")
}

// unitName is the unit in words.
func (q *request) unitName() string {
	if q.F.Unit == "sources" {
		return q.T("unitSources")
	}
	return q.T("unitPackets")
}

// dailyChart is a stacked daily chart of the view's period with day links
// and brushing.
func (q *request) dailyChart(v *period.View, id, title string, series []chart.Series, marks []chart.Mark) *figure {
	gaps, notes := q.chartDays(v)
	c := &chart.StackedBars{Title: title, Subtitle: rangeText(v.Range, q.Lang) + " · " + q.unitName(), YLabel: q.perDay(),
		Unit: q.unitName(), Days: v.Days(), Series: series, Gaps: gaps, Coverage: v.Coverage, PartialText: notes, Marks: marks,
		DayLinks: q.dayLinks(v.Range), Lang: q.Lang, Width: 640, Height: 360}
	return &figure{ID: id, Title: title, Chart: c, Brush: true}
}

// rangeDays are the first instants of r's days.
func (q *request) rangeDays(r period.Range) []time.Time {
	out := make([]time.Time, r.Days())
	for i := range out {
		out[i] = q.src.Time(r.Day(i))
	}
	return out
}

// dayOf formats a time as its day in the store's zone.
func (q *request) dayOf(t time.Time) civil.Day { return q.src.Day(t) }
