package analysis

import (
	"math"
	"strings"
	"testing"
	"time"
)

func testNamer(dim, key, lang string) string {
	names := map[string]map[string]string{
		"en": {"country/IT": "Italy", "country/MX": "Mexico", "asn/AS12345": "AS12345 (Example Net)"},
		"ja": {"country/IT": "イタリア", "country/MX": "メキシコ", "asn/AS12345": "AS12345（Example Net）"},
	}
	return names[lang][dim+"/"+key]
}

func TestSentence(t *testing.T) {
	may22 := time.Date(2022, 5, 22, 0, 0, 0, 0, time.FixedZone("JST", 9*3600))
	apr4 := time.Date(2022, 4, 4, 0, 0, 0, 0, time.UTC)
	spike := Finding{
		Kind: KindSpike, Class: "mirai", Dim: DimCountry, Key: "IT", Unit: UnitPackets,
		Day: may22, LastDay: may22, Value: 1200, Baseline: 100, Ratio: 12, Window: 7,
		Drivers: []Driver{{Dim: DimASN, Key: "AS12345", Value: 900, Baseline: 50}, {Dim: DimPort, Key: "23/tcp", Value: 1000, Baseline: 80}},
	}
	rise := Finding{
		Kind: KindRise, Class: "access", Dim: DimCountry, Key: "MX", Unit: UnitPackets,
		Day: apr4, LastDay: apr4.AddDate(0, 0, 5), Ongoing: true, Value: 250, Baseline: 100, Ratio: 2.5, Window: 28,
	}
	ended := rise
	ended.Ongoing = false
	sources := spike
	sources.Unit = UnitSources
	sources.Window = 28
	sources.Drivers = nil
	port := spike
	port.Dim, port.Key, port.Class, port.Value, port.Ratio = DimPort, "2323/tcp", "exploit", 346, 3.46
	port.Drivers = []Driver{{Dim: DimCountry, Key: "IT", Value: 200}, {Dim: DimPrefix, Key: "192.0.2.0/24", Value: 100},
		{Dim: DimSource, Key: "192.0.2.7", Value: 90}, {Dim: DimSource, Key: "192.0.2.8", Value: 80}}
	fromZero := spike
	fromZero.Baseline, fromZero.Value, fromZero.Ratio, fromZero.Drivers = 0, 1234, 123.4, nil
	// The ratio the thresholds test uses a floor of 10 under the median;
	// the sentence states the real factor over the median of 4.
	floored := spike
	floored.Value, floored.Baseline, floored.Ratio, floored.Drivers = 2394, 4, 239.4, nil
	// A baseline window with days lacking data says how many had data.
	sparse := spike
	sparse.Window, sparse.BaselineDays, sparse.Drivers = 28, 8, nil
	// Drivers that carried little of the excess are not named, however
	// they are ordered.
	minor := spike
	minor.Drivers = []Driver{{Dim: DimPrefix, Key: "192.0.2.0/24", Value: 1100}, {Dim: DimPort, Key: "205/tcp", Value: 1}, {Dim: DimASN, Key: "AS12345", Value: 1000, Baseline: 900}}
	// One sensor's finding names it, and the sensors it was also seen at.
	atSensor := spike
	atSensor.Sensor, atSensor.AlsoAt, atSensor.Drivers = "domestic", []string{"open"}, nil
	oneSensor := atSensor
	oneSensor.AlsoAt = nil
	zeroRise := rise
	zeroRise.Baseline, zeroRise.Value = 0, 80

	tests := []struct {
		name  string
		f     Finding
		lang  string
		names Namer
		want  string   // exact sentence, when given
		has   []string // fragments it must contain
		not   []string // fragments it must not contain
	}{
		{name: "spike ja", f: spike, lang: "ja", names: testNamer,
			want: "5月22日、イタリアからのMirai特徴パケットが前週中央値の12倍に急増しました（主にAS12345（Example Net）、23/TCP）"},
		{name: "spike en", f: spike, lang: "en", names: testNamer,
			want: "On 22 May, Mirai-like packets from Italy jumped to 12× the median of the preceding week (mainly AS12345 (Example Net), 23/TCP)."},
		{name: "spike, no namer", f: spike, lang: "en",
			want: "On 22 May, Mirai-like packets from IT jumped to 12× the median of the preceding week (mainly AS12345, 23/TCP)."},
		{name: "unknown language is English", f: spike, lang: "fr", names: testNamer, has: []string{"On 22 May", "Italy"}},
		{name: "rise ja", f: rise, lang: "ja", names: testNamer,
			want: "4月4日以降、メキシコからのアクセスが増加傾向にあります（基準値の2.5倍）"},
		{name: "rise en", f: rise, lang: "en", names: testNamer,
			want: "Since 4 April, access packets from Mexico have been rising (2.5× the baseline)."},
		{name: "ended rise ja", f: ended, lang: "ja", names: testNamer,
			want: "4月4日から4月9日まで、メキシコからのアクセスが基準値の2.5倍に増加していました"},
		{name: "ended rise en", f: ended, lang: "en", names: testNamer,
			want: "From 4 April to 9 April, access packets from Mexico stayed at 2.5× the baseline."},
		{name: "sources ja", f: sources, lang: "ja", names: testNamer,
			want: "5月22日、イタリアからのMirai特徴パケットのユニークIP数が前28日間の中央値の12倍に急増しました"},
		{name: "sources en", f: sources, lang: "en", names: testNamer,
			want: "On 22 May, distinct sources of Mirai-like packets from Italy jumped to 12× the median of the preceding 28 days."},
		{name: "port ja, three drivers at most", f: port, lang: "ja", names: testNamer,
			has: []string{"2323/TCP宛のエクスプロイト", "3.5倍", "主にイタリア、192.0.2.0/24、192.0.2.7"}, not: []string{"192.0.2.8"}},
		{name: "port en", f: port, lang: "en", names: testNamer,
			has: []string{"exploit packets to 2323/TCP", "3.5×", "mainly Italy, 192.0.2.0/24, 192.0.2.7)"}, not: []string{"192.0.2.8"}},
		{name: "from zero ja", f: fromZero, lang: "ja", names: testNamer,
			want: "5月22日、イタリアからのMirai特徴パケットが1,234パケットに急増しました（前週中央値は0パケット）"},
		{name: "from zero en", f: fromZero, lang: "en", names: testNamer,
			want: "On 22 May, Mirai-like packets from Italy jumped to 1,234 (the median of the preceding week: 0)."},
		{name: "real ratio en", f: floored, lang: "en", names: testNamer, has: []string{"599×"}, not: []string{"239"}},
		{name: "real ratio ja", f: floored, lang: "ja", names: testNamer, has: []string{"599倍"}, not: []string{"239"}},
		{name: "sparse baseline en", f: sparse, lang: "en", names: testNamer,
			want: "On 22 May, Mirai-like packets from Italy jumped to 12× the median of the 8 days with data in the preceding 28."},
		{name: "sparse baseline ja", f: sparse, lang: "ja", names: testNamer,
			want: "5月22日、イタリアからのMirai特徴パケットが前28日間のうちデータのある8日の中央値の12倍に急増しました"},
		{name: "minor drivers skipped", f: minor, lang: "en", names: testNamer,
			has: []string{"(mainly 192.0.2.0/24)."}, not: []string{"205/TCP", "AS12345"}},
		{name: "sensors en", f: atSensor, lang: "en", names: testNamer,
			want: "On 22 May, Mirai-like packets from Italy jumped to 12× the median of the preceding week (sensor domestic; also seen at open)."},
		{name: "sensor en", f: oneSensor, lang: "en", names: testNamer, has: []string{"(sensor domestic)."}},
		{name: "sensors ja", f: atSensor, lang: "ja", names: testNamer,
			want: "5月22日、イタリアからのMirai特徴パケットが前週中央値の12倍に急増しました（センサーdomestic、openでも観測）"},
		{name: "rise from zero en", f: zeroRise, lang: "en", names: testNamer,
			want: "Since 4 April, access packets from Mexico have been rising (from a baseline of 0)."},
		{name: "rise from zero ja", f: zeroRise, lang: "ja", names: testNamer,
			want: "4月4日以降、メキシコからのアクセスが増加傾向にあります（基準値は0パケット）"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Sentence(tc.f, tc.lang, tc.names)
			if tc.want != "" && got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
			for _, h := range tc.has {
				if !strings.Contains(got, h) {
					t.Errorf("%q lacks %q", got, h)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("%q contains %q", got, n)
				}
			}
		})
	}
}

// TestSentenceFromSpikes feeds a detected finding with drivers through
// Sentence: the sentence carries the country, the day, the ratio and the
// drivers that detection produced.
func TestSentenceFromSpikes(t *testing.T) {
	in := SpikeInput{Start: time.Date(2022, 5, 1, 0, 0, 0, 0, time.UTC), Series: []Series{
		{Class: "mirai", Dim: DimCountry, Key: "IT", Values: with(flat(25, 100), 21, 1200)},
	}}
	drv := func(Finding) ([]Driver, error) {
		return []Driver{{Dim: DimASN, Key: "AS12345", Value: 900}, {Dim: DimPort, Key: "23/tcp", Value: 1100}}, nil
	}
	fs, err := Spikes(in, DefaultSpikeConfig(), drv)
	if err != nil || len(fs) != 1 {
		t.Fatalf("%v %+v", err, fs)
	}
	for lang, want := range map[string][]string{
		"ja": {"5月22日", "イタリア", "12倍", "AS12345（Example Net）", "23/TCP", "前21日間"},
		"en": {"22 May", "Italy", "12×", "AS12345 (Example Net)", "23/TCP", "preceding 21 days"},
	} {
		s := Sentence(fs[0], lang, testNamer)
		for _, w := range want {
			if !strings.Contains(s, w) {
				t.Errorf("%s sentence %q lacks %q", lang, s, w)
			}
		}
	}
}

func TestFormatHelpers(t *testing.T) {
	ratios := []struct {
		in   float64
		want string
	}{{12, "12"}, {12.4, "12"}, {9.96, "10"}, {9.94, "9.9"}, {2.54, "2.5"}, {3, "3"}, {math.Inf(1), "∞"}, {math.NaN(), "?"}}
	for _, r := range ratios {
		if got := FormatRatio(r.in); got != r.want {
			t.Errorf("FormatRatio(%v) = %q, want %q", r.in, got, r.want)
		}
	}
	counts := []struct {
		in   float64
		want string
	}{{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567.4, "1,234,567"}, {-1500, "-1,500"}}
	for _, c := range counts {
		if got := formatCount(c.in); got != c.want {
			t.Errorf("formatCount(%v) = %q, want %q", c.in, got, c.want)
		}
	}
	if ClassName("backscatter", "ja") != "バックスキャッタ" || ClassName("zmap", "en") != "ZMap packets" || ClassName("other", "ja") != "other" {
		t.Error("class names")
	}
}

// TestSentenceIntrusion: the intrusion class counts sessions, and says so.
func TestSentenceIntrusion(t *testing.T) {
	f := Finding{Kind: KindSpike, Class: "intrusion", Dim: DimCountry, Key: "IT", Unit: UnitPackets,
		Day: time.Date(2026, 5, 22, 0, 0, 0, 0, time.UTC), Value: 40, Baseline: 0, Ratio: 40, Window: 7}
	f.LastDay = f.Day
	ja := Sentence(f, LangJapanese, testNamer)
	if !strings.Contains(ja, "イタリアからの侵入セッション") || !strings.Contains(ja, "40セッション") || strings.Contains(ja, "パケット") {
		t.Errorf("ja: %s", ja)
	}
	en := Sentence(f, LangEnglish, testNamer)
	if !strings.Contains(en, "intrusion sessions from Italy") || strings.Contains(en, "packets") {
		t.Errorf("en: %s", en)
	}
}
