package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/honeyscope/honeyscope/internal/analysis"
)

// spikeTexts are the fixed texts of the spikes table, English and Japanese.
var spikeTexts = map[string][2]string{
	"head":       {"day\tkind\tsensor\tclass\tdim\tkey\tvalue\tbaseline\tratio\tz\tsignif.\t", "日付\t種別\tセンサー\t分類\t軸\tキー\t値\t基準値\t倍率\tz\t有意度\t"},
	"same event": {"same event", "同じ事象"},
	"none":       {"(no spikes or rises in this period)", "（この期間に急増・増加傾向はありません）"},
	"all":        {"(all)", "（全体）"},
	"drivers":    {"drivers", "主な要因"},
	"spike":      {"spike", "急増"},
	"rise":       {"rise", "増加傾向"},
	"country":    {"country", "国"},
	"port":       {"port", "ポート"},
	"asn":        {"asn", "AS"},
	"sensor":     {"sensor", "センサー"},
	"prefix24":   {"/24", "/24"},
	"prefix":     {"prefix", "/24"},
	"source":     {"source", "送信元"},
	"base":       {"base", "基準"},
}

// spikeText returns the text of key in lang ("ja" or English); an unknown
// key is returned as it is.
func spikeText(lang, key string) string {
	m, ok := spikeTexts[key]
	if !ok {
		return key
	}
	if lang == "ja" {
		return m[1]
	}
	return m[0]
}

// driverTextLang lists drivers as "asn AS4134 (1,200, base 30)" in lang.
func driverTextLang(lang string, ds []analysis.Driver) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("%s %s (%s, %s %s)", spikeText(lang, d.Dim), d.Key,
			thousands(uint64(math.Round(d.Value))), spikeText(lang, "base"), thousands(uint64(math.Round(d.Baseline)))))
	}
	sep := "; "
	if lang == "ja" {
		sep = "、"
	}
	return strings.Join(parts, sep)
}
