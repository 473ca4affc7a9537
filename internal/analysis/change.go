package analysis

import (
	"math"
	"strconv"
)

// Change compares a total of this period with the previous period.
type Change struct {
	Current, Previous float64
	// Ratio is Current / Previous; NaN when Previous is 0 or an input is
	// not a finite non-negative number.
	Ratio float64
	// Percent is (Ratio − 1) × 100; NaN when Ratio is.
	Percent float64
	// New is set when Previous is 0 and Current is not.
	New bool
	// CurrentDays and PreviousDays are the days with data the totals
	// cover, set by PerDayChange (0 for HeadlineChange).
	CurrentDays, PreviousDays int
}

// PerDayChange compares the average per day with data of two periods:
// current / currentDays against previous / previousDays. A period whose
// days are only partly covered by captures is thus compared by what was
// seen on the days that were captured, not by a total that shrinks with
// each missing day. A period without days with data gives a NaN change
// (shown "n/a"), not "new".
func PerDayChange(current float64, currentDays int, previous float64, previousDays int) Change {
	if currentDays <= 0 || previousDays <= 0 {
		c := Change{Current: current, Previous: previous, Ratio: math.NaN(), Percent: math.NaN()}
		c.CurrentDays, c.PreviousDays = max(currentDays, 0), max(previousDays, 0)
		return c
	}
	c := HeadlineChange(current/float64(currentDays), previous/float64(previousDays))
	c.Current, c.Previous = current, previous
	c.CurrentDays, c.PreviousDays = currentDays, previousDays
	return c
}

// HeadlineChange computes the change from previous to current.
func HeadlineChange(current, previous float64) Change {
	c := Change{Current: current, Previous: previous, Ratio: math.NaN(), Percent: math.NaN()}
	if !validCount(current) || !validCount(previous) {
		return c
	}
	if previous == 0 {
		c.New = current > 0
		if current == 0 {
			c.Ratio, c.Percent = 1, 0
		}
		return c
	}
	c.Ratio = current / previous
	c.Percent = (c.Ratio - 1) * 100
	return c
}

func validCount(v float64) bool { return usable(v) && v >= 0 }

// String formats the change in English; see Format.
func (c Change) String() string { return c.Format(LangEnglish) }

// Format shows the change with one decimal and a sign: "+12.3%",
// "−4.0%" (with U+2212 MINUS SIGN), "0.0%" when it rounds to zero; "new"
// ("新規" in Japanese) when the previous total was 0, and "n/a" when the
// inputs are not counts.
func (c Change) Format(lang string) string {
	switch {
	case c.New && lang == LangJapanese:
		return "新規"
	case c.New:
		return "new"
	case math.IsNaN(c.Percent):
		return "n/a"
	}
	p := math.Round(c.Percent*10) / 10
	s := strconv.FormatFloat(math.Abs(p), 'f', 1, 64) + "%"
	switch {
	case p > 0:
		return "+" + s
	case p < 0:
		return "\u2212" + s
	}
	return s
}
