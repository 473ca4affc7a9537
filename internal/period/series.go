package period

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// SeriesKeep is how many ports and ASes per class get series of their own
// in the report and spikes (see SeriesQuery.Keep).
const SeriesKeep = 30

// SeriesQuery selects daily series.
type SeriesQuery struct {
	// Range is the days of the series (value i is day Range.From + i).
	Range Range
	// Dim is analysis.DimCountry, DimPort, DimASN or DimSensor.
	Dim string
	// Unit is packets (default) or distinct sources.
	Unit analysis.Unit
	// Classes limits the classes (nil: all).
	Classes []string
	// Country limits the sources to one country ("" = all), e.g. "JP".
	Country string
	// Narrow limits the packets to one destination port and the sources
	// to one AS (zero: no limit).
	Narrow store.Narrow
	// BySensor returns one series per sensor (Series.Sensor set) instead
	// of series over the selected sensors. Distinct sources are counted
	// per sensor then.
	BySensor bool
	// Keep > 0 limits the keys of each class: only the Keep keys of each
	// class with most packets over the days, and the Keep keys with the
	// highest single-day packet count (so that a one-day burst on an
	// otherwise quiet key is kept), get their own series; the others are
	// summed into OtherKey series (for ports: one per protocol below
	// FoldFrom, and one RangeKey series per protocol from FoldFrom up).
	Keep int
}

func toStoreUnit(u analysis.Unit) (store.Unit, error) {
	switch u {
	case analysis.UnitPackets, "":
		return store.UnitPackets, nil
	case analysis.UnitSources:
		return store.UnitSources, nil
	}
	return "", fmt.Errorf("unknown unit %q (packets or sources)", u)
}

// Series returns the daily series of q, one per class and key (and sensor
// with BySensor), ordered by class (display order), sensor and key. Days
// without rows are 0; Present is left nil for the caller to fill from
// Coverage.
func (s *Source) Series(ctx context.Context, q SeriesQuery) ([]analysis.Series, error) {
	n := q.Range.Days()
	if n <= 0 {
		return nil, fmt.Errorf("series: period ends (%s) before it starts (%s)", q.Range.To, q.Range.From)
	}
	dim, err := storeDim(q.Dim)
	if err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	unit, err := toStoreUnit(q.Unit)
	if err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	sq := store.SeriesQuery{Selection: q.Range.selection(s.sensors), Dim: dim, Unit: unit, Classes: q.Classes,
		Country: q.Country, Narrow: q.Narrow, BySensor: q.BySensor}
	if q.Keep > 0 {
		kept, err := s.keptKeys(ctx, store.TopKeysQuery{Selection: sq.Selection, Dim: dim, Classes: q.Classes, Country: q.Country, Narrow: q.Narrow, N: q.Keep})
		if err != nil {
			return nil, fmt.Errorf("series by %s: %w", q.Dim, err)
		}
		sq.Fold, sq.Keep, sq.FoldFrom = true, kept, FoldFrom
	}
	got, err := s.r.Series(ctx, sq)
	if err != nil {
		return nil, err
	}
	out := make([]analysis.Series, len(got))
	for i, g := range got {
		out[i] = analysis.Series{Sensor: g.Sensor, Class: g.Class, Dim: q.Dim, Key: keyString(dim, g.Key), Values: g.Values}
	}
	slices.SortFunc(out, func(a, b analysis.Series) int {
		return cmp.Or(cmp.Compare(classOrder(a.Class), classOrder(b.Class)), cmp.Compare(a.Class, b.Class),
			cmp.Compare(a.Sensor, b.Sensor), cmp.Compare(a.Key, b.Key))
	})
	return out, nil
}

// keptKeys asks the store for the keys that get series of their own. A
// report asks for the same keys once per unit: the answer is kept.
func (s *Source) keptKeys(ctx context.Context, q store.TopKeysQuery) ([]store.Key, error) {
	memo := fmt.Sprintf("%#v", q)
	s.keptMu.Lock()
	done, ok := s.kept[memo]
	s.keptMu.Unlock()
	if ok {
		return done, nil
	}
	keys, err := s.r.TopKeys(ctx, q)
	if err != nil {
		return nil, err
	}
	s.keptMu.Lock()
	if s.kept == nil {
		s.kept = map[string][]store.Key{}
	}
	s.kept[memo] = keys
	s.keptMu.Unlock()
	return keys, nil
}

// classOrder is the display position of a class (unknown names last).
func classOrder(name string) int {
	if c, ok := classify.ParseClass(name); ok {
		return int(c)
	}
	return int(classify.NumClasses)
}

// Merge adds per-sensor series of packets into one series per class and
// key (Sensor ""). Distinct sources cannot be added up this way; query them
// merged instead.
func Merge(in []analysis.Series) []analysis.Series {
	type id struct{ class, key string }
	idx := map[id]int{}
	var out []analysis.Series
	for _, s := range in {
		i, ok := idx[id{s.Class, s.Key}]
		if !ok {
			i = len(out)
			idx[id{s.Class, s.Key}] = i
			out = append(out, analysis.Series{Class: s.Class, Dim: s.Dim, Key: s.Key, Values: make([]float64, len(s.Values))})
		}
		for d, v := range s.Values {
			if d < len(out[i].Values) {
				out[i].Values[d] += v
			}
		}
	}
	return out
}

// Sum adds up values, skipping NaN.
func Sum(v []float64) float64 {
	t := 0.0
	for _, x := range v {
		if !math.IsNaN(x) {
			t += x
		}
	}
	return t
}
