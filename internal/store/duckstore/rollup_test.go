package duckstore

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// randomWorld makes overlapping captures of two sensors: several files per
// day (as with hourly rotation), the same sources in several files, and
// some sources placed in different countries by different files (as two
// GeoIP database versions would).
type randomWorld struct {
	rng       *rand.Rand
	srcs      []netip.Addr
	countries []string
	asns      []uint32
	days      []string
	batches   int // batches made, which picks their sources' source ports
}

func newRandomWorld(seed uint64) *randomWorld {
	w := &randomWorld{
		rng:       rand.New(rand.NewPCG(seed, 7)),
		countries: []string{"JP", "CN", "US", "ZZ", "??"},
		asns:      []uint32{0, 4713, 2914, 64500},
		days:      []string{"2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04"},
	}
	for i := 0; i < 120; i++ {
		if i%10 == 9 {
			w.srcs = append(w.srcs, netip.MustParseAddr(fmt.Sprintf("2001:db8::%x", i)))
		} else {
			w.srcs = append(w.srcs, netip.AddrFrom4([4]byte{198, 18, byte(i / 50), byte(i)}))
		}
	}
	return w
}

var testClassBits = []classify.Tags{classify.Mirai.Bit(), classify.ZMap.Bit(), classify.Masscan.Bit(), classify.Backscatter.Bit(), classify.Exploit.Bit()}

func (w *randomWorld) place(i int) store.Place {
	// Mostly one place per source; a few sources move between files.
	c := i % len(w.countries)
	if i%7 == 0 && w.rng.IntN(2) == 0 {
		c = (c + 1) % len(w.countries)
	}
	a := w.asns[i%len(w.asns)]
	org := ""
	if a != 0 {
		org = fmt.Sprintf("AS%d Org", a)
	}
	return store.Place{Country: w.countries[c], ASN: a, Org: org}
}

func (w *randomWorld) batch(sensor, hash string) *store.Batch {
	r := &aggregate.Result{}
	var places []store.Place
	d0 := w.rng.IntN(len(w.days))
	for _, dd := range []int{d0, min(d0+1, len(w.days)-1)}[:1+w.rng.IntN(2)] {
		t, _ := time.Parse("2006-01-02", w.days[dd])
		ts := t.Add(time.Hour).UnixNano()
		for _, i := range w.rng.Perm(len(w.srcs))[:10+w.rng.IntN(25)] {
			src := uint32(len(r.Sources))
			var tags classify.Tags
			nh := 1 + w.rng.IntN(3)
			var pk uint64
			for h := 0; h < nh; h++ {
				ht := classify.Access.Bit()
				for _, b := range testClassBits {
					if w.rng.IntN(4) == 0 {
						ht |= b
					}
				}
				proto := []uint8{6, 6, 17, 1}[w.rng.IntN(4)]
				port := []uint16{23, 80, 8, 2323, 443}[w.rng.IntN(5)]
				n := uint64(1 + w.rng.IntN(20))
				r.Hits = append(r.Hits, aggregate.Hit{Source: src, Proto: proto, Port: port, Tags: ht, Packets: n})
				tags |= ht
				pk += n
			}
			// Source ports without a draw of rng (other tests' worlds stay
			// as they were): none, one (which may differ between two
			// files of a day) or several.
			sd := aggregate.SourceDay{Addr: w.srcs[i], Day: day(w.days[dd]), Packets: pk, First: ts, Last: ts, Tags: tags,
				PortState: uint8((i + w.batches) % 3)}
			if sd.PortState == 1 {
				sd.SrcPort = uint16(40000 + (i+w.batches/2)%4)
			}
			r.Sources = append(r.Sources, sd)
			places = append(places, w.place(i))
		}
	}
	w.batches++
	return &store.Batch{
		Ingest: store.Ingest{Path: hash + ".pcap", Hash: hash, Sensor: sensor, Format: "pcap", ErrorOffset: -1},
		Result: r, Places: places,
		Sensor: store.Sensor{Name: sensor},
	}
}

func (w *randomWorld) pick(n int, from func(i int) any, size int) []any {
	var out []any
	for k := w.rng.IntN(n + 1); k > 0; k-- {
		out = append(out, from(w.rng.IntN(size)))
	}
	return out
}

func (w *randomWorld) query() store.StatsQuery {
	var q store.StatsQuery
	// pattern and src_port never reach the planner (viewPlan answers them
	// from the raw tables; read_views_test.go checks them).
	dims := slices.DeleteFunc(slices.Clone(store.Dimensions), func(d string) bool { return d == "pattern" || d == "src_port" })
	w.rng.Shuffle(len(dims), func(i, j int) { dims[i], dims[j] = dims[j], dims[i] })
	// Favour the shapes the rollups answer: day, sensor, class and one more.
	for _, d := range dims[:w.rng.IntN(4)] {
		if d != "src" || w.rng.IntN(4) == 0 {
			q.By = append(q.By, d)
		}
	}
	if w.rng.IntN(2) == 0 {
		q.By = append(q.By, "day", "sensor")[:len(q.By)+w.rng.IntN(3)]
		q.By = slices.Compact(q.By)
	}
	classes := classify.Names()
	for _, v := range w.pick(2, func(i int) any { return classes[i] }, len(classes)) {
		q.Classes = append(q.Classes, v.(string))
	}
	for _, v := range w.pick(2, func(i int) any { return []string{"a", "b", "c"}[i] }, 3) {
		q.Sensors = append(q.Sensors, v.(string))
	}
	if w.rng.IntN(3) == 0 {
		for _, v := range w.pick(2, func(i int) any { return w.countries[i] }, len(w.countries)) {
			q.Countries = append(q.Countries, v.(string))
		}
	}
	if w.rng.IntN(3) == 0 {
		for _, v := range w.pick(2, func(i int) any { return w.asns[i] }, len(w.asns)) {
			q.ASNs = append(q.ASNs, v.(uint32))
		}
	}
	if w.rng.IntN(3) == 0 {
		for _, v := range w.pick(2, func(i int) any { return []int{23, 80, 8}[i] }, 3) {
			q.Ports = append(q.Ports, v.(int))
		}
	}
	if w.rng.IntN(4) == 0 {
		q.Protos = []string{[]string{"tcp", "6", "udp", "icmp"}[w.rng.IntN(4)]}
	}
	if w.rng.IntN(8) == 0 {
		for _, v := range w.pick(2, func(i int) any { return w.srcs[i] }, len(w.srcs)) {
			q.Srcs = append(q.Srcs, v.(netip.Addr))
		}
	}
	switch w.rng.IntN(4) {
	case 0:
		q.From = w.days[w.rng.IntN(len(w.days))]
		q.To = q.From
	case 1:
		q.From = w.days[w.rng.IntN(2)]
	case 2:
		q.To = w.days[1+w.rng.IntN(2)]
	}
	q.OrderBy = []string{"", "packets", "sources", "key"}[w.rng.IntN(4)]
	if w.rng.IntN(4) == 0 {
		q.NoSources = true
		if q.OrderBy == "sources" {
			q.OrderBy = "packets"
		}
	}
	if w.rng.IntN(4) == 0 {
		q.Top = 1 + w.rng.IntN(5)
	}
	return q
}

// TestRollupsMatchRaw checks, over many random queries on a multi-file
// two-sensor store, that the table Stats picks gives exactly the rows of
// the source-level tables; after more commits, a --force replacement and a
// re-geolocation too.
func TestRollupsMatchRaw(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "r.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w := newRandomWorld(1)
	commit := func(b *store.Batch) {
		t.Helper()
		if _, err := st.Commit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 20; i++ {
		commit(w.batch([]string{"a", "b"}[i%2], fmt.Sprintf("sha256:%02d", i)))
	}
	plans := map[string]int{}
	check := func(stage string, n int) {
		t.Helper()
		// First with the links not yet counted again after the writes
		// (the questions they would answer count distinct keys), then
		// with them up to date.
		for pass, links := range []bool{false, true} {
			if links {
				if did, err := st.UpdateLinks(ctx); err != nil || !did {
					t.Fatalf("%s: update links: %v %v", stage, did, err)
				}
			}
			for i := 0; i < n; i++ {
				q := w.query()
				dq := store.StatsQuery{By: q.Dims(), Classes: q.Classes, Sensors: q.Sensors, Countries: q.Countries,
					Ports: q.Ports, Protos: q.Protos, ASNs: q.ASNs, From: q.From, To: q.To, NoSources: q.NoSources, Srcs: q.Srcs}
				if _, ok := linksPlan(dq); ok && links {
					plans["links"]++
				} else if pass == 0 {
					plans[planStats(dq).table]++
				}
				compareStats(t, st, q)
				if t.Failed() {
					t.Fatalf("%s (links up to date: %v): query %d differs", stage, links, i)
				}
			}
		}
		checkRollupTotals(t, st)
	}
	check("after 20 files", 250)

	// A file replaced with --force: another content of the same path
	// (still being written earlier), so its rows go and new ones come.
	b := w.batch("a", "sha256:grown")
	b.Ingest.Supersedes = []string{"sha256:00", "sha256:02"}
	b.Replace = true
	commit(b)
	// The same content again with --force: replaced by itself.
	b = w.batch("b", "sha256:01")
	b.Replace = true
	commit(b)
	check("after replacements", 120)

	// Sources of two days move to other countries and ASNs.
	moved := func(a netip.Addr) store.Place {
		if a.Is4() && a.As4()[3]%3 == 0 {
			return store.Place{Country: "DE", ASN: 3320, Org: "AS3320 Org"}
		}
		return store.Place{Country: "JP", ASN: 4713, Org: "AS4713 Org"}
	}
	if _, err := st.Reassign(ctx, "2026-05-02", "2026-05-03", moved, "test-country", "test-asn"); err != nil {
		t.Fatal(err)
	}
	check("after reassign", 120)
	for _, p := range []string{"rollup_day", "rollup_day_country", "rollup_day_asn", "rollup_day_port", "rollup_source_day", "hits", "links"} {
		if plans[p] < 5 {
			t.Errorf("only %d random queries were answered from %s (plans %v)", plans[p], p, plans)
		}
	}
	t.Logf("plans: %v", plans)
}
