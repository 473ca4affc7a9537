package analysis

import (
	"encoding/binary"
	"math"
	"testing"
	"time"
)

// FuzzSpikes feeds arbitrary series (any values, including NaN, infinities
// and negatives, and any presence pattern) through Spikes and Sentence and
// checks that findings stay within the series and obey the thresholds.
func FuzzSpikes(f *testing.F) {
	seed := make([]byte, 0, 9*40)
	for i := range 40 {
		v := 100.0
		if i == 30 {
			v = 5000
		}
		seed = binary.LittleEndian.AppendUint64(seed, math.Float64bits(v))
		seed = append(seed, 1)
	}
	f.Add(seed, uint8(7))
	f.Add([]byte{}, uint8(0))
	f.Fuzz(func(t *testing.T, data []byte, window uint8) {
		var s Series
		s.Class, s.Dim, s.Key = "mirai", DimCountry, "IT"
		for len(data) >= 9 {
			s.Values = append(s.Values, math.Float64frombits(binary.LittleEndian.Uint64(data)))
			s.Present = append(s.Present, data[8]&1 == 1)
			data = data[9:]
		}
		cfg := DefaultSpikeConfig()
		cfg.Window = 1 + int(window%40)
		cfg.MinBaselineDays = min(cfg.MinBaselineDays, cfg.Window)
		start := time.Date(2022, 4, 1, 0, 0, 0, 0, time.UTC)
		fs, err := Spikes(SpikeInput{Start: start, Series: []Series{s}}, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		last := start.AddDate(0, 0, len(s.Values)-1)
		for _, f := range fs {
			if f.Day.Before(start) || f.LastDay.After(last) || f.LastDay.Before(f.Day) {
				t.Fatalf("finding outside the series: %+v", f)
			}
			if f.Value < cfg.MinValue || f.Value-f.Baseline < cfg.MinIncrease || f.BaselineDays < cfg.MinBaselineDays {
				t.Fatalf("finding below the floors: %+v", f)
			}
			if f.Kind == KindSpike && (f.Ratio < cfg.MinRatio || f.Z < cfg.MinZ) {
				t.Fatalf("spike below thresholds: %+v", f)
			}
			if f.Kind == KindRise && (f.Days < cfg.RiseMinDays || f.Z < cfg.RiseMinZ) {
				t.Fatalf("rise below thresholds: %+v", f)
			}
			_ = Sentence(f, "ja", nil)
			_ = Sentence(f, "en", nil)
		}
	})
}
