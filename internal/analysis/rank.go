package analysis

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"
)

// RankConfig holds the settings of Rank and Significant. Start from
// DefaultRankConfig.
type RankConfig struct {
	// ZFull is the robust z-score at which a finding gets the full weight
	// of its z; below it the weight is Z / ZFull. Default 10, so a finding
	// at the least z of a spike (MinZ 5) counts half.
	ZFull float64
	// MinShare floors the share of the class's traffic in the weight, so a
	// finding never weighs less than sqrt(MinShare). Default 0.01.
	MinShare float64
	// MinSignificance is the least Finding.Significance of a finding shown
	// by default (Significant). Default 1; see DefaultRankConfig for how it
	// was chosen.
	MinSignificance float64
	// FewSources is the least number of distinct sources behind a packet
	// finding for it to keep its whole significance; a finding known to
	// come from fewer (0 < Sources < FewSources) counts a quarter for a
	// one-day spike (one scanner or one flood victim passing by, what a
	// darknet sees every day) and half for a rise (a scanner that stays is
	// news). Default 3.
	FewSources float64
}

// DefaultRankConfig returns the documented defaults. MinSignificance 1
// was measured on synthesized stores (docs/analysis.md, "Ranking"): every
// planted event scored at least 2, while on flat stretches the findings
// that pass the detection thresholds by chance score below 1 because they
// are small in absolute numbers and in their class's traffic.
func DefaultRankConfig() RankConfig {
	return RankConfig{ZFull: 10, MinShare: 0.01, MinSignificance: 2.5, FewSources: 3}
}

// Validate reports the first setting that makes no sense.
func (c RankConfig) Validate() error {
	switch {
	case !(c.ZFull > 0):
		return fmt.Errorf("rank config: z full %v, need > 0", c.ZFull)
	case !(c.MinShare > 0) || c.MinShare > 1:
		return fmt.Errorf("rank config: min share %v, need 0 < share <= 1", c.MinShare)
	case math.IsNaN(c.MinSignificance) || math.IsNaN(c.FewSources):
		return fmt.Errorf("rank config: NaN threshold")
	}
	return nil
}

// ClassKey identifies the traffic of one class at one sensor ("" for the
// sensors combined).
type ClassKey struct{ Sensor, Class string }

// ClassTotals adds up, per sensor and class, the series of dimension dim
// day by day: with the country dimension (every source has exactly one
// country, unknown included) this is the class's whole traffic per day,
// in packets or in distinct sources. Values that are NaN or infinite are
// skipped. Series of other dimensions are ignored.
func ClassTotals(series []Series, dim string) map[ClassKey][]float64 {
	out := map[ClassKey][]float64{}
	for _, s := range series {
		if s.Dim != dim {
			continue
		}
		k := ClassKey{s.Sensor, s.Class}
		t := out[k]
		if len(t) < len(s.Values) {
			t = append(t, make([]float64, len(s.Values)-len(t))...)
		}
		for d, v := range s.Values {
			if usable(v) {
				t[d] += v
			}
		}
		out[k] = t
	}
	return out
}

// Rank sets Share and Significance of every finding and sorts fs, most
// significant first (ties as Spikes orders them).
//
// Share is the finding's excess over its baseline divided by its class's
// whole traffic at its sensor over the finding's days (totals, from
// ClassTotals; day 0 is start): 0.3 means the event was 30% of everything
// the class saw then. With no total for the finding (or a total of 0) the
// share is 1.
//
// Significance = Score · min(Z/ZFull, 1) · sqrt(max(Share, MinShare)) ·
// N, divided by 4 (spike) or 2 (rise) for a packet finding known to come
// from fewer than FewSources sources. Score (see Spikes) already weighs
// the ratio (capped at 4×) and the absolute excess (log10); the z factor
// discounts findings that barely clear the noise of their baseline, the
// share factor findings that are a small part of their class (a port
// moving 200 packets in a class of a million a day), and the novelty N =
// clamp(log2(Value / max(WindowMax, 1)), 0, 1) findings of intermittent
// series that reached the same height within their baseline window (a
// sporadic scanner's country, whose median is 0 and z therefore huge, on
// one of its days). A planted event that is a tenth of its class's
// traffic, four times its baseline, twice its window's maximum and 1000
// packets over it scores 2 · 3 · 1 · 0.32 · 1 ≈ 1.9.
func Rank(fs []Finding, totals map[ClassKey][]float64, start time.Time, cfg RankConfig) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("rank: %w", err)
	}
	for i := range fs {
		f := &fs[i]
		f.Share = classShare(*f, totals[ClassKey{f.Sensor, f.Class}], start)
		zw := 0.0
		if f.Z > 0 {
			zw = math.Min(f.Z/cfg.ZFull, 1)
		}
		sig := f.Score * zw * math.Sqrt(math.Max(f.Share, cfg.MinShare)) * novelty(*f)
		if f.Unit != UnitSources && f.Sources > 0 && f.Sources < cfg.FewSources {
			if f.Kind == KindRise {
				sig /= 2
			} else {
				sig /= 4
			}
		}
		if !usable(sig) {
			sig = 0
		}
		f.Significance = sig
	}
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if c := cmp.Compare(b.Significance, a.Significance); c != 0 {
			return c
		}
		return compareFindings(a, b)
	})
	return nil
}

// novelty is the weight of a finding's value against the largest value of
// its baseline window: 0 when the series already reached it there, 1 from
// twice that up, log2(Value / max(WindowMax, 1)) between.
func novelty(f Finding) float64 {
	r := f.Value / math.Max(f.WindowMax, 1)
	return math.Min(math.Max(math.Log2(r), 0), 1)
}

// dayIndex is the calendar-day index of t counted from start.
func dayIndex(start, t time.Time) int {
	return int(math.Round(t.Sub(start).Hours() / 24))
}

func classShare(f Finding, total []float64, start time.Time) float64 {
	first, last := dayIndex(start, f.Day), dayIndex(start, f.LastDay)
	var sum float64
	for d := max(first, 0); d <= last && d < len(total); d++ {
		sum += total[d]
	}
	days := float64(max(f.Days, 1))
	excess := (f.Value - f.Baseline) * days // Value is the mean over a rise
	if !(sum > 0) || !(excess > 0) {
		return 1
	}
	if f.Kind == KindRise && last > first {
		// The class total spans every calendar day of the rise; the
		// excess only its present days.
		sum *= days / float64(last-first+1)
	}
	return math.Min(excess/sum, 1)
}

// Significant returns the findings of fs (ordered by Rank) whose
// Significance is at least min, keeping their order, and how many were
// left out.
func Significant(fs []Finding, min float64) (kept []Finding, hidden int) {
	for _, f := range fs {
		if f.Significance >= min {
			kept = append(kept, f)
		}
	}
	return kept, len(fs) - len(kept)
}

// sameEventShare is the least part of a finding's excess that must lie
// inside a more significant finding (as one of its drivers) for the two to
// be told as one event.
const sameEventShare = 0.5

// MergeEvents tells the same event seen under several keys once. fs must
// be ordered most significant first, with drivers read (Finding.Drivers).
// A finding g is folded into an earlier kept finding f of the same
// sensor, class and unit, another dimension and overlapping days, when one
// of them explains the other: a driver of f is g's key with at least half
// of g's excess (a country's spike whose port driver is the port's spike),
// or a driver of g is f's key with at least half of f's excess. g is then
// dropped and listed in f.SameEvent (its key, value and baseline). The
// input is not modified.
func MergeEvents(fs []Finding) []Finding {
	out := make([]Finding, 0, len(fs))
	for _, g := range fs {
		merged := false
		for i := range out {
			f := &out[i]
			if f.Sensor != g.Sensor || f.Class != g.Class || f.Unit != g.Unit || f.Dim == g.Dim ||
				g.Day.After(f.LastDay) || f.Day.After(g.LastDay) {
				continue
			}
			if explains(*f, g) || explains(g, *f) {
				f.SameEvent = append(slices.Clone(f.SameEvent), Driver{Dim: g.Dim, Key: g.Key, Value: g.Value, Baseline: g.Baseline})
				merged = true
				break
			}
		}
		if !merged {
			out = append(out, g)
		}
	}
	return out
}

// explains reports whether a driver of f is g's key carrying at least
// sameEventShare of g's excess. Both are compared in total over their
// days: a driver's value is its mean per calendar day of f, a finding's
// excess its mean per present day (Days), so a rise of a port over five
// days inside a country's rise of eighteen is compared as totals.
func explains(f, g Finding) bool {
	excess := (g.Value - g.Baseline) * float64(max(g.Days, 1))
	if !(excess > 0) {
		return false
	}
	fDays := math.Round(f.LastDay.Sub(f.Day).Hours()/24) + 1
	for _, d := range f.Drivers {
		if d.Dim == g.Dim && d.Key == g.Key && (d.Value-d.Baseline)*fDays >= sameEventShare*excess {
			return true
		}
	}
	return false
}
