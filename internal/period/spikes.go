package period

import (
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
	// Rank are the ranking settings; a zero ZFull means
	// analysis.DefaultRankConfig with MinSignificance replaced when that
	// alone is set.
	Rank analysis.RankConfig
	// All keeps the findings below the significance threshold.
	All bool
}

// SpikeResult is what a spike search found.
type SpikeResult struct {
	// Findings are the findings shown, most significant first: those at
	// or above the significance threshold (all of them with
	// SpikeOptions.All), the same event under several keys told once
	// (analysis.MergeEvents).
	Findings []analysis.Finding
	// Hidden is how many findings were below the threshold and left out.
	Hidden int
}

// FindSpikes is FindSpikesResult's Findings.
func (s *Source) FindSpikes(ctx context.Context, opt SpikeOptions) ([]analysis.Finding, error) {
	res, err := s.FindSpikesResult(ctx, opt)
	return res.Findings, err
}

// FindSpikesResult reads the daily series of the period (and its
// lookback), marks the days without data from ingest coverage, and returns
// the spikes and rises that fall in the period, ranked as DetectSpikes
// ranks them, with drivers for the first DriverTopN, and without those
// below opt.Rank's MinSignificance unless opt.All is set. Findings of
// other dimensions that are the same event as a more significant finding
// (one of its drivers) are folded into it (analysis.MergeEvents).
//
// When several sensors are selected, detection runs on each sensor's own
// series with that sensor's days with data: a spike at one sensor is not
// diluted by the traffic of the others, and one sensor's missing day is not
// a dip in a sum. The same event seen at several sensors is told once
// (analysis.MergeSensors).
func (s *Source) FindSpikesResult(ctx context.Context, opt SpikeOptions) (SpikeResult, error) {
	r := opt.Range
	if r.To < r.From {
		return SpikeResult{}, fmt.Errorf("spikes: period ends (%s) before it starts (%s)", r.To, r.From)
	}
	read := Range{From: r.From.AddDays(-Lookback), To: r.To}
	days := read.Days()
	gaps, err := s.Coverage(ctx, read)
	if err != nil {
		return SpikeResult{}, err
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
	if !slices.Contains(dims, analysis.DimCountry) {
		// The country series give each class's whole traffic, which
		// ranking weighs findings by; they are read, not searched.
		dims = append(slices.Clone(dims), analysis.DimCountry)
	}
	var all []analysis.Series
	for _, dim := range dims {
		q := SeriesQuery{Range: read, Dim: dim, Unit: opt.Unit, Classes: opt.Classes, BySensor: bySensor}
		if dim != analysis.DimCountry {
			q.Keep = SeriesKeep
		}
		ss, err := s.Series(ctx, q)
		if err != nil {
			return SpikeResult{}, err
		}
		all = append(all, ss...)
	}
	found, err := s.DetectSpikes(ctx, all, read.From, present, opt)
	if err != nil {
		return SpikeResult{}, err
	}
	if len(gaps) == 1 {
		// One sensor: its series are the combined ones; name it.
		for i := range found {
			found[i].Sensor = gaps[0].Sensor
		}
	}
	return s.showFindings(ctx, found, opt)
}

// showFindings applies the threshold of opt to ranked findings, reads the
// drivers of the first DriverTopN shown and merges the same event.
func (s *Source) showFindings(ctx context.Context, found []analysis.Finding, opt SpikeOptions) (SpikeResult, error) {
	var res SpikeResult
	rc := opt.rankConfig()
	res.Findings = found
	if !opt.All {
		res.Findings, res.Hidden = analysis.Significant(found, rc.MinSignificance)
	}
	topN := opt.DriverTopN
	if topN <= 0 {
		topN = analysis.DefaultSpikeConfig().DriverTopN
	}
	if err := s.AddDrivers(ctx, res.Findings[:min(topN, len(res.Findings))]); err != nil {
		return res, err
	}
	res.Findings = analysis.MergeEvents(res.Findings)
	return res, nil
}

func (opt SpikeOptions) rankConfig() analysis.RankConfig {
	if opt.Rank.ZFull == 0 {
		rc := analysis.DefaultRankConfig()
		if opt.Rank.MinSignificance != 0 {
			rc.MinSignificance = opt.Rank.MinSignificance
		}
		return rc
	}
	return opt.Rank
}

// MinSources is the least number of distinct sources behind a packet
// finding for it to keep its whole significance (analysis.RankConfig's
// FewSources): findings of fewer sources (one scanner's burst) count less.
const MinSources = 3

// sourceChecks is how many findings of each dimension get their distinct
// sources counted for that ranking.
const sourceChecks = 300

// DetectSpikes runs spike detection over series starting on day start,
// keeps the findings that overlap opt.Range and are not folded "other"
// keys, and ranks them (analysis.Rank, with opt.Rank or its defaults):
// the share of each finding is taken from the class's whole traffic at the
// finding's sensor, the sum of the country series of series (folded
// "other" keys included); for series combining the sensors with no
// combined country series, from the sum over the sensors (exact for
// packets, an upper bound for distinct sources). present holds the days
// with data of each sensor, keyed by Series.Sensor ("" for series
// combining the selected sensors); a series whose sensor has no entry
// counts every day as present. With the thresholds of opt.Config, or
// analysis.DefaultSpikeConfigFor(opt.Unit) when it is zero. Drivers are
// not read and nothing is hidden; see FindSpikesResult and AddDrivers.
//
// Packet findings among the first of each dimension get their distinct
// sources counted, so that one scanner's burst counts half
// (RankConfig.FewSources). Findings of the same series at several sensors
// on overlapping days are merged into the most significant one.
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
	searched := func(dim string) bool { return len(opt.Dims) == 0 || slices.Contains(opt.Dims, dim) }
	in := analysis.SpikeInput{Start: s.Time(start), Unit: unit}
	for _, x := range series {
		// AS 0 is "AS unknown", the sum of every source without AS data.
		if IsOther(x.Key) || !searched(x.Dim) || x.Dim == analysis.DimASN && x.Key == ASNKey(0) {
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
	if unit == analysis.UnitPackets {
		perDim := map[string]int{}
		var check []analysis.Finding
		var at []int
		for i, f := range out {
			if perDim[f.Dim] < sourceChecks {
				perDim[f.Dim]++
				check = append(check, f)
				at = append(at, i)
			}
		}
		if err := s.FindingSources(ctx, check); err != nil {
			return out, err
		}
		for k, i := range at {
			out[i].Sources = check[k].Sources
		}
	}
	totals := analysis.ClassTotals(series, analysis.DimCountry)
	combined := map[string][]float64{}
	for k, t := range totals {
		c := combined[k.Class]
		if len(c) < len(t) {
			c = append(c, make([]float64, len(t)-len(c))...)
		}
		for d, v := range t {
			c[d] += v
		}
		combined[k.Class] = c
	}
	for class, c := range combined {
		if _, ok := totals[analysis.ClassKey{Class: class}]; !ok {
			totals[analysis.ClassKey{Class: class}] = c
		}
	}
	if err := analysis.Rank(out, totals, in.Start, opt.rankConfig()); err != nil {
		return out, err
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
