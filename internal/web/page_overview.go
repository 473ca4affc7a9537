package web

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

func init() {
	register(&page{Name: "overview", Pattern: "/{$}", NavPath: "/", Nav: "navOverview", NavOrder: 0, Build: buildOverview})
	addMessages(map[string][2]string{
		"navOverview":      {"Overview", "概要"},
		"overviewTitle":    {"Overview", "概要"},
		"overviewLead":     {"What arrived, per class, with the change against the period before.", "分類ごとの観測量と、前の期間との比較です。"},
		"lastDay":          {"Last day", "最終日"},
		"vsPrevDay":        {"vs the day before", "前日比"},
		"vsPrevPeriod":     {"vs the period before", "前期間比"},
		"classesByDay":     {"All classes by day", "分類別の日別推移"},
		"latestFindings":   {"Latest findings", "最新の検知"},
		"noFindings":       {"No spikes or sustained rises in this period.", "この期間に急増・増加傾向はありません。"},
		"coverageTitle":    {"Sensors: data, gaps and capture drops", "センサー：データ、欠測、取りこぼし"},
		"lastData":         {"Last data", "最終データ"},
		"noDataDays":       {"Days without data", "データなしの日数"},
		"partialDaysCol":   {"Partial days", "一部欠測の日数"},
		"kernelDrops":      {"Kernel drops", "カーネルでの取りこぼし"},
		"queueDrops":       {"Queue drops", "キューでの取りこぼし"},
		"honeypotTitle":    {"Honeypot on the last day", "最終日のハニーポット"},
		"sessionsCount":    {"Sessions", "セッション"},
		"loggedIn":         {"Logged in", "ログイン成功"},
		"intrusions":       {"Intrusions", "侵入"},
		"newSamples":       {"New samples", "新しい検体"},
		"latestSessions":   {"Latest honeypot sessions", "最新のハニーポットセッション"},
		"time":             {"Time", "時刻"},
		"service":          {"Service", "サービス"},
		"username":         {"User", "ユーザー名"},
		"firstCommand":     {"First command or request", "最初のコマンド・リクエスト"},
		"samplesTitle":     {"Samples first seen on the last day", "最終日に初めて観測された検体"},
		"sha256":           {"SHA-256", "SHA-256"},
		"size":             {"Size", "サイズ"},
		"fileType":         {"Type", "種類"},
		"noSessions":       {"No honeypot sessions.", "ハニーポットのセッションはありません。"},
		"noSamples":        {"No new samples.", "新しい検体はありません。"},
		"periodTotal":      {"Period", "期間"},
		"atLeast":          {"at least", "以上"},
		"dropsNote":        {"Live captures lost packets in this period; their counts are lower bounds.", "この期間、ライブキャプチャでパケットの取りこぼしがありました。数値は下限値です。"},
		"findingsSentence": {"Finding", "所見"},
	})
}

type overviewData struct {
	Day, Period string
	Cards       []classCard
	Findings    []findingItem
	Honeypot    []statItem
}

type classCard struct {
	Name, Href                  string
	Period, PeriodChange        string
	Day, DayChange              string
	PeriodUp, PeriodDown, DayUp bool
	DayDown                     bool
}

type findingItem struct {
	Day, Sentence, Href string
}

type statItem struct {
	Name, Value string
}

func buildOverview(q *request, c *content) error {
	v, err := q.View()
	if err != nil {
		return err
	}
	c.Title, c.Lead = q.T("overviewTitle"), q.T("overviewLead")
	c.Range, c.HasRange = v.Range, true
	d := &overviewData{Day: dayLong(v.Range.To, q.Lang), Period: rangeText(v.Range, q.Lang)}
	c.Data = d
	last := period.Range{From: v.Range.To, To: v.Range.To}
	dayChanges, err := q.src.Headline(q.ctx, last)
	if err != nil {
		return err
	}
	byClass := map[string]period.ClassChange{}
	for _, x := range dayChanges {
		byClass[x.Class] = x
	}
	sources := q.F.Unit == "sources"
	for _, x := range v.Headline() {
		dc := byClass[x.Class]
		pc, dch := x.Packets, dc.Packets
		pv, dv := x.Current.Packets, dc.Current.Packets
		if sources {
			pc, dch = x.Sources, dc.Sources
			pv, dv = x.Current.Sources, dc.Current.Sources
		}
		d.Cards = append(d.Cards, classCard{Name: className(x.Class, q.Lang), Href: q.classHref(x.Class),
			Period: chart.FormatCount(pv), PeriodChange: changeText(pc, q.Lang), PeriodUp: pc.Percent > 0, PeriodDown: pc.Percent < 0,
			Day: chart.FormatCount(dv), DayChange: changeText(dch, q.Lang), DayUp: dch.Percent > 0, DayDown: dch.Percent < 0})
	}
	// All classes by day, each class linked to its page.
	var series []chart.Series
	totals := map[string][]float64{}
	for _, s := range v.UnitSeries[analysis.DimCountry] {
		t := totals[s.Class]
		if t == nil {
			t = make([]float64, v.N)
			totals[s.Class] = t
		}
		for i, x := range v.Cut(s.Values) {
			t[i] += x
		}
	}
	for _, cl := range v.Classes {
		series = append(series, chart.Series{Key: cl, Label: className(cl, q.Lang), Values: totals[cl], Href: q.classHref(cl)})
	}
	c.addFigure(q.dailyChart(v, "daily", q.T("classesByDay"), series, nil))
	// Findings with their sentences, each linking to its drill-down.
	spikes := q.src.Spikes(v.Shown[:min(len(v.Shown), 12)], func(dim, key, lang string) string {
		return period.Names(dim, key, lang)
	})
	for i, s := range spikes {
		sentence := s.SentenceEN
		if q.Lang == "ja" {
			sentence = s.SentenceJA
		}
		d.Findings = append(d.Findings, findingItem{Day: dayLong(s.Day, q.Lang), Sentence: sentence, Href: q.findingHref(v.Shown[i])})
	}
	if err := overviewSensors(q, c, v); err != nil {
		return err
	}
	return overviewHoneypot(q, c, d, v)
}

// overviewSensors is the sensor table: last data, gaps and drops.
func overviewSensors(q *request, c *content, v *period.View) error {
	caps, err := q.h.deps.Store.Captures(q.ctx, q.F.Sensors)
	if err != nil {
		return err
	}
	lastAt := map[string]time.Time{}
	for _, x := range caps {
		if x.Last.After(lastAt[x.Sensor]) {
			lastAt[x.Sensor] = x.Last
		}
	}
	t := &table{ID: "sensors", Caption: q.T("coverageTitle"),
		Head:    []string{q.T("sensor"), q.T("lastData"), q.T("noDataDays"), q.T("partialDaysCol"), q.T("kernelDrops"), q.T("queueDrops")},
		Numeric: []bool{false, false, true, true, true, true},
		CSVHead: []string{"sensor", "last_data", "no_data_days", "partial_days", "kernel_drops", "queue_drops"}}
	dropped := false
	for _, g := range v.Gaps {
		nodata, partial := 0, 0
		for _, dd := range g.Days[v.Off:] {
			switch dd.State {
			case analysis.NoData:
				nodata++
			case analysis.Partial:
				partial++
			}
		}
		dr := v.Drops[g.Sensor]
		dropped = dropped || dr.Total() > 0
		la := ""
		if at, ok := lastAt[g.Sensor]; ok {
			la = at.In(q.src.Location()).Format("2006-01-02 15:04")
		}
		t.Rows = append(t.Rows, []cell{link(g.Sensor, q.link("/", func(f *Filters) { f.Sensors = []string{g.Sensor} })), text(la),
			num(float64(nodata)), num(float64(partial)), num(float64(dr.Kernel)), num(float64(dr.Queue))})
		t.CSVRows = append(t.CSVRows, []string{g.Sensor, la, strconv.Itoa(nodata), strconv.Itoa(partial),
			strconv.FormatUint(dr.Kernel, 10), strconv.FormatUint(dr.Queue, 10)})
	}
	if dropped {
		c.Notes = append(c.Notes, q.T("dropsNote"))
	}
	c.addTable(t)
	return nil
}

// csvTime is how CSVs write instants: the shown time with its offset.
const csvTime = "2006-01-02 15:04:05 -0700"

// maxOverviewSessions bounds the sessions read to count a day's.
const maxOverviewSessions = 1000

// overviewHoneypot counts the last day's sessions and new samples and
// lists the latest sessions.
func overviewHoneypot(q *request, c *content, d *overviewData, v *period.View) error {
	st := q.h.deps.Store
	day := v.Range.To.String()
	ss, err := st.Sessions(q.ctx, store.SessionQuery{From: day, To: day, Sensors: q.F.Sensors, Limit: maxOverviewSessions})
	if err != nil {
		return err
	}
	loggedIn, intr := 0, 0
	for i := range ss {
		if ss[i].LoggedIn {
			loggedIn++
		}
		if ss[i].Intrusion() {
			intr++
		}
	}
	count := strconv.Itoa(len(ss))
	if len(ss) == maxOverviewSessions {
		count += "+"
	}
	samples, err := st.Samples(q.ctx, store.SampleQuery{From: day, To: day, Limit: 200})
	if err != nil {
		return err
	}
	var fresh []session.Sample
	for _, s := range samples {
		if q.src.Day(s.First) == v.Range.To && (len(q.F.Sensors) == 0 || slices.Contains(q.F.Sensors, s.Sensor)) {
			fresh = append(fresh, s)
		}
	}
	d.Honeypot = []statItem{{q.T("sessionsCount"), count}, {q.T("loggedIn"), strconv.Itoa(loggedIn)},
		{q.T("intrusions"), strconv.Itoa(intr)}, {q.T("newSamples"), strconv.Itoa(len(fresh))}}
	latest, err := st.Sessions(q.ctx, store.SessionQuery{To: day, Sensors: q.F.Sensors, Limit: 10})
	if err != nil {
		return err
	}
	t := &table{ID: "sessions", Caption: q.T("latestSessions"), Empty: q.T("noSessions"),
		Head:    []string{q.T("time"), q.T("sensor"), q.T("service"), q.T("source"), q.T("country"), q.T("username"), q.T("firstCommand")},
		CSVHead: []string{"start", "sensor", "service", "src", "country", "username", "first"}}
	for _, s := range latest {
		first := ""
		switch {
		case len(s.Commands) > 0:
			first = s.Commands[0].Input
		case len(s.Requests) > 0:
			first = s.Requests[0].Method + " " + s.Requests[0].Path
		}
		at := s.Start.In(q.src.Location()).Format("2006-01-02 15:04:05")
		src := s.Src.String()
		country := q.sessionCountry(&s)
		t.Rows = append(t.Rows, []cell{text(at), text(s.Sensor), text(s.Service), text(src), q.countryCell(country),
			text(chart.Shorten(s.Username, 32)), {Text: chart.Shorten(first, 80), Title: chart.Shorten(first, 400)}})
		t.CSVRows = append(t.CSVRows, []string{s.Start.In(q.src.Location()).Format(csvTime), s.Sensor, s.Service, src, country, s.Username, first})
	}
	c.addTable(t)
	slices.SortFunc(fresh, func(a, b session.Sample) int { return cmp.Compare(b.First.UnixNano(), a.First.UnixNano()) })
	ts := &table{ID: "samples", Caption: q.T("samplesTitle"), Empty: q.T("noSamples"),
		Head:    []string{q.T("time"), q.T("sha256"), q.T("fileType"), q.T("size"), q.T("source"), q.T("sensor")},
		Numeric: []bool{false, false, false, true},
		CSVHead: []string{"first", "sha256", "type", "size", "src", "sensor"}}
	for _, s := range fresh {
		at := s.First.In(q.src.Location()).Format("2006-01-02 15:04:05")
		ts.Rows = append(ts.Rows, []cell{text(at), {Text: s.SHA256[:min(16, len(s.SHA256))] + "…", Title: s.SHA256}, text(s.Type),
			num(float64(s.Size)), text(s.Src.String()), text(s.Sensor)})
		ts.CSVRows = append(ts.CSVRows, []string{s.First.In(q.src.Location()).Format(csvTime), s.SHA256, s.Type, strconv.FormatInt(s.Size, 10), s.Src.String(), s.Sensor})
	}
	c.addTable(ts)
	return nil
}
