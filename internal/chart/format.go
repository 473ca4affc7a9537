package chart

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// FormatCount formats v with thousands separators ("12,345"). Non-integral
// values keep up to two decimals ("1,234.5"); NaN and infinities print as "–".
func FormatCount(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg && s != "0" {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// FormatPercent formats a share (0.123) as a percentage with one decimal
// ("12.3%").
func FormatPercent(v float64) string { return strconv.FormatFloat(v*100, 'f', 1, 64) + "%" }

// FormatCorrelation formats a coefficient with two decimals; NaN (not
// computable) prints as "–".
func FormatCorrelation(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// FormatValue formats a measured value: two decimals below 100, a rounded
// count with separators from 100 up; NaN prints as "–".
func FormatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v >= 100:
		return FormatCount(math.Round(v))
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// JoinMax joins at most n items with ", ", saying how many more there
// are ("a, b (+3)"); an empty list prints as "–".
func JoinMax(items []string, n int) string {
	if len(items) == 0 {
		return "–"
	}
	if len(items) > n {
		return strings.Join(items[:n], ", ") + " (+" + strconv.Itoa(len(items)-n) + ")"
	}
	return strings.Join(items, ", ")
}

// FormatSI formats v compactly with an SI suffix for axis labels: 950, 12k,
// 1.2M, 3.5G. Up to two decimals are kept and trailing zeros dropped.
func FormatSI(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	neg := v < 0
	if neg {
		v = -v
	}
	suffixes := []struct {
		div float64
		s   string
	}{{1e15, "P"}, {1e12, "T"}, {1e9, "G"}, {1e6, "M"}, {1e3, "k"}}
	unit := ""
	for _, sf := range suffixes {
		// Round first so that 999,999 prints as 1M, not 1000k.
		if math.Round(v/sf.div*100)/100 >= 1 {
			v /= sf.div
			unit = sf.s
			break
		}
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if neg && s != "0" {
		s = "-" + s
	}
	return s + unit
}

// niceTicks returns tick values from 0 to a "nice" top at or above max, with
// at most target+1 intervals and a step of 1, 2, 2.5 or 5 times a power of
// ten.
func niceTicks(max float64, target int) []float64 {
	if !(max > 0) || math.IsInf(max, 0) {
		max = 1
	}
	if target < 1 {
		target = 1
	}
	// Among steps of 1, 2, 2.5 or 5 times a power of ten that need at most
	// target intervals, take the one whose top wastes the least room; one
	// interval more is allowed when it saves at least 10% of the axis.
	mag := math.Pow(10, math.Floor(math.Log10(max/float64(target))))
	step, n := 0.0, 0
	var extraStep float64
	extraN := 0
	for _, m := range []float64{1, 2, 2.5, 5, 10, 20, 25, 50} {
		s := m * mag
		if s < 1 {
			continue // counts are whole numbers
		}
		k := int(math.Ceil(max/s - 1e-9))
		if k < 1 {
			k = 1
		}
		switch {
		case k <= target && (step == 0 || float64(k)*s < float64(n)*step):
			step, n = s, k
		case k == target+1 && extraStep == 0:
			extraStep, extraN = s, k
		}
	}
	if step > 0 && extraStep > 0 && float64(extraN)*extraStep <= 0.9*float64(n)*step {
		step, n = extraStep, extraN
	}
	if step == 0 {
		step, n = 1, int(math.Ceil(max))
	}
	ticks := make([]float64, n+1)
	for i := range ticks {
		ticks[i] = float64(i) * step
	}
	return ticks
}

// dayKey identifies a calendar day in the time's own location.
func dayKey(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// isoDay formats t as 2006-01-02 in its own location.
func isoDay(t time.Time) string { return t.Format("2006-01-02") }

// dayTick is one labelled position on a time axis.
type dayTick struct {
	idx   int
	label string
	year  string // non-empty on the first tick and where the year changes
}

// tickLabel formats a day tick for lang; monthly ticks show the month only.
func tickLabel(t time.Time, monthly bool, lang string) string {
	if isJa(lang) {
		if monthly {
			return strconv.Itoa(int(t.Month())) + "月"
		}
		return strconv.Itoa(int(t.Month())) + "/" + strconv.Itoa(t.Day())
	}
	if monthly {
		return t.Format("Jan")
	}
	return t.Format("Jan 2")
}

func yearLabel(t time.Time, lang string) string {
	if isJa(lang) {
		return strconv.Itoa(t.Year()) + "年"
	}
	return strconv.Itoa(t.Year())
}

func isJa(lang string) bool {
	l := strings.ToLower(lang)
	return l == "ja" || strings.HasPrefix(l, "ja-") || strings.HasPrefix(l, "ja_")
}

// dayTicks chooses which days of an axis get a label so that labels of size
// px never overlap when each day is pxPerDay wide. Steps of 1, 2 or 3 days
// align to the calendar (not the first day), weeks start on Monday, and
// longer ranges tick on the first of the month.
func dayTicks(days []time.Time, pxPerDay, size float64, lang string) []dayTick {
	n := len(days)
	if n == 0 {
		return nil
	}
	sample := tickLabel(time.Date(2026, 12, 28, 0, 0, 0, 0, time.UTC), false, lang)
	need := textWidth(sample, size, false) + size*0.9
	type rule struct {
		monthly bool
		step    int
	}
	rules := []rule{{false, 1}, {false, 2}, {false, 3}, {false, 7}, {false, 14},
		{true, 1}, {true, 2}, {true, 3}, {true, 6}, {true, 12}}
	chosen := rules[len(rules)-1]
	for _, r := range rules {
		span := float64(r.step)
		if r.monthly {
			span = 28 * float64(r.step)
		}
		if span*pxPerDay >= need {
			chosen = r
			break
		}
	}
	var ticks []dayTick
	for i, d := range days {
		k := dayKey(d)
		var ok bool
		switch {
		case chosen.monthly:
			ok = d.Day() == 1 && (int(d.Month())-1)%chosen.step == 0
		case chosen.step == 7 || chosen.step == 14:
			// 1970-01-05 (day 4) was a Monday.
			w := floorDiv(k-4, 7)
			ok = floorMod(k-4, 7) == 0 && floorMod(w, int64(chosen.step/7)) == 0
		default:
			ok = floorMod(k, int64(chosen.step)) == 0
		}
		if ok {
			ticks = append(ticks, dayTick{idx: i, label: tickLabel(d, chosen.monthly, lang)})
		}
	}
	if len(ticks) == 0 {
		ticks = append(ticks, dayTick{idx: 0, label: tickLabel(days[0], false, lang)})
	}
	// Drop any label that would still touch its kept neighbour (irregular day
	// lists, months of different length).
	kept := ticks[:0]
	lastRight := math.Inf(-1)
	for _, t := range ticks {
		c := (float64(t.idx) + 0.5) * pxPerDay
		w := textWidth(t.label, size, false)
		if c-w/2 < lastRight+size*0.6 {
			continue
		}
		kept = append(kept, t)
		lastRight = c + w/2
	}
	lastYear := -1
	lastRight = math.Inf(-1)
	for i := range kept {
		y := days[kept[i].idx].Year()
		if y != lastYear {
			lbl := yearLabel(days[kept[i].idx], lang)
			c := (float64(kept[i].idx) + 0.5) * pxPerDay
			w := textWidth(lbl, size, false)
			if c-w/2 >= lastRight+size*0.6 {
				kept[i].year = lbl
				lastRight = c + w/2
			}
			lastYear = y
		}
	}
	return kept
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func floorMod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// clean turns NaN, infinities and negatives into 0.
func clean(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0
	}
	return v
}

// valueAt returns vs[i] cleaned, or 0 when i is out of range.
func valueAt(vs []float64, i int) float64 {
	if i < 0 || i >= len(vs) {
		return 0
	}
	return clean(vs[i])
}

// gapAt reports whether day i is marked as having no data.
func gapAt(gaps []bool, i int) bool { return i >= 0 && i < len(gaps) && gaps[i] }

// Shorten cuts s to at most n characters (runes), ending it with "…" when
// it was longer: for names in table cells and legends.
func Shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	if n < 1 {
		return ""
	}
	return string(r[:n-1]) + "…"
}
