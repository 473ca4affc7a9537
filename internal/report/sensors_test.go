package report

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/period/periodtest"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// TestOneSensorMissing: sensors "open" and "domestic", where only "open"
// captured the two days of a planted spike (domestic was down). The merged
// charts draw those days from open, hatched as partial ("1 of 2 sensors"),
// not as "no data", and keep the spike's mark.
func TestOneSensorMissing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "store.duckdb")
	caps := []periodtest.Capture{
		{Sensor: "open", Config: synth.Config{Packets: 200000, Days: periodtest.Days, Seed: 3,
			Spikes: []synth.Spike{{Country: "IT", Day: periodtest.SpikeDay, Factor: periodtest.SpikeFactor}}}},
		{Sensor: "domestic", Config: synth.Config{Packets: 60000, Days: periodtest.Days, Seed: 5, SensorNet: netip.MustParsePrefix("198.51.100.0/24"),
			Outages: []synth.Outage{{Day: periodtest.SpikeDay - 1, Days: 2}}}},
	}
	if err := periodtest.Ingest(dir, db, ingest.Config{}, caps); err != nil {
		t.Fatal(err)
	}
	st := periodtest.Open(t, db)
	res := buildReport(t, st, Options{Lang: "en", From: day(periodtest.Days - 10), To: day(periodtest.Days - 1)})
	found := false
	for _, f := range res.Findings {
		if f.Class == "mirai" && f.Dim == analysis.DimCountry && f.Key == "IT" && f.Sensor == "open" && civil(f.Day) == civil(day(periodtest.SpikeDay)) {
			found = true
		}
	}
	if !found {
		t.Fatal("the planted IT spike at open is not among the findings")
	}
	svg := readFile(t, filepath.Join(res.Dir, "mirai-country.svg"))
	for _, d := range []int{periodtest.SpikeDay - 1, periodtest.SpikeDay} {
		iso := dateArg(day(d))
		if !strings.Contains(svg, iso+" · partial: 1 of 2 sensors") {
			t.Errorf("%s is not drawn as partial (1 of 2 sensors)", iso)
		}
		if strings.Contains(svg, iso+" · no data") || strings.Contains(svg, iso+" – ") {
			t.Errorf("%s is drawn as no data", iso)
		}
	}
	if !strings.Contains(svg, "<title>"+dateArg(day(periodtest.SpikeDay))+" · Italy") {
		t.Errorf("mirai-country.svg has no mark for Italy on %s", dateArg(day(periodtest.SpikeDay)))
	}
	// The day's bar is there, from open: Italy's bar on the spike day.
	if !strings.Contains(svg, dateArg(day(periodtest.SpikeDay))+" · Italy · ") {
		t.Error("no Italy bar on the spike day")
	}
}
