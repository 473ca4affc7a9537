package chart

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var samplesDir = flag.String("samples", "", "write sample SVG and PNG charts into this directory")

// sampleDays returns n consecutive days starting at 2026-04-10 in Asia/Tokyo
// style (fixed +09:00 zone so tests do not need tzdata).
func sampleDays(n int) []time.Time {
	jst := time.FixedZone("JST", 9*3600)
	d := make([]time.Time, n)
	for i := range d {
		d[i] = time.Date(2026, 4, 10+i, 0, 0, 0, 0, jst)
	}
	return d
}

// sampleStacked is a deterministic 30-day × 11-series chart with a gap, a
// spike mark and an annotation.
func sampleStacked(lang string) *StackedBars {
	keys := []string{"CN", "US", "BR", "IN", "RU", "VN", "ID", "TW", "KR", "NL", "other"}
	en := []string{"China", "United States", "Brazil", "India", "Russia", "Vietnam", "Indonesia", "Taiwan", "South Korea", "Netherlands", "Other"}
	ja := []string{"中国", "米国", "ブラジル", "インド", "ロシア", "ベトナム", "インドネシア", "台湾", "韓国", "オランダ", "その他"}
	days := sampleDays(30)
	c := &StackedBars{
		Title:    "Packets by source country",
		Subtitle: "Darknet sensor tokyo-1 · 2026-04-10 – 2026-05-09 (JST) · top 10 countries",
		YLabel:   "packets / day",
		Unit:     "packets",
		Days:     days,
		Gaps:     make([]bool, len(days)),
		Lang:     lang,
	}
	if lang == "ja" {
		c.Title = "送信元国別パケット数"
		c.Subtitle = "ダークネットセンサー tokyo-1 · 2026年4月10日〜5月9日 (JST) · 上位10か国"
		c.YLabel = "パケット数 / 日"
		c.Unit = "パケット"
	}
	c.Gaps[17], c.Gaps[18] = true, true
	for si, k := range keys {
		s := Series{Key: k, Label: en[si], Values: make([]float64, len(days))}
		if lang == "ja" {
			s.Label = ja[si]
		}
		base := 52000 / float64(si+1)
		for i := range days {
			s.Values[i] = math.Round(base * (1 + 0.3*math.Sin(float64(i*(si+2))/5)))
		}
		c.Series = append(c.Series, s)
	}
	c.Series[0].Values[24] *= 3.2
	c.Marks = []Mark{{Day: days[24], Key: "CN", Text: "spike 23/tcp"}}
	c.Annotations = []Annotation{{Day: days[12], Text: "rules v2"}}
	if lang == "ja" {
		c.Marks[0].Text = "急増 23/tcp"
		c.Annotations[0].Text = "ルール v2"
	}
	return c
}

func writeSample(t *testing.T, name string, ch Chart) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(*samplesDir, name+".svg"), ch.SVG(), 0o644); err != nil {
		t.Fatal(err)
	}
	png, err := ch.PNG(2)
	if err != nil {
		t.Logf("%s: %v", name, err)
	}
	if png != nil {
		if err := os.WriteFile(filepath.Join(*samplesDir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriteSamples writes sample charts for looking at; it runs only with
// -samples DIR.
func TestWriteSamples(t *testing.T) {
	if *samplesDir == "" {
		t.Skip("no -samples directory")
	}
	if err := os.MkdirAll(*samplesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeSample(t, "stacked-en", sampleStacked("en"))
	writeSample(t, "stacked-ja", sampleStacked("ja"))
	writeSample(t, "dots-en", sampleDotPlot("en"))
	writeSample(t, "dots-ja", sampleDotPlot("ja"))
	writeSample(t, "line-en", sampleLine("en"))
	writeSample(t, "hbar-en", sampleHBar("en"))
	writeSample(t, "hbar-ja", sampleHBar("ja"))
	writeSample(t, "multiples-en", sampleMultiples("en"))
	long := sampleStacked("en")
	long.Days = sampleDays(400)
	long.Gaps = make([]bool, 400)
	for i := 200; i < 210; i++ {
		long.Gaps[i] = true
	}
	for si := range long.Series {
		long.Series[si].Values = make([]float64, 400)
		for i := range long.Series[si].Values {
			long.Series[si].Values[i] = 1000 * float64(11-si) * (1.2 + math.Sin(float64(i)/30+float64(si)))
		}
	}
	long.Marks = []Mark{{Day: long.Days[100], Key: "CN", Text: "spike"}}
	long.Annotations = []Annotation{{Day: long.Days[300], Text: "rules v2"}, {Day: long.Days[305], Text: "sensor moved"}}
	writeSample(t, "stacked-long", long)

	// Partial days, and spike marks next to an annotation line.
	for _, lang := range []string{"en", "ja"} {
		p := sampleStacked(lang)
		p.Days, p.Gaps = p.Days[:14], p.Gaps[:14]
		for si := range p.Series {
			p.Series[si].Values = p.Series[si].Values[:14]
		}
		p.Coverage = make([]float64, 14)
		for i := range p.Coverage {
			p.Coverage[i] = 1
		}
		p.Coverage[9] = 2.86 / 24
		p.Coverage[13] = 0.5
		for si := range p.Series {
			p.Series[si].Values[9] *= p.Coverage[9]
			p.Series[si].Values[13] *= 0.5
		}
		p.Marks = []Mark{{Day: p.Days[5], Key: "IN", Text: "Tajikistan ↗"}, {Day: p.Days[5], Key: "RU", Text: "Romania ↗"},
			{Day: p.Days[1], Key: "CN", Text: "Romania ×100"}}
		p.Annotations = []Annotation{{Day: p.Days[6], Text: "rules v2"}}
		writeSample(t, "stacked-partial-"+lang, p)
	}

	// Every fixed country and some hashed keys, as bars.
	pal := &HBar{Title: "Country colours", Width: 500}
	for i, k := range append(slices.Clone(fixedCountries), "sd", "ee", "bz", "ch", "se", "lt", "other", "??") {
		pal.Bars = append(pal.Bars, Bar{Key: strings.ToUpper(k), Value: float64(100 - i)})
	}
	writeSample(t, "palette", pal)

	// Japanese without a CJK font: missing characters become boxes.
	fs, err := buildFontSet("", "")
	if err != nil {
		t.Fatal(err)
	}
	png, err := renderPNGWith(sampleStacked("ja"), 2, fs)
	t.Logf("no CJK font: %v", err)
	if err := os.WriteFile(filepath.Join(*samplesDir, "stacked-nocjk-ja.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func sampleDotPlot(lang string) *DotPlot {
	days := sampleDays(30)
	c := &DotPlot{
		Title:    "Destination ports by day",
		Subtitle: "dot area grows with log(packets) · tokyo-1",
		Unit:     "packets",
		Days:     days,
		Gaps:     make([]bool, len(days)),
		Lang:     lang,
	}
	if lang == "ja" {
		c.Title = "宛先ポート別の観測日"
		c.Subtitle = "点の面積は log(パケット数) に比例 · tokyo-1"
		c.Unit = "パケット"
	}
	c.Gaps[17], c.Gaps[18] = true, true
	rows := []struct {
		label  string
		steady bool
		folded bool
		scale  float64
		every  int
	}{
		{"23/tcp (telnet)", true, false, 800000, 1},
		{"22/tcp (ssh)", true, false, 120000, 1},
		{"80/tcp (http)", true, false, 40000, 1},
		{"445/tcp (smb)", true, false, 9000, 1},
		{"5555/tcp (adb)", false, false, 3000, 3},
		{"37215/tcp (huawei)", false, false, 500, 4},
		{"52869/tcp", false, false, 20, 6},
		{"8080/tcp", false, false, 4000, 2},
		{"123/udp (ntp)", false, false, 2, 7},
		{"1–1023 (other well-known, 421 ports)", false, true, 200, 1},
		{"1024–65535 (high ports, 812 ports)", false, true, 1500, 1},
	}
	for ri, r := range rows {
		row := DotRow{Label: r.label, Steady: r.steady, Folded: r.folded, Values: make([]float64, len(days))}
		for i := range days {
			if (i+ri)%r.every == 0 {
				row.Values[i] = math.Round(r.scale * (1 + 0.5*math.Sin(float64(i+ri))))
			}
		}
		c.Rows = append(c.Rows, row)
	}
	return c
}

func sampleLine(lang string) *LineChart {
	days := sampleDays(45)
	c := &LineChart{
		Title:  "Distinct sources per day by class",
		YLabel: "sources",
		Unit:   "sources",
		Days:   days,
		Gaps:   make([]bool, len(days)),
		Lang:   lang,
	}
	c.Gaps[20] = true
	for si, k := range []string{"mirai", "zmap", "masscan", "backscatter"} {
		s := Series{Key: k, Label: k, Values: make([]float64, len(days))}
		for i := range days {
			s.Values[i] = math.Round(float64(12000/(si+1)) * (1 + 0.25*math.Sin(float64(i)/4+float64(si))))
		}
		c.Series = append(c.Series, s)
	}
	c.Series[1].Values[30] = math.NaN()
	c.Annotations = []Annotation{{Day: days[33], Text: "rules v2"}}
	return c
}

func sampleHBar(lang string) *HBar {
	c := &HBar{Title: "Top source countries", Subtitle: "2026-04-10 – 2026-05-09", Unit: "packets", Share: true, Lang: lang}
	names := map[string]string{"CN": "China", "US": "United States", "BR": "Brazil", "IN": "India", "RU": "Russia", "VN": "Vietnam", "ID": "Indonesia", "TW": "Taiwan", "KR": "South Korea", "NL": "Netherlands"}
	if lang == "ja" {
		c.Title = "送信元国 上位10"
		c.Unit = "パケット"
		names = map[string]string{"CN": "中国", "US": "米国", "BR": "ブラジル", "IN": "インド", "RU": "ロシア", "VN": "ベトナム", "ID": "インドネシア", "TW": "台湾", "KR": "韓国", "NL": "オランダ"}
	}
	for i, k := range []string{"CN", "US", "BR", "IN", "RU", "VN", "ID", "TW", "KR", "NL"} {
		c.Bars = append(c.Bars, Bar{Key: k, Label: names[k], Value: math.Round(1.8e6 / float64(i+1) / (1 + float64(i)*0.1))})
	}
	c.Bars[2].Note = "+42%"
	return c
}

func sampleMultiples(lang string) *SmallMultiples {
	a, b := sampleStacked(lang), sampleStacked(lang)
	a.Title, b.Title = "tokyo-1", "osaka-2"
	a.Subtitle, b.Subtitle = "", ""
	for si := range b.Series {
		for i := range b.Series[si].Values {
			b.Series[si].Values[i] *= 0.6 + 0.1*float64((i+si)%5)
		}
	}
	b.Gaps = nil
	b.Annotations = nil
	b.Marks = nil
	a.Marks = nil
	return &SmallMultiples{Title: "Sensor comparison · similarity 0.93 (cosine, country mix)", Panels: []StackedBars{*a, *b}, SharedY: true, Lang: lang}
}
