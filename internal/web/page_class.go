package web

import (
	"net/http"
	"strings"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/classify"
)

func init() {
	register(&page{Name: "class", Pattern: "/class/{class}", NavOrder: 10, Build: buildClass, Params: []string{qRuleSet, qRuleVs},
		Path: func(r *http.Request, f *Filters) error { return f.setPath(qClass, r.PathValue("class")) },
		NavItems: func(q *request) []navItem {
			var out []navItem
			for _, c := range classify.Names() {
				out = append(out, navItem{Label: shortClassName(c, q.Lang), Href: q.link("/class/"+c, Drop(qClass, qCountry, qPort, qASN)),
					Current: q.page != nil && q.page.Name == "class" && q.F.Class == c})
			}
			return out
		}})
	addMessages(map[string][2]string{
		"classLead":     {"Daily counts by country, destination port and AS, the ports by day and the top keys.", "国・宛先ポート・AS別の日別推移、ポート別の観測日、上位の一覧です。"},
		"sourceDays":    {"Source-days", "延べユニークIP数"},
		"narrowedNote":  {"Narrowed by the filters above; spike marks are shown on the unfiltered views only.", "上の条件で絞り込んでいます。急増の印は絞り込みのない表示でのみ示します。"},
		"intrusionNote": {"Intrusions are honeypot sessions with a successful login that ran at least one command; the counts are sessions, not packets.", "侵入は、ハニーポットでログインに成功し、1つ以上のコマンドを実行したセッションです。数値はパケット数ではなくセッション数です。"},
	})
}

// shortClassName is a class's name for the navigation bar ("Mirai").
func shortClassName(class, lang string) string {
	n := className(class, lang)
	for _, suffix := range []string{" packets", " sessions", "パケット", "セッション", "特徴"} {
		n = strings.TrimSuffix(n, suffix)
	}
	return n
}

func buildClass(q *request, c *content) error {
	class := q.F.Class
	if class == "" {
		return ferr(qClass, "missing (one of %s)", strings.Join(classify.Names(), ", "))
	}
	v, err := q.View()
	if err != nil {
		return err
	}
	name := className(class, q.Lang)
	c.Title, c.Lead = name, q.T("classLead")
	c.Range, c.HasRange = v.Range, true
	if class == classify.Intrusion.String() {
		c.Notes = append(c.Notes, q.T("intrusionNote"))
	}
	if q.narrowed() {
		c.Notes = append(c.Notes, q.T("narrowedNote"))
	}
	if class != classify.Exploit.String() {
		for _, p := range []string{qRuleSet, qRuleVs} {
			if q.arg(p) != "" {
				return ferr(p, "only the exploit class has rule sets")
			}
		}
	}
	var figs []*figure
	for _, d := range []struct{ dim, head string }{
		{analysis.DimCountry, "byCountry"}, {analysis.DimPort, "byPort"}, {analysis.DimASN, "byASN"},
	} {
		series, err := q.unitSeries(v, d.dim)
		if err != nil {
			return err
		}
		f := q.classChart(v, series, class, d.dim, d.dim, name+" · "+q.T(d.head))
		figs = append(figs, f)
		c.addFigure(f)
		if d.dim == analysis.DimPort {
			if f := q.dotPlot(v, series, class, "portdays", name+" · "+q.T("portDays")); f != nil {
				c.addFigure(f)
			}
		}
		c.addTable(q.topTable(v, series, class, d.dim, "top-"+d.dim, q.T(topCaption(d.dim))))
	}
	if class == classify.Exploit.String() {
		return q.ruleSetPanel(v, c, figs)
	}
	return nil
}

func topCaption(dim string) string {
	switch dim {
	case analysis.DimPort:
		return "topPorts"
	case analysis.DimASN:
		return "topASNs"
	}
	return "topCountries"
}
