package period

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/period/periodtest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// fixtureStore is the fixture (periodtest.FixtureCaptures) these tests share.
var fixtureStore = &periodtest.Fixture{Dir: "period-fixture", Base: ingest.Config{}}

func TestMain(m *testing.M) {
	code := m.Run()
	fixtureStore.Remove()
	os.Exit(code)
}

func fixture(t *testing.T) *duckstore.Store {
	t.Helper()
	return fixtureStore.Open(t)
}

func day(i int) time.Time { return periodtest.Start.AddDate(0, 0, i) }

func TestDrivers(t *testing.T) {
	st := fixture(t)
	l := New(st, st.Location(), []string{"open"})
	found, err := l.FindSpikes(context.Background(), SpikeOptions{Range: rangeOf(day(periodtest.SpikeDay), day(periodtest.SpikeDay)),
		Classes: []string{"mirai"}, Dims: []string{analysis.DimCountry}})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(found, func(f analysis.Finding) bool { return f.Key == "IT" })
	if i < 0 {
		t.Fatalf("no mirai IT finding on %s: %+v", dateArg(day(periodtest.SpikeDay)), found)
	}
	f := found[i]
	if len(f.Drivers) == 0 {
		t.Fatal("no drivers")
	}
	dims := map[string]analysis.Driver{}
	for _, d := range f.Drivers {
		if _, ok := dims[d.Dim]; !ok {
			dims[d.Dim] = d
		}
		if d.Dim == analysis.DimCountry {
			t.Errorf("driver of the finding's own dimension: %+v", d)
		}
		if d.Value <= 0 || d.Value > f.Value+0.5 {
			t.Errorf("driver %+v: value outside (0, %v]", d, f.Value)
		}
	}
	// Mirai scans 23/TCP nine times in ten: it leads the ports.
	if d := dims[analysis.DimPort]; d.Key != "23/tcp" {
		t.Errorf("top port driver %+v, want 23/tcp", d)
	}
	if d, ok := dims[analysis.DimPrefix]; !ok || !strings.HasSuffix(d.Key, ".0/24") {
		t.Errorf("prefix driver %+v", d)
	} else if src, ok := dims[analysis.DimSource]; ok {
		a := netip.MustParseAddr(src.Key)
		if info := mustGeo(t).Lookup(a); info.Country != "IT" {
			t.Errorf("source driver %s is in %s, not IT", src.Key, info.Country)
		}
	}
	// The port driver's baseline is that port's usual Italian traffic:
	// well below its value on the spike day.
	if d := dims[analysis.DimPort]; !(d.Baseline < d.Value/3) {
		t.Errorf("port driver baseline %v not far below its value %v", d.Baseline, d.Value)
	}
	// ... and not zero: Italy's Mirai traffic goes to 23/TCP every day with
	// data, and days before the captures began are skipped, not zeros.
	if d := dims[analysis.DimPort]; f.Baseline > 0 && !(d.Baseline > f.Baseline/4) {
		t.Errorf("port driver baseline %v, want a good part of the finding's baseline %v", d.Baseline, f.Baseline)
	}
}

var (
	geoOnce sync.Once
	geoLoc  *geo.Locator
)

func mustGeo(t *testing.T) *geo.Locator {
	geoOnce.Do(func() {
		var err error
		if geoLoc, err = geo.Open(geo.Config{}); err != nil {
			t.Fatal(err)
		}
	})
	return geoLoc
}

// TestSeriesMatchTruth checks the data layer against what synth wrote.
func TestSeriesMatchTruth(t *testing.T) {
	st := fixture(t)
	truth := map[[3]string][2]float64{} // day, class, country → packets, sources
	tr, err := readTruth(filepath.Join(filepath.Dir(fixtureStore.Path()), "open.pcap.truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tr.ByDayClassCountry {
		truth[[3]string{r.Day, r.Class, r.Country}] = [2]float64{float64(r.Packets), float64(r.Sources)}
	}
	l := New(st, st.Location(), []string{"open"})
	for ui, unit := range []analysis.Unit{analysis.UnitPackets, analysis.UnitSources} {
		ss, err := l.Series(context.Background(), SeriesQuery{Range: rangeOf(day(0), day(periodtest.Days-1)), Dim: analysis.DimCountry, Unit: unit})
		if err != nil {
			t.Fatal(err)
		}
		got := map[[3]string]float64{}
		for _, s := range ss {
			for d, v := range s.Values {
				if v != 0 {
					got[[3]string{dateArg(day(d)), s.Class, s.Key}] = v
				}
			}
		}
		bad := 0
		for k, v := range truth {
			if got[k] != v[ui] && bad < 5 {
				t.Errorf("%s %v: got %v, truth %v", unit, k, got[k], v[ui])
				bad++
			}
		}
		if len(got) != len(truth) {
			t.Errorf("%s: %d series days, truth has %d", unit, len(got), len(truth))
		}
	}
}

func readTruth(path string) (*synth.Truth, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var tr synth.Truth
	if err := json.Unmarshal(data, &tr); err != nil {
		return nil, err
	}
	return &tr, nil
}

// TestSeriesKeepFolds checks that folding keeps the totals.
func TestSeriesKeepFolds(t *testing.T) {
	st := fixture(t)
	l := New(st, st.Location(), nil)
	for _, dim := range []string{analysis.DimPort} {
		all, err := l.Series(context.Background(), SeriesQuery{Range: rangeOf(day(0), day(periodtest.Days-1)), Dim: dim})
		if err != nil {
			t.Fatal(err)
		}
		kept, err := l.Series(context.Background(), SeriesQuery{Range: rangeOf(day(0), day(periodtest.Days-1)), Dim: dim, Keep: 5})
		if err != nil {
			t.Fatal(err)
		}
		totals := func(ss []analysis.Series) (map[string]float64, map[string]int) {
			t, n := map[string]float64{}, map[string]int{}
			for _, s := range ss {
				t[s.Class] += Sum(s.Values)
				if !IsOther(s.Key) {
					n[s.Class]++
				}
			}
			return t, n
		}
		ta, _ := totals(all)
		tk, nk := totals(kept)
		for c, v := range ta {
			if tk[c] != v {
				t.Errorf("%s %s: folded total %v, unfolded %v", dim, c, tk[c], v)
			}
			// Each class keeps at most 5 by total + 5 by peak of its own,
			// plus keys kept for other classes.
			if nk[c] == 0 {
				t.Errorf("%s %s: no key kept", dim, c)
			}
		}
		if len(kept) >= len(all) {
			t.Errorf("%s: folding kept %d series of %d", dim, len(kept), len(all))
		}
	}
}

func TestCoverage(t *testing.T) {
	st := fixture(t)
	l := New(st, st.Location(), nil)
	gaps, err := l.Coverage(context.Background(), rangeOf(day(0), day(periodtest.Days-1)))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"open": 0, "small": 3}
	for _, g := range gaps {
		if g.NoData != want[g.Sensor] {
			t.Errorf("sensor %s: %d days without data, want %d", g.Sensor, g.NoData, want[g.Sensor])
		}
	}
	p := PresentAny(gaps, periodtest.Days)
	if slices.Contains(p, false) {
		t.Errorf("merged presence has absent days: %v", p)
	}
	if _, err := New(st, st.Location(), []string{"nope"}).Sensors(context.Background()); err == nil {
		t.Error("unknown sensor accepted")
	}
}

// TestDriverBaselineSkipsGaps: a sensor captured days 0–4, stopped, and
// captured again from day 14; China's Mirai traffic spikes on day 16. The
// 28-day baseline of the 23/TCP driver is taken over the 7 days with data,
// not over 28 days of which 21 would count as zeros.
func TestDriverBaselineSkipsGaps(t *testing.T) {
	if testing.Short() {
		t.Skip("builds its own store")
	}
	dir := t.TempDir()
	loc, err := geo.Open(geo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer loc.Close()
	place := func(a netip.Addr) store.Place {
		i := loc.Lookup(a)
		return store.Place{Country: i.Country, ASN: i.ASN, Org: i.Org, Special: i.Special}
	}
	db := filepath.Join(dir, "gap.duckdb")
	for i, c := range []synth.Config{
		{Packets: 60000, Days: 5, Seed: 21, Start: periodtest.Start},
		{Packets: 60000, Days: 4, Seed: 22, Start: periodtest.Start.AddDate(0, 0, 14),
			Spikes: []synth.Spike{{Country: "CN", Day: 2, Factor: 6}}},
	} {
		c.Pool = periodtest.GeoPool{}
		path := filepath.Join(dir, fmt.Sprintf("gap-%d.pcap", i))
		if _, err := synth.WriteFile(path, c); err != nil {
			t.Fatal(err)
		}
		res, err := ingest.Run(context.Background(), ingest.Config{DBPath: db, Sensor: "gap", Locate: place}, []string{path})
		if err != nil || res[0].Err != nil {
			t.Fatalf("ingest: %v %+v", err, res)
		}
	}
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	l := New(st, st.Location(), nil)
	spike := periodtest.Start.AddDate(0, 0, 16)
	found, err := l.FindSpikes(context.Background(), SpikeOptions{Range: rangeOf(spike, spike),
		Classes: []string{"mirai"}, Dims: []string{analysis.DimCountry}, DriverTopN: 5})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(found, func(f analysis.Finding) bool { return f.Key == "CN" && f.Day.Equal(spike) })
	if i < 0 {
		t.Fatalf("no mirai CN spike on day 16: %+v", found)
	}
	f := found[i]
	if f.BaselineDays != 7 || !(f.Baseline > 0) {
		t.Fatalf("finding baseline %v over %d days, want > 0 over the 7 days with data", f.Baseline, f.BaselineDays)
	}
	var port *analysis.Driver
	for j := range f.Drivers {
		if f.Drivers[j].Dim == analysis.DimPort && f.Drivers[j].Key == "23/tcp" {
			port = &f.Drivers[j]
		}
	}
	if port == nil {
		t.Fatalf("no 23/tcp driver: %+v", f.Drivers)
	}
	if !(port.Baseline > f.Baseline/4) {
		t.Errorf("23/tcp driver baseline %v; the finding's is %v over days with data: days without data were counted as zeros", port.Baseline, f.Baseline)
	}
}

// rangeOf is the period from the day of from to the day of to (UTC, the
// fixture's zone).
func rangeOf(from, to time.Time) Range {
	return Range{From: civil.FromTime(from, time.UTC), To: civil.FromTime(to, time.UTC)}
}

func dateArg(t time.Time) string { return t.Format(time.DateOnly) }
