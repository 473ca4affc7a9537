package web

import (
	"net/http"
	"strings"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/period"
)

// The country, port and AS pages: one key's trend by class, and for one
// class (the class filter; access, every packet, by default) its daily
// charts and top keys of the other two dimensions and its top sources.
// All three honour the other filters: /port/23-tcp?country=CN is port 23
// from Chinese sources.

func init() {
	register(&page{Name: "country", Pattern: "/country/{country}", NavOrder: 30,
		// The navigation has the domestic country's page.
		NavItems: func(q *request) []navItem {
			cc := q.h.deps.Country
			return []navItem{{Label: q.T("domestic") + " (" + geo.CountryName(cc, q.Lang) + ")",
				Href:    q.link("/country/"+cc, Drop(qClass, qCountry, qPort, qASN)),
				Current: q.page != nil && q.page.Name == "country" && q.F.Country == cc}}
		},
		Path: func(r *http.Request, f *Filters) error { return f.setPath(qCountry, r.PathValue("country")) },
		Build: func(q *request, c *content) error {
			if q.F.Country == "" {
				return ferr(qCountry, "missing")
			}
			return buildSubject(q, c, analysis.DimCountry, q.F.Country)
		}})
	register(&page{Name: "port", Pattern: "/port/{port}", NavOrder: 31,
		Path: func(r *http.Request, f *Filters) error {
			return f.setPath(qPort, strings.Replace(r.PathValue("port"), "-", "/", 1))
		},
		Build: func(q *request, c *content) error {
			if !q.F.HasPort {
				return ferr(qPort, "missing")
			}
			return buildSubject(q, c, analysis.DimPort, q.F.Port.String())
		}})
	register(&page{Name: "asn", Pattern: "/asn/{asn}", NavOrder: 32,
		Path: func(r *http.Request, f *Filters) error { return f.setPath(qASN, r.PathValue("asn")) },
		Build: func(q *request, c *content) error {
			if !q.F.HasASN {
				return ferr(qASN, "missing")
			}
			return buildSubject(q, c, analysis.DimASN, asnKey(q.F.ASN))
		}})
	addMessages(map[string][2]string{
		"domestic":      {"Domestic", "国内"},
		"subjectLead":   {"Its daily trend by class, and for the chosen class its countries, ports, ASes and sources.", "分類別の日別推移と、選択した分類の国・ポート・AS・送信元です。"},
		"byClass":       {"By class", "分類別"},
		"classLabel":    {"Class shown", "表示する分類"},
		"topSourcesOf":  {"Top sources", "上位の送信元"},
		"countryTitle":  {"Country", "国"},
		"portTitle":     {"Port", "ポート"},
		"asnTitle":      {"AS", "AS"},
		"sourcesNarrow": {"(of this key and class only; the other filters do not apply)", "（この対象と分類のみ。他の条件は適用されません）"},
	})
}

func asnKey(n uint32) string { return "AS" + uintText(n) }

func uintText(n uint32) string {
	var b [10]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}

// subjectData is what the subject template shows beside the figures.
type subjectData struct {
	Tabs  []navItem
	Other []string // the other two dimensions, in order
}

func buildSubject(q *request, c *content, dim, key string) error {
	v, err := q.View()
	if err != nil {
		return err
	}
	class := q.F.Class
	if class == "" {
		class = classify.Access.String()
	}
	switch dim {
	case analysis.DimCountry:
		c.Title = q.T("countryTitle") + ": " + geo.CountryName(key, q.Lang) + " (" + key + ")"
	case analysis.DimPort:
		c.Title = q.T("portTitle") + ": " + key
	case analysis.DimASN:
		c.Title = q.T("asnTitle") + ": " + q.name(dim, key, v.Orgs)
	}
	c.Lead = q.T("subjectLead")
	c.Range, c.HasRange = v.Range, true
	d := &subjectData{Tabs: q.classTabs(v, class)}
	c.Data = d
	// The trend by class: every class of this key.
	all, err := q.seriesOf(v, dim, nil)
	if err != nil {
		return err
	}
	var own []analysis.Series
	for _, s := range all {
		if s.Key == key {
			own = append(own, s)
		}
	}
	totals := classTotals(v, own)
	var series []chart.Series
	for _, cl := range classify.Names() {
		if t, ok := totals[cl]; ok && period.Sum(t) > 0 {
			series = append(series, chart.Series{Key: cl, Label: className(cl, q.Lang), Values: t,
				Href: q.link("/class/"+cl, func(f *Filters) { f.Class = "" })})
		}
	}
	c.addFigure(q.dailyChart(v, "classes", c.Title+" · "+q.T("byClass"), series, nil))
	name := className(class, q.Lang)
	for _, od := range []string{analysis.DimCountry, analysis.DimPort, analysis.DimASN} {
		if od == dim {
			continue
		}
		d.Other = append(d.Other, od)
		ss, err := q.seriesOf(v, od, []string{class})
		if err != nil {
			return err
		}
		head := map[string]string{analysis.DimCountry: "byCountry", analysis.DimPort: "byPort", analysis.DimASN: "byASN"}[od]
		c.addFigure(q.dailyChart(v, od, name+" · "+q.T(head), q.stack(ss, class, od, v.Cut, v.N, v.Orgs), nil))
		c.addTable(q.topTable(v, ss, class, od, "top-"+od, name+" · "+q.T(topCaption(od))))
	}
	t, err := q.sourcesTable(v, class, dim, key, "sources", name+" · "+q.T("topSourcesOf"))
	if err != nil {
		return err
	}
	if q.F.Country != "" && dim != analysis.DimCountry || q.F.HasPort && dim != analysis.DimPort || q.F.HasASN && dim != analysis.DimASN {
		t.Caption += " " + q.T("sourcesNarrow")
	}
	c.addTable(t)
	return nil
}
