package period

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/period/periodtest"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// plantedStore synthesizes one capture per sensor (each split by its
// outages), ingests every file and opens the store read-only.
func plantedStore(t *testing.T, caps map[string]synth.Config) *duckstore.Store {
	t.Helper()
	dir := t.TempDir()
	db := filepath.Join(dir, "store.duckdb")
	names := make([]string, 0, len(caps))
	for n := range caps {
		names = append(names, n)
	}
	sort.Strings(names)
	var cs []periodtest.Capture
	for _, sensor := range names {
		cs = append(cs, periodtest.Capture{Sensor: sensor, Config: caps[sensor]})
	}
	if err := periodtest.Ingest(dir, db, ingest.Config{}, cs); err != nil {
		t.Fatal(err)
	}
	return periodtest.Open(t, db)
}

// planted is one planted event and where it must be found.
type planted struct {
	name           string
	class, country string
	first, last    int // day indexes
}

// TestPlantedEventsRanked is the measurement of docs/analysis.md
// ("Ranking"): on a 60-day store with a spike, a sustained rise, a new
// scanner and an outage planted, every planted event is among the shown
// findings (default threshold) and in the top 3 of its class; on a 90-day
// store of background only, at most one finding per class per 30 days is
// shown.
func TestPlantedEventsRanked(t *testing.T) {
	if testing.Short() {
		t.Skip("synthesizes and ingests two stores")
	}
	ctx := context.Background()
	const days = 60
	events := []planted{
		{"spike CN ×5 on day 20", "mirai", "CN", 20, 20},
		{"rise BR ×4 on days 30-35", "mirai", "BR", 30, 35},
		{"new scanner NL (about 3000 packets a day) from day 42", "zmap", "NL", 42, days - 1},
	}
	st := plantedStore(t, map[string]synth.Config{"open": {Packets: 1200000, Days: days, Seed: 11,
		Spikes:   []synth.Spike{{Country: "CN", Day: 20, Factor: 5}},
		Rises:    []synth.Rise{{Country: "BR", Day: 30, Days: 6, Factor: 4}},
		Scanners: []synth.Scanner{{Country: "NL", Day: 42, Packets: 3000}},
		Outages:  []synth.Outage{{Day: 50, Days: 2}}}})
	src := New(st, st.Location(), nil)
	res, err := src.FindSpikesResult(ctx, SpikeOptions{Range: Range{cd(10), cd(days - 1)}})
	if err != nil {
		t.Fatal(err)
	}
	all, err := src.FindSpikesResult(ctx, SpikeOptions{Range: Range{cd(10), cd(days - 1)}, All: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("events store: %d findings shown, %d hidden (%d with --all)", len(res.Findings), res.Hidden, len(all.Findings))
	for _, f := range res.Findings {
		t.Logf("  %s", describe(src, f))
	}
	for _, ev := range events {
		rank, f := 0, analysis.Finding{}
		n := 0
		for _, g := range res.Findings {
			if g.Class != ev.class {
				continue
			}
			n++
			if src.Day(g.Day) <= cd(ev.last) && src.Day(g.LastDay) >= cd(ev.first) && about(g, ev.country) {
				rank, f = n, g
				break
			}
		}
		switch {
		case rank == 0:
			t.Errorf("%s: not among the %d shown findings", ev.name, len(res.Findings))
		case rank > 3:
			t.Errorf("%s: rank %d in class %s (%s)", ev.name, rank, ev.class, describe(src, f))
		default:
			t.Logf("%s: rank %d in class %s, significance %.2f (%s)", ev.name, rank, ev.class, f.Significance, describe(src, f))
		}
	}
	// In distinct sources (measured, not a target: the threshold is
	// calibrated on packets, and one new scanner is one source).
	sres, err := src.FindSpikesResult(ctx, SpikeOptions{Range: Range{cd(10), cd(days - 1)}, Unit: analysis.UnitSources})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("events store in sources: %d shown, %d hidden", len(sres.Findings), sres.Hidden)
	for _, f := range sres.Findings {
		t.Logf("  sources: %s", describe(src, f))
	}
	// The outage: the days are without data, and the day after it is no
	// finding of its own for being compared with zeros.
	gaps, err := src.Coverage(ctx, Range{cd(50), cd(52)})
	if err != nil {
		t.Fatal(err)
	}
	if d := gaps[0].Days; d[0].State != analysis.NoData || d[1].State != analysis.NoData || d[2].State == analysis.NoData {
		t.Errorf("outage days 50-51 coverage %v %v, day 52 %v", d[0].State, d[1].State, d[2].State)
	}

	// Flat background: three months, no event, two seeds.
	const flatDays = 90
	for _, seed := range []uint64{23, 29} {
		flat := plantedStore(t, map[string]synth.Config{"flat": {Packets: 1500000, Days: flatDays, Seed: seed}})
		fsrc := New(flat, flat.Location(), nil)
		r := Range{cd(28), cd(flatDays - 1)}
		fres, err := fsrc.FindSpikesResult(ctx, SpikeOptions{Range: r})
		if err != nil {
			t.Fatal(err)
		}
		fall, err := fsrc.FindSpikesResult(ctx, SpikeOptions{Range: r, All: true})
		if err != nil {
			t.Fatal(err)
		}
		sres, err := fsrc.FindSpikesResult(ctx, SpikeOptions{Range: r, Unit: analysis.UnitSources})
		if err != nil {
			t.Fatal(err)
		}
		sc := map[string]int{}
		for _, f := range sres.Findings {
			sc[f.Class]++
		}
		t.Logf("flat store seed %d in sources: %d shown (per class %v), %d hidden", seed, len(sres.Findings), sc, sres.Hidden)
		perClass := map[string]int{}
		for _, f := range fres.Findings {
			perClass[f.Class]++
			t.Logf("  flat seed %d: %s", seed, describe(fsrc, f))
		}
		for _, f := range fall.Findings[:min(3, len(fall.Findings))] {
			t.Logf("  flat seed %d, --all: %s", seed, describe(fsrc, f))
		}
		allowed := r.Days() / 30
		t.Logf("flat store seed %d, %d days tested: %d findings shown (per class %v), %d hidden, %d with --all; at most %d per class allowed",
			seed, r.Days(), len(fres.Findings), perClass, fres.Hidden, len(fall.Findings), allowed)
		for c, n := range perClass {
			if n > allowed {
				t.Errorf("flat background seed %d: %d findings of class %s in %d days, want at most %d", seed, n, c, r.Days(), allowed)
			}
		}
	}
}

// about reports whether f is about country (its key, or a key folded
// into it).
func about(f analysis.Finding, country string) bool {
	if f.Dim == analysis.DimCountry && f.Key == country {
		return true
	}
	for _, d := range f.SameEvent {
		if d.Dim == analysis.DimCountry && d.Key == country {
			return true
		}
	}
	return false
}

func describe(src *Source, f analysis.Finding) string {
	var same []string
	for _, d := range f.SameEvent {
		same = append(same, d.Dim+"="+d.Key)
	}
	return fmt.Sprintf("%s %s %s %s/%s %s..%s value %.0f base %.0f max %.0f z %.1f share %.3f src %.0f sig %.2f same [%s]", f.Kind, f.Sensor, f.Class, f.Dim, f.Key,
		src.Day(f.Day), src.Day(f.LastDay), f.Value, f.Baseline, f.WindowMax, f.Z, f.Share, f.Sources, f.Significance, strings.Join(same, " "))
}
