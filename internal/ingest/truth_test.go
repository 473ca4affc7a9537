package ingest

import (
	"context"
	"fmt"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/synth"
)

type geoPool struct{}

func (geoPool) Countries() []string                          { return geo.DefaultCountries() }
func (geoPool) Addr(cc string, n uint64) (netip.Addr, bool)  { return geo.DefaultAddr(cc, n) }
func (geoPool) Addr6(cc string, n uint64) (netip.Addr, bool) { return geo.DefaultAddr6(cc, n) }

func locate(t *testing.T) func(netip.Addr) store.Place {
	l, err := geo.Open(geo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return func(a netip.Addr) store.Place {
		i := l.Lookup(a)
		return store.Place{Country: i.Country, ASN: i.ASN, Org: i.Org, Special: i.Special}
	}
}

// TestSynthTruth ingests a synthesized capture and checks stats against the
// generator's truth exactly: per day and class, per day, class and country,
// and per class and port.
func TestSynthTruth(t *testing.T) {
	t.Run("whole", func(t *testing.T) { testSynthTruth(t, 0, -1) })
	// Tiny part limits: the file is counted and written in many parts, in
	// one transaction, and must give exactly the same numbers.
	t.Run("parts", func(t *testing.T) { testSynthTruth(t, 500, -1) })
	// A part per day, written while the file is read.
	t.Run("days", func(t *testing.T) { testSynthTruth(t, 0, 1) })
}

func testSynthTruth(t *testing.T, partSources int, dayParts int64) {
	dir := t.TempDir()
	capPath := filepath.Join(dir, "radiation.pcapng")
	sp, _ := synth.ParseSpike("IT:2:10")
	truth, err := synth.WriteFile(capPath, synth.Config{Packets: 150000, Days: 4, Seed: 7, Format: "pcapng", Pool: geoPool{}, Spikes: []synth.Spike{sp}})
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "s.duckdb")
	nets, _ := ParseNets([]string{truth.SensorNet, truth.SensorNet6})
	res, err := Run(context.Background(), Config{DBPath: db, Locate: locate(t), SensorNets: nets, PartSources: partSources, DayPartsMinSize: dayParts, dayPartMinPackets: 1}, []string{capPath})
	if err != nil || res[0].Err != nil || !res[0].Committed {
		t.Fatalf("ingest: %v %+v", err, res)
	}
	switch {
	case partSources > 0 && res[0].Parts < 5,
		dayParts > 0 && res[0].Parts != 4, // 4 days: a part per day, the shards' parts of a day merged
		partSources == 0 && dayParts < 0 && res[0].Parts != 1:
		t.Errorf("written in %d parts", res[0].Parts)
	}
	if res[0].Packets != uint64(truth.Packets) {
		t.Errorf("ingested %d packets, truth %d", res[0].Packets, truth.Packets)
	}
	// The per-class packet counts ingest reports, summed over its parts.
	var classes [classify.NumClasses]uint64
	for _, dc := range truth.ByDayClass {
		c, ok := classify.ParseClass(dc.Class)
		if !ok {
			t.Fatalf("truth class %q", dc.Class)
		}
		classes[c] += dc.Packets
	}
	if res[0].Classes != classes {
		t.Errorf("packets per class %v, truth %v", res[0].Classes, classes)
	}
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { st.Close() }()
	query := func(q store.StatsQuery) map[string][2]uint64 {
		rows, err := st.Stats(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string][2]uint64{}
		for _, r := range rows {
			m[fmt.Sprint(r.Keys...)] = [2]uint64{r.Packets, r.Sources}
		}
		return m
	}
	compare := func(name string, got, want map[string][2]uint64) {
		t.Helper()
		if len(want) < 10 {
			t.Fatalf("%s: truth has only %d rows", name, len(want))
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d rows, truth %d", name, len(got), len(want))
		}
		bad := 0
		for k, w := range want {
			if got[k] != w && bad < 10 {
				bad++
				t.Errorf("%s %s: got packets/sources %v, truth %v", name, k, got[k], w)
			}
		}
	}
	want := map[string][2]uint64{}
	for _, r := range truth.ByDayClass {
		want[fmt.Sprint(r.Day, r.Class)] = [2]uint64{r.Packets, r.Sources}
	}
	compare("day,class", query(store.StatsQuery{By: []string{"day", "class"}}), want)

	want = map[string][2]uint64{}
	for _, r := range truth.ByDayClassCountry {
		want[fmt.Sprint(r.Day, r.Class, r.Country)] = [2]uint64{r.Packets, r.Sources}
	}
	compare("day,class,country", query(store.StatsQuery{By: []string{"day", "class", "country"}}), want)

	want = map[string][2]uint64{}
	for _, r := range truth.ByClassPort {
		want[fmt.Sprint(r.Class, r.Proto, r.Port)] = [2]uint64{r.Packets, r.Sources}
	}
	compare("class,proto,port", query(store.StatsQuery{By: []string{"class", "proto", "port"}}), want)

	// The same file again is a no-op; --force replaces it without doubling.
	st.Close()
	res, _ = Run(context.Background(), Config{DBPath: db, Locate: locate(t), PartSources: partSources}, []string{capPath})
	if !res[0].Skipped || res[0].Committed {
		t.Errorf("second ingest not skipped: %+v", res[0])
	}
	res, _ = Run(context.Background(), Config{DBPath: db, Locate: locate(t), SensorNets: nets, Force: true, PartSources: partSources}, []string{capPath})
	if !res[0].Committed || !res[0].Replaced {
		t.Errorf("forced ingest: %+v", res[0])
	}
	st, err = duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	all := query(store.StatsQuery{})
	if all[""][0] != uint64(truth.Packets) {
		t.Errorf("after --force: %v packets, want %d", all, truth.Packets)
	}
}
