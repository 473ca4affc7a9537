package period

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// ViewOptions select what Load reads.
type ViewOptions struct {
	// Range is the period.
	Range Range
	// Unit is what the unit series and spikes count: packets (default)
	// or distinct sources.
	Unit analysis.Unit
	// Log receives the duration of each step at debug level (nil: none).
	Log *slog.Logger
	// AllFindings shows every finding (View.Shown), also those below the
	// default significance threshold (View.Hidden is then 0).
	AllFindings bool
}

// View is what the report shows of one period, read once: the series,
// coverage, findings and totals of the period, its previous period and the
// spike lookback before it. Series are over Read (index Off is the
// period's first day); use Cut for the period's part.
type View struct {
	Range Range // the period
	// Read is the days read: from max(Lookback, Range.Days()) days before
	// the period (the previous period and the spike baselines) to its end.
	Read Range
	// Off is the index of Range.From in Read; N is Range.Days().
	Off, N int
	// Unit is what UnitSeries and the findings count.
	Unit    analysis.Unit
	Sensors []Sensor
	// Gaps is each sensor's coverage over Read.
	Gaps []analysis.SensorGaps
	// Present flags the days of Read on which every sensor with data in
	// Read captured (PresentAll); SensorPresent each sensor's own days.
	Present       []bool
	SensorPresent map[string][]bool
	// Coverage is the captured fraction of each day of the period (see
	// DayCoverage).
	Coverage []float64
	// Drops are the packets live captures of each sensor lost in the
	// period (only sensors that lost some).
	Drops map[string]store.Drops
	// Country, Port and ASN are packet series by sensor over Read; ports
	// and ASes folded (SeriesKeep). ASN is merged (Sensor "") when Unit is
	// sources.
	Country, Port, ASN []analysis.Series
	// UnitSeries holds, per dimension, the series over the selected
	// sensors in Unit; UnitBySensor the same by sensor when there are
	// several sensors (nil otherwise; ports in sources are combined).
	UnitSeries   map[string][]analysis.Series
	UnitBySensor map[string][]analysis.Series
	// Classes are the classes with data in the period, in display order.
	Classes []string
	// Orgs names the ASes seen ("AS12345" → organisation).
	Orgs map[string]string
	// Findings are all the period's spikes and rises, ranked
	// (analysis.Rank); Shown those at or above the default significance
	// threshold with the same event under several keys told once
	// (analysis.MergeEvents), Hidden how many were below it; Listed the
	// shown ones a report tells in prose (Highlights). Drivers are read for
	// the first shown findings (also set on the same findings in
	// Findings).
	Findings, Shown, Listed []analysis.Finding
	Hidden                  int
	// HighPorts is, per class and protocol name, the distinct ports from
	// FoldFrom up hit in the period.
	HighPorts map[string]map[string]int
	// Totals are the headline totals (current and previous period).
	Totals Totals
	// Warnings are problems that did not stop the view.
	Warnings []string

	src *Source
}

// Load reads the view of a period.
func (s *Source) Load(ctx context.Context, opt ViewOptions) (*View, error) {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mark := time.Now()
	step := func(name string) {
		now := time.Now()
		log.Debug("period step", "step", name, "took", now.Sub(mark).Round(time.Millisecond))
		mark = now
	}
	if opt.Unit == "" {
		opt.Unit = analysis.UnitPackets
	}
	if _, err := toStoreUnit(opt.Unit); err != nil {
		return nil, err
	}
	v := &View{Range: opt.Range, Unit: opt.Unit, src: s}
	var err error
	if v.Sensors, err = s.Sensors(ctx); err != nil {
		return nil, err
	}
	if len(v.Sensors) == 0 {
		return nil, fmt.Errorf("%w in the store (run honeyscope ingest first)", ErrNoData)
	}
	v.N = opt.Range.Days()
	if v.N <= 0 {
		return nil, fmt.Errorf("period ends (%s) before it starts (%s)", opt.Range.To, opt.Range.From)
	}
	if v.N > MaxDays {
		return nil, fmt.Errorf("period of %d days is too long (at most %d)", v.N, MaxDays)
	}
	v.Read = Range{From: opt.Range.From.AddDays(-max(Lookback, v.N)), To: opt.Range.To}
	v.Off = opt.Range.From.Sub(v.Read.From)
	if v.Gaps, err = s.Coverage(ctx, v.Read); err != nil {
		return nil, err
	}
	if v.Drops, err = s.Drops(ctx, opt.Range); err != nil {
		return nil, err
	}
	// A sensor takes part if it has data anywhere in the read range (the
	// period and the baseline before it), so a period that falls within
	// one sensor's outage is incomplete, not complete without it.
	all := v.Off + v.N
	v.Present = PresentAll(v.Gaps, all, 0, all)
	v.SensorPresent = SensorPresent(v.Gaps, all)
	v.Coverage = DayCoverage(v.Gaps, v.Present, v.Off, v.N, all)
	multi := len(v.Sensors) > 1
	step("coverage")
	// Two small questions run beside the series queries, which leave part
	// of the machine idle.
	var side sync.WaitGroup
	var highErr, totalsErr error
	side.Add(1)
	go func() {
		defer side.Done()
		v.HighPorts, highErr = s.HighPorts(ctx, v.Range)
		v.Totals, totalsErr = s.Totals(ctx, v.Range)
	}()
	defer side.Wait()

	// The packet series of the three dimensions, and the AS names, are
	// asked side by side: each question leaves part of the machine idle
	// while it merges its groups or ranks its keys.
	q := SeriesQuery{Range: v.Read, Unit: analysis.UnitPackets, BySensor: true}
	qc, qp, qa := q, q, q
	qc.Dim = analysis.DimCountry
	qp.Dim, qp.Keep = analysis.DimPort, SeriesKeep
	// In packets the AS series by sensor feed per-sensor spike detection;
	// counting sources, only the top-10 tables use them, merged.
	qa.Dim, qa.Keep, qa.BySensor = analysis.DimASN, SeriesKeep, opt.Unit == analysis.UnitPackets
	var errs [4]error
	var par sync.WaitGroup
	par.Add(3)
	go func() { defer par.Done(); v.Port, errs[1] = s.Series(ctx, qp) }()
	go func() { defer par.Done(); v.ASN, errs[2] = s.Series(ctx, qa) }()
	go func() { defer par.Done(); v.Orgs, errs[3] = s.ASOrgs(ctx, v.Read) }()
	v.Country, errs[0] = s.Series(ctx, qc)
	par.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	step("series by country, port and AS")
	v.UnitSeries = map[string][]analysis.Series{
		analysis.DimCountry: Merge(v.Country),
		analysis.DimPort:    Merge(v.Port),
		analysis.DimASN:     Merge(v.ASN),
	}
	if multi {
		v.UnitBySensor = map[string][]analysis.Series{
			analysis.DimCountry: v.Country, analysis.DimPort: v.Port, analysis.DimASN: v.ASN}
	}
	if opt.Unit == analysis.UnitSources {
		for _, dim := range []string{analysis.DimCountry, analysis.DimPort, analysis.DimASN} {
			// Merged and per-sensor distinct counts are separate scans:
			// one scan with GROUPING SETS of both was slower than two.
			q := SeriesQuery{Range: v.Read, Dim: dim, Unit: analysis.UnitSources}
			if dim != analysis.DimCountry {
				q.Keep = SeriesKeep
			}
			// The two scans run side by side: each leaves part of the
			// machine idle while it merges its distinct-count tables.
			var bySensor []analysis.Series
			var sensorErr error
			var wg sync.WaitGroup
			// Distinct sources by port and sensor would cost a third scan
			// of the hits as long as the other two together: port spikes
			// in distinct sources are sought in the combined series.
			if multi && dim != analysis.DimPort {
				qs := q
				qs.BySensor = true
				wg.Add(1)
				go func() {
					defer wg.Done()
					bySensor, sensorErr = s.Series(ctx, qs)
				}()
			}
			v.UnitSeries[dim], err = s.Series(ctx, q)
			wg.Wait()
			if err = errors.Join(err, sensorErr); err != nil {
				return nil, err
			}
			switch {
			case multi && dim == analysis.DimPort:
				v.UnitBySensor[dim] = v.UnitSeries[dim]
			case multi:
				v.UnitBySensor[dim] = bySensor
			}
		}
	}
	// Classes with data in the period, in display order.
	seen := map[string]bool{}
	for _, x := range v.UnitSeries[analysis.DimCountry] {
		if Sum(x.Values[v.Off:]) > 0 {
			seen[x.Class] = true
		}
	}
	for _, c := range classify.Names() {
		if seen[c] {
			v.Classes = append(v.Classes, c)
		}
	}
	step("series of distinct sources")
	// Spikes: per sensor when there are several, so that one sensor's
	// spike is not diluted by the others and its missing days are skipped.
	var series []analysis.Series
	present := map[string][]bool{"": v.Present}
	bySrc := v.UnitSeries
	if multi {
		present, bySrc = maps.Clone(v.SensorPresent), v.UnitBySensor
		present[""] = v.Present // series combining the sensors
	}
	for _, dim := range []string{analysis.DimCountry, analysis.DimPort, analysis.DimASN} {
		series = append(series, bySrc[dim]...)
	}
	if v.Findings, err = s.DetectSpikes(ctx, series, v.Read.From, present, SpikeOptions{Range: v.Range, Unit: opt.Unit}); err != nil {
		return nil, err
	}
	// The shown findings: above the threshold, the same event once; drivers
	// for those a report tells in prose.
	shown, hidden := analysis.Significant(v.Findings, analysis.DefaultRankConfig().MinSignificance)
	if opt.AllFindings {
		shown, hidden = v.Findings, 0
	}
	v.Hidden = hidden
	if err := s.AddDrivers(ctx, shown[:min(len(shown), analysis.DefaultSpikeConfig().DriverTopN)]); err != nil {
		return nil, err
	}
	v.Shown = analysis.MergeEvents(shown)
	v.Listed = Highlights(v.Shown, HighlightCount)
	type fid struct {
		sensor, class, dim, key string
		day                     civil.Day
	}
	drv := map[fid][]analysis.Driver{}
	for _, f := range shown {
		drv[fid{f.Sensor, f.Class, f.Dim, f.Key, s.Day(f.Day)}] = f.Drivers
	}
	for i, f := range v.Findings {
		if d, ok := drv[fid{f.Sensor, f.Class, f.Dim, f.Key, s.Day(f.Day)}]; ok {
			v.Findings[i].Drivers = d
		}
	}
	step("spikes and drivers")
	side.Wait()
	if totalsErr != nil {
		v.Warnings = append(v.Warnings, totalsErr.Error())
	}
	return v, highErr
}

// Cut is the period's part of values over Read.
func (v *View) Cut(values []float64) []float64 { return values[v.Off : v.Off+v.N] }

// CutSeries returns copies of series over Read cut to the period.
func (v *View) CutSeries(in []analysis.Series) []analysis.Series {
	out := make([]analysis.Series, len(in))
	for i, x := range in {
		out[i] = x
		out[i].Values = v.Cut(x.Values)
	}
	return out
}

// Days are the first instants of the period's days.
func (v *View) Days() []time.Time {
	out := make([]time.Time, v.N)
	for i := range out {
		out[i] = v.src.Time(v.Range.Day(i))
	}
	return out
}

// Gap flags the period's days without data (combined: see Present).
func (v *View) Gap() []bool {
	g := make([]bool, v.N)
	for i := range g {
		g[i] = !v.Present[v.Off+i]
	}
	return g
}

// SensorDays says, per day of the period, how many of the sensors taking
// part in the view (those with data somewhere in Read, see Present)
// captured part of it, and how many take part. Merged charts draw a day
// that some but not all of them captured from the sensors that did, as a
// partial day ("1 of 2 sensors"), and a day none captured as a gap
// (ChartGap); baselines and the headline change keep Present, which skips
// such days, so they compare like with like.
func (v *View) SensorDays() (captured []int, active int) {
	all := v.Off + v.N
	act := ActiveSensors(v.Gaps, 0, all)
	captured = make([]int, v.N)
	for i := range captured {
		for _, g := range act {
			if v.Off+i < len(g.Days) && g.Days[v.Off+i].State != analysis.NoData {
				captured[i]++
			}
		}
	}
	return captured, len(act)
}

// ChartGap flags the period's days on which no sensor taking part
// captured: the days merged charts draw as "no data" (see SensorDays).
func (v *View) ChartGap() []bool {
	captured, _ := v.SensorDays()
	g := make([]bool, v.N)
	for i, n := range captured {
		g[i] = n == 0
	}
	return g
}

// PeriodPresent is each sensor's days with data in the period.
func (v *View) PeriodPresent() map[string][]bool {
	out := map[string][]bool{}
	for _, g := range v.Gaps {
		p := make([]bool, v.N)
		for i := range p {
			p[i] = g.Days[v.Off+i].State != analysis.NoData
		}
		out[g.Sensor] = p
	}
	return out
}

// Source is the source the view was read from.
func (v *View) Source() *Source { return v.src }
