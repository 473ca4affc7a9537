package report

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// TestOneSensorMissing: sensors "open" and "domestic", where only "open"
// captured the two days of a planted spike (domestic was down). The merged
// charts draw those days from open, hatched as partial ("1 of 2 sensors"),
// not as "no data", and keep the spike's mark.
func TestOneSensorMissing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "store.duckdb")
	loc, err := geo.Open(geo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer loc.Close()
	place := func(a netip.Addr) store.Place {
		i := loc.Lookup(a)
		return store.Place{Country: i.Country, ASN: i.ASN, Org: i.Org, Special: i.Special}
	}
	caps := []struct {
		sensor string
		cfg    synth.Config
	}{
		{"open", synth.Config{Packets: 200000, Days: fixtureDays, Seed: 3,
			Spikes: []synth.Spike{{Country: "IT", Day: spikeDay, Factor: spikeFactor}}}},
		{"domestic", synth.Config{Packets: 60000, Days: fixtureDays, Seed: 5, SensorNet: netip.MustParsePrefix("198.51.100.0/24"),
			Outages: []synth.Outage{{Day: spikeDay - 1, Days: 2}}}},
	}
	for _, c := range caps {
		c.cfg.Pool = geoPool{}
		path := filepath.Join(dir, c.sensor+".pcap")
		tr, err := synth.WriteFile(path, c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		var files []string
		for _, f := range tr.Files {
			files = append(files, filepath.Join(dir, f))
		}
		net := c.cfg.SensorNet
		if !net.IsValid() {
			net = synth.DefaultSensorNet
		}
		res, err := ingest.Run(context.Background(), ingest.Config{DBPath: db, Sensor: c.sensor, SensorNets: []netip.Prefix{net}, Locate: place}, files)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil || !r.Committed {
				t.Fatalf("ingest %s: %v", r.Path, r.Err)
			}
		}
		for _, f := range files {
			os.Remove(f)
		}
	}
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res := buildReport(t, st, Options{Lang: "en", From: day(fixtureDays - 10), To: day(fixtureDays - 1)})
	found := false
	for _, f := range res.Findings {
		if f.Class == "mirai" && f.Dim == analysis.DimCountry && f.Key == "IT" && f.Sensor == "open" && civil(f.Day) == civil(day(spikeDay)) {
			found = true
		}
	}
	if !found {
		t.Fatal("the planted IT spike at open is not among the findings")
	}
	svg := readFile(t, filepath.Join(res.Dir, "mirai-country.svg"))
	for _, d := range []int{spikeDay - 1, spikeDay} {
		iso := dateArg(day(d))
		if !strings.Contains(svg, iso+" · partial: 1 of 2 sensors") {
			t.Errorf("%s is not drawn as partial (1 of 2 sensors)", iso)
		}
		if strings.Contains(svg, iso+" · no data") || strings.Contains(svg, iso+" – ") {
			t.Errorf("%s is drawn as no data", iso)
		}
	}
	if !strings.Contains(svg, "<title>"+dateArg(day(spikeDay))+" · Italy") {
		t.Errorf("mirai-country.svg has no mark for Italy on %s", dateArg(day(spikeDay)))
	}
	// The day's bar is there, from open: Italy's bar on the spike day.
	if !strings.Contains(svg, dateArg(day(spikeDay))+" · Italy · ") {
		t.Error("no Italy bar on the spike day")
	}
}
