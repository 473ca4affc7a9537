package web

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/period"
)

func init() {
	register(&page{Name: "findings", Pattern: "/findings", Nav: "navFindings", NavOrder: 80, Params: []string{"all"}, Build: buildFindings})
	addMessages(map[string][2]string{
		"navFindings":  {"Findings", "検知"},
		"fndTitle":     {"Findings", "検知一覧"},
		"fndLead":      {"Spikes and sustained rises of the period, ranked, each with its explanation and a link to the view behind it.", "期間中の急増と増加傾向を重要度順に並べ、それぞれの説明と根拠となる表示へのリンクを付けています。"},
		"fndAll":       {"Show every finding, also those below the significance threshold", "有意水準に満たないものも含め、すべての検知を表示"},
		"fndShown":     {"Show the significant findings only", "有意な検知のみを表示"},
		"fndHidden":    {"%d findings below the significance threshold are not shown.", "有意水準に満たない%d件の検知は表示していません。"},
		"fndBadAll":    {"want 1 or nothing", "1 または空で指定してください"},
		"fndChart":     {"Findings on the classes by day", "分類別の日別推移と検知"},
		"fndTable":     {"Findings", "検知"},
		"fndKind":      {"Kind", "種類"},
		"fndKey":       {"Key", "対象"},
		"fndValue":     {"Value", "値"},
		"fndBaseline":  {"Baseline", "基準値"},
		"fndRatio":     {"× baseline", "基準比"},
		"fndDrivers":   {"Drivers", "主な要因"},
		"fndSpike":     {"spike", "急増"},
		"fndRise":      {"rise", "増加傾向"},
		"fndOngoing":   {"ongoing", "継続中"},
		"fndAllSensor": {"all", "全体"},
		"fndNone":      {"No spikes or sustained rises in this period.", "この期間に急増・増加傾向はありません。"},
	})
}

// findingsData is the list of the page with its sentences.
type findingsData struct {
	Items           []findingEntry
	Toggle, Hidden  string
	ToggleLabel     string
	AllShown, Empty bool
}

// findingEntry is one finding: its day, sentence and drill-down.
type findingEntry struct {
	Day, Kind, Sentence, Href string
	Drivers                   []navItem
	Rise                      bool
}

// maxFindings bounds the findings listed.
const maxFindings = 200

func buildFindings(q *request, c *content) error {
	all := false
	switch q.arg("all") {
	case "":
	case "1":
		all = true
	default:
		return &FilterError{Param: "all", Message: q.T("fndBadAll")}
	}
	var v *period.View
	var err error
	if all {
		r, rerr := q.Range()
		if rerr != nil {
			return rerr
		}
		v, err = q.src.Load(q.ctx, period.ViewOptions{Range: r, Unit: q.Unit(), AllFindings: true})
	} else {
		v, err = q.View()
	}
	if err != nil {
		return err
	}
	c.Title, c.Lead = q.T("fndTitle"), q.T("fndLead")
	c.Range, c.HasRange = v.Range, true
	fs := v.Shown
	if len(fs) > maxFindings {
		fs = fs[:maxFindings]
	}
	d := &findingsData{AllShown: all, Empty: len(fs) == 0}
	c.Data = d
	if all {
		d.Toggle, d.ToggleLabel = q.link("/findings"), q.T("fndShown")
	} else {
		d.Toggle, d.ToggleLabel = q.link("/findings")+sepFor(q.link("/findings"))+"all=1", q.T("fndAll")
		if v.Hidden > 0 {
			d.Hidden = fmt.Sprintf(q.T("fndHidden"), v.Hidden)
		}
	}
	spikes := q.src.Spikes(fs, nil)
	t := &table{ID: "list", Caption: q.T("fndTable"), Empty: q.T("fndNone"),
		Head:    []string{q.T("day"), q.T("fndKind"), q.T("class"), q.T("fndKey"), q.T("sensor"), q.T("fndValue"), q.T("fndBaseline"), q.T("fndRatio"), q.T("fndDrivers")},
		Numeric: []bool{false, false, false, false, false, true, true, true},
		CSVHead: []string{"day", "last_day", "kind", "ongoing", "sensor", "also_at", "class", "dim", "key", "unit", "value", "baseline", "ratio", "z", "drivers", "sentence_en", "sentence_ja"}}
	for i, f := range fs {
		s := spikes[i]
		sentence := s.SentenceEN
		if q.Lang == "ja" {
			sentence = s.SentenceJA
		}
		href := q.findingHref(f)
		kind := q.T("fndSpike")
		if f.Kind == analysis.KindRise {
			kind = q.T("fndRise")
			if f.Ongoing {
				kind += " (" + q.T("fndOngoing") + ")"
			}
		}
		day := s.Day.String()
		if s.LastDay != s.Day {
			day += " – " + s.LastDay.String()
		}
		e := findingEntry{Day: dayLong(s.Day, q.Lang), Kind: kind, Sentence: sentence, Href: href, Rise: f.Kind == analysis.KindRise}
		var drv []string
		for _, dr := range f.Drivers {
			label := q.name(dr.Dim, dr.Key, v.Orgs)
			href := q.keyHref(dr.Dim, dr.Key, f.Class)
			if a, ok := parseIP(dr.Key); ok {
				href = q.link("/source/"+a.String(), Drop(qClass, qCountry, qPort, qASN), Days(s.Day, s.LastDay))
			}
			e.Drivers = append(e.Drivers, navItem{Label: label, Href: href})
			drv = append(drv, dr.Dim+":"+dr.Key+"="+raw(dr.Value))
		}
		d.Items = append(d.Items, e)
		sensor := f.Sensor
		if sensor == "" {
			sensor = q.T("fndAllSensor")
		}
		ratio := "–"
		if s.Ratio != nil {
			ratio = strconv.FormatFloat(*s.Ratio, 'f', 1, 64)
		}
		var drvNames []string
		for _, x := range e.Drivers {
			drvNames = append(drvNames, x.Label)
		}
		t.Rows = append(t.Rows, []cell{link(day, href), text(kind), link(className(f.Class, q.Lang), q.classHref(f.Class)),
			link(q.name(f.Dim, f.Key, v.Orgs), q.keyHref(f.Dim, f.Key, f.Class)), text(sensor), num(f.Value), num(f.Baseline),
			{Text: ratio, Num: true}, {Text: chart.Shorten(strings.Join(drvNames, ", "), 80), Wrap: true}})
		ratioCSV := ""
		if s.Ratio != nil {
			ratioCSV = rawFloat(*s.Ratio)
		}
		t.CSVRows = append(t.CSVRows, []string{s.Day.String(), s.LastDay.String(), f.Kind, strconv.FormatBool(f.Ongoing), f.Sensor,
			strings.Join(f.AlsoAt, " "), f.Class, f.Dim, f.Key, string(f.Unit), raw(f.Value), raw(f.Baseline), ratioCSV, rawFloat(s.Z),
			strings.Join(drv, " "), s.SentenceEN, s.SentenceJA})
	}
	c.addTable(t)
	// The classes by day with every listed finding marked.
	totals := map[string][]float64{}
	for _, s := range v.UnitSeries[analysis.DimCountry] {
		tt := totals[s.Class]
		if tt == nil {
			tt = make([]float64, v.N)
			totals[s.Class] = tt
		}
		for i, x := range v.Cut(s.Values) {
			tt[i] += x
		}
	}
	var series []chart.Series
	for _, cl := range v.Classes {
		series = append(series, chart.Series{Key: cl, Label: className(cl, q.Lang), Values: totals[cl], Href: q.classHref(cl)})
	}
	var marks []chart.Mark
	from := q.src.Time(v.Range.From)
	for i, f := range fs {
		if i == 24 {
			break
		}
		day := f.Day
		if day.Before(from) {
			day = from
		}
		marks = append(marks, chart.Mark{Day: day, Key: f.Class, Text: className(f.Class, q.Lang) + " " + q.name(f.Dim, f.Key, v.Orgs),
			Rise: f.Kind == analysis.KindRise, Href: q.findingHref(f)})
	}
	c.addFigure(q.dailyChart(v, "chart", q.T("fndChart"), series, marks))
	return nil
}

// sepFor is the separator that adds a parameter to u.
func sepFor(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}
