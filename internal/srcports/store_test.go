package srcports_test

import (
	"context"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// scan is a source with two fixed source ports: 40000 scans 23, 40001
// scans 2323, and the share of each moves day by day.
func scan() synth.FixedPortScan {
	s := synth.FixedPortScan{
		Src:    netip.MustParseAddr("203.0.113.77"),
		Sensor: netip.MustParsePrefix("192.0.2.0/24"),
		Start:  time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		Noise:  3,
	}
	for _, n := range []int{20, 60, 35, 80, 50} {
		s.Days = append(s.Days, []synth.FixedPortFlow{{SrcPort: 40000, DstPort: 23, Packets: n}, {SrcPort: 40001, DstPort: 2323, Packets: 100 - n}})
	}
	return s
}

func ingestScan(t *testing.T, s synth.FixedPortScan) string {
	t.Helper()
	dir := t.TempDir()
	pcap := filepath.Join(dir, "scan.pcap")
	f, err := os.Create(pcap)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.WriteFixedPortScan(f, s); err != nil {
		t.Fatal(err)
	}
	f.Close()
	db := filepath.Join(dir, "h.duckdb")
	res, err := ingest.Run(context.Background(), ingest.Config{DBPath: db, Sensor: "honey",
		Locate: func(netip.Addr) store.Place { return store.Place{Country: "JP", ASN: 64500, Org: "Example"} }}, []string{pcap})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		// One confined pair per day; the noise sources sent one packet each.
		sp := r.SrcPorts
		total := uint64(s.Noise * len(s.Days))
		for _, fs := range s.Days {
			for _, f := range fs {
				total += uint64(f.Packets)
			}
		}
		if sp.Packets != total || sp.Confined != len(s.Days) || sp.Few != s.Noise*len(s.Days) || sp.Many != 0 || sp.Dropped != 0 {
			t.Fatalf("ingest kept %+v", sp)
		}
	}
	return db
}

func TestStoredHistogram(t *testing.T) {
	s := scan()
	db := ingestScan(t, s)
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	sp, err := store.SrcPortsOf(st)
	if err != nil {
		t.Fatal(err)
	}
	obs, trunc, err := sp.SrcPortObs(context.Background(), store.SrcPortQuery{Src: s.Src})
	if err != nil || trunc {
		t.Fatal(err, trunc)
	}
	// The exact histogram: per day, the packets of each flow from its
	// source port and to its destination port, sorted by kind and port.
	var want []srcports.Obs
	for i, flows := range s.Days {
		d := civil.Of(s.Start).AddDays(i)
		for _, kind := range []uint8{srcports.KindSrc, srcports.KindDst} {
			for _, f := range flows {
				port := f.SrcPort
				if kind == srcports.KindDst {
					port = f.DstPort
				}
				want = append(want, srcports.Obs{Day: d, Sensor: "honey", Src: s.Src, Country: "JP", ASN: 64500, Kind: kind, Proto: 6,
					Port: port, Packets: uint64(f.Packets)})
			}
		}
	}
	if !slices.Equal(obs, want) {
		t.Fatalf("stored\n got %v\nwant %v", obs, want)
	}
	// The noise sources sent one packet each: none is kept.
	all, _, err := sp.SrcPortObs(context.Background(), store.SrcPortQuery{})
	if err != nil || len(all) != len(want) {
		t.Fatalf("all sources: %d bins, want %d (%v)", len(all), len(want), err)
	}
	// A limit returns the answer's first bins and says it cut, with and
	// without a prefix (filtered after the query).
	for _, net := range []netip.Prefix{{}, netip.MustParsePrefix("203.0.113.0/24")} {
		for n := 1; n <= len(all)+1; n++ {
			got, cut, err := sp.SrcPortObs(context.Background(), store.SrcPortQuery{Net: net, Limit: n})
			if err != nil || !slices.Equal(got, all[:min(n, len(all))]) || cut != (n < len(all)) {
				t.Fatalf("limit %d, net %v: %d bins, cut %v (%v); want the first %d of %d", n, net, len(got), cut, err, min(n, len(all)), len(all))
			}
		}
	}
	study := srcports.NewStudy(obs, 0)
	if !study.Confined || study.DistinctSrc != 2 || math.Abs(float64(study.ShareCorr)-1) > 1e-9 {
		t.Fatalf("study: confined %v, %d source ports, share correlation %v", study.Confined, study.DistinctSrc, study.ShareCorr)
	}
	// Group filters: the /24 holds it, another /24 and an AS do not.
	for _, c := range []struct {
		q    store.SrcPortQuery
		want int
	}{
		{store.SrcPortQuery{Net: netip.MustParsePrefix("203.0.113.0/24")}, len(want)},
		{store.SrcPortQuery{Net: netip.MustParsePrefix("203.0.113.64/26")}, len(want)},
		{store.SrcPortQuery{Net: netip.MustParsePrefix("198.51.100.0/24")}, 0},
		{store.SrcPortQuery{ASN: 64999}, 0},
		{store.SrcPortQuery{Country: "jp"}, len(want)},
		{store.SrcPortQuery{Country: "US"}, 0},
		{store.SrcPortQuery{ASN: 64500, Country: "JP"}, len(want)},
		{store.SrcPortQuery{Used: []srcports.PortKey{{Proto: 6, Port: 40001}}}, len(want)},
		{store.SrcPortQuery{Used: []srcports.PortKey{{Proto: 6, Port: 40002}}}, 0},
		{store.SrcPortQuery{Exclude: []string{"honey"}}, 0},
		{store.SrcPortQuery{From: civil.Of(s.Start).AddDays(4)}, 4},
		{store.SrcPortQuery{Limit: 3}, 3},
	} {
		got, _, err := sp.SrcPortObs(context.Background(), c.q)
		if err != nil || len(got) != c.want {
			t.Errorf("%+v: %d bins, want %d (%v)", c.q, len(got), c.want, err)
		}
	}
	days, err := sp.SrcPortDays(context.Background(), 0, 0, nil)
	if err != nil || len(days) != len(s.Days) || days[civil.Of(s.Start)] != 1 {
		t.Fatalf("days %v %v", days, err)
	}
}

func TestReplacedWithIngest(t *testing.T) {
	s := scan()
	db := ingestScan(t, s)
	dir := filepath.Dir(db)
	res, err := ingest.Run(context.Background(), ingest.Config{DBPath: db, Sensor: "honey", Force: true},
		[]string{filepath.Join(dir, "scan.pcap")})
	if err != nil || res[0].Err != nil {
		t.Fatal(err, res[0].Err)
	}
	st, err := duckstore.Open(context.Background(), db, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	obs, _, err := st.SrcPortObs(context.Background(), store.SrcPortQuery{})
	if err != nil || len(obs) != 4*len(s.Days) {
		t.Fatalf("after a forced ingest: %d bins, want %d (%v)", len(obs), 4*len(s.Days), err)
	}
}
