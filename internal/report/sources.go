package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/geo"
)

// The texts of the sections in this file (kept here so the sections come
// and go with it).
func init() {
	for k, v := range map[string][2]string{
		"patterns":       {"By exploit pattern", "エクスプロイトのパターン別"},
		"patternsSub":    {"packets that matched each IoT exploit / loader pattern", "IoTエクスプロイト・ローダーの各パターンに一致したパケット"},
		"pattern":        {"Pattern", "パターン"},
		"topPort":        {"Port", "ポート"},
		"daysSeen":       {"Days", "観測日数"},
		"noPatterns":     {"No payload matched an exploit pattern in this period.", "この期間、エクスプロイトのパターンに一致したペイロードはありませんでした。"},
		"fixedPorts":     {"Scanners with one fixed source port", "送信元ポートを固定したスキャナー"},
		"fixedPortsText": {"Sources that sent every TCP/UDP packet of a day from one source port (Mirai-style scanners reuse one), by that port: distinct sources over the period, their share of all such sources, their packets, the days the port was seen so and the country of most of them.", "1日のTCP/UDPパケットをすべて同じ送信元ポートから送った送信元（Mirai系のスキャナーは1つのポートを使い続けます）を、そのポート別に示します。期間中のユニークIP数、そのような送信元全体に占める割合、パケット数、観測日数、最も多い国です。"},
		"noFixedPorts":   {"No source kept one source port for a day in this period.", "この期間、1日を通して送信元ポートを固定した送信元はありませんでした。"},
		"srcPort":        {"Source port", "送信元ポート"},
		"country":        {"Country", "国"},
		"geoData":        {"Geolocation", "位置情報"},
		"geoCountry":     {"country", "国"},
		"geoASN":         {"AS", "AS"},
		"geoNone":        {"none (AS unknown)", "なし（AS不明）"},
		"geoCaptures":    {"captures", "ファイル"},
		"geoAttribution": {"The built-in GeoIP data is derived from ip-location-db (sapics, CC0): geo-whois-asn-country (RIR data of the NRO, CC BY 4.0) and asn (RouteViews, CC BY 4.0; IP to ASN Lite by DB-IP, https://db-ip.com, CC BY 4.0; NRO, CC BY 4.0). See NOTICE.", "組み込みのGeoIPデータはip-location-db（sapics、CC0）に由来します：geo-whois-asn-country（NROのRIRデータ、CC BY 4.0）とasn（RouteViews、CC BY 4.0、DB-IPのIP to ASN Lite https://db-ip.com 、CC BY 4.0、NRO、CC BY 4.0）。詳細はNOTICEを参照してください。"},
	} {
		msgs[k] = v
	}
}

// patternSection charts and tabulates the exploit matches by pattern, at
// the end of the exploit section.
func (b *builder) patternSection() {
	b.d.h3("exploit-patterns", b.tr("patterns"))
	ep, err := b.src.ExploitPatterns(b.ctx, b.v.Range)
	if err != nil {
		b.warnings = append(b.warnings, err.Error())
		return
	}
	if len(ep.Totals) == 0 {
		b.d.para(b.tr("noPatterns"))
		return
	}
	from := b.v.Range.From
	values := map[string][]float64{}
	for _, d := range ep.Daily {
		i := d.Day.Sub(from)
		if i < 0 || i >= len(b.days) {
			continue
		}
		if values[d.Pattern] == nil {
			values[d.Pattern] = make([]float64, len(b.days))
		}
		values[d.Pattern][i] += d.Packets
	}
	var series []chart.Series
	other := make([]float64, len(b.days))
	hasOther := false
	for i, t := range ep.Totals { // most packets first
		v := values[t.Pattern]
		if v == nil {
			continue
		}
		if i < b.opt.TopN {
			series = append(series, chart.Series{Key: "pattern:" + t.Pattern, Label: chart.Shorten(b.patternName(t.Pattern), 48), Values: v})
			continue
		}
		for j, x := range v {
			other[j] += x
			hasOther = hasOther || x > 0
		}
	}
	if hasOther {
		series = append(series, chart.Series{Key: "other", Label: b.tr("other"), Values: other})
	}
	title := b.className("exploit") + " · " + b.tr("patterns")
	c := &chart.StackedBars{Title: title, Subtitle: b.period(b.from, b.to) + " · " + b.tr("patternsSub"),
		YLabel: b.tr("perDayPackets"), Unit: b.tr("unitPackets"), Days: b.days, Series: series,
		Gaps: b.v.Gap(), Coverage: b.v.Coverage, Annotations: b.annotations("exploit"), Lang: b.lang, Width: 840, Height: 380}
	b.addFig("exploit-patterns", title, c)

	total := 0.0
	for _, t := range ep.Totals {
		total += t.Packets
	}
	tab := &table{name: "exploit-patterns", caption: title,
		numeric: []bool{true, false, true, true, true, true, true},
		head:    []string{b.tr("rank"), b.tr("pattern"), b.tr("topPort"), b.tr("packets"), b.tr("share"), b.tr("sources"), b.tr("daysSeen")},
		csvHead: []string{"rank", "pattern", "port", "proto", "packets", "share", "sources", "days"}}
	for i, t := range ep.Totals {
		share := t.Packets / max(total, 1)
		tab.rows = append(tab.rows, []string{strconv.Itoa(i + 1), b.patternName(t.Pattern), fmt.Sprintf("%d/%s", t.Port, t.Proto),
			chart.FormatCount(t.Packets), chart.FormatPercent(share), chart.FormatCount(t.Sources), b.dayCount(t.Days)})
		tab.csvRows = append(tab.csvRows, []string{strconv.Itoa(i + 1), t.Pattern, strconv.Itoa(t.Port), t.Proto,
			num(t.Packets), strconv.FormatFloat(share, 'f', 4, 64), num(t.Sources), strconv.Itoa(t.Days)})
	}
	b.addTable(tab)
}

// patternName is the readers' name of a pattern key.
func (b *builder) patternName(key string) string {
	if b.opt.PatternName != nil {
		if n := b.opt.PatternName(key); n != "" {
			return n
		}
	}
	return key
}

// dayCount is a number of days with its unit: "3 days" / "3日".
func (b *builder) dayCount(n int) string {
	switch {
	case b.ja:
		return strconv.Itoa(n) + "日"
	case n == 1:
		return "1 day"
	}
	return strconv.Itoa(n) + " days"
}

// fixedPortSection tabulates the source ports that scanners kept fixed.
func (b *builder) fixedPortSection() {
	b.d.h2("fixed-src-port", b.tr("fixedPorts"))
	rows, err := b.src.FixedSourcePorts(b.ctx, b.v.Range, 10)
	if err != nil {
		b.warnings = append(b.warnings, err.Error())
		return
	}
	if len(rows) == 0 {
		b.d.para(b.tr("noFixedPorts"))
		return
	}
	b.d.para(b.tr("fixedPortsText"))
	tab := &table{name: "fixed-src-port", caption: b.tr("fixedPorts"),
		numeric: []bool{true, true, true, true, true, true, false},
		head:    []string{b.tr("rank"), b.tr("srcPort"), b.tr("sources"), b.tr("share"), b.tr("packets"), b.tr("daysSeen"), b.tr("country")},
		csvHead: []string{"rank", "src_port", "sources", "share", "packets", "days", "country"}}
	for i, r := range rows {
		tab.rows = append(tab.rows, []string{strconv.Itoa(i + 1), strconv.Itoa(r.Port), chart.FormatCount(r.Sources), chart.FormatPercent(r.Share),
			chart.FormatCount(r.Packets), b.dayCount(r.Days), r.Country + " " + geo.CountryName(r.Country, b.lang)})
		tab.csvRows = append(tab.csvRows, []string{strconv.Itoa(i + 1), strconv.Itoa(r.Port), num(r.Sources),
			strconv.FormatFloat(r.Share, 'f', 4, 64), num(r.Packets), strconv.Itoa(r.Days), r.Country})
	}
	b.addTable(tab)
}

// methodGeo names the GeoIP databases the period's data was geolocated
// with, and the built-in data's attribution.
func (b *builder) methodGeo() {
	dbs, err := b.src.GeoDatabases(b.ctx)
	if err != nil {
		b.warnings = append(b.warnings, err.Error())
		return
	}
	var items []string
	for _, d := range dbs {
		asn := d.ASNDB
		if asn == "" {
			asn = b.tr("geoNone")
		}
		captures := b.tr("geoCaptures")
		if d.Ingests == 1 && !b.ja {
			captures = "capture"
		}
		items = append(items, fmt.Sprintf("%s: %s; %s: %s (%d %s)", b.tr("geoCountry"), orDash(d.CountryDB),
			b.tr("geoASN"), asn, d.Ingests, captures))
	}
	if len(items) > 0 {
		b.d.para(b.tr("geoData") + ":")
		b.d.list(items)
	}
	b.d.para(b.tr("geoAttribution"))
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "–"
	}
	return s
}
