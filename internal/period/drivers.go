package period

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/store"
)

// DriverTopN is the default number of drivers per dimension Drivers
// returns.
const DriverTopN = 3

// driverLead is the least share of the finding's excess over its baseline
// a driver's own excess must reach to lead the list.
const driverLead = 0.1

// findingSensors is the sensors a finding is about: its own, or the
// selected ones for a finding of all of them.
func (s *Source) findingSensors(f analysis.Finding) []string {
	if f.Sensor != "" {
		return []string{f.Sensor}
	}
	return s.sensors
}

// Drivers returns what drove a finding: within the finding's series (its
// class and key) on its day (over its days for a rise), the top ASNs,
// destination ports, IPv4 /24 prefixes and sources, each with its value and
// its own baseline (the median over the finding's baseline window, absent
// days of the key counting as 0). A dimension equal to the finding's own is
// skipped, and AS 0 (unknown) is never a driver.
//
// A finding of one sensor (Finding.Sensor set) is explained by that
// sensor's traffic only.
//
// Order is by contribution, the driver's excess over its own baseline
// (value − baseline): the key of each dimension with the largest excess
// comes first when that excess is at least a tenth of the finding's (these
// are the ones a sentence names, one per dimension so that they say
// different things), largest excess first; then the remaining keys, largest
// excess first.
func (s *Source) Drivers(ctx context.Context, f analysis.Finding, topN int) ([]analysis.Driver, error) {
	if topN < 1 {
		topN = DriverTopN
	}
	unit, err := toStoreUnit(f.Unit)
	if err != nil {
		return nil, fmt.Errorf("drivers: %w", err)
	}
	dim, err := storeDim(f.Dim)
	if err != nil || dim == DimSensor {
		return nil, fmt.Errorf("drivers: unknown dimension %q", f.Dim)
	}
	key, err := parseKey(f.Dim, f.Key)
	if err != nil {
		return nil, fmt.Errorf("drivers: %w", err)
	}
	first, last := s.Day(f.Day), s.Day(f.LastDay)
	last = max(last, first)
	days := float64(last.Sub(first) + 1)
	window := max(f.Window, 1)
	baseFrom := first.AddDays(-window)
	q := store.BreakdownQuery{Selection: store.Selection{Sensors: s.findingSensors(f), From: baseFrom, To: last},
		Class: f.Class, Dim: dim, Key: key, Unit: unit}
	rows, err := s.r.Breakdown(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("drivers of %s/%s/%s: %w", f.Class, f.Dim, f.Key, err)
	}
	// Rows are summed by typed key (a month's breakdown has some hundred
	// thousand rows, mostly /24s); keys become text only for the drivers
	// that can make the top (topDrivers).
	type acc struct {
		now  float64
		base []float64 // by window day: index i is day first − window + i
	}
	dimOf := func(d string) string {
		switch d {
		case store.DimASN:
			return analysis.DimASN
		case store.DimPort:
			return analysis.DimPort
		case store.DimPrefix:
			return analysis.DimPrefix
		}
		return ""
	}
	dims := map[string]map[store.Key]*acc{}
	var arena []float64
	for _, r := range rows {
		d := dimOf(r.Dim)
		if d == "" || d == f.Dim || (r.Dim == store.DimASN && r.Key.ASN == 0) {
			continue
		}
		m := dims[d]
		if m == nil {
			m = map[store.Key]*acc{}
			dims[d] = m
		}
		a := m[r.Key]
		if a == nil {
			if len(arena) < window {
				arena = make([]float64, window*max(256, len(rows)/8))
			}
			a = &acc{base: arena[:window:window]}
			arena = arena[window:]
			m[r.Key] = a
		}
		if i := r.Day.Sub(first); i >= 0 {
			a.now += r.Value // divided by days once summed: the same in any row order
		} else if i += window; i >= 0 {
			a.base[i] += r.Value
		}
	}
	// A driver's baseline is its median over the window's days with data
	// (at the finding's sensor, or at every sensor for combined series), as
	// for the finding itself: days without data are skipped, not zeros.
	cov, err := s.Coverage(ctx, Range{From: baseFrom, To: first.AddDays(-1)})
	if err != nil {
		return nil, fmt.Errorf("drivers: %w", err)
	}
	present := PresentAll(cov, window, 0, window)
	if f.Sensor != "" {
		present = SensorPresent(cov, window)[f.Sensor] // nil (no day) for an unknown sensor
	}
	q.From = first
	top, err := s.r.TopSources(ctx, q, topN)
	if err != nil {
		return nil, fmt.Errorf("drivers: %w", err)
	}
	srcs := make([]analysis.Driver, len(top))
	for i, t := range top {
		v := t.Packets / days
		if f.Unit == analysis.UnitSources {
			v = 1
		}
		srcs[i] = analysis.Driver{Dim: analysis.DimSource, Key: t.Addr, Value: v}
	}
	excess := f.Value - f.Baseline
	if !(excess > 0) {
		excess = f.Value
	}
	var lead, rest []analysis.Driver
	for _, dd := range []struct{ dim, sdim string }{{analysis.DimASN, store.DimASN}, {analysis.DimPort, store.DimPort},
		{analysis.DimPrefix, store.DimPrefix}, {analysis.DimSource, ""}} {
		dim := dd.dim
		var ds []analysis.Driver
		if dim == analysis.DimSource {
			ds = srcs
		} else {
			var cands []driverCand
			var base []float64
			for k, a := range dims[dim] {
				if a.now <= 0 {
					continue
				}
				base = base[:0]
				for i, ok := range present {
					if ok {
						base = append(base, a.base[i])
					}
				}
				slices.Sort(base)
				cands = append(cands, driverCand{key: k, value: a.now / days, baseline: median(base)})
			}
			ds = topDrivers(dim, dd.sdim, cands, topN)
		}
		slices.SortFunc(ds, byExcess)
		ds = ds[:min(len(ds), topN)]
		if len(ds) > 0 && ds[0].Value-ds[0].Baseline >= driverLead*excess {
			lead = append(lead, ds[0])
			ds = ds[1:]
		}
		rest = append(rest, ds...)
	}
	slices.SortStableFunc(lead, byExcess)
	slices.SortStableFunc(rest, byExcess)
	return append(lead, rest...), nil
}

// driverCand is a driver before its key is text.
type driverCand struct {
	key             store.Key
	value, baseline float64
}

// topDrivers returns the candidates of dimension dim (sdim in the store)
// that byExcess puts
// first, at least topN of them when there are (all that tie with the
// topN-th by excess and value: their order is by key text, which is only
// formatted for them).
func topDrivers(dim, sdim string, cands []driverCand, topN int) []analysis.Driver {
	byNumbers := func(a, b driverCand) int {
		return cmp.Or(cmp.Compare(b.value-b.baseline, a.value-a.baseline), cmp.Compare(b.value, a.value))
	}
	if len(cands) > topN {
		slices.SortFunc(cands, byNumbers)
		n := topN
		for n < len(cands) && byNumbers(cands[n], cands[topN-1]) == 0 {
			n++
		}
		cands = cands[:n]
	}
	ds := make([]analysis.Driver, len(cands))
	for i, c := range cands {
		ds[i] = analysis.Driver{Dim: dim, Key: keyString(sdim, c.key), Value: c.value, Baseline: c.baseline}
	}
	return ds
}

// byExcess orders drivers by excess over their baseline, largest first,
// then by value and key.
func byExcess(a, b analysis.Driver) int {
	return cmp.Or(cmp.Compare(b.Value-b.Baseline, a.Value-a.Baseline), cmp.Compare(b.Value, a.Value),
		cmp.Compare(a.Dim, b.Dim), cmp.Compare(a.Key, b.Key))
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// AddDrivers reads the drivers of each finding of fs (in place), two
// findings at a time.
func (s *Source) AddDrivers(ctx context.Context, fs []analysis.Finding) error {
	errs := make([]error, len(fs))
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range min(2, len(fs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				fs[i].Drivers, errs[i] = s.Drivers(ctx, fs[i], DriverTopN)
			}
		}()
	}
	for i := range fs {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return errors.Join(errs...)
}
