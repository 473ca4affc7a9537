package api

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// spikeStore is a store of three weeks with a planted spike, long enough
// for baselines.
func spikeStore(t *testing.T) store.Store {
	t.Helper()
	dir := t.TempDir()
	l, err := geo.Open(geo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	locate := func(a netip.Addr) store.Place {
		i := l.Lookup(a)
		return store.Place{Country: i.Country, ASN: i.ASN, Org: i.Org, Special: i.Special}
	}
	capPath := filepath.Join(dir, "open.pcap")
	sp, _ := synth.ParseSpike("CN:18:6")
	truth, err := synth.WriteFile(capPath, synth.Config{Packets: 120000, Days: 21, Seed: 5, Pool: geoPool{}, Spikes: []synth.Spike{sp}})
	if err != nil {
		t.Fatal(err)
	}
	nets, _ := ingest.ParseNets([]string{truth.SensorNet, truth.SensorNet6})
	db := filepath.Join(dir, "s.duckdb")
	res, err := ingest.Run(context.Background(), ingest.Config{DBPath: db, Sensor: "open", Locate: locate, SensorNets: nets}, []string{capPath})
	if err != nil || res[0].Err != nil || !res[0].Committed {
		t.Fatalf("ingest: %v %+v", err, res)
	}
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// TestSpikesCoverageAgainstPeriod: /spikes and /coverage answer what the
// period layer finds on the same store, which is what `honeyscope spikes`
// and the report tell.
func TestSpikesCoverageAgainstPeriod(t *testing.T) {
	st := spikeStore(t)
	c := newTestComponent(t, st, Configuration{}, Dependencies{Period: PeriodLayer{R: st}})
	src := period.New(st, st.Location(), nil)
	ctx := context.Background()
	r, err := src.Resolve(ctx, period.Spec{From: mustDay(t, "2026-05-12"), To: mustDay(t, "2026-05-21"), HasFrom: true, HasTo: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, all := range []bool{false, true} {
		want, err := src.FindSpikesResult(ctx, period.SpikeOptions{Range: r, DriverTopN: 100, All: all})
		if err != nil {
			t.Fatal(err)
		}
		var got SpikesAnswer
		url := "/api/v1/spikes?top=100&from=2026-05-12&to=2026-05-21"
		if all {
			url += "&all=true"
		}
		fetch(t, c, url, &got)
		if got.Total != len(want.Findings) || got.Hidden != want.Hidden || got.From != r.From || got.To != r.To {
			t.Errorf("all=%v: total %d hidden %d %s–%s, want %d, %d, %s–%s", all, got.Total, got.Hidden, got.From, got.To,
				len(want.Findings), want.Hidden, r.From, r.To)
		}
		if all && len(want.Findings) == 0 {
			t.Fatal("the test store has no findings at all: the comparison would be empty")
		}
		for i, f := range got.Findings {
			w := want.Findings[i]
			if f.Class != w.Class || f.Dim != w.Dim || f.Key != w.Key || f.Value != w.Value || f.SentenceEN == "" || f.SentenceJA == "" {
				t.Errorf("all=%v finding %d: %s/%s/%s %v, want %s/%s/%s %v", all, i, f.Class, f.Dim, f.Key, f.Value, w.Class, w.Dim, w.Key, w.Value)
			}
		}
	}
	gaps, err := src.Coverage(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	var cov CoverageAnswer
	fetch(t, c, "/api/v1/coverage?from=2026-05-12&to=2026-05-21", &cov)
	if len(cov.Sensors) != len(gaps) {
		t.Fatalf("%d sensors, want %d", len(cov.Sensors), len(gaps))
	}
	for i, g := range gaps {
		s := cov.Sensors[i]
		if s.Sensor != g.Sensor || s.NoData != g.NoData || s.Partial != g.Partial || len(s.Days) != len(g.Days) {
			t.Errorf("coverage %s: %+v, want %s no data %d partial %d over %d days", g.Sensor, s, g.Sensor, g.NoData, g.Partial, len(g.Days))
			continue
		}
		for d := range g.Days {
			if s.Days[d].State != g.Days[d].State.String() {
				t.Errorf("coverage %s day %s: %s, want %s", g.Sensor, s.Days[d].Day, s.Days[d].State, g.Days[d].State)
			}
		}
	}
	// A bad value is refused, naming the parameter.
	rec, _ := get(t, c.Handler(), "/api/v1/spikes?all=yes")
	if rec.Code != 400 {
		t.Errorf("all=yes: %d", rec.Code)
	}
}

func mustDay(t *testing.T, s string) civil.Day {
	t.Helper()
	d, err := civil.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
