package analysis

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestSpearman(t *testing.T) {
	tests := []struct {
		name string
		x, y []float64
		want float64 // NaN: undefined
	}{
		{"same order, different scale", []float64{1, 2, 3, 4, 5}, []float64{100, 2000, 30000, 400000, 5e6}, 1},
		{"reverse order", []float64{1, 2, 3, 4}, []float64{9, 7, 5, 3}, -1},
		// No ties: 1 − 6Σd²/(n(n²−1)) with d = (0, −1, 1, 0): 1 − 12/60.
		{"one swap", []float64{10, 20, 30, 40}, []float64{1, 3, 2, 4}, 0.8},
		// y ranks (1, 2, 3.5, 5, 3.5): Σdxdy = 8, Σdx² = 10, Σdy² = 9.5.
		{"ties in y", []float64{1, 2, 3, 4, 5}, []float64{5, 6, 7, 8, 7}, 8 / math.Sqrt(95)},
		// x ranks (1.5, 1.5, 3, 4), y ranks (2, 2, 2, 4): Σdxdy = 3,
		// Σdx² = 4.5, Σdy² = 3.
		{"ties in both", []float64{1, 1, 2, 3}, []float64{2, 2, 2, 5}, 3 / math.Sqrt(13.5)},
		{"constant", []float64{1, 2, 3}, []float64{4, 4, 4}, math.NaN()},
		{"one value", []float64{1}, []float64{2}, math.NaN()},
		{"lengths differ", []float64{1, 2, 3}, []float64{1, 2}, math.NaN()},
		{"empty", nil, nil, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Spearman(tc.x, tc.y)
			if math.IsNaN(tc.want) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tc.want) > 1e-12) {
				t.Errorf("Spearman = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRanks(t *testing.T) {
	tests := []struct{ in, want []float64 }{
		{[]float64{10, 20, 20, 5}, []float64{2, 3.5, 3.5, 1}},
		{[]float64{3, 3, 3}, []float64{2, 2, 2}},
		{[]float64{0, 7, 0, 7, 0}, []float64{2, 4.5, 2, 4.5, 2}},
		{nil, []float64{}},
	}
	for _, tc := range tests {
		if got := Ranks(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Ranks(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestCompare(t *testing.T) {
	open := SensorData{
		Name: "open", Addresses: 256,
		Daily:   []float64{1000, 2000, 3000, 4000, 5000, 6000},
		Present: nil,
		Classes: map[string]ClassData{
			"mirai": {
				Countries: map[string]float64{"ID": 50000, "VN": 30000, "US": 20000, "CN": 10000, "BR": 500},
				CountryDaily: map[string][]float64{
					"US": {1, 2, 3, 4, 5, 100},
					"CN": {5, 4, 3, 2, 1, 0},
					"ID": {1, 1, 1, 1, 1, 1}, // constant: left out of the mean
				},
				Ports: map[string]float64{"445/tcp": 900, "23/tcp": 100, "8080/tcp": 3},
			},
			"access": {Countries: map[string]float64{"ID": 10}},
		},
	}
	domestic := SensorData{
		Name: "domestic", Addresses: 16,
		Daily:   []float64{10, 20, 30, 40, 50, 99999},
		Present: []bool{true, true, true, true, true, false},
		Classes: map[string]ClassData{
			"mirai": {
				Countries: map[string]float64{"US": 300, "CN": 200, "ID": 100, "JP": 50},
				CountryDaily: map[string][]float64{
					"US": {10, 20, 30, 40, 50, 0}, // day 5 absent: r = 1 over days 0..4
					"CN": {1, 2, 3, 4, 5, 0},
					"ID": {3, 1, 4, 1, 5, 9},
				},
				Ports: map[string]float64{"23/tcp": 50, "2323/tcp": 5, "8080/tcp": 0},
			},
			"exploit": {Countries: map[string]float64{"US": 1}},
		},
	}
	got, err := Compare(open, domestic, CompareConfig{TopN: 3})
	if err != nil {
		t.Fatal(err)
	}

	// Volumes: open 21000 packets over 6 days on 256 addresses; domestic
	// 150 packets over its 5 present days on 16 addresses.
	if got.A.Packets != 21000 || got.A.PresentDays != 6 || !near(got.A.PerDayPerAddress, 21000.0/6/256) {
		t.Errorf("sensor A summary %+v", got.A)
	}
	if got.B.Packets != 150 || got.B.PresentDays != 5 || !near(got.B.PerDayPerAddress, 150.0/5/16) {
		t.Errorf("sensor B summary %+v", got.B)
	}
	if !math.IsNaN(got.B.DailyPerAddress[5]) || got.B.DailyPerAddress[1] != 20.0/16 {
		t.Errorf("sensor B daily per address %v", got.B.DailyPerAddress)
	}

	var names []string
	for _, c := range got.Classes {
		names = append(names, c.Class)
	}
	if !slices.Equal(names, []string{"access", "exploit", "mirai"}) {
		t.Fatalf("classes %v", names)
	}
	m := got.Classes[2]
	if m.TotalA != 110500 || m.TotalB != 650 || m.Countries != 6 {
		t.Errorf("totals %v %v, %d countries", m.TotalA, m.TotalB, m.Countries)
	}
	// Union BR CN ID JP US VN. Open (500, 10000, 50000, 0, 20000, 30000)
	// ranks (2, 3, 6, 1, 4, 5); domestic (0, 200, 100, 50, 300, 0) ranks
	// (1.5, 5, 4, 3, 6, 1.5). Deviations from 3.5: Σdxdy = 3, Σdx² = 17.5,
	// Σdy² = 17.
	if want := 3 / math.Sqrt(17.5*17); math.Abs(m.Spearman-want) > 1e-12 {
		t.Errorf("Spearman %v, want %v", m.Spearman, want)
	}
	// Top 3: open ID VN US, domestic US CN ID. Summed shares: US
	// 20000/110500 + 300/650 = 0.643, ID 0.606, CN 0.398, VN 0.271.
	var rows []string
	for _, r := range m.Shares {
		rows = append(rows, r.Country)
	}
	if !slices.Equal(rows, []string{"US", "ID", "CN", "VN"}) {
		t.Errorf("share rows %v", rows)
	}
	if r := m.Shares[3]; r.CountA != 30000 || r.CountB != 0 || !near(r.ShareA, 30000.0/110500) || r.ShareB != 0 {
		t.Errorf("VN row %+v", r)
	}
	if r := m.Shares[0]; !near(r.ShareB, 300.0/650) || !near(r.ShareA, 20000.0/110500) {
		t.Errorf("US row %+v", r)
	}
	// Daily: US +1, CN −1 (ID constant at A, left out) → mean 0 over 2.
	if m.DailyCountries != 2 || math.Abs(m.DailyCorrelation) > 1e-12 {
		t.Errorf("daily correlation %v over %d countries", m.DailyCorrelation, m.DailyCountries)
	}
	if !slices.Equal(m.OnlyA, []string{"VN", "BR"}) || !slices.Equal(m.OnlyB, []string{"JP"}) {
		t.Errorf("only A %v, only B %v", m.OnlyA, m.OnlyB)
	}
	if !slices.Equal(m.PortsOnlyA, []string{"445/tcp", "8080/tcp"}) || !slices.Equal(m.PortsOnlyB, []string{"2323/tcp"}) {
		t.Errorf("ports only A %v, only B %v", m.PortsOnlyA, m.PortsOnlyB)
	}
	// A class seen by one sensor only: undefined similarity, no daily data.
	if e := got.Classes[1]; !math.IsNaN(e.Spearman) || !math.IsNaN(e.DailyCorrelation) || !slices.Equal(e.OnlyB, []string{"US"}) {
		t.Errorf("exploit %+v", e)
	}
}

func TestCompareInvalid(t *testing.T) {
	ok := SensorData{Name: "a", Daily: make([]float64, 3)}
	tests := []struct {
		name string
		a, b SensorData
		cfg  CompareConfig
		msg  string
	}{
		{"periods differ", ok, SensorData{Name: "b", Daily: make([]float64, 4)}, DefaultCompareConfig(), "same period"},
		{"presence length", ok, SensorData{Name: "b", Daily: make([]float64, 3), Present: make([]bool, 2)}, DefaultCompareConfig(), "presence"},
		{"daily series length", ok, SensorData{Name: "b", Daily: make([]float64, 3),
			Classes: map[string]ClassData{"mirai": {CountryDaily: map[string][]float64{"US": {1}}}}}, DefaultCompareConfig(), "country US"},
		{"negative addresses", SensorData{Name: "a", Addresses: -1}, ok, DefaultCompareConfig(), "address"},
		{"top N", ok, ok, CompareConfig{}, "top N"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compare(tc.a, tc.b, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %v, want one mentioning %q", err, tc.msg)
			}
		})
	}
	// Empty sensors compare without error; per-address figures are NaN.
	got, err := Compare(SensorData{}, SensorData{}, DefaultCompareConfig())
	if err != nil || len(got.Classes) != 0 || !math.IsNaN(got.A.PerDayPerAddress) {
		t.Errorf("empty: %+v %v", got, err)
	}
}

// TestCompareSimilarityTopN: the similarity figure ranks only the union of
// both sensors' top countries, so a long tail of countries with a packet or
// two does not drown the agreement of the countries that matter.
func TestCompareSimilarityTopN(t *testing.T) {
	top := map[string]float64{"CN": 1770, "BR": 850, "VN": 820, "IN": 790, "US": 600}
	tail := func(seed int) map[string]float64 {
		m := maps.Clone(top)
		for i := range 150 {
			// An unrelated order of tiny counts at each sensor.
			m[fmt.Sprintf("T%03d", i)] = float64(1 + (i*seed)%3)
		}
		return m
	}
	a := SensorData{Name: "a", Daily: make([]float64, 1), Classes: map[string]ClassData{"mirai": {Countries: tail(7)}}}
	b := SensorData{Name: "b", Daily: make([]float64, 1), Classes: map[string]ClassData{"mirai": {Countries: tail(11)}}}
	tests := []struct {
		n         int
		countries int
		minRho    float64
		maxRho    float64
	}{
		{n: 5, countries: 5, minRho: 1, maxRho: 1},
		{n: 200, countries: 155, minRho: -1, maxRho: 0.6},
	}
	for _, tc := range tests {
		got, err := Compare(a, b, CompareConfig{TopN: 10, SimilarityTopN: tc.n})
		if err != nil {
			t.Fatal(err)
		}
		c := got.Classes[0]
		if c.Countries != tc.countries || c.Spearman < tc.minRho-1e-12 || c.Spearman > tc.maxRho+1e-12 {
			t.Errorf("top %d: %d countries, rho %v; want %d countries, rho in [%v, %v]", tc.n, c.Countries, c.Spearman, tc.countries, tc.minRho, tc.maxRho)
		}
	}
	// Top 2 of the first test's sensors (see TestCompare's data), worked by
	// hand: union CN ID US VN, open ranks (1, 4, 2, 3), domestic (3, 2, 4,
	// 1): rho = −3 / 5.
	open := SensorData{Name: "open", Daily: make([]float64, 1), Classes: map[string]ClassData{"mirai": {
		Countries: map[string]float64{"ID": 50000, "VN": 30000, "US": 20000, "CN": 10000, "BR": 500}}}}
	dom := SensorData{Name: "dom", Daily: make([]float64, 1), Classes: map[string]ClassData{"mirai": {
		Countries: map[string]float64{"US": 300, "CN": 200, "ID": 100, "JP": 50}}}}
	got, err := Compare(open, dom, CompareConfig{TopN: 3, SimilarityTopN: 2})
	if err != nil {
		t.Fatal(err)
	}
	if c := got.Classes[0]; c.Countries != 4 || math.Abs(c.Spearman+0.6) > 1e-12 {
		t.Errorf("top 2: %d countries, rho %v; want 4, -0.6", c.Countries, c.Spearman)
	}
}
