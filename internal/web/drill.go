package web

import (
	"cmp"
	"net/netip"
	"slices"
	"strconv"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/store"
)

// What the class, country, port and AS pages share: series narrowed by
// the filters (country, port, AS), their stacked daily charts, the port ×
// day dot plot and top tables with links.

// maxDotRows is the number of ports the dot plot shows.
const maxDotRows = 24

// topRows is the length of top tables.
const topRows = 10

// narrow is the store narrowing of the filters' port and AS.
func (q *request) narrow() store.Narrow {
	return store.Narrow{HasPort: q.F.HasPort, Proto: q.F.Port.Proto, Port: q.F.Port.Port, HasASN: q.F.HasASN, ASN: q.F.ASN}
}

// narrowed reports whether the filters narrow the sources or packets.
func (q *request) narrowed() bool { return q.F.Country != "" || q.F.HasPort || q.F.HasASN }

// classes is the class filter as a list (nil: every class).
func (q *request) classes() []string {
	if q.F.Class == "" {
		return nil
	}
	return []string{q.F.Class}
}

// unitSeries are the series of one dimension over the view's read range
// in the filters' unit, narrowed by their country, port and AS; without
// narrowing, the view's own.
func (q *request) unitSeries(v *period.View, dim string) ([]analysis.Series, error) {
	return q.seriesOf(v, dim, q.classes())
}

// seriesOf is unitSeries of some classes (nil: all).
func (q *request) seriesOf(v *period.View, dim string, classes []string) ([]analysis.Series, error) {
	if !q.narrowed() {
		return v.UnitSeries[dim], nil
	}
	sq := period.SeriesQuery{Range: v.Range, Dim: dim, Unit: q.Unit(), Classes: classes, Country: q.F.Country, Narrow: q.narrow()}
	if dim != analysis.DimCountry {
		sq.Keep = period.SeriesKeep
	}
	ss, err := q.src.Series(q.ctx, sq)
	if err != nil {
		return nil, err
	}
	// Over the period only: pad to the read range so that v.Cut applies.
	for i := range ss {
		vals := make([]float64, v.Off+v.N)
		copy(vals[v.Off:], ss[i].Values)
		ss[i].Values = vals
	}
	return ss, nil
}

// classChart is the stacked daily chart of one class by dim.
func (q *request) classChart(v *period.View, series []analysis.Series, class, dim, id, title string) *figure {
	var marks []chart.Mark
	var promote []string
	if !q.narrowed() {
		marks = q.marks(v, class, dim)
		for _, m := range marks {
			promote = append(promote, m.Key)
		}
	}
	return q.dailyChart(v, id, title, q.stack(series, class, dim, v.Cut, v.N, v.Orgs, promote...), marks)
}

// dotPlot is the port × day plot of one class from its port series.
func (q *request) dotPlot(v *period.View, series []analysis.Series, class, id, title string) *figure {
	var ss []analysis.Series
	for _, s := range series {
		if s.Class == class {
			x := s
			x.Values = v.Cut(s.Values)
			x.Present = v.Present[v.Off : v.Off+v.N]
			ss = append(ss, x)
		}
	}
	tables, err := analysis.PortActivity(q.src.Time(v.Range.From), ss, analysis.DefaultPortConfig())
	if err != nil || len(tables) == 0 {
		return nil
	}
	vals := map[string][]float64{}
	for _, s := range ss {
		vals[s.Key] = s.Values
	}
	var rows []chart.DotRow
	for _, r := range tables[0].Rows {
		if r.Folded || period.IsOther(r.Key) || len(rows) == maxDotRows {
			continue
		}
		rows = append(rows, chart.DotRow{Label: r.Key, Values: vals[r.Key], Steady: r.Steady, Href: q.keyHref(analysis.DimPort, r.Key, class)})
	}
	if len(rows) == 0 {
		return nil
	}
	gaps, notes := q.chartDays(v)
	c := &chart.DotPlot{Title: title, Subtitle: rangeText(v.Range, q.Lang) + " · " + q.unitName(), Unit: q.unitName(), Days: v.Days(),
		Rows: rows, Gaps: gaps, Coverage: v.Coverage, PartialText: notes, Lang: q.Lang, Width: 640}
	return &figure{ID: id, Title: title, Chart: c}
}

// topTable lists the keys of one class and dimension with most of the
// unit over the period, linked to their pages.
func (q *request) topTable(v *period.View, series []analysis.Series, class, dim, id, caption string) *table {
	type kv struct {
		key string
		t   float64
	}
	var ks []kv
	total := 0.0
	for _, s := range series {
		if s.Class != class {
			continue
		}
		t := period.Sum(v.Cut(s.Values))
		total += t
		if t > 0 && !period.IsOther(s.Key) {
			ks = append(ks, kv{s.Key, t})
		}
	}
	slices.SortFunc(ks, func(a, b kv) int { return cmp.Or(cmp.Compare(b.t, a.t), cmp.Compare(a.key, b.key)) })
	ks = ks[:min(len(ks), topRows)]
	head := q.T("packets")
	if q.F.Unit == "sources" {
		head = q.T("sourceDays")
	}
	t := &table{ID: id, Caption: caption, Head: []string{q.T(dimLabel(dim)), head, q.T("share")}, Numeric: []bool{false, true, true},
		CSVHead: []string{dim, q.F.UnitName(), "share"}}
	for _, k := range ks {
		share := 0.0
		if total > 0 {
			share = k.t / total
		}
		t.Rows = append(t.Rows, []cell{link(q.name(dim, k.key, v.Orgs), q.keyHref(dim, k.key, class)), num(k.t), {Text: percentText(share), Num: true}})
		t.CSVRows = append(t.CSVRows, []string{k.key, raw(k.t), raw(share)})
	}
	return t
}

// sourcesTable lists the top sources of one class and key.
func (q *request) sourcesTable(v *period.View, class, dim, key, id, caption string) (*table, error) {
	src, err := q.src.TopSources(q.ctx, v.Range, class, dim, key, topRows)
	if err != nil {
		return nil, err
	}
	t := &table{ID: id, Caption: caption, Head: []string{q.T("source"), q.T("packets")}, Numeric: []bool{false, true},
		CSVHead: []string{"src", "packets"}}
	for _, s := range src {
		a, _ := netip.ParseAddr(s.Addr)
		t.Rows = append(t.Rows, []cell{link(s.Addr, q.sourceHref(a)), num(s.Packets)})
		t.CSVRows = append(t.CSVRows, []string{s.Addr, raw(s.Packets)})
	}
	return t, nil
}

func dimLabel(dim string) string {
	switch dim {
	case analysis.DimPort:
		return "port"
	case analysis.DimASN:
		return "asn"
	}
	return "country"
}

func percentText(f float64) string {
	return strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
}

// classTabs are links to the same page for each class with data, for
// pages that show one class at a time.
func (q *request) classTabs(v *period.View, current string) []navItem {
	var out []navItem
	for _, c := range classify.Names() {
		if !slices.Contains(v.Classes, c) {
			continue
		}
		out = append(out, navItem{Label: className(c, q.Lang), Href: q.link(q.r.URL.Path, func(f *Filters) { f.Class = c }), Current: c == current})
	}
	return out
}

// classTotals is the period total of each class in series (any one
// dimension: every packet has one key of each).
func classTotals(v *period.View, series []analysis.Series) map[string][]float64 {
	out := map[string][]float64{}
	for _, s := range series {
		t := out[s.Class]
		if t == nil {
			t = make([]float64, v.N)
			out[s.Class] = t
		}
		for i, x := range v.Cut(s.Values) {
			t[i] += x
		}
	}
	return out
}
