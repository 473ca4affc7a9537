package analysis

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// SensorData is what one sensor saw over the comparison period.
type SensorData struct {
	// Name identifies the sensor in the output.
	Name string
	// Addresses is the number of monitored destination addresses.
	Addresses int
	// Daily holds the packets of all classes per day of the period.
	Daily []float64
	// Present flags the days with data (nil: all present). It must be as
	// long as Daily; absent days are left out of every per-day figure.
	Present []bool
	// Classes holds the per-class totals, keyed by class name.
	Classes map[string]ClassData
}

// ClassData is one class as one sensor saw it over the period.
type ClassData struct {
	// Countries maps a country code to its total over the period.
	Countries map[string]float64
	// CountryDaily maps a country code to its daily series over the
	// period (as long as SensorData.Daily). Optional: without it there is
	// no daily correlation.
	CountryDaily map[string][]float64
	// Ports maps a port key ("23/tcp") to its total over the period.
	Ports map[string]float64
}

// CompareConfig holds the settings of Compare.
type CompareConfig struct {
	// TopN is how many countries of each sensor enter the side-by-side
	// share table (the table holds the union of both top lists).
	// Default 10.
	TopN int
	// SimilarityTopN is how many countries of each sensor enter the rank
	// correlation (over the union of both top lists). Default 20, also
	// when left 0; see
	// Compare for why the long tail is left out.
	SimilarityTopN int
}

// DefaultCompareConfig returns the documented defaults.
func DefaultCompareConfig() CompareConfig { return CompareConfig{TopN: 10, SimilarityTopN: 20} }

// ShareRow is one country in the side-by-side share table.
type ShareRow struct {
	Country        string  // country code
	CountA, CountB float64 // totals at sensor A and B
	ShareA, ShareB float64 // fraction of the class total at A and B (0..1)
}

// ClassComparison compares one class between two sensors.
type ClassComparison struct {
	Class          string  // class name
	TotalA, TotalB float64 // class totals at A and B
	// Shares is the union of both sensors' TopN countries, ordered by
	// ShareA+ShareB descending, then country code.
	Shares []ShareRow
	// Spearman is the rank correlation of the two sensors' country totals
	// over the union of both sensors' SimilarityTopN countries (a country
	// missing at one sensor counts as 0 there); NaN when it is undefined
	// (fewer than two countries, or all counts equal at one sensor). See
	// Compare for why ranks and why the top countries only.
	Spearman float64
	// Countries is the number of countries in that union.
	Countries int
	// DailyCorrelation is the mean over the countries of Shares that have
	// a daily series at both sensors of the Pearson correlation of those
	// two series over days present at both; NaN when no country
	// qualifies. DailyCountries is how many countries entered the mean.
	DailyCorrelation float64
	DailyCountries   int
	// OnlyA and OnlyB are the countries seen by one sensor only, largest
	// first; PortsOnlyA and PortsOnlyB the same for ports.
	OnlyA, OnlyB           []string
	PortsOnlyA, PortsOnlyB []string
}

// SensorSummary is the volume of one sensor over the period.
type SensorSummary struct {
	Name        string
	Addresses   int
	PresentDays int     // days with data
	Packets     float64 // packets over present days
	// PerDayPerAddress is Packets / PresentDays / Addresses: how many
	// packets one monitored address received on an average day, the figure
	// that makes sensors of different sizes comparable. NaN when there are
	// no present days or no addresses.
	PerDayPerAddress float64
	// DailyPerAddress is the same per day (NaN on absent days).
	DailyPerAddress []float64
}

// Comparison is the result of Compare.
type Comparison struct {
	A, B    SensorSummary
	Classes []ClassComparison // classes seen by either sensor, by name
}

// Compare sets two sensors side by side over the same period.
//
// Method. For each class seen by either sensor:
//
//   - Shares: each sensor's country totals are turned into shares of that
//     sensor's class total, and the union of both sensors' TopN countries is
//     listed side by side.
//   - Similarity: one figure per class, Spearman's rank correlation between
//     the two sensors' country totals over the union of the two sensors'
//     SimilarityTopN (20) countries, a country missing at one sensor
//     counting as 0 there. The long tail is left out on purpose: some two
//     hundred countries send each sensor a few packets, and their order is
//     noise (a handful of packets either way, many ties at 1 or 2), yet
//     they are most of the ranks; over all countries two sensors whose top
//     shares nearly coincide scored 0.2, over their top 20 0.94. Twenty
//     covers the countries a report shows (its top 10 and the charts' top
//     8) with room for the two sensors to disagree.
//     Ranks are averaged over ties, and the figure is the Pearson
//     correlation of the ranks. Ranks are used because the sensors differ
//     hugely in volume and in how concentrated their traffic is (an open
//     sensor may see a hundred times the packets of one that accepts only
//     domestic sources, and a single country can dominate one of them):
//     Pearson's correlation on raw counts is driven by the one or two
//     largest countries and by that volume difference, whereas rank
//     correlation asks only whether the two sensors order the source
//     countries the same way. 1 means the same order, 0 no relation, −1
//     the reverse order.
//   - Daily co-movement: for each country in the share table with a daily
//     series at both sensors, the Pearson correlation of the two daily
//     series over the days present at both (scale does not matter to it,
//     only whether the days go up and down together), averaged over those
//     countries. Countries whose series is constant at either sensor are
//     left out (their correlation is undefined).
//   - Countries and ports seen by only one sensor are listed, largest
//     first.
//
// For each sensor, the packets per day per monitored address normalise the
// total volume by the size of the sensor and the number of present days.
func Compare(a, b SensorData, cfg CompareConfig) (Comparison, error) {
	if cfg.SimilarityTopN == 0 {
		cfg.SimilarityTopN = DefaultCompareConfig().SimilarityTopN
	}
	if cfg.TopN < 1 || cfg.SimilarityTopN < 2 {
		return Comparison{}, fmt.Errorf("compare: top N %d and similarity top N %d, need at least 1 and 2", cfg.TopN, cfg.SimilarityTopN)
	}
	if err := checkSensor(a); err != nil {
		return Comparison{}, err
	}
	if err := checkSensor(b); err != nil {
		return Comparison{}, err
	}
	if len(a.Daily) != len(b.Daily) {
		return Comparison{}, fmt.Errorf("compare: sensor %q has %d days, sensor %q has %d; compare the same period",
			a.Name, len(a.Daily), b.Name, len(b.Daily))
	}
	out := Comparison{A: summarise(a), B: summarise(b)}
	classes := slices.Sorted(maps.Keys(a.Classes))
	for c := range b.Classes {
		if _, ok := a.Classes[c]; !ok {
			classes = append(classes, c)
		}
	}
	slices.Sort(classes)
	for _, c := range classes {
		out.Classes = append(out.Classes, compareClass(c, a, b, cfg))
	}
	return out, nil
}

func checkSensor(s SensorData) error {
	if s.Present != nil && len(s.Present) != len(s.Daily) {
		return fmt.Errorf("compare: sensor %q: %d days but %d presence flags", s.Name, len(s.Daily), len(s.Present))
	}
	if s.Addresses < 0 {
		return fmt.Errorf("compare: sensor %q: negative address count %d", s.Name, s.Addresses)
	}
	for class, cd := range s.Classes {
		for cc, series := range cd.CountryDaily {
			if len(series) != len(s.Daily) {
				return fmt.Errorf("compare: sensor %q class %s country %s: daily series of %d days, period has %d",
					s.Name, class, cc, len(series), len(s.Daily))
			}
		}
	}
	return nil
}

func summarise(s SensorData) SensorSummary {
	sum := SensorSummary{Name: s.Name, Addresses: s.Addresses, DailyPerAddress: make([]float64, len(s.Daily))}
	for i, v := range s.Daily {
		if (s.Present != nil && !s.Present[i]) || !usable(v) {
			sum.DailyPerAddress[i] = math.NaN()
			continue
		}
		sum.PresentDays++
		sum.Packets += v
		sum.DailyPerAddress[i] = perAddress(v, s.Addresses)
	}
	sum.PerDayPerAddress = math.NaN()
	if sum.PresentDays > 0 {
		sum.PerDayPerAddress = perAddress(sum.Packets/float64(sum.PresentDays), s.Addresses)
	}
	return sum
}

func perAddress(v float64, addresses int) float64 {
	if addresses <= 0 {
		return math.NaN()
	}
	return v / float64(addresses)
}

func compareClass(class string, a, b SensorData, cfg CompareConfig) ClassComparison {
	ca, cb := a.Classes[class], b.Classes[class]
	cc := ClassComparison{Class: class, TotalA: total(ca.Countries), TotalB: total(cb.Countries)}

	union := topUnion(ca.Countries, cb.Countries, cfg.SimilarityTopN)
	cc.Countries = len(union)
	xa, xb := make([]float64, len(union)), make([]float64, len(union))
	for i, k := range union {
		xa[i], xb[i] = ca.Countries[k], cb.Countries[k]
	}
	cc.Spearman = Spearman(xa, xb)

	top := map[string]bool{}
	for _, k := range topKeys(ca.Countries, cfg.TopN) {
		top[k] = true
	}
	for _, k := range topKeys(cb.Countries, cfg.TopN) {
		top[k] = true
	}
	for k := range top {
		cc.Shares = append(cc.Shares, ShareRow{
			Country: k,
			CountA:  ca.Countries[k], CountB: cb.Countries[k],
			ShareA: share(ca.Countries[k], cc.TotalA), ShareB: share(cb.Countries[k], cc.TotalB),
		})
	}
	slices.SortFunc(cc.Shares, func(x, y ShareRow) int {
		if c := cmp.Compare(y.ShareA+y.ShareB, x.ShareA+x.ShareB); c != 0 {
			return c
		}
		return cmp.Compare(x.Country, y.Country)
	})

	cc.DailyCorrelation = math.NaN()
	var sum float64
	for _, row := range cc.Shares {
		sa, okA := ca.CountryDaily[row.Country]
		sb, okB := cb.CountryDaily[row.Country]
		if !okA || !okB {
			continue
		}
		if r := dailyCorrelation(sa, sb, a.Present, b.Present); !math.IsNaN(r) {
			sum += r
			cc.DailyCountries++
		}
	}
	if cc.DailyCountries > 0 {
		cc.DailyCorrelation = sum / float64(cc.DailyCountries)
	}

	cc.OnlyA, cc.OnlyB = onlyIn(ca.Countries, cb.Countries), onlyIn(cb.Countries, ca.Countries)
	cc.PortsOnlyA, cc.PortsOnlyB = onlyIn(ca.Ports, cb.Ports), onlyIn(cb.Ports, ca.Ports)
	return cc
}

func dailyCorrelation(sa, sb []float64, pa, pb []bool) float64 {
	var x, y []float64
	for i := range sa {
		if (pa != nil && !pa[i]) || (pb != nil && !pb[i]) || !usable(sa[i]) || !usable(sb[i]) {
			continue
		}
		x = append(x, sa[i])
		y = append(y, sb[i])
	}
	return pearson(x, y)
}

// pearson is stat.Correlation with NaN for fewer than two points or a
// constant series (where the correlation is undefined).
func pearson(x, y []float64) float64 {
	if len(x) < 2 || constant(x) || constant(y) {
		return math.NaN()
	}
	return stat.Correlation(x, y, nil)
}

func constant(x []float64) bool {
	for _, v := range x[1:] {
		if v != x[0] {
			return false
		}
	}
	return true
}

// Spearman returns Spearman's rank correlation of x and y: the Pearson
// correlation of their ranks, ties getting the mean of the ranks they span.
// It returns NaN when the slices differ in length, hold fewer than two
// values, or either is constant. NaN values are not expected; callers pass
// counts.
func Spearman(x, y []float64) float64 {
	if len(x) != len(y) {
		return math.NaN()
	}
	return pearson(Ranks(x), Ranks(y))
}

// Ranks returns the 1-based ranks of x in ascending order, tied values
// getting the mean of the ranks they span: Ranks({10, 20, 20, 5}) is
// {2, 3.5, 3.5, 1}. gonum has no ranking function, hence this one.
func Ranks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int { return cmp.Compare(x[i], x[j]) })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && x[idx[j]] == x[idx[i]] {
			j++
		}
		// Positions i..j-1 (0-based) share ranks i+1..j; their mean:
		mean := float64(i+1+j) / 2
		for k := i; k < j; k++ {
			r[idx[k]] = mean
		}
		i = j
	}
	return r
}

func total(m map[string]float64) float64 {
	var t float64
	for _, v := range m {
		if usable(v) {
			t += v
		}
	}
	return t
}

func share(v, t float64) float64 {
	if t <= 0 {
		return 0
	}
	return v / t
}

// topUnion returns the union of the n largest keys of a and of b, sorted.
func topUnion(a, b map[string]float64, n int) []string {
	keys := topKeys(a, n)
	for _, k := range topKeys(b, n) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// topKeys returns up to n keys with a positive count, largest first (ties by
// key).
func topKeys(m map[string]float64, n int) []string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	sortByCount(keys, m)
	return keys[:min(n, len(keys))]
}

func sortByCount(keys []string, m map[string]float64) {
	slices.SortFunc(keys, func(x, y string) int {
		if c := cmp.Compare(m[y], m[x]); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
}

// onlyIn returns the keys with a positive count in a and none in b, largest
// first.
func onlyIn(a, b map[string]float64) []string {
	var keys []string
	for k, v := range a {
		if v > 0 && !(b[k] > 0) {
			keys = append(keys, k)
		}
	}
	sortByCount(keys, a)
	return keys
}
