// Package periodtest builds the synthetic stores the tests of the period
// layer and of the report read: captures written by synth, placed by the
// built-in GeoIP table, ingested into a DuckDB store. It is for tests only.
package periodtest

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// GeoPool draws synthetic sources from the built-in GeoIP table's ranges.
type GeoPool struct{}

// Countries implements synth.Pool.
func (GeoPool) Countries() []string { return geo.DefaultCountries() }

// Addr implements synth.Pool.
func (GeoPool) Addr(cc string, n uint64) (netip.Addr, bool) {
	return geo.DefaultAddr(cc, n)
}

// The fixture: sensor "open" captured Days days (2026-05-01..16) with
// Italy at SpikeFactor× on day SpikeDay (2026-05-14); sensor "small"
// captured a smaller population from 2026-05-04 only, so it has no data on
// its first three days.
//
// Italy sends only a handful of packets a day in a capture this small, so
// the planted factor is large enough for the spike to stand out among the
// day-to-day noise of a small synthetic population.
const (
	Days        = 16
	SpikeDay    = 13
	SpikeFactor = 40
)

// Start is the fixture's first day.
var Start = synth.DefaultStart

// FixtureCaptures are the fixture's captures, in the order they are
// ingested.
func FixtureCaptures() []Capture {
	return []Capture{
		{"open", synth.Config{Packets: 200000, Days: Days, Seed: 3,
			Spikes: []synth.Spike{{Country: "IT", Day: SpikeDay, Factor: SpikeFactor}}}},
		{"small", synth.Config{Packets: 30000, Days: Days - 3, Seed: 5,
			Start: Start.AddDate(0, 0, 3), SensorNet: netip.MustParsePrefix("198.51.100.0/24")}},
	}
}

// Capture is one sensor's synthetic capture.
type Capture struct {
	Sensor string
	Config synth.Config
}

// Ingest writes each capture into dir (its Pool set to GeoPool, split into
// files by its outages) and ingests its files, in order, into the store at
// db under its sensor, with the capture's SensorNet (synth.DefaultSensorNet
// when unset) as the sensor's network and places from the built-in GeoIP
// table; base gives the rest of the ingest configuration (the databases
// the ingests name). The capture files are removed once ingested.
func Ingest(dir, db string, base ingest.Config, caps []Capture) error {
	loc, err := geo.Open(geo.Config{})
	if err != nil {
		return err
	}
	defer loc.Close()
	base.DBPath = db
	base.Locate = func(a netip.Addr) store.Place {
		i := loc.Lookup(a)
		return store.Place{Country: i.Country, ASN: i.ASN, Org: i.Org, Special: i.Special}
	}
	for _, c := range caps {
		c.Config.Pool = GeoPool{}
		path := filepath.Join(dir, c.Sensor+".pcap")
		tr, err := synth.WriteFile(path, c.Config)
		if err != nil {
			return err
		}
		var files []string
		for _, f := range tr.Files {
			files = append(files, filepath.Join(dir, f))
		}
		net := c.Config.SensorNet
		if !net.IsValid() {
			net = synth.DefaultSensorNet
		}
		cfg := base
		cfg.Sensor, cfg.SensorNets = c.Sensor, []netip.Prefix{net}
		res, err := ingest.Run(context.Background(), cfg, files)
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Err != nil || !r.Committed {
				return fmt.Errorf("ingest %s: %v", r.Path, r.Err)
			}
		}
		for _, f := range files {
			os.Remove(f)
		}
	}
	return nil
}

// Open returns the store at db, read-only, closed when t ends.
func Open(t testing.TB, db string) *duckstore.Store {
	t.Helper()
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Fixture is the fixture's store, built once, the first time a test opens
// it, in a temporary directory that Remove deletes.
type Fixture struct {
	// Dir is the start of the temporary directory's name.
	Dir string
	// Base is the ingests' configuration besides what Ingest sets.
	Base ingest.Config

	once sync.Once
	path string
	err  error
}

// Open builds the fixture's store if no test has yet and returns it,
// read-only, closed when t ends; t fails if it cannot be built.
func (f *Fixture) Open(t testing.TB) *duckstore.Store {
	t.Helper()
	f.once.Do(func() {
		dir, err := os.MkdirTemp("", f.Dir)
		if err != nil {
			f.err = err
			return
		}
		f.path = filepath.Join(dir, "store.duckdb")
		f.err = Ingest(dir, f.path, f.Base, FixtureCaptures())
	})
	if f.err != nil {
		t.Fatal(f.err)
	}
	return Open(t, f.path)
}

// Remove deletes the fixture's directory, if it was built.
func (f *Fixture) Remove() {
	if f.path != "" {
		os.RemoveAll(filepath.Dir(f.path))
	}
}

// Path is the file of the fixture's store ("" before a test opened it);
// the captures' truth files (synth.Truth) stand beside it.
func (f *Fixture) Path() string { return f.path }
