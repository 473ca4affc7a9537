package analysis

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var day0 = time.Date(2022, 4, 1, 0, 0, 0, 0, time.FixedZone("JST", 9*3600))

// flat returns n copies of v.
func flat(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// with returns a copy of s with s[i] = v for each pair.
func with(s []float64, iv ...float64) []float64 {
	s = slices.Clone(s)
	for k := 0; k+1 < len(iv); k += 2 {
		s[int(iv[k])] = iv[k+1]
	}
	return s
}

// absent returns a presence mask of n days with the given days absent.
func absent(n int, days ...int) []bool {
	p := make([]bool, n)
	for i := range p {
		p[i] = !slices.Contains(days, i)
	}
	return p
}

func TestSpikes(t *testing.T) {
	cfg := DefaultSpikeConfig()
	week := DefaultSpikeConfig()
	week.Window = 7
	// wobble is a hand-checkable stationary baseline: its median over any
	// 7 consecutive days is 100 and its MAD 15.
	wobble := []float64{85, 100, 115, 70, 130, 100, 100, 85, 100, 115, 70, 130, 100, 100, 85, 100, 115, 70, 130, 100, 100}

	type want struct {
		kind     string
		day      int
		lastDay  int
		ongoing  bool
		baseline float64
		ratio    float64
		z        float64
		days     int
	}
	tests := []struct {
		name    string
		cfg     SpikeConfig
		values  []float64
		present []bool
		want    []want
	}{
		{
			name:   "flat baseline, planted spike",
			cfg:    cfg,
			values: with(flat(20, 100), 15, 1200),
			// Flat baseline: MAD 0, sigma floored at sqrt(100) = 10.
			want: []want{{kind: KindSpike, day: 15, lastDay: 15, baseline: 100, ratio: 12, z: 110, days: 1}},
		},
		{
			name:   "wobbling baseline, week window",
			cfg:    week,
			values: with(wobble, 14, 600),
			// Days 7..13: 85 100 115 70 130 100 100 → median 100, deviations
			// 15 0 15 30 30 0 0 → MAD 15, sigma 1.4826·15 = 22.24 (> sqrt(100)).
			want: []want{{kind: KindSpike, day: 14, lastDay: 14, baseline: 100, ratio: 6, z: 500 / (1.4826 * 15), days: 1}},
		},
		{
			name:   "too few baseline days",
			cfg:    cfg,
			values: with(flat(10, 100), 6, 5000),
		},
		{
			name:   "flat series",
			cfg:    cfg,
			values: flat(40, 1000),
		},
		{
			name:   "tiny counts never alarm",
			cfg:    cfg,
			values: with(flat(20, 2), 12, 40),
		},
		{
			name:   "increase below the minimum",
			cfg:    cfg,
			values: with(flat(20, 20), 12, 49), // ratio 2.45 vs floor... and value < 50
		},
		{
			name:   "value above minimum but increase too small",
			cfg:    cfg,
			values: with(flat(20, 25), 12, 54), // 54 ≥ 50 but 54-25 = 29 < 30
		},
		{
			name:   "from zero, ratio against the floor",
			cfg:    cfg,
			values: with(flat(20, 0), 12, 80),
			// median 0: ratio 80/10, sigma floored at MinSigma 1.
			want: []want{{kind: KindSpike, day: 12, lastDay: 12, baseline: 0, ratio: 8, z: 80, days: 1}},
		},
		{
			name: "zeros on absent days are not a baseline",
			cfg:  cfg,
			// Days 0..14: seven present days of 100, eight absent days that
			// read 0. Counting the zeros would give a median of 0 and flag 250 as
			// a 25× spike; skipping them gives a 2.5× day, no spike.
			values:  []float64{100, 0, 100, 0, 100, 0, 100, 0, 100, 0, 100, 0, 100, 0, 0, 250, 100},
			present: absent(17, 1, 3, 5, 7, 9, 11, 13, 14),
		},
		{
			name:    "absent day is never flagged",
			cfg:     cfg,
			values:  with(flat(20, 100), 15, 5000),
			present: absent(20, 15),
		},
		{
			name:    "absent days inside the baseline are skipped",
			cfg:     cfg,
			values:  with(flat(20, 100), 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8, 0, 9, 0, 10, 0, 15, 900),
			present: absent(20, 3, 4, 5, 6, 7, 8, 9, 10),
			want:    []want{{kind: KindSpike, day: 15, lastDay: 15, baseline: 100, ratio: 9, z: 80, days: 1}},
		},
		{
			name:   "NaN is treated as absent",
			cfg:    cfg,
			values: with(flat(20, 100), 8, math.NaN(), 15, 400),
			want:   []want{{kind: KindSpike, day: 15, lastDay: 15, baseline: 100, ratio: 4, z: 30, days: 1}},
		},
		{
			name:   "sustained rise, ongoing",
			cfg:    cfg,
			values: append(flat(20, 100), 250, 260, 240, 250, 270),
			want:   []want{{kind: KindRise, day: 20, lastDay: 24, ongoing: true, baseline: 100, ratio: 2.54, z: 15.4, days: 5}},
		},
		{
			name:   "rise that ended",
			cfg:    cfg,
			values: append(flat(20, 100), 250, 260, 240, 250, 100, 105, 95),
			want:   []want{{kind: KindRise, day: 20, lastDay: 23, baseline: 100, ratio: 2.5, z: 15, days: 4}},
		},
		{
			name:    "rise across an absent day",
			cfg:     cfg,
			values:  append(flat(20, 100), 250, 0, 250, 250, 100),
			present: absent(25, 21),
			want:    []want{{kind: KindRise, day: 20, lastDay: 23, baseline: 100, ratio: 2.5, z: 15, days: 3}},
		},
		{
			name:   "rise starting with a spike is one finding",
			cfg:    cfg,
			values: append(flat(20, 100), 1000, 300, 300, 300),
			want:   []want{{kind: KindRise, day: 20, lastDay: 23, ongoing: true, baseline: 100, ratio: 4.75, z: 37.5, days: 4}},
		},
		{
			name:   "two elevated days are not a rise",
			cfg:    cfg,
			values: append(flat(20, 100), 250, 250, 100, 100),
		},
		{
			name:   "two spikes",
			cfg:    cfg,
			values: with(flat(30, 100), 10, 500, 25, 2000),
			// Spike on day 10 enters the baseline of day 25; median stays 100.
			want: []want{
				{kind: KindSpike, day: 25, lastDay: 25, baseline: 100, ratio: 20, z: 190, days: 1},
				{kind: KindSpike, day: 10, lastDay: 10, baseline: 100, ratio: 5, z: 40, days: 1},
			},
		},
		{
			name: "old low level leaves the window",
			cfg:  week,
			// Level 10 for 10 days, then 400 from day 10: that is one rise
			// from day 10; with a 7-day window the baseline after day 17 is
			// 400 and the 800 on day 25 is only 2×, not a spike.
			values: with(append(flat(10, 10), flat(16, 400)...), 25, 800),
			want:   []want{{kind: KindRise, day: 10, lastDay: 25, ongoing: true, baseline: 10, ratio: (15*400 + 800) / 16.0 / 10, z: ((15*400+800)/16.0 - 10) / math.Sqrt(10), days: 16}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := SpikeInput{Start: day0, Unit: UnitPackets, Series: []Series{{Class: "mirai", Dim: DimCountry, Key: "IT", Values: tc.values, Present: tc.present}}}
			got, err := Spikes(in, tc.cfg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d findings, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				f := got[i]
				if f.Kind != w.kind || !f.Day.Equal(day0.AddDate(0, 0, w.day)) || !f.LastDay.Equal(day0.AddDate(0, 0, w.lastDay)) ||
					f.Ongoing != w.ongoing || f.Days != w.days {
					t.Errorf("finding %d: got %s %s..%s ongoing=%v days=%d, want %s day %d..%d ongoing=%v days=%d",
						i, f.Kind, f.Day.Format(time.DateOnly), f.LastDay.Format(time.DateOnly), f.Ongoing, f.Days, w.kind, w.day, w.lastDay, w.ongoing, w.days)
				}
				if !near(f.Baseline, w.baseline) || !near(f.Ratio, w.ratio) || !near(f.Z, w.z) {
					t.Errorf("finding %d: baseline %v ratio %v z %v, want %v %v %v", i, f.Baseline, f.Ratio, f.Z, w.baseline, w.ratio, w.z)
				}
				if f.Class != "mirai" || f.Dim != DimCountry || f.Key != "IT" || f.Unit != UnitPackets {
					t.Errorf("finding %d: identity %s/%s/%s/%s", i, f.Class, f.Dim, f.Key, f.Unit)
				}
				if f.Window != min(w.day, tc.cfg.Window) {
					t.Errorf("finding %d: window %d, want %d", i, f.Window, min(w.day, tc.cfg.Window))
				}
			}
		})
	}
}

func near(a, b float64) bool {
	return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b))
}

// TestBaselinesMatchNaive checks the sliding-window median and MAD against
// a sort-per-day computation on random series with random gaps.
func TestBaselinesMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, win := range []int{1, 2, 7, 28} {
		cfg := DefaultSpikeConfig()
		cfg.Window = win
		cfg.MinBaselineDays = 1
		for range 50 {
			n := 1 + rng.IntN(60)
			s := Series{Values: make([]float64, n), Present: make([]bool, n)}
			for i := range n {
				s.Values[i] = float64(rng.IntN(20)) // small range: many ties
				s.Present[i] = rng.IntN(5) != 0
			}
			var w window
			bases := make([]baseline, n)
			computeBaselines(&s, cfg, &w, bases, true)
			for d := range n {
				var vals []float64
				for j := max(0, d-win); j < d; j++ {
					if s.Present[j] {
						vals = append(vals, s.Values[j])
					}
				}
				if bases[d].n != len(vals) {
					t.Fatalf("window %d day %d: %d baseline days, want %d", win, d, bases[d].n, len(vals))
				}
				if len(vals) == 0 {
					continue
				}
				slices.Sort(vals)
				med := naiveMedian(vals)
				devs := make([]float64, len(vals))
				for i, v := range vals {
					devs[i] = math.Abs(v - med)
				}
				slices.Sort(devs)
				sigma := max(1.4826*naiveMedian(devs), math.Sqrt(med), 1)
				if bases[d].median != med || !near(bases[d].sigma, sigma) {
					t.Fatalf("window %d day %d %v: median %v sigma %v, want %v %v", win, d, vals, bases[d].median, bases[d].sigma, med, sigma)
				}
			}
		}
	}
}

func naiveMedian(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// stationary returns a seeded noisy but stationary daily count series:
// Poisson-like counting noise, a ±20% weekly cycle and log-normal
// day-to-day variation with the given spread.
func stationary(rng *rand.Rand, n int, mean, spread float64) []float64 {
	s := make([]float64, n)
	phase := rng.IntN(7)
	for i := range s {
		m := mean * (1 + 0.2*math.Sin(2*math.Pi*float64(i+phase)/7)) * math.Exp(spread*rng.NormFloat64())
		s[i] = math.Max(0, math.Round(m+math.Sqrt(m)*rng.NormFloat64()))
	}
	return s
}

func TestSpikesStationaryFalsePositives(t *testing.T) {
	const series, days = 2000, 60
	rng := rand.New(rand.NewPCG(42, 7))
	in := SpikeInput{Start: day0}
	for i := range series {
		mean := math.Exp(math.Log(20) + rng.Float64()*math.Log(5000.0/20)) // 20..5000, log-uniform
		in.Series = append(in.Series, Series{
			Class: "access", Dim: DimCountry, Key: fmt.Sprint(i),
			Values: stationary(rng, days, mean, 0.2),
		})
	}
	got, err := Spikes(in, DefaultSpikeConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// About 110,000 tested days; allow 1 finding per 500 series.
	if len(got) > series/500 {
		t.Errorf("%d findings on %d stationary series, want at most %d: %+v", len(got), series, series/500, got)
	}
	t.Logf("%d findings on %d stationary series of %d days", len(got), series, days)

	// The same series with one planted spike each are all found.
	for i := range in.Series {
		s := &in.Series[i]
		d := 30 + i%30
		s.Values[d] = math.Max(10*median(s.Values[d-28:d]), 500)
	}
	got, err = Spikes(in, DefaultSpikeConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, f := range got {
		var i int
		fmt.Sscan(f.Key, &i)
		if f.Kind == KindSpike && f.Day.Equal(day0.AddDate(0, 0, 30+i%30)) {
			found++
		}
	}
	if found != series {
		t.Errorf("found %d of %d planted spikes", found, series)
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return naiveMedian(s)
}

func TestSpikesOrderAndDrivers(t *testing.T) {
	in := SpikeInput{Start: day0, Unit: UnitSources}
	// Spike sizes grow with the key index; key 9 is the largest.
	for k := range 10 {
		in.Series = append(in.Series, Series{
			Class: "mirai", Dim: DimCountry, Key: fmt.Sprintf("C%d", k),
			Values: with(flat(20, 100), 12, float64(400+100*k)),
		})
	}
	cfg := DefaultSpikeConfig()
	cfg.DriverTopN = 3
	var calls []string
	drv := func(f Finding) ([]Driver, error) {
		calls = append(calls, f.Key)
		return []Driver{{Dim: DimASN, Key: "AS" + f.Key, Value: f.Value / 2}}, nil
	}
	got, err := Spikes(in, cfg, drv)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 10 {
		t.Fatalf("got %d findings, want 10", len(got))
	}
	for i, f := range got {
		if want := fmt.Sprintf("C%d", 9-i); f.Key != want {
			t.Errorf("finding %d is %s, want %s", i, f.Key, want)
		}
		if i > 0 && f.Score > got[i-1].Score {
			t.Errorf("finding %d scores %v above finding %d (%v)", i, f.Score, i-1, got[i-1].Score)
		}
		if f.Unit != UnitSources {
			t.Errorf("finding %d unit %q", i, f.Unit)
		}
		wantDrivers := i < 3
		if (len(f.Drivers) > 0) != wantDrivers || (wantDrivers && f.Drivers[0].Key != "AS"+f.Key) {
			t.Errorf("finding %d (%s) drivers %+v", i, f.Key, f.Drivers)
		}
	}
	if !slices.Equal(calls, []string{"C9", "C8", "C7"}) {
		t.Errorf("driver calls %v", calls)
	}

	cfg.MaxFindings = 2
	got, err = Spikes(in, cfg, nil)
	if err != nil || len(got) != 2 || got[0].Key != "C9" {
		t.Errorf("max findings 2: %v %+v", err, got)
	}

	// A failing driver query keeps the findings and reports the error.
	boom := errors.New("store closed")
	cfg.MaxFindings = 0
	got, err = Spikes(in, cfg, func(Finding) ([]Driver, error) { return nil, boom })
	if !errors.Is(err, boom) || len(got) != 10 || !strings.Contains(err.Error(), "C9") {
		t.Errorf("failing drivers: err %v, %d findings", err, len(got))
	}
}

func TestSpikesInvalid(t *testing.T) {
	good := SpikeInput{Start: day0, Series: []Series{{Class: "mirai", Dim: DimPort, Key: "23/tcp", Values: flat(5, 1)}}}
	bad := SpikeInput{Start: day0, Series: []Series{{Class: "mirai", Dim: DimPort, Key: "23/tcp", Values: flat(5, 1), Present: absent(4)}}}
	mod := func(f func(*SpikeConfig)) SpikeConfig { c := DefaultSpikeConfig(); f(&c); return c }
	tests := []struct {
		name string
		in   SpikeInput
		cfg  SpikeConfig
		msg  string
	}{
		{"presence length", bad, DefaultSpikeConfig(), "23/tcp"},
		{"zero config", good, SpikeConfig{}, "window"},
		{"baseline days above window", good, mod(func(c *SpikeConfig) { c.MinBaselineDays = 30 }), "min baseline days"},
		{"rise factor", good, mod(func(c *SpikeConfig) { c.RiseFactor = 1 }), "rise factor"},
		{"rise days", good, mod(func(c *SpikeConfig) { c.RiseMinDays = 1 }), "rise min days"},
		{"NaN threshold", good, mod(func(c *SpikeConfig) { c.MinZ = math.NaN() }), "NaN"},
		{"negative limit", good, mod(func(c *SpikeConfig) { c.DriverTopN = -1 }), "limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Spikes(tc.in, tc.cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want one mentioning %q", err, tc.msg)
			}
		})
	}
	// Empty and very short inputs are fine.
	for _, in := range []SpikeInput{{}, {Series: []Series{{}}}, {Series: []Series{{Values: []float64{1}}}}} {
		if got, err := Spikes(in, DefaultSpikeConfig(), nil); err != nil || len(got) != 0 {
			t.Errorf("%+v: %v %v", in, got, err)
		}
	}
}

// BenchmarkSpikes runs spike detection over 30 days × 3 dimensions × 300
// keys × 6 classes (5,400 series), with a driver callback that returns at
// once.
func BenchmarkSpikes(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	in := SpikeInput{Start: day0}
	for _, class := range []string{"access", "mirai", "zmap", "masscan", "backscatter", "exploit"} {
		for _, dim := range []string{DimCountry, DimPort, DimASN} {
			for k := range 300 {
				s := stationary(rng, 30, math.Exp(rng.Float64()*9), 0.3)
				if k%50 == 0 {
					s[20] *= 20
				}
				in.Series = append(in.Series, Series{Class: class, Dim: dim, Key: fmt.Sprint(k), Values: s})
			}
		}
	}
	drv := func(Finding) ([]Driver, error) { return nil, nil }
	cfg := DefaultSpikeConfig()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Spikes(in, cfg, drv); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSpikeRanking: a five-fold jump of a busy series outranks a burst of a
// few hundred packets from a zero baseline (the case of a country at one
// sensor going from a median of 191 to 924, listed below single-source
// bursts of 266 packets from countries that were silent before).
func TestSpikeRanking(t *testing.T) {
	in := SpikeInput{Start: day0, Unit: UnitPackets, Series: []Series{
		{Class: "mirai", Dim: DimCountry, Key: "TZ", Values: with(flat(20, 0), 15, 266)},
		{Class: "mirai", Dim: DimCountry, Key: "MX", Values: with(stationaryFixed(20, 191, 12), 15, 924)},
	}}
	got, err := Spikes(in, DefaultSpikeConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, f := range got {
		keys = append(keys, f.Key)
	}
	if !slices.Equal(keys, []string{"MX", "TZ"}) {
		t.Errorf("order %v, want [MX TZ]", keys)
	}
}

// stationaryFixed is a deterministic series around mean: mean−spread,
// mean, mean+spread repeating.
func stationaryFixed(n int, mean, spread float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = mean + spread*float64(i%3-1)
	}
	return v
}

// TestSpikesSourcesFloor: distinct sources are counted in tens, not
// thousands; the sources defaults find a country going from 7 to 45
// sources, which the packet floor (50) would miss.
func TestSpikesSourcesFloor(t *testing.T) {
	tests := []struct {
		name string
		unit Unit
		vals []float64
		want int
	}{
		{"sources 7 to 45", UnitSources, with(stationaryFixed(20, 7, 1), 15, 45), 1},
		{"sources 0 to 12 is below 3× the floor", UnitSources, with(flat(20, 0), 15, 12), 0},
		{"sources 0 to 15", UnitSources, with(flat(20, 0), 15, 15), 1},
		{"packets 7 to 45 is below the packet floor", UnitPackets, with(stationaryFixed(20, 7, 1), 15, 45), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := SpikeInput{Start: day0, Unit: tc.unit, Series: []Series{{Class: "mirai", Dim: DimCountry, Key: "MX", Values: tc.vals}}}
			got, err := Spikes(in, DefaultSpikeConfigFor(tc.unit), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want {
				t.Errorf("%d findings, want %d: %+v", len(got), tc.want, got)
			}
		})
	}
}

func TestMergeSensors(t *testing.T) {
	d := func(i int) time.Time { return day0.AddDate(0, 0, i) }
	f := func(sensor, key string, day, last int) Finding {
		return Finding{Sensor: sensor, Class: "mirai", Dim: DimCountry, Key: key, Day: d(day), LastDay: d(last)}
	}
	in := []Finding{
		f("open", "MX", 5, 5),
		f("dom", "MX", 5, 5),  // same event at another sensor: merged
		f("dom", "MX", 9, 9),  // another day: kept
		f("open", "MX", 9, 9), // merged into the one above
		f("dom", "IT", 3, 6),  // rise
		f("open", "IT", 6, 6), // overlaps the rise: merged
		f("open", "IT", 7, 7), // after it: kept
		f("open", "IT", 3, 3), // overlaps the rise too: merged, open named once
		f("dom", "IT", 7, 7),  // the day-7 event at the other sensor: merged into it
	}
	got := MergeSensors(in)
	type row struct {
		sensor, key string
		day         int
		also        string
	}
	var rows []row
	for _, g := range got {
		rows = append(rows, row{g.Sensor, g.Key, daysBetweenTest(g.Day), strings.Join(g.AlsoAt, ",")})
	}
	want := []row{{"open", "MX", 5, "dom"}, {"dom", "MX", 9, "open"}, {"dom", "IT", 3, "open"}, {"open", "IT", 7, "dom"}}
	if !slices.Equal(rows, want) {
		t.Errorf("got %v\nwant %v", rows, want)
	}
	if len(in[0].AlsoAt) != 0 {
		t.Error("input modified")
	}
}

func daysBetweenTest(t time.Time) int { return int(t.Sub(day0).Hours() / 24) }

func TestDemoteFewSources(t *testing.T) {
	fs := []Finding{
		{Key: "A", Sources: 1},
		{Key: "B", Sources: 0}, // unknown: stays
		{Key: "C", Sources: 40},
		{Key: "D", Sources: 2},
		{Key: "E", Sources: 1, Unit: UnitSources}, // counts sources already
	}
	DemoteFewSources(fs, 3)
	var keys []string
	for _, f := range fs {
		keys = append(keys, f.Key)
	}
	if want := []string{"B", "C", "E", "A", "D"}; !slices.Equal(keys, want) {
		t.Errorf("order %v, want %v", keys, want)
	}
}
