package period

import (
	"math"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/geo"
)

// Names names the keys of sentences: countries in the sentence's language
// (geo.CountryName); ports and ASes by their keys.
func Names(dim, key, lang string) string {
	if dim == analysis.DimCountry {
		return geo.CountryName(key, lang)
	}
	return ""
}

// Driver is one driver of a spike, as an API serves it.
type Driver struct {
	Dim      string  `json:"dim"`
	Key      string  `json:"key"`
	Value    float64 `json:"value"`
	Baseline float64 `json:"baseline"`
}

// Spike is a finding with its sentences, in plain fields.
type Spike struct {
	Kind    string    `json:"kind"`
	Sensor  string    `json:"sensor"`
	AlsoAt  []string  `json:"also_at"`
	Class   string    `json:"class"`
	Dim     string    `json:"dim"`
	Key     string    `json:"key"`
	Day     civil.Day `json:"day"`
	LastDay civil.Day `json:"last_day"`
	Ongoing bool      `json:"ongoing"`
	Unit    string    `json:"unit"`
	Value   float64   `json:"value"`
	// Baseline is the median of the baseline window's days with data.
	Baseline float64 `json:"baseline"`
	// Ratio is Value / Baseline, what the sentences state; nil when the
	// baseline is 0.
	Ratio *float64 `json:"ratio"`
	// TestRatio is the ratio the thresholds test, Value / max(Baseline,
	// floor).
	TestRatio    float64 `json:"test_ratio"`
	Z            float64 `json:"z"`
	BaselineDays int     `json:"baseline_days"`
	WindowDays   int     `json:"window_days"`
	// Sources is the distinct sources behind a packet finding (0: not
	// counted).
	Sources    float64  `json:"sources,omitempty"`
	Drivers    []Driver `json:"drivers"`
	SentenceEN string   `json:"sentence_en"`
	SentenceJA string   `json:"sentence_ja"`
}

// Spikes turns findings into Spikes, with their sentences in English and
// Japanese (names: Names when nil). Days are read in loc.
func (s *Source) Spikes(fs []analysis.Finding, names analysis.Namer) []Spike {
	if names == nil {
		names = Names
	}
	out := make([]Spike, len(fs))
	for i, f := range fs {
		x := Spike{Kind: f.Kind, Sensor: f.Sensor, AlsoAt: append([]string{}, f.AlsoAt...), Class: f.Class, Dim: f.Dim, Key: f.Key,
			Day: s.Day(f.Day), LastDay: s.Day(f.LastDay), Ongoing: f.Ongoing, Unit: string(f.Unit), Value: f.Value,
			Baseline: f.Baseline, TestRatio: finite(f.Ratio), Z: finite(f.Z), BaselineDays: f.BaselineDays, WindowDays: f.Window,
			Sources: f.Sources, Drivers: []Driver{},
			SentenceEN: analysis.Sentence(f, analysis.LangEnglish, names), SentenceJA: analysis.Sentence(f, analysis.LangJapanese, names)}
		if r := f.BaselineRatio(); !math.IsInf(r, 0) && !math.IsNaN(r) {
			x.Ratio = &r
		}
		for _, d := range f.Drivers {
			x.Drivers = append(x.Drivers, Driver(d))
		}
		out[i] = x
	}
	return out
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
