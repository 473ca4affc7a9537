package analysis

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Unit says what the values of a series count.
type Unit string

// Counting units.
const (
	UnitPackets Unit = "packets" // packets per day
	UnitSources Unit = "sources" // distinct source addresses per day
)

// Finding kinds.
const (
	KindSpike = "spike" // one day far above its baseline
	KindRise  = "rise"  // several consecutive present days above baseline × RiseFactor
)

// Series is one daily series: the count of one class for one key of one
// dimension (for example mirai / country / "IT") on consecutive days.
type Series struct {
	// Sensor is the sensor the series was seen at; "" stands for all the
	// sensors of the input combined. It is copied into each Finding.
	Sensor string
	Class  string // class name, e.g. "mirai"
	Dim    string // dimension, e.g. DimCountry
	Key    string // key within the dimension, e.g. "IT"
	// Values holds one count per day; day i is Start + i days.
	Values []float64
	// Present flags the days that have data. A day with Present[i] false
	// (no capture that day) is skipped: it neither enters a baseline nor is
	// tested. Nil means every day is present; otherwise it must be as long as
	// Values. NaN and infinite values are treated as absent too.
	Present []bool
}

func (s *Series) present(i int) bool {
	return (s.Present == nil || s.Present[i]) && usable(s.Values[i])
}

func (s *Series) check() error {
	if s.Present != nil && len(s.Present) != len(s.Values) {
		return fmt.Errorf("series %s/%s/%s: %d values but %d presence flags",
			s.Class, s.Dim, s.Key, len(s.Values), len(s.Present))
	}
	return nil
}

// SpikeInput is the data spike detection runs on.
type SpikeInput struct {
	// Start is the first day of every series (conventionally midnight in the
	// display timezone); Finding days are Start plus a number of calendar
	// days in Start's location.
	Start time.Time
	// Unit is what the series count; it is copied into each Finding.
	Unit Unit
	// Series are the daily series to scan. They may differ in length.
	Series []Series
}

// Driver is one contributor to a finding: a key of another dimension inside
// the finding's series on the finding's day (an ASN, a port, a /24 prefix, a
// source), with its value that day and its own baseline.
type Driver struct {
	Dim      string  // dimension, e.g. DimASN
	Key      string  // key, e.g. "AS12345"
	Value    float64 // count on the finding's day (or over the rise)
	Baseline float64 // the driver's own baseline, 0 when unknown
}

// DriverFunc returns the drivers of a finding, largest first. The caller
// supplies it (typically a store query); Spikes calls it only for the
// DriverTopN most significant findings to bound the number of queries.
type DriverFunc func(f Finding) ([]Driver, error)

// Finding is one spike or sustained rise in a series.
type Finding struct {
	Kind string // KindSpike or KindRise
	// Sensor is the sensor of the series ("" for all sensors combined).
	Sensor string
	// AlsoAt lists other sensors at which the same class and key had a
	// finding on an overlapping day; see MergeSensors.
	AlsoAt []string
	Class  string // class of the series
	Dim    string // dimension of the series
	Key    string // key of the series
	Unit   Unit   // what Value and Baseline count
	// Day is the day of a spike, or the first day of a rise.
	Day time.Time
	// LastDay equals Day for a spike; for a rise it is the last elevated day.
	LastDay time.Time
	// Ongoing is set on a rise still elevated on the last present day of
	// the series ("rising since Day").
	Ongoing bool
	// Value is the count on the day of a spike, or the mean count over the
	// present days of a rise.
	Value float64
	// Baseline is the median of the present days in the baseline window
	// before Day (for a rise: before its first day, held fixed over it).
	Baseline float64
	// Ratio is Value / max(Baseline, RatioFloor), the ratio the thresholds
	// test. Sentences state BaselineRatio instead.
	Ratio float64
	// Z is the robust z-score (Value-Baseline) / sigma, where sigma is the
	// baseline's scaled MAD floored as described on SpikeConfig.MinSigma.
	Z float64
	// Window is the number of calendar days the baseline window spans
	// (SpikeConfig.Window, or fewer at the start of a series).
	Window int
	// BaselineDays is the number of present days in the baseline window.
	BaselineDays int
	// WindowMax is the largest value of the present days in the baseline
	// window: a value the series already reached in its window is less
	// surprising than its z says (see Rank).
	WindowMax float64
	// Days is the number of present elevated days (1 for a spike).
	Days int
	// Score orders findings by significance; see Spikes.
	Score float64
	// Drivers are filled by the DriverFunc for the top findings.
	Drivers []Driver
	// Sources is the number of distinct sources behind a packet finding
	// on its days, when the caller knows it (0: unknown). See Rank.
	Sources float64
	// Share is the finding's excess as a part of its class's whole
	// traffic at its sensor over its days (0..1), set by Rank.
	Share float64
	// Significance ranks findings across dimensions; set by Rank, 0
	// before. Findings below RankConfig.MinSignificance are hidden by
	// default (Significant).
	Significance float64
	// SameEvent lists the findings of other dimensions folded into this
	// one because they are the same event (MergeEvents): their key, value
	// and baseline.
	SameEvent []Driver
}

// BaselineRatio is Value / Baseline, the factor a sentence states ("12×
// the median"); +Inf when the baseline is 0 and the value is not.
func (f Finding) BaselineRatio() float64 {
	if f.Baseline <= 0 {
		if f.Value > 0 {
			return math.Inf(1)
		}
		return math.NaN()
	}
	return f.Value / f.Baseline
}

// SpikeConfig holds the thresholds of spike and rise detection. Start from
// DefaultSpikeConfig and change what you need; a zero SpikeConfig is
// rejected.
type SpikeConfig struct {
	// Window is the longest baseline: the preceding Window calendar days.
	// Default 28 (four weeks). At the start of a series the window is
	// shorter, down to MinBaselineDays.
	Window int
	// MinBaselineDays is the least number of present days the baseline
	// window must hold before a day is tested. Default 7, so the baseline
	// spans 7 to 28 days: a median of fewer days is too noisy.
	MinBaselineDays int

	// MinRatio is the least Value / max(median, RatioFloor) of a spike.
	// Default 3.
	MinRatio float64
	// RatioFloor is the smallest denominator of the ratio, so a series
	// that rises from (nearly) zero gets a finite ratio. Default 10.
	RatioFloor float64
	// MinZ is the least robust z-score of a spike. Default 5.
	MinZ float64
	// MinSigma floors the spread used in the z-score. The spread is
	// max(1.4826·MAD, sqrt(median), MinSigma): the square root of the
	// median is the Poisson standard deviation of a count of that size, so
	// a perfectly flat baseline (MAD 0) still gets counting noise instead of
	// an infinite z. Default 1.
	MinSigma float64
	// MinValue is the least count on a flagged day, so tiny counts never
	// alarm. Default 50.
	MinValue float64
	// MinIncrease is the least Value - median of a flagged day. Default 30.
	MinIncrease float64

	// RiseFactor: a day is elevated when its value exceeds
	// RiseFactor × max(baseline, RatioFloor) (and meets MinValue and
	// MinIncrease). Default 2.
	RiseFactor float64
	// RiseMinDays consecutive present elevated days make one "rise"
	// finding instead of one spike per day. Absent days inside the run
	// neither break nor extend it. Default 3.
	RiseMinDays int
	// RiseMinZ is the least robust z-score of the mean over a rise, so
	// ordinary day-to-day noise of a very noisy series is not a rise.
	// Default 3.
	RiseMinZ float64

	// MaxFindings caps the number of findings returned (most significant
	// first); 0 returns all. Default 0.
	MaxFindings int
	// DriverTopN is how many of the most significant findings get their
	// drivers from the DriverFunc. Default 20.
	DriverTopN int
}

// DefaultSpikeConfig returns the documented default thresholds.
func DefaultSpikeConfig() SpikeConfig {
	return SpikeConfig{
		Window:          28,
		MinBaselineDays: 7,
		MinRatio:        3,
		RatioFloor:      10,
		MinZ:            5,
		MinSigma:        1,
		MinValue:        50,
		MinIncrease:     30,
		RiseFactor:      2,
		RiseMinDays:     3,
		RiseMinZ:        3,
		MaxFindings:     0,
		DriverTopN:      20,
	}
}

// DefaultSpikeConfigFor returns the default thresholds for a unit. Counts
// of distinct sources are far smaller than packet counts (one scanner sends
// thousands of packets), so for UnitSources the floors are lower: MinValue
// 10, MinIncrease 6 and RatioFloor 5, i.e. a country or port must reach at
// least 10 distinct sources, 6 more than its median, to be flagged, and a
// series rising from nothing needs 15 sources to triple the floor. Packet
// thresholds are those of DefaultSpikeConfig.
func DefaultSpikeConfigFor(u Unit) SpikeConfig {
	c := DefaultSpikeConfig()
	if u == UnitSources {
		c.MinValue, c.MinIncrease, c.RatioFloor = 10, 6, 5
	}
	return c
}

// Validate reports the first setting that makes no sense.
func (c SpikeConfig) Validate() error {
	switch {
	case c.Window < 1:
		return fmt.Errorf("spike config: window %d days, need at least 1", c.Window)
	case c.MinBaselineDays < 1 || c.MinBaselineDays > c.Window:
		return fmt.Errorf("spike config: min baseline days %d, need 1..window (%d)", c.MinBaselineDays, c.Window)
	case !(c.RatioFloor > 0):
		return fmt.Errorf("spike config: ratio floor %v, need > 0", c.RatioFloor)
	case !(c.MinSigma > 0):
		return fmt.Errorf("spike config: min sigma %v, need > 0", c.MinSigma)
	case !(c.RiseFactor > 1):
		return fmt.Errorf("spike config: rise factor %v, need > 1", c.RiseFactor)
	case c.RiseMinDays < 2:
		return fmt.Errorf("spike config: rise min days %d, need at least 2", c.RiseMinDays)
	case c.MaxFindings < 0 || c.DriverTopN < 0:
		return fmt.Errorf("spike config: negative limit (max findings %d, driver top N %d)", c.MaxFindings, c.DriverTopN)
	}
	for _, v := range []float64{c.MinRatio, c.MinZ, c.MinValue, c.MinIncrease, c.RiseMinZ} {
		if math.IsNaN(v) {
			return errors.New("spike config: NaN threshold")
		}
	}
	return nil
}

// baseline is the robust baseline of one day.
type baseline struct {
	median float64
	sigma  float64
	n      int // present days in the window
	span   int // calendar days in the window
	max    float64
}

// Spikes scans every series for spikes and sustained rises and returns the
// findings, most significant first.
//
// For each day d of a series, the baseline is the median and MAD of the
// present days among the preceding min(d, Window) days; days with fewer than
// MinBaselineDays present baseline days are not tested. A day is a spike when
// all of these hold: value ≥ MinValue, value − median ≥ MinIncrease,
// value / max(median, RatioFloor) ≥ MinRatio and the robust z-score
// (value − median) / max(1.4826·MAD, sqrt(median), MinSigma) ≥ MinZ.
// A rise starts on a day whose value exceeds RiseFactor × max(median,
// RatioFloor) (and meets MinValue and MinIncrease); that day's baseline is
// then held fixed while following present days stay elevated. A run of at
// least RiseMinDays present days whose mean has a z-score ≥ RiseMinZ is
// reported once as a rise, and its days are not reported again as spikes.
//
// Significance (Finding.Score) is min(log2(Ratio), 2) · log10(1 + Value − Baseline),
// with the excess summed over its days for a rise: a finding ranks high when it is large
// both relative to its baseline and in absolute numbers. Ties are broken by
// class, dimension, key and day so the order is deterministic.
//
// When drivers is not nil it is called for each of the DriverTopN most
// significant findings. If it fails, Spikes stops calling it and returns all
// findings (drivers filled so far) together with the error.
func Spikes(in SpikeInput, cfg SpikeConfig, drivers DriverFunc) ([]Finding, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("spikes: %w", err)
	}
	for i := range in.Series {
		if err := in.Series[i].check(); err != nil {
			return nil, fmt.Errorf("spikes: %w", err)
		}
	}
	var (
		findings []Finding
		w        window
		bases    []baseline
	)
	for si := range in.Series {
		s := &in.Series[si]
		n := len(s.Values)
		if cap(bases) < n {
			bases = make([]baseline, n)
		}
		bases = bases[:n]
		computeBaselines(s, cfg, &w, bases, false)
		findings = scanSeries(s, in, cfg, bases, findings)
	}
	slices.SortFunc(findings, compareFindings)
	if cfg.MaxFindings > 0 && len(findings) > cfg.MaxFindings {
		findings = findings[:cfg.MaxFindings:cfg.MaxFindings]
	}
	if drivers != nil {
		for i := range findings[:min(cfg.DriverTopN, len(findings))] {
			d, err := drivers(findings[i])
			if err != nil {
				f := &findings[i]
				return findings, fmt.Errorf("spikes: drivers of %s %s/%s/%s on %s: %w",
					f.Kind, f.Class, f.Dim, f.Key, f.Day.Format(time.DateOnly), err)
			}
			findings[i].Drivers = d
		}
	}
	return findings, nil
}

// computeBaselines fills bases[d] with the baseline of the days before d.
// The spread (the costlier half) is computed only for days that may start a
// finding, or for every day when all is set; it is NaN otherwise.
func computeBaselines(s *Series, cfg SpikeConfig, w *window, bases []baseline, all bool) {
	w.reset()
	minRatio := min(cfg.MinRatio, cfg.RiseFactor)
	for d := range bases {
		if d > 0 && s.present(d-1) {
			w.insert(s.Values[d-1])
		}
		if old := d - 1 - cfg.Window; old >= 0 && s.present(old) {
			w.remove(s.Values[old])
		}
		b := baseline{n: w.len(), span: min(d, cfg.Window), sigma: math.NaN()}
		if b.n >= cfg.MinBaselineDays {
			b.median = w.median()
			b.max = w.v[len(w.v)-1]
			// Both a spike and the first day of a rise need these.
			v := s.Values[d]
			if all || (s.present(d) && v >= cfg.MinValue && v-b.median >= cfg.MinIncrease && v/max(b.median, cfg.RatioFloor) >= minRatio) {
				b.sigma = max(madScale*w.mad(b.median), math.Sqrt(max(b.median, 0)), cfg.MinSigma)
			}
		}
		bases[d] = b
	}
}

// scanSeries appends the findings of one series.
func scanSeries(s *Series, in SpikeInput, cfg SpikeConfig, bases []baseline, out []Finding) []Finding {
	n := len(s.Values)
	elevated := func(v, base float64) bool {
		return v >= cfg.MinValue && v-base >= cfg.MinIncrease && v > cfg.RiseFactor*max(base, cfg.RatioFloor)
	}
	for d := 0; d < n; d++ {
		b := bases[d]
		if !s.present(d) || b.n < cfg.MinBaselineDays {
			continue
		}
		v := s.Values[d]
		if elevated(v, b.median) {
			days, last, sum, j := 0, d, 0.0, d
			for ; j < n; j++ {
				if !s.present(j) {
					continue
				}
				if !elevated(s.Values[j], b.median) {
					break
				}
				days++
				sum += s.Values[j]
				last = j
			}
			mean := sum / float64(days)
			if z := (mean - b.median) / b.sigma; days >= cfg.RiseMinDays && z >= cfg.RiseMinZ {
				f := newFinding(KindRise, s, in, b, d, mean, cfg)
				f.LastDay = in.Start.AddDate(0, 0, last)
				f.Ongoing = j >= n
				f.Days = days
				// A rise weighs its whole excess, not one day's.
				f.Score = math.Min(math.Log2(f.Ratio), maxScoreLog2Ratio) * math.Log10(1+(mean-b.median)*float64(days))
				out = append(out, f)
				d = last
				continue
			}
		}
		if v < cfg.MinValue || v-b.median < cfg.MinIncrease {
			continue
		}
		if v/max(b.median, cfg.RatioFloor) >= cfg.MinRatio && (v-b.median)/b.sigma >= cfg.MinZ {
			out = append(out, newFinding(KindSpike, s, in, b, d, v, cfg))
		}
	}
	return out
}

func newFinding(kind string, s *Series, in SpikeInput, b baseline, d int, v float64, cfg SpikeConfig) Finding {
	day := in.Start.AddDate(0, 0, d)
	ratio := v / max(b.median, cfg.RatioFloor)
	return Finding{
		Kind:         kind,
		Sensor:       s.Sensor,
		Class:        s.Class,
		Dim:          s.Dim,
		Key:          s.Key,
		Unit:         in.Unit,
		Day:          day,
		LastDay:      day,
		Value:        v,
		Baseline:     b.median,
		Ratio:        ratio,
		Z:            (v - b.median) / b.sigma,
		Window:       b.span,
		BaselineDays: b.n,
		WindowMax:    b.max,
		Days:         1,
		Score:        math.Min(math.Log2(ratio), maxScoreLog2Ratio) * math.Log10(1+v-b.median),
	}
}

func compareFindings(a, b Finding) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Class, b.Class); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Sensor, b.Sensor); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Dim, b.Dim); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Key, b.Key); c != 0 {
		return c
	}
	if c := a.Day.Compare(b.Day); c != 0 {
		return c
	}
	return cmp.Compare(a.Kind, b.Kind)
}

// maxScoreLog2Ratio caps the ratio's weight in Finding.Score at 4×: every
// finding has passed MinRatio (3×) already, and beyond 4× the absolute
// increase decides the order. With a higher cap (16× was tried), a few
// hundred packets of one source from a country with a zero baseline
// outranked a five-fold jump of a country from a median of 191 to 924.
const maxScoreLog2Ratio = 2
