package analysis

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Interval is a stretch of time a sensor actually captured, e.g. the first
// and last packet timestamps of one ingested file. Both ends are included.
type Interval struct {
	Start, End time.Time
}

// SensorCoverage is the captured time of one sensor.
type SensorCoverage struct {
	Sensor    string
	Intervals []Interval // any order, may overlap
}

// DayRange is a run of calendar days in a timezone.
type DayRange struct {
	// Start is any instant on the first day; the day is Start's date in
	// Loc.
	Start time.Time
	// Days is the number of days.
	Days int
	// Loc is the timezone the days are counted in (nil means UTC).
	Loc *time.Location
}

// Day returns the start (midnight in Loc) of day i of the range.
func (r DayRange) Day(i int) time.Time {
	loc := r.Loc
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := r.Start.In(loc).Date()
	return time.Date(y, m, d+i, 0, 0, 0, 0, loc)
}

// GapConfig holds the settings of Coverage.
type GapConfig struct {
	// MergeGap: holes in the coverage no longer than this are bridged (the
	// pause between two rotated capture files, a quiet minute on a small
	// sensor), and a day is Full when its uncovered time adds up to no more
	// than this. Default 10 minutes.
	MergeGap time.Duration
}

// DefaultGapConfig returns the documented defaults.
func DefaultGapConfig() GapConfig { return GapConfig{MergeGap: 10 * time.Minute} }

// DayState says how much of a day was captured.
type DayState int

// Day states.
const (
	NoData  DayState = iota // nothing captured that day
	Partial                 // some hours captured, some not
	Full                    // captured all day (up to GapConfig.MergeGap)
)

// String returns "no data", "partial" or "full".
func (s DayState) String() string {
	switch s {
	case NoData:
		return "no data"
	case Partial:
		return "partial"
	case Full:
		return "full"
	}
	return "unknown"
}

// DayCoverage is the coverage of one day.
type DayCoverage struct {
	Day     time.Time     // midnight in the range's timezone
	Length  time.Duration // length of the day (23 or 25 hours across DST changes)
	Covered time.Duration // captured time within the day, after bridging
	State   DayState
	// MissingHours lists the hours of the day (0 = first hour after
	// midnight, counted in elapsed hours) with no coverage at all.
	MissingHours []int
}

// SensorGaps is the coverage of one sensor over a day range.
type SensorGaps struct {
	Sensor string
	Days   []DayCoverage
	// NoData and Partial count the days in each state.
	NoData, Partial int
}

// Gaps computes the day-by-day coverage of each sensor over a day range.
func Gaps(sensors []SensorCoverage, r DayRange, cfg GapConfig) ([]SensorGaps, error) {
	out := make([]SensorGaps, 0, len(sensors))
	for _, s := range sensors {
		days, err := Coverage(s.Intervals, r, cfg)
		if err != nil {
			return nil, fmt.Errorf("gaps of sensor %q: %w", s.Sensor, err)
		}
		g := SensorGaps{Sensor: s.Sensor, Days: days}
		for _, d := range days {
			switch d.State {
			case NoData:
				g.NoData++
			case Partial:
				g.Partial++
			}
		}
		out = append(out, g)
	}
	return out, nil
}

// Coverage computes the coverage of each day of r from capture intervals.
// Intervals closer than MergeGap are bridged first. An hour is missing when
// no (bridged) interval touches it; a day is NoData when every hour is
// missing, Full when its uncovered time is at most MergeGap, and Partial
// otherwise.
func Coverage(intervals []Interval, r DayRange, cfg GapConfig) ([]DayCoverage, error) {
	if r.Days < 0 {
		return nil, fmt.Errorf("coverage: negative day count %d", r.Days)
	}
	if cfg.MergeGap < 0 {
		return nil, fmt.Errorf("coverage: negative merge gap %v", cfg.MergeGap)
	}
	for i, iv := range intervals {
		if iv.End.Before(iv.Start) {
			return nil, fmt.Errorf("coverage: interval %d ends (%s) before it starts (%s)",
				i, iv.End.Format(time.RFC3339), iv.Start.Format(time.RFC3339))
		}
	}
	merged := mergeIntervals(intervals, cfg.MergeGap)
	days := make([]DayCoverage, r.Days)
	for i := range days {
		start, end := r.Day(i), r.Day(i+1)
		d := DayCoverage{Day: start, Length: end.Sub(start)}
		// The merged intervals are sorted and disjoint: find the first one
		// that may touch the day.
		k, _ := slices.BinarySearchFunc(merged, start, func(iv Interval, t time.Time) int {
			return iv.End.Compare(t)
		})
		touched := false
		for h := 0; start.Add(time.Duration(h) * time.Hour).Before(end); h++ {
			hs := start.Add(time.Duration(h) * time.Hour)
			he := minTime(hs.Add(time.Hour), end)
			if !touches(merged[k:], hs, he) {
				d.MissingHours = append(d.MissingHours, h)
			} else {
				touched = true
			}
		}
		for _, iv := range merged[k:] {
			if !iv.Start.Before(end) {
				break
			}
			d.Covered += minTime(iv.End, end).Sub(maxTime(iv.Start, start))
		}
		switch {
		case !touched:
			d.State = NoData
		case d.Length-d.Covered <= cfg.MergeGap:
			d.State = Full
		default:
			d.State = Partial
		}
		days[i] = d
	}
	return days, nil
}

// touches reports whether a sorted list of intervals (all ending at or
// after hs) intersects [hs, he).
func touches(ivs []Interval, hs, he time.Time) bool {
	for _, iv := range ivs {
		if !iv.Start.Before(he) {
			return false
		}
		if !iv.End.Before(hs) {
			return true
		}
	}
	return false
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// mergeIntervals sorts the intervals and joins those that overlap or are
// separated by at most gap.
func mergeIntervals(in []Interval, gap time.Duration) []Interval {
	ivs := slices.Clone(in)
	slices.SortFunc(ivs, func(a, b Interval) int { return cmp.Or(a.Start.Compare(b.Start), a.End.Compare(b.End)) })
	out := ivs[:0]
	for _, iv := range ivs {
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End.Add(gap)) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// Present turns day coverage into the Present flags of a Series: a day is
// present when it has any coverage and at least minShare (0..1) of it was
// covered. With minShare 0 every day that is not NoData is present.
func Present(days []DayCoverage, minShare float64) []bool {
	p := make([]bool, len(days))
	for i, d := range days {
		p[i] = d.State != NoData && d.Length > 0 && float64(d.Covered) >= minShare*float64(d.Length)
	}
	return p
}
