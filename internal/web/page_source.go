package web

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

func init() {
	register(&page{Name: "source", Pattern: "/source/{ip}", Params: []string{"ip"}, Build: buildSource})
	addMessages(map[string][2]string{
		"srcTitle":       {"Source", "送信元"},
		"srcLead":        {"Everything the sensors and the honeypot saw of one address.", "1つのアドレスについて、センサーとハニーポットが観測したすべてです。"},
		"srcNothing":     {"Nothing from this address in this period at the selected sensors.", "この期間、選択したセンサーではこのアドレスからの通信はありません。"},
		"srcDefault":     {"Without from and to, the page shows the last 90 days with data.", "開始日・終了日を指定しない場合、データのある直近90日間を表示します。"},
		"srcTimeline":    {"Packets by day and destination port", "日別・宛先ポート別のパケット数"},
		"srcDays":        {"Days seen", "観測日"},
		"srcActiveDays":  {"Days active", "観測日数"},
		"srcBytes":       {"Bytes", "バイト数"},
		"srcClasses":     {"Classes", "分類"},
		"srcPorts":       {"Destination ports", "宛先ポート"},
		"srcSensors":     {"Sensors", "センサー"},
		"srcPortBehav":   {"Source port", "送信元ポート"},
		"srcFixedAll":    {"one fixed source port, %s, on every day seen", "観測したすべての日で送信元ポートは %s に固定"},
		"srcFixedSome":   {"a fixed source port on %d of %d days (%s)", "%d日中%d日で送信元ポートが固定（%s）"},
		"srcFixedNone":   {"varying source ports", "送信元ポートは一定しない"},
		"srcSeveral":     {"several", "複数"},
		"srcSrcPorts":    {"Fixed source ports", "固定された送信元ポート"},
		"srcExploits":    {"Exploit matches in captures", "キャプチャでのエクスプロイト検知"},
		"srcExploitNote": {"Captures keep which exploit pattern matched and where, not the payload; payload excerpts are shown for honeypot sessions.", "キャプチャについては一致したエクスプロイトのパターンと宛先のみを保存しており、ペイロードは保存していません。ペイロードの抜粋はハニーポットのセッションについて表示します。"},
		"srcSessions":    {"Honeypot sessions", "ハニーポットのセッション"},
		"srcCommands":    {"Commands run", "実行されたコマンド"},
		"srcURLs":        {"URLs", "URL"},
		"srcSamples":     {"Samples", "検体"},
		"srcTotal":       {"Total", "合計"},
	})
}

// sourceShownPorts is how many destination ports the page lists (the
// CSV has them all).
const sourceShownPorts = 20

// sourceDefaultDays is the period of a source page without from and to.
const sourceDefaultDays = 90

// sourceData is what the source page shows besides tables and charts.
type sourceData struct {
	Addr      string
	Facts     []statItem
	Links     []navItem // country, AS, sensors: their pages
	PortBehav string
	Nothing   bool
}

func buildSource(q *request, c *content) error {
	addr, ok := parseIP(q.arg("ip"))
	if !ok {
		return &FilterError{Param: "ip", Message: q.T("hpBadIP")}
	}
	var r period.Range
	if q.F.HasFrom || q.F.HasTo {
		var err error
		if r, err = q.Range(); err != nil {
			return err
		}
	} else {
		first, last, ok, err := q.src.DataRange(q.ctx)
		if err != nil {
			return err
		}
		if !ok {
			return period.ErrNoData
		}
		r = period.Range{From: max(first, last.AddDays(-(sourceDefaultDays - 1))), To: last}
		c.Notes = append(c.Notes, q.T("srcDefault"))
	}
	c.Range, c.HasRange = r, true
	days, err := q.src.SourceDays(q.ctx, addr, r)
	if err != nil {
		return err
	}
	st := q.h.deps.Store
	ss, err := st.Sessions(q.ctx, store.SessionQuery{Src: addr, Sensors: q.F.Sensors, From: r.From.String(), To: r.To.String(), Limit: hpMaxRead})
	if err != nil {
		return err
	}
	samples, err := st.Samples(q.ctx, store.SampleQuery{Src: addr, Limit: 200})
	if err != nil {
		return err
	}
	c.Title, c.Lead = q.T("srcTitle")+" "+addr.String(), q.T("srcLead")
	d := &sourceData{Addr: addr.String(), Nothing: len(days) == 0 && len(ss) == 0}
	c.Data = d
	sourceSummary(q, d, days)
	sourceTimeline(q, c, r, days)
	sourceTables(q, c, days)
	c.addTable(q.sessionTable("sessions", q.T("srcSessions"), ss))
	sourceSessionTables(q, c, ss)
	c.addTable(q.sampleTable("samples", q.T("srcSamples"), samples))
	c.Notes = append(c.Notes, q.T("hpURLsNote"))
	return nil
}

// sourceSummary fills the facts: totals, first and last seen, place,
// sensors, source-port behaviour.
func sourceSummary(q *request, d *sourceData, days []period.SourceDay) {
	if len(days) == 0 {
		return
	}
	var packets, bytes uint64
	first, last := days[0].FirstSeen, days[0].LastSeen
	sensors := map[string]bool{}
	fixed := map[int]int{}
	nFixed := 0
	for _, x := range days {
		packets += x.Packets
		bytes += x.Bytes
		if !x.FirstSeen.IsZero() && (first.IsZero() || x.FirstSeen.Before(first)) {
			first = x.FirstSeen
		}
		if x.LastSeen.After(last) {
			last = x.LastSeen
		}
		for _, s := range x.Sensors {
			sensors[s] = true
		}
		if x.FixedSrcPort {
			fixed[x.SrcPort]++
			nFixed++
		}
	}
	lastDay := days[len(days)-1]
	d.Facts = []statItem{
		{q.T("packets"), chart.FormatCount(float64(packets))},
		{q.T("srcBytes"), chart.FormatCount(float64(bytes))},
		{q.T("srcActiveDays"), strconv.Itoa(len(days))},
		{q.T("hpFirstSeen"), q.when(first)},
		{q.T("hpLastSeen"), q.when(last)},
	}
	if lastDay.Country != "" {
		d.Links = append(d.Links, navItem{Label: q.T("country") + ": " + q.name(analysis.DimCountry, lastDay.Country, nil),
			Href: q.keyHref(analysis.DimCountry, lastDay.Country, "")})
	}
	if lastDay.ASN != "" {
		d.Links = append(d.Links, navItem{Label: lastDay.ASN + " " + chart.Shorten(lastDay.Org, 60), Href: q.keyHref(analysis.DimASN, lastDay.ASN, "")})
	}
	for _, s := range slices.Sorted(maps.Keys(sensors)) {
		d.Links = append(d.Links, navItem{Label: q.T("sensor") + ": " + s, Href: q.link("/", Drop(qClass, qCountry, qPort, qASN), func(f *Filters) { f.Sensors = []string{s} })})
	}
	ports := make([]string, 0, len(fixed))
	for p := range fixed {
		ports = append(ports, strconv.Itoa(p))
	}
	slices.Sort(ports)
	switch {
	case nFixed == len(days) && len(fixed) == 1:
		d.PortBehav = fmt.Sprintf(q.T("srcFixedAll"), ports[0])
	case nFixed > 0:
		if q.Lang == "ja" {
			d.PortBehav = fmt.Sprintf(q.T("srcFixedSome"), len(days), nFixed, strings.Join(ports, ", "))
		} else {
			d.PortBehav = fmt.Sprintf(q.T("srcFixedSome"), nFixed, len(days), strings.Join(ports, ", "))
		}
	default:
		d.PortBehav = q.T("srcFixedNone")
	}
}

// sourceTimeline is the daily chart by destination port (the top ports
// of the period, the rest as other).
func sourceTimeline(q *request, c *content, r period.Range, days []period.SourceDay) {
	n := r.Days()
	byPort := map[string][]float64{}
	totals := map[string]float64{}
	for _, x := range days {
		i := x.Day.Sub(r.From)
		if i < 0 || i >= n {
			continue
		}
		for _, p := range x.Ports {
			v := byPort[p.Port]
			if v == nil {
				v = make([]float64, n)
				byPort[p.Port] = v
			}
			v[i] += float64(p.Packets)
			totals[p.Port] += float64(p.Packets)
		}
	}
	keys := make([]string, 0, len(byPort))
	for k := range byPort {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(totals[b], totals[a]), cmp.Compare(a, b)) })
	var series []chart.Series
	other := make([]float64, n)
	hasOther := false
	for i, k := range keys {
		if i >= q.h.cfg.TopN {
			hasOther = true
			for j, v := range byPort[k] {
				other[j] += v
			}
			continue
		}
		series = append(series, chart.Series{Key: k, Label: k, Values: byPort[k], Href: q.keyHref(analysis.DimPort, k, "")})
	}
	if hasOther {
		series = append(series, chart.Series{Key: "other", Label: q.T("other"), Values: other})
	}
	title := q.T("srcTimeline")
	ch := &chart.StackedBars{Title: title, Subtitle: rangeText(r, q.Lang), YLabel: q.T("perDayPackets"), Unit: q.T("unitPackets"),
		Days: q.rangeDays(r), Series: series, DayLinks: q.dayLinks(r), Lang: q.Lang, Width: 640, Height: 320}
	c.addFigure(&figure{ID: "timeline", Title: title, Chart: ch, Brush: true})
}

// sourceTables are the days, classes, ports, source ports and exploit
// matches of a source.
func sourceTables(q *request, c *content, days []period.SourceDay) {
	dt := &table{ID: "days", Caption: q.T("srcDays"),
		Head:    []string{q.T("day"), q.T("packets"), q.T("srcClasses"), q.T("srcPorts"), q.T("srcPortBehav"), q.T("srcSensors"), q.T("country"), q.T("asn")},
		Numeric: []bool{false, true},
		CSVHead: []string{"day", "packets", "bytes", "classes", "ports", "fixed_src_port", "sensors", "country", "asn", "org", "first_seen", "last_seen"}}
	classDays := map[string]int{}
	portPackets := map[string]float64{}
	portDays := map[string]int{}
	srcPorts := map[int]int{}
	var exploits [][]cell
	var exploitsCSV [][]string
	for _, x := range days {
		var ports []string
		for i, p := range x.Ports {
			if i < 4 {
				ports = append(ports, p.Port)
			}
			portPackets[p.Port] += float64(p.Packets)
			portDays[p.Port]++
		}
		if len(x.Ports) > 4 {
			ports = append(ports, "…")
		}
		for _, cl := range x.Classes {
			classDays[cl]++
		}
		sp, spCSV := q.T("srcSeveral"), ""
		if x.FixedSrcPort {
			sp, spCSV = strconv.Itoa(x.SrcPort), strconv.Itoa(x.SrcPort)
			srcPorts[x.SrcPort]++
		}
		classes := make([]string, len(x.Classes))
		for i, cl := range x.Classes {
			classes[i] = className(cl, q.Lang)
		}
		dayHref := q.link(q.r.URL.Path, Day(x.Day))
		dt.Rows = append(dt.Rows, []cell{link(x.Day.String(), dayHref), num(float64(x.Packets)), text(strings.Join(classes, ", ")),
			text(strings.Join(ports, ", ")), text(sp), text(strings.Join(x.Sensors, ", ")), countryCell(q, x.Country), link(x.ASN, q.keyHref(analysis.DimASN, x.ASN, ""))})
		var allPorts []string
		for _, p := range x.Ports {
			allPorts = append(allPorts, p.Port+"="+strconv.FormatUint(p.Packets, 10))
		}
		dt.CSVRows = append(dt.CSVRows, []string{x.Day.String(), strconv.FormatUint(x.Packets, 10), strconv.FormatUint(x.Bytes, 10),
			strings.Join(x.Classes, " "), strings.Join(allPorts, " "), spCSV, strings.Join(x.Sensors, " "), x.Country, x.ASN, x.Org,
			utc(x.FirstSeen), utc(x.LastSeen)})
		for _, e := range x.Exploits {
			exploits = append(exploits, []cell{text(x.Day.String()), text(q.h.patternName(e.Pattern)), link(e.Port, q.keyHref(analysis.DimPort, e.Port, "exploit")), num(float64(e.Packets))})
			exploitsCSV = append(exploitsCSV, []string{x.Day.String(), e.Pattern, e.Port, strconv.FormatUint(e.Packets, 10)})
		}
	}
	c.addTable(dt)
	ct := &table{ID: "classes", Caption: q.T("srcClasses"), Head: []string{q.T("class"), q.T("srcActiveDays")}, Numeric: []bool{false, true},
		CSVHead: []string{"class", "days"}}
	for _, cl := range orderedClasses(classDays) {
		ct.Rows = append(ct.Rows, []cell{link(className(cl, q.Lang), q.classHref(cl)), num(float64(classDays[cl]))})
		ct.CSVRows = append(ct.CSVRows, []string{cl, strconv.Itoa(classDays[cl])})
	}
	c.addTable(ct)
	pt := &table{ID: "ports", Caption: q.T("srcPorts"), Head: []string{q.T("port"), q.T("packets"), q.T("srcActiveDays")}, Numeric: []bool{false, true, true},
		CSVHead: []string{"port", "packets", "days"}}
	keys := make([]string, 0, len(portPackets))
	for k := range portPackets {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(portPackets[b], portPackets[a]), cmp.Compare(a, b)) })
	for i, k := range keys {
		if i < sourceShownPorts {
			pt.Rows = append(pt.Rows, []cell{link(k, q.keyHref(analysis.DimPort, k, "")), num(portPackets[k]), num(float64(portDays[k]))})
		}
		pt.CSVRows = append(pt.CSVRows, []string{k, raw(portPackets[k]), strconv.Itoa(portDays[k])})
	}
	c.addTable(pt)
	spt := &table{ID: "srcports", Caption: q.T("srcSrcPorts"), Head: []string{q.T("hpSrcPort"), q.T("srcActiveDays")}, Numeric: []bool{true, true},
		CSVHead: []string{"src_port", "days"}}
	sps := make([]int, 0, len(srcPorts))
	for p := range srcPorts {
		sps = append(sps, p)
	}
	slices.SortFunc(sps, func(a, b int) int { return cmp.Or(cmp.Compare(srcPorts[b], srcPorts[a]), cmp.Compare(a, b)) })
	for _, p := range sps {
		spt.Rows = append(spt.Rows, []cell{intCell(p), num(float64(srcPorts[p]))})
		spt.CSVRows = append(spt.CSVRows, []string{strconv.Itoa(p), strconv.Itoa(srcPorts[p])})
	}
	c.addTable(spt)
	c.addTable(&table{ID: "exploits", Caption: q.T("srcExploits"), Head: []string{q.T("day"), q.T("hpPattern"), q.T("port"), q.T("packets")},
		Numeric: []bool{false, false, false, true}, Rows: exploits, CSVHead: []string{"day", "pattern", "port", "packets"}, CSVRows: exploitsCSV})
}

// orderedClasses are the keys of m in the classes' display order.
func orderedClasses(m map[string]int) []string {
	var out []string
	for _, cl := range classify.Names() {
		if m[cl] > 0 {
			out = append(out, cl)
		}
	}
	return out
}

// sourceSessionTables are the credentials, commands, URLs and exploit
// matches of a source's honeypot sessions.
func sourceSessionTables(q *request, c *content, ss []session.Session) {
	type cred struct{ user, pass string }
	tries, wins := map[cred]int{}, map[cred]int{}
	var credOrder []cred
	cmds := map[string]int{}
	var cmdOrder []string
	for i := range ss {
		for _, l := range ss[i].Logins {
			k := cred{l.Username, l.Password}
			if tries[k] == 0 {
				credOrder = append(credOrder, k)
			}
			tries[k]++
			if l.Success {
				wins[k]++
			}
		}
		for _, x := range ss[i].Commands {
			if cmds[x.Input] == 0 {
				cmdOrder = append(cmdOrder, x.Input)
			}
			cmds[x.Input]++
		}
	}
	slices.SortStableFunc(credOrder, func(a, b cred) int { return cmp.Compare(tries[b], tries[a]) })
	slices.SortStableFunc(cmdOrder, func(a, b string) int { return cmp.Compare(cmds[b], cmds[a]) })
	ct := &table{ID: "credentials", Caption: q.T("hpCredentials"), Head: []string{q.T("username"), q.T("hpPassword"), q.T("hpTimes"), q.T("hpSuccess")},
		Numeric: []bool{false, false, true, true}, CSVHead: []string{"username", "password", "tries", "successes"}}
	for i, k := range credOrder {
		if i == 200 {
			break
		}
		ct.Rows = append(ct.Rows, []cell{excerpt(k.user), excerpt(k.pass), num(float64(tries[k])), num(float64(wins[k]))})
		ct.CSVRows = append(ct.CSVRows, []string{k.user, k.pass, strconv.Itoa(tries[k]), strconv.Itoa(wins[k])})
	}
	c.addTable(ct)
	mt := &table{ID: "commands", Caption: q.T("srcCommands"), Head: []string{q.T("hpCommands"), q.T("hpTimes")}, Numeric: []bool{false, true},
		CSVHead: []string{"command", "times"}}
	for i, k := range cmdOrder {
		if i == 200 {
			break
		}
		mt.Rows = append(mt.Rows, []cell{excerpt(k), num(float64(cmds[k]))})
		mt.CSVRows = append(mt.CSVRows, []string{k, strconv.Itoa(cmds[k])})
	}
	c.addTable(mt)
	c.addTable(q.urlTable("urls", q.T("srcURLs"), ss, nil))
	c.addTable(q.exploitHitTable("hpexploits", ss))
}
