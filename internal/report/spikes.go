package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
)

// Lookback is how many days before a period are read so that its first
// days have a full spike baseline (analysis.DefaultSpikeConfig's Window).
const Lookback = 28

// SeriesKeep is how many ports and ASes per class get series of their own
// (see SeriesQuery.Keep).
const SeriesKeep = 30

// SpikeOptions select the spike search of FindSpikes.
type SpikeOptions struct {
	// From and To are the days findings may fall on (inclusive). Series
	// are read from Lookback days earlier for the baselines.
	From, To time.Time
	// Classes limits the classes (nil: all).
	Classes []string
	// Dims are the dimensions searched (nil: country, port and asn).
	Dims []string
	// Unit is packets (default) or distinct sources.
	Unit analysis.Unit
	// DriverTopN is how many findings get drivers (default 20); drivers
	// are read with one query per finding.
	DriverTopN int
	// Config are the thresholds; zero means analysis.DefaultSpikeConfig.
	Config analysis.SpikeConfig
}

// FindSpikes reads the daily series of the period (and its lookback), marks
// the days without data from ingest coverage, and returns the spikes and
// rises that fall in the period, most significant first, with drivers for
// the first DriverTopN.
func FindSpikes(ctx context.Context, l *Loader, opt SpikeOptions) ([]analysis.Finding, error) {
	from, to := l.Day(opt.From), l.Day(opt.To)
	if to.Before(from) {
		return nil, fmt.Errorf("spikes: period ends (%s) before it starts (%s)", dateArg(to), dateArg(from))
	}
	qFrom := from.AddDate(0, 0, -Lookback)
	days := daysBetween(qFrom, to) + 1
	gaps, err := l.Coverage(ctx, qFrom, to)
	if err != nil {
		return nil, err
	}
	present := PresentAny(gaps, days)
	dims := opt.Dims
	if len(dims) == 0 {
		dims = []string{analysis.DimCountry, analysis.DimPort, analysis.DimASN}
	}
	var all []analysis.Series
	for _, dim := range dims {
		q := SeriesQuery{From: qFrom, To: to, Dim: dim, Unit: opt.Unit, Classes: opt.Classes}
		if dim != analysis.DimCountry {
			q.Keep = SeriesKeep
		}
		ss, err := l.Series(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, s := range ss {
			all = append(all, s.Series)
		}
	}
	return DetectSpikes(ctx, l, all, qFrom, present, opt, from, to)
}

// DetectSpikes runs spike detection over series starting on day start
// (present flags the days with data), keeps the findings that overlap
// [from, to] and are not folded "other" keys, and asks the store for the
// drivers of the first opt.DriverTopN.
//
// Findings are ordered by dimension first (countries, then ports, then
// ASes: reports talk about countries, and a single AS appearing from
// nothing, such as one flood victim's backscatter, would otherwise
// outrank every country), then by analysis significance.
func DetectSpikes(ctx context.Context, l *Loader, series []analysis.Series, start time.Time, present []bool,
	opt SpikeOptions, from, to time.Time) ([]analysis.Finding, error) {
	cfg := opt.Config
	if cfg.Window == 0 {
		cfg = analysis.DefaultSpikeConfig()
	}
	topN := opt.DriverTopN
	if topN <= 0 {
		topN = cfg.DriverTopN
	}
	unit := opt.Unit
	if unit == "" {
		unit = analysis.UnitPackets
	}
	in := analysis.SpikeInput{Start: l.Day(start), Unit: unit}
	for _, s := range series {
		if IsOther(s.Key) {
			continue
		}
		s.Present = present
		in.Series = append(in.Series, s)
	}
	found, err := analysis.Spikes(in, cfg, nil)
	if err != nil {
		return nil, err
	}
	var out []analysis.Finding
	fromC, toC := civil(from), civil(to)
	for _, f := range found {
		if civil(f.LastDay) < fromC || civil(f.Day) > toC {
			continue
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b analysis.Finding) int { return cmp.Compare(dimRank(a.Dim), dimRank(b.Dim)) })
	for i := range out[:min(topN, len(out))] {
		d, err := l.Drivers(ctx, out[i], DriverTopN)
		if err != nil {
			return out, err
		}
		out[i].Drivers = d
	}
	return out, nil
}

func dimRank(dim string) int {
	switch dim {
	case analysis.DimCountry:
		return 0
	case analysis.DimPort:
		return 1
	case analysis.DimASN:
		return 2
	}
	return 3
}
