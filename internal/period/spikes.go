package period

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// SpikeOptions select a spike search.
type SpikeOptions struct {
	// Range is the days findings may fall on. Series are read from
	// Lookback days earlier for the baselines.
	Range Range
	// Classes limits the classes (nil: all).
	Classes []string
	// Dims are the dimensions searched (nil: country, port and asn).
	Dims []string
	// Unit is packets (default) or distinct sources.
	Unit analysis.Unit
	// DriverTopN is how many findings get drivers (default
	// analysis.DefaultSpikeConfig's DriverTopN); drivers are read with one
	// query per finding.
	DriverTopN int
	// Config are the thresholds; zero means
	// analysis.DefaultSpikeConfigFor(Unit).
	Config analysis.SpikeConfig
}

// FindSpikes reads the daily series of the period (and its lookback), marks
// the days without data from ingest coverage, and returns the spikes and
// rises that fall in the period, ordered as DetectSpikes orders them, with
// drivers for the first DriverTopN.
//
// When several sensors are selected, detection runs on each sensor's own
// series with that sensor's days with data: a spike at one sensor is not
// diluted by the traffic of the others, and one sensor's missing day is not
// a dip in a sum. The same event seen at several sensors is told once
// (analysis.MergeSensors).
func (s *Source) FindSpikes(ctx context.Context, opt SpikeOptions) ([]analysis.Finding, error) {
	r := opt.Range
	if r.To < r.From {
		return nil, fmt.Errorf("spikes: period ends (%s) before it starts (%s)", r.To, r.From)
	}
	read := Range{From: r.From.AddDays(-Lookback), To: r.To}
	days := read.Days()
	gaps, err := s.Coverage(ctx, read)
	if err != nil {
		return nil, err
	}
	bySensor := len(gaps) > 1
	present := map[string][]bool{"": PresentAll(gaps, days, 0, days)}
	if bySensor {
		present = SensorPresent(gaps, days)
	}
	dims := opt.Dims
	if len(dims) == 0 {
		dims = []string{analysis.DimCountry, analysis.DimPort, analysis.DimASN}
	}
	var all []analysis.Series
	for _, dim := range dims {
		q := SeriesQuery{Range: read, Dim: dim, Unit: opt.Unit, Classes: opt.Classes, BySensor: bySensor}
		if dim != analysis.DimCountry {
			q.Keep = SeriesKeep
		}
		ss, err := s.Series(ctx, q)
		if err != nil {
			return nil, err
		}
		all = append(all, ss...)
	}
	found, err := s.DetectSpikes(ctx, all, read.From, present, opt)
	if err != nil {
		return nil, err
	}
	if len(gaps) == 1 {
		// One sensor: its series are the combined ones; name it.
		for i := range found {
			found[i].Sensor = gaps[0].Sensor
		}
	}
	topN := opt.DriverTopN
	if topN <= 0 {
		topN = analysis.DefaultSpikeConfig().DriverTopN
	}
	return found, s.AddDrivers(ctx, found[:min(topN, len(found))])
}

// MinSources is the least number of distinct sources behind a packet
// finding for it to keep its rank: findings of fewer sources (one scanner's
// burst) are listed after the others of their dimension
// (analysis.DemoteFewSources).
const MinSources = 3

// sourceChecks is how many findings of each dimension get their distinct
// sources counted for that ordering.
const sourceChecks = 40

// DetectSpikes runs spike detection over series starting on day start,
// keeps the findings that overlap opt.Range and are not folded "other"
// keys, and orders them. present holds the days with data of each sensor,
// keyed by Series.Sensor ("" for series combining the selected sensors);
// a series whose sensor has no entry counts every day as present. With the
// thresholds of opt.Config, or analysis.DefaultSpikeConfigFor(opt.Unit)
// when it is zero. Drivers are not read; see AddDrivers.
//
// Findings are ordered by dimension first (countries, then ports, then
// ASes: reports talk about countries, and a single AS appearing from
// nothing, such as one flood victim's backscatter, would otherwise
// outrank every country), then by analysis significance, with packet
// findings of fewer than MinSources distinct sources after the others of
// their dimension. Findings of the same series at several sensors on
// overlapping days are merged into the most significant one.
func (s *Source) DetectSpikes(ctx context.Context, series []analysis.Series, start civil.Day, present map[string][]bool,
	opt SpikeOptions) ([]analysis.Finding, error) {
	unit := opt.Unit
	if unit == "" {
		unit = analysis.UnitPackets
	}
	cfg := opt.Config
	if cfg.Window == 0 {
		cfg = analysis.DefaultSpikeConfigFor(unit)
	}
	in := analysis.SpikeInput{Start: s.Time(start), Unit: unit}
	for _, x := range series {
		if IsOther(x.Key) {
			continue
		}
		x.Present = present[x.Sensor]
		in.Series = append(in.Series, x)
	}
	found, err := analysis.Spikes(in, cfg, nil)
	if err != nil {
		return nil, err
	}
	var out []analysis.Finding
	for _, f := range found {
		if s.Day(f.LastDay) < opt.Range.From || s.Day(f.Day) > opt.Range.To {
			continue
		}
		out = append(out, f)
	}
	out = analysis.MergeSensors(out)
	slices.SortStableFunc(out, func(a, b analysis.Finding) int { return cmp.Compare(dimRank(a.Dim), dimRank(b.Dim)) })
	if unit == analysis.UnitPackets {
		var check []analysis.Finding
		var at []int
		for i := 0; i < len(out); {
			j := i
			for j < len(out) && out[j].Dim == out[i].Dim {
				j++
			}
			for k := i; k < min(j, i+sourceChecks); k++ {
				check = append(check, out[k])
				at = append(at, k)
			}
			i = j
		}
		if err := s.FindingSources(ctx, check); err != nil {
			return out, err
		}
		for k, i := range at {
			out[i].Sources = check[k].Sources
		}
		for i := 0; i < len(out); {
			j := i
			for j < len(out) && out[j].Dim == out[i].Dim {
				j++
			}
			analysis.DemoteFewSources(out[i:j], MinSources)
			i = j
		}
	}
	return out, nil
}

// FindingSources sets Finding.Sources of the packet findings among fs: the
// distinct sources of the finding's class and key (at its sensor, or at the
// selected sensors) over its days. One query answers them all.
func (s *Source) FindingSources(ctx context.Context, fs []analysis.Finding) error {
	var qs []store.KeyDays
	var at []int
	for i, f := range fs {
		if f.Unit == analysis.UnitSources {
			continue
		}
		dim, err := storeDim(f.Dim)
		if err != nil || dim == DimSensor {
			continue
		}
		key, err := parseKey(f.Dim, f.Key)
		if err != nil {
			continue
		}
		qs = append(qs, store.KeyDays{Class: f.Class, Sensor: f.Sensor, Dim: dim, Key: key, From: s.Day(f.Day), To: s.Day(f.LastDay)})
		at = append(at, i)
	}
	if len(qs) == 0 {
		return nil
	}
	got, err := s.r.DistinctSources(ctx, s.sensors, qs)
	if err != nil {
		return fmt.Errorf("distinct sources of findings: %w", err)
	}
	for k, i := range at {
		if got[k] > 0 {
			fs[i].Sources = got[k]
		}
	}
	return nil
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

// Highlight quotas: how many findings a report tells in prose, at most how
// many of them per dimension before the remaining places are filled in
// order, and at most how many per class and dimension.
const (
	HighlightCount    = 12
	highlightPerClass = 3
)

var highlightQuota = map[string]int{analysis.DimCountry: 6, analysis.DimPort: 3, analysis.DimASN: 3}

// Highlights picks the findings a report tells in prose: up to n (0:
// HighlightCount) of fs, in fs's order, first up to 6 countries, 3 ports
// and 3 ASes (at most 3 per class and dimension), then the next findings
// in order to fill the remaining places under the same per-class cap.
// The rest are left to the CSV.
//
// Access counts every packet, so a burst of Mirai-like packets is also an
// access finding of the same key: an access finding is skipped when a
// finding of another class of the same sensor, dimension and key on
// overlapping days carries at least half of its excess over the baseline.
func Highlights(fs []analysis.Finding, n int) []analysis.Finding {
	if n <= 0 {
		n = HighlightCount
	}
	picked := make([]bool, len(fs))
	access := classify.Access.String()
	for i, f := range fs {
		if f.Class != access {
			continue
		}
		for _, g := range fs {
			if g.Class != access && g.Sensor == f.Sensor && g.Dim == f.Dim && g.Key == f.Key &&
				!g.Day.After(f.LastDay) && !f.Day.After(g.LastDay) && g.Value-g.Baseline >= 0.5*(f.Value-f.Baseline) {
				picked[i] = true // never listed
				break
			}
		}
	}
	covered := slices.Clone(picked)
	perDim := map[string]int{}
	perClass := map[[2]string]int{}
	count := 0
	take := func(quota bool) {
		for i, f := range fs {
			if count == n {
				return
			}
			k := [2]string{f.Class, f.Dim}
			if picked[i] || perClass[k] >= highlightPerClass || (quota && perDim[f.Dim] >= highlightQuota[f.Dim]) {
				continue
			}
			picked[i] = true
			perDim[f.Dim]++
			perClass[k]++
			count++
		}
	}
	take(true)
	take(false)
	var out []analysis.Finding
	for i, f := range fs {
		if picked[i] && !covered[i] {
			out = append(out, f)
		}
	}
	return out
}
