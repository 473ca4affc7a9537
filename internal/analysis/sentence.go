package analysis

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Namer returns the display name of a key of a dimension in a language
// ("en" or "ja"), for example ("country", "IT", "ja") → "イタリア". It returns
// "" when it has no name, and the key is then shown as DefaultName shows it.
// Country names come from the caller (the geo package), so this package
// carries no name tables of its own.
type Namer func(dim, key, lang string) string

// Languages understood by Sentence and Change.Format; anything else is
// treated as English.
const (
	LangEnglish  = "en"
	LangJapanese = "ja"
)

// maxSentenceDrivers is how many drivers a sentence names.
const maxSentenceDrivers = 3

var classNamesJA = map[string]string{
	"access":      "アクセス",
	"mirai":       "Mirai特徴パケット",
	"zmap":        "ZMap",
	"masscan":     "masscan",
	"backscatter": "バックスキャッタ",
	"exploit":     "エクスプロイト",
	"intrusion":   "侵入セッション",
}

var classNamesEN = map[string]string{
	"access":      "access packets",
	"mirai":       "Mirai-like packets",
	"zmap":        "ZMap packets",
	"masscan":     "masscan packets",
	"backscatter": "backscatter packets",
	"exploit":     "exploit packets",
	"intrusion":   "intrusion sessions",
}

// ClassName returns the display name of a class in a language, e.g.
// ("mirai", "ja") → "Mirai特徴パケット", ("mirai", "en") → "Mirai-like
// packets". Unknown classes are returned as given.
func ClassName(class, lang string) string {
	t := classNamesEN
	if lang == LangJapanese {
		t = classNamesJA
	}
	if n, ok := t[class]; ok {
		return n
	}
	return class
}

// DefaultName shows a key without a Namer: ports as "23/TCP", everything
// else unchanged.
func DefaultName(dim, key string) string {
	if dim == DimPort {
		if num, proto, ok := strings.Cut(key, "/"); ok {
			return num + "/" + strings.ToUpper(proto)
		}
	}
	return key
}

func displayName(names Namer, dim, key, lang string) string {
	if names != nil {
		if n := names(dim, key, lang); n != "" {
			return n
		}
	}
	return DefaultName(dim, key)
}

// Sentence describes a finding in one sentence, in English ("en") or
// Japanese ("ja"), the way an observation report does:
//
//	5月22日、イタリアからのMirai特徴パケットが前週中央値の12倍に急増しました（主にAS12345、23/TCP）
//	On 22 May, Mirai-like packets from Italy jumped to 12× the median of the preceding week (mainly AS12345, 23/TCP).
//	4月4日以降、メキシコからのアクセスが増加傾向にあります（基準値の2.5倍、主にAS8151）
//	Since 4 April, access packets from Mexico have been rising (2.5× the baseline; mainly AS8151).
//
// The factor stated is Finding.BaselineRatio, the value over the median
// (a zero median is said as such: "jumped to 1,234 (… median: 0)"). The
// baseline is described by its window and, when some of its days had no
// data, by the number that had: "the median of the 12 days with data in
// the preceding 28". A finding of one sensor names it ("sensor domestic", plus
// AlsoAt). Up to three drivers are named, in the order given, skipping
// drivers whose excess over their own baseline is below a tenth of the
// finding's excess (they did not drive it). names may be nil.
func Sentence(f Finding, lang string, names Namer) string {
	if lang != LangJapanese {
		lang = LangEnglish
	}
	subject := sentenceSubject(f, lang, names)
	var drv []string
	for _, d := range SentenceDrivers(f) {
		drv = append(drv, displayName(names, d.Dim, d.Key, lang))
	}
	ratio := FormatRatio(f.BaselineRatio())
	if lang == LangJapanese {
		return sentenceJA(f, subject, ratio, drv)
	}
	return sentenceEN(f, subject, ratio, drv)
}

// driverShare is the least share of a finding's excess a driver's own
// excess must reach to be named in its sentence.
const driverShare = 0.1

// SentenceDrivers returns the drivers Sentence names: the first (up to
// three) drivers whose excess over their own baseline is at least a tenth
// of the finding's excess over its baseline.
func SentenceDrivers(f Finding) []Driver {
	excess := f.Value - f.Baseline
	if !(excess > 0) {
		excess = f.Value
	}
	var out []Driver
	for _, d := range f.Drivers {
		if len(out) == maxSentenceDrivers {
			break
		}
		if d.Value-d.Baseline >= driverShare*excess {
			out = append(out, d)
		}
	}
	return out
}

// sentenceSubject is e.g. "イタリアからのMirai特徴パケット" or "Mirai-like
// packets from Italy", with the counting unit folded in.
func sentenceSubject(f Finding, lang string, names Namer) string {
	class := ClassName(f.Class, lang)
	name := displayName(names, f.Dim, f.Key, lang)
	if lang == LangJapanese {
		var s string
		switch f.Dim {
		case DimPort:
			s = name + "宛の" + class
		case DimCountry, DimASN, DimPrefix, DimSource:
			s = name + "からの" + class
		default:
			s = name + "の" + class
		}
		if f.Unit == UnitSources {
			s += "のユニークIP数"
		}
		return s
	}
	var s string
	switch f.Dim {
	case DimPort:
		s = class + " to " + name
	case DimCountry, DimASN, DimPrefix, DimSource:
		s = class + " from " + name
	default:
		s = class + " for " + name
	}
	if f.Unit == UnitSources {
		s = "distinct sources of " + s
	}
	return s
}

// baselineDays returns the calendar span of the baseline window and the
// number of its days with data (equal to the span when unknown).
func baselineDays(f Finding) (span, withData int) {
	span, withData = f.Window, f.BaselineDays
	if withData <= 0 || withData > span {
		withData = span
	}
	return span, withData
}

func sentenceJA(f Finding, subject, ratio string, drv []string) string {
	var b strings.Builder
	day := dayJA(f.Day)
	span, withData := baselineDays(f)
	ref := "前" + strconv.Itoa(span) + "日間の中央値"
	switch {
	case withData < span:
		ref = "前" + strconv.Itoa(span) + "日間のうちデータのある" + strconv.Itoa(withData) + "日の中央値"
	case span == 7:
		ref = "前週中央値"
	}
	unit := "パケット"
	switch {
	case f.Unit == UnitSources:
		unit = "IP"
	case f.Class == "intrusion":
		unit = "セッション" // the intrusion class counts sessions
	}
	zeroBase := !(f.Baseline > 0)
	var tail []string
	if f.Sensor != "" {
		s := "センサー" + f.Sensor
		if len(f.AlsoAt) > 0 {
			// The numbers are this sensor's; the others saw the same key
			// rise on overlapping days, by their own amounts.
			s += "、" + strings.Join(f.AlsoAt, "・") + "でも観測"
		}
		tail = append(tail, s)
	}
	switch {
	case f.Kind == KindRise && f.Ongoing:
		fmt.Fprintf(&b, "%s以降、%sが増加傾向にあります", day, subject)
		if zeroBase {
			tail = append([]string{"基準値は0" + unit}, tail...)
		} else {
			tail = append([]string{"基準値の" + ratio + "倍"}, tail...)
		}
	case f.Kind == KindRise && zeroBase:
		fmt.Fprintf(&b, "%sから%sまで、%sが1日平均%s%sに増加していました（基準値は0%s）", day, dayJA(f.LastDay), subject, formatCount(f.Value), unit, unit)
	case f.Kind == KindRise:
		fmt.Fprintf(&b, "%sから%sまで、%sが基準値の%s倍に増加していました", day, dayJA(f.LastDay), subject, ratio)
	case zeroBase:
		fmt.Fprintf(&b, "%s、%sが%s%sに急増しました", day, subject, formatCount(f.Value), unit)
		tail = append([]string{ref + "は0" + unit}, tail...)
	default:
		fmt.Fprintf(&b, "%s、%sが%sの%s倍に急増しました", day, subject, ref, ratio)
	}
	if len(drv) > 0 {
		tail = append(tail, "主に"+strings.Join(drv, "、"))
	}
	if len(tail) > 0 {
		b.WriteString("（" + strings.Join(tail, "、") + "）")
	}
	return b.String()
}

func sentenceEN(f Finding, subject, ratio string, drv []string) string {
	var b strings.Builder
	day := dayEN(f.Day)
	span, withData := baselineDays(f)
	ref := "the median of the preceding " + strconv.Itoa(span) + " days"
	switch {
	case withData < span:
		ref = "the median of the " + strconv.Itoa(withData) + " days with data in the preceding " + strconv.Itoa(span)
	case span == 7:
		ref = "the median of the preceding week"
	}
	unit := ""
	if f.Unit == UnitSources {
		unit = " sources"
	}
	zeroBase := !(f.Baseline > 0)
	var tail []string
	switch {
	case f.Kind == KindRise && f.Ongoing:
		fmt.Fprintf(&b, "Since %s, %s have been rising", day, subject)
		if zeroBase {
			tail = append(tail, "from a baseline of 0")
		} else {
			tail = append(tail, ratio+"× the baseline")
		}
	case f.Kind == KindRise && zeroBase:
		fmt.Fprintf(&b, "From %s to %s, %s stayed at %s%s a day, from a baseline of 0", day, dayEN(f.LastDay), subject, formatCount(f.Value), unit)
	case f.Kind == KindRise:
		fmt.Fprintf(&b, "From %s to %s, %s stayed at %s× the baseline", day, dayEN(f.LastDay), subject, ratio)
	case zeroBase:
		fmt.Fprintf(&b, "On %s, %s jumped to %s%s", day, subject, formatCount(f.Value), unit)
		tail = append(tail, ref+": 0")
	default:
		fmt.Fprintf(&b, "On %s, %s jumped to %s× %s", day, subject, ratio, ref)
	}
	if f.Sensor != "" {
		s := "sensor " + f.Sensor
		if len(f.AlsoAt) > 0 {
			// The numbers are this sensor's; the others saw the same key
			// rise on overlapping days, by their own amounts.
			s += "; also seen at " + strings.Join(f.AlsoAt, ", ")
		}
		tail = append(tail, s)
	}
	if len(drv) > 0 {
		tail = append(tail, "mainly "+strings.Join(drv, ", "))
	}
	if len(tail) > 0 {
		b.WriteString(" (" + strings.Join(tail, "; ") + ")")
	}
	b.WriteString(".")
	return b.String()
}

func dayJA(t time.Time) string {
	return fmt.Sprintf("%d月%d日", int(t.Month()), t.Day())
}

func dayEN(t time.Time) string {
	return fmt.Sprintf("%d %s", t.Day(), t.Month())
}

// FormatRatio shows a ratio with one decimal below 10 and none above:
// 2.5, 3, 12; "∞" for +Inf (a baseline of 0) and "?" for NaN. Sentences,
// the report and the spikes command all show ratios this way.
func FormatRatio(r float64) string {
	switch {
	case math.IsInf(r, 1):
		return "∞"
	case math.IsNaN(r) || math.IsInf(r, 0):
		return "?"
	case r >= 9.95:
		return strconv.FormatFloat(math.Round(r), 'f', -1, 64)
	default:
		return strconv.FormatFloat(math.Round(r*10)/10, 'f', -1, 64)
	}
}

// formatCount shows a count rounded to an integer with thousands
// separators: 1234567 → "1,234,567".
func formatCount(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "?"
	}
	s := strconv.FormatFloat(math.Abs(math.Round(v)), 'f', 0, 64)
	var b strings.Builder
	if v <= -0.5 {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
