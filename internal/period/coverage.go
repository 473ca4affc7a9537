package period

import (
	"context"
	"fmt"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Coverage returns, per selected sensor, which days of r were captured,
// from the first and last packet time of each ingested file.
func (s *Source) Coverage(ctx context.Context, r Range) ([]analysis.SensorGaps, error) {
	sensors, err := s.Sensors(ctx)
	if err != nil {
		return nil, err
	}
	caps, err := s.r.Captures(ctx, s.sensors)
	if err != nil {
		return nil, fmt.Errorf("coverage: %w", err)
	}
	ivs := map[string][]analysis.Interval{}
	for _, c := range caps {
		ivs[c.Sensor] = append(ivs[c.Sensor], analysis.Interval{Start: c.First, End: c.Last})
	}
	cov := make([]analysis.SensorCoverage, len(sensors))
	for i, x := range sensors {
		cov[i] = analysis.SensorCoverage{Sensor: x.Name, Intervals: ivs[x.Name]}
	}
	return analysis.Gaps(cov, analysis.DayRange{Start: s.Time(r.From), Days: r.Days(), Loc: s.loc}, analysis.DefaultGapConfig())
}

// Drops returns, per selected sensor that lost packets, the packets its
// live captures lost in captures overlapping r: a capture that lost
// packets says so, and its counts are lower bounds.
func (s *Source) Drops(ctx context.Context, r Range) (map[string]store.Drops, error) {
	caps, err := s.r.Captures(ctx, s.sensors)
	if err != nil {
		return nil, fmt.Errorf("capture drops: %w", err)
	}
	return store.DropsBySensor(caps, s.Time(r.From), s.Time(r.To.AddDays(1))), nil
}

// SensorPresent returns each sensor's presence flags over the first days
// days of gaps: a day is present when the sensor captured part of it.
func SensorPresent(gaps []analysis.SensorGaps, days int) map[string][]bool {
	out := make(map[string][]bool, len(gaps))
	for _, g := range gaps {
		p := make([]bool, days)
		for i, d := range g.Days {
			if i < days {
				p[i] = d.State != analysis.NoData
			}
		}
		out[g.Sensor] = p
	}
	return out
}

// PresentAll is the presence flag of series combining several sensors:
// day i of [0, days) is present when every sensor that has data on some
// day of [lo, hi) (the period the series are about) captured part of it.
// A day one of those sensors missed is incomplete: its combined count
// would fall by that sensor's share and read as a drop, so it is treated
// as a day without data (drawn as a gap, skipped by baselines). Sensors
// with no data at all in [lo, hi) do not count, so a sensor that was not
// yet deployed does not blank the period.
func PresentAll(gaps []analysis.SensorGaps, days, lo, hi int) []bool {
	p := make([]bool, days)
	active := ActiveSensors(gaps, lo, hi)
	if len(active) == 0 {
		return p
	}
	for i := range p {
		p[i] = true
		for _, g := range active {
			if i >= len(g.Days) || g.Days[i].State == analysis.NoData {
				p[i] = false
				break
			}
		}
	}
	return p
}

// ActiveSensors returns the sensors with data on some day of [lo, hi).
func ActiveSensors(gaps []analysis.SensorGaps, lo, hi int) []analysis.SensorGaps {
	var active []analysis.SensorGaps
	for _, g := range gaps {
		for i := max(lo, 0); i < min(hi, len(g.Days)); i++ {
			if g.Days[i].State != analysis.NoData {
				active = append(active, g)
				break
			}
		}
	}
	return active
}

// PresentAny is the presence flag of merged series: a day is present when
// at least one sensor captured part of it. Reports use PresentAll.
func PresentAny(gaps []analysis.SensorGaps, days int) []bool {
	p := make([]bool, days)
	for _, g := range gaps {
		for i, d := range g.Days {
			if i < days && d.State != analysis.NoData {
				p[i] = true
			}
		}
	}
	return p
}

// DayCoverage is the captured fraction of each of the days [lo, lo+n) of
// gaps, so charts can mark partial days: the smallest over the sensors
// with data in [0, hi) (a combined day is as complete as its least covered
// sensor), 1 for complete days, 0 for days present flags as without data.
func DayCoverage(gaps []analysis.SensorGaps, present []bool, lo, n, hi int) []float64 {
	active := ActiveSensors(gaps, 0, hi)
	c := make([]float64, n)
	for i := range c {
		if lo+i >= len(present) || !present[lo+i] {
			continue
		}
		c[i] = 1
		for _, g := range active {
			if lo+i >= len(g.Days) {
				continue
			}
			if d := g.Days[lo+i]; d.State == analysis.Partial && d.Length > 0 {
				c[i] = min(c[i], float64(d.Covered)/float64(d.Length))
			}
		}
	}
	return c
}
