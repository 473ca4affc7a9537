// Package contract is the store contract test shared by the backends: the
// same synthesized captures ingested into two stores must give the same
// answers to every read both implement, and the synthetic truth.
package contract

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// Run is the whole contract: it ingests the same synthesized captures
// into ref (a DuckDB store) and got, in parts of refParts and gotParts
// source-days (0: whole), checks got against the synthetic truth and
// compares every read; then the same Cowrie logs and session batches, and
// a --force re-ingest; then the evidence kept and a backfill of it.
func Run(t *testing.T, dir string, ref, got store.Store, refParts, gotParts int) {
	t.Helper()
	caps := Captures(t, dir, 40000)
	Ingest(t, ref, caps, false, refParts)
	Ingest(t, got, caps, false, gotParts)
	for _, c := range caps {
		CheckTruth(t, ref, c)
		CheckTruth(t, got, c)
	}
	Compare(t, ref, got, Period(caps))
	CompareSrcPorts(t, ref, got, Period(caps))
	CompareRunSrcPorts(t, ref, got, caps[0].Sensor)
	// Honeypot sessions: Cowrie logs, then batches with a retry, upserts
	// and intrusion hits.
	logs := SessionLogs(t, dir, caps, 30)
	Ingest(t, ref, logs, false, 0)
	Ingest(t, got, logs, false, 0)
	CompareSessions(t, ref, got, Period(caps))
	// Each sensor's geolocated ingests: its capture and its Cowrie log.
	for _, c := range caps {
		uses, err := got.GeoDatabases(context.Background(), []string{c.Sensor})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, u := range uses {
			n += u.Ingests
		}
		if n != 2 {
			t.Errorf("GeoDatabases of %s: %d ingests (%+v), want 2", c.Sensor, n, uses)
		}
	}
	CommitBatches(t, ref, got)
	CompareSessions(t, ref, got, Period(caps))
	// Every read again, with the sessions' intrusion hits in the store.
	Compare(t, ref, got, Period(caps))
	// --force replaces: nothing counted twice.
	Ingest(t, ref, caps[:1], true, refParts)
	Ingest(t, got, caps[:1], true, gotParts)
	CompareStats(t, ref, got)
	Compare(t, ref, got, Period(caps))
	CompareSrcPorts(t, ref, got, Period(caps))
	CompareEvidence(t, ref, got, Period(caps))
}

// CompareStats compares stats queries of every class, and of the
// intrusion and mirai classes, under groupings of day, sensor, class, port
// and country.
func CompareStats(t *testing.T, ref, got store.Reader) {
	t.Helper()
	for _, by := range [][]string{nil, {"day", "class"}, {"sensor", "class"}, {"class", "port"}, {"country", "class"}} {
		for _, q := range []store.StatsQuery{{By: by}, {By: by, Classes: []string{"intrusion", "mirai"}, OrderBy: "key"}} {
			a, errA := ref.Stats(context.Background(), q)
			b, errB := got.Stats(context.Background(), q)
			if errA != nil || errB != nil {
				t.Errorf("Stats %+v: errors %v / %v", q, errA, errB)
			} else if !reflect.DeepEqual(a, b) {
				t.Errorf("Stats %+v differs:\n ref %v\n got %v", q, a, b)
			}
		}
	}
}

// pool is the built-in GeoIP table's addresses.
type pool struct{}

func (pool) Countries() []string                          { return geo.DefaultCountries() }
func (pool) Addr(cc string, n uint64) (netip.Addr, bool)  { return geo.DefaultAddr(cc, n) }
func (pool) Addr6(cc string, n uint64) (netip.Addr, bool) { return geo.DefaultAddr6(cc, n) }

// Capture is one synthesized capture file of a sensor.
type Capture struct {
	Path   string
	Sensor string
	Truth  *synth.Truth
}

// Captures writes two sensors' synthesized captures (a week each, with a
// spike, IPv6 sources and exploits) into dir.
func Captures(t testing.TB, dir string, packets int) []Capture {
	t.Helper()
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	var out []Capture
	for i, sensor := range []string{"tokyo", "osaka"} {
		path := filepath.Join(dir, sensor+".pcap")
		cfg := synth.Config{Packets: packets, Days: 7, Seed: uint64(11 + i), Start: start, Pool: pool{},
			Spikes: []synth.Spike{{Country: "CN", Day: 3, Factor: 4}}}
		tr, err := synth.WriteFile(path, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if len(tr.Files) > 1 {
			t.Fatalf("synthesized capture split into %d files", len(tr.Files))
		}
		out = append(out, Capture{Path: path, Sensor: sensor, Truth: tr})
	}
	return out
}

// Locate is the built-in GeoIP table's geolocation.
func Locate(t testing.TB) func(netip.Addr) store.Place {
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

// Ingest ingests the captures into st (each of its sensor, force as
// --force) with the ingest pipeline, in parts of at most partSources
// source-days (0: the default).
func Ingest(t testing.TB, st store.Store, caps []Capture, force bool, partSources int) {
	t.Helper()
	locate := Locate(t)
	for _, c := range caps {
		cfg := ingest.Config{
			Sensor: c.Sensor, Force: force, Workers: 1, Shards: 2, PartSources: partSources, Locate: locate,
			Open: func(ctx context.Context, tz string) (store.Store, error) { return nopClose{st}, nil },
		}
		res, err := ingest.Run(context.Background(), cfg, []string{c.Path})
		if err != nil {
			t.Fatalf("ingest %s: %v", c.Path, err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("ingest %s: %v", r.Path, r.Err)
			}
		}
	}
}

// nopClose keeps the store open when ingest closes it.
type nopClose struct{ store.Store }

func (nopClose) Close() error { return nil }

// Period is the days the captures cover.
func Period(caps []Capture) store.Selection {
	d, _ := civil.Parse(caps[0].Truth.Start)
	return store.Selection{From: d, To: d.AddDays(caps[0].Truth.Days - 1)}
}

// CheckTruth checks st's packets and distinct sources per day and class
// against the truth of one sensor's capture.
func CheckTruth(t *testing.T, st store.Reader, c Capture) {
	t.Helper()
	rows, err := st.Stats(context.Background(), store.StatsQuery{By: []string{"day", "class"}, Sensors: []string{c.Sensor}, OrderBy: "key"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][2]uint64{}
	for _, r := range rows {
		got[fmt.Sprint(r.Keys[0], "/", r.Keys[1])] = [2]uint64{r.Packets, r.Sources}
	}
	want := map[string][2]uint64{}
	for _, dc := range c.Truth.ByDayClass {
		if dc.Packets > 0 {
			want[dc.Day+"/"+dc.Class] = [2]uint64{dc.Packets, dc.Sources}
		}
	}
	if len(want) == 0 {
		t.Fatal("truth holds nothing")
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: stats by day, class differ from the truth:\n got %v\nwant %v", c.Sensor, got, want)
	}
}

// Compare asks ref and got the same questions (every read got
// implements: the ones returning store.ErrUnsupported are listed in the
// log) and fails on any difference.
func Compare(t *testing.T, ref, got store.Reader, sel store.Selection) {
	t.Helper()
	ctx := context.Background()
	check := func(name string, a, b any, errA, errB error) {
		t.Helper()
		if errors.Is(errB, store.ErrUnsupported) {
			t.Logf("%s: unsupported by the second store", name)
			return
		}
		if errA != nil || errB != nil {
			t.Errorf("%s: errors %v / %v", name, errA, errB)
			return
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s differs:\n ref %v\n got %v", name, a, b)
		}
	}
	bys := [][]string{nil, {"day"}, {"day", "class"}, {"sensor"}, {"class", "country"}, {"port"}, {"asn"}, {"day", "sensor", "class"}, {"country", "proto"},
		{"pattern"}, {"day", "pattern", "class"}, {"pattern", "src_port"}, {"src_port"}, {"class", "src_port"}, {"src_port", "country", "asn"}}
	for _, by := range bys {
		for _, q := range []store.StatsQuery{
			{By: by},
			{By: by, Classes: []string{"mirai"}, OrderBy: "sources"},
			{By: by, Sensors: []string{"osaka"}, From: sel.From.String(), To: sel.From.AddDays(2).String(), Top: 5},
			{By: by, Countries: []string{"CN", "us"}, Protos: []string{"tcp"}, OrderBy: "key"},
			{By: by, Ports: []int{23, 2323}, NoSources: true},
		} {
			a, errA := ref.Stats(ctx, q)
			b, errB := got.Stats(ctx, q)
			check(fmt.Sprintf("Stats %+v", q), a, b, errA, errB)
		}
	}
	{
		a, errA := ref.Sensors(ctx)
		b, errB := got.Sensors(ctx)
		check("Sensors", a, b, errA, errB)
	}
	for _, sensors := range [][]string{nil, {"osaka"}, {"nowhere"}} {
		f1, l1, ok1, errA := ref.DataRange(ctx, sensors)
		f2, l2, ok2, errB := got.DataRange(ctx, sensors)
		check(fmt.Sprint("DataRange ", sensors), []any{f1, l1, ok1}, []any{f2, l2, ok2}, errA, errB)
		a, errA := ref.Captures(ctx, sensors)
		b, errB := got.Captures(ctx, sensors)
		check(fmt.Sprint("Captures ", sensors), a, b, errA, errB)
	}
	for _, split := range []int{0, 3, 6} {
		q := store.TotalsQuery{Selection: sel, Split: sel.From.AddDays(split)}
		a, errA := ref.ClassTotals(ctx, q)
		b, errB := got.ClassTotals(ctx, q)
		check(fmt.Sprintf("ClassTotals %+v", q), a, b, errA, errB)
	}
	var series []store.SeriesQuery
	for _, dim := range []string{store.DimCountry, store.DimPort, store.DimASN, store.DimSensor} {
		for _, unit := range []store.Unit{store.UnitPackets, store.UnitSources} {
			series = append(series,
				store.SeriesQuery{Selection: sel, Dim: dim, Unit: unit},
				store.SeriesQuery{Selection: sel, Dim: dim, Unit: unit, BySensor: true, Classes: []string{"mirai", "zmap"}},
				store.SeriesQuery{Selection: sel, Dim: dim, Unit: unit, Fold: true, Keep: keep(dim), FoldFrom: 1024},
				store.SeriesQuery{Selection: sel, Dim: dim, Unit: unit, Fold: true, FoldFrom: 1024},
				store.SeriesQuery{Selection: sel, Dim: dim, Unit: unit, Country: "CN", Narrow: store.Narrow{HasPort: true, Proto: 6, Port: 23}},
			)
		}
	}
	for _, q := range series {
		a, errA := ref.Series(ctx, q)
		b, errB := got.Series(ctx, q)
		check(fmt.Sprintf("Series %+v", q), a, b, errA, errB)
	}
	for _, dim := range []string{store.DimCountry, store.DimPort, store.DimASN, store.DimSensor} {
		q := store.TopKeysQuery{Selection: sel, Dim: dim, N: 3}
		a, errA := ref.TopKeys(ctx, q)
		b, errB := got.TopKeys(ctx, q)
		check(fmt.Sprintf("TopKeys %+v", q), a, b, errA, errB)
	}
	var kds []store.KeyDays
	for _, cl := range []string{"access", "mirai", "exploit"} {
		kds = append(kds,
			store.KeyDays{Class: cl, Dim: store.DimCountry, Key: store.Key{Country: "CN"}, From: sel.From, To: sel.To},
			store.KeyDays{Class: cl, Sensor: "tokyo", Dim: store.DimPort, Key: store.Key{Proto: 6, Port: 23}, From: sel.From, To: sel.From},
			store.KeyDays{Class: cl, Dim: store.DimPort, Key: store.Key{Proto: 6, Port: 23}, From: sel.From, To: sel.To},
			store.KeyDays{Class: cl, Dim: store.DimASN, Key: store.Key{ASN: 4134}, From: sel.From.AddDays(1), To: sel.To})
	}
	for _, sensors := range [][]string{nil, {"tokyo"}} {
		a, errA := ref.DistinctSources(ctx, sensors, kds)
		b, errB := got.DistinctSources(ctx, sensors, kds)
		check(fmt.Sprint("DistinctSources ", sensors), a, b, errA, errB)
	}
	for _, q := range []store.BreakdownQuery{
		{Selection: sel, Class: "access", Dim: store.DimCountry, Key: store.Key{Country: "CN"}},
		{Selection: sel, Class: "mirai", Dim: store.DimPort, Key: store.Key{Proto: 6, Port: 23}, Unit: store.UnitSources},
		{Selection: sel, Class: "access", Dim: store.DimASN, Key: store.Key{ASN: 4134}, Unit: store.UnitSources},
	} {
		a, errA := ref.Breakdown(ctx, q)
		b, errB := got.Breakdown(ctx, q)
		sortRows(a)
		sortRows(b)
		check(fmt.Sprintf("Breakdown %+v", q), a, b, errA, errB)
		sa, errA := ref.TopSources(ctx, q, 5)
		sb, errB := got.TopSources(ctx, q, 5)
		check(fmt.Sprintf("TopSources %+v", q), sa, sb, errA, errB)
	}
	{
		a, errA := ref.HighPorts(ctx, sel, 1024)
		b, errB := got.HighPorts(ctx, sel, 1024)
		check("HighPorts", a, b, errA, errB)
		oa, errA := ref.ASOrgs(ctx, sel)
		ob, errB := got.ASOrgs(ctx, sel)
		check("ASOrgs", oa, ob, errA, errB)
	}
	// GeoDatabases of all sensors only: the DuckDB store's sensor filter
	// there binds to its error = '' alone (a missing pair of parentheses),
	// so a sensor's count includes the other sensors' ingests.
	{
		a, errA := ref.GeoDatabases(ctx, nil)
		b, errB := got.GeoDatabases(ctx, nil)
		check("GeoDatabases", a, b, errA, errB)
	}
	for _, s := range []store.Selection{sel, {From: sel.From.AddDays(2), To: sel.From.AddDays(4), Sensors: []string{"tokyo"}}} {
		a, errA := ref.ExploitPatterns(ctx, s)
		b, errB := got.ExploitPatterns(ctx, s)
		check(fmt.Sprintf("ExploitPatterns %+v", s), a, b, errA, errB)
		if errA == nil && len(a.Totals) == 0 {
			t.Errorf("ExploitPatterns %+v: no patterns to compare", s)
		}
		for _, n := range []int{1, 10} {
			a, errA := ref.FixedSourcePorts(ctx, s, n)
			b, errB := got.FixedSourcePorts(ctx, s, n)
			check(fmt.Sprintf("FixedSourcePorts %+v %d", s, n), a, b, errA, errB)
			if errA == nil && len(a) == 0 {
				t.Errorf("FixedSourcePorts %+v: no ports to compare", s)
			}
		}
	}
	// The busiest sources, and the busiest exploit and IPv6 ones.
	var addrs []netip.Addr
	for _, q := range []store.StatsQuery{{By: []string{"src"}, Top: 3}, {By: []string{"src"}, Classes: []string{"exploit"}, Top: 2}} {
		rows, err := ref.Stats(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			addrs = append(addrs, netip.MustParseAddr(r.Keys[0].(string)))
		}
	}
	if rows, err := ref.Stats(ctx, store.StatsQuery{By: []string{"src"}}); err == nil {
		for _, r := range rows {
			if a := netip.MustParseAddr(r.Keys[0].(string)); a.Is6() && !a.Is4In6() {
				addrs = append(addrs, a)
				break
			}
		}
	}
	addrs = append(addrs, netip.MustParseAddr("192.0.2.254"))
	for _, addr := range addrs {
		for _, s := range []store.Selection{sel, {From: sel.From, To: sel.From.AddDays(1), Sensors: []string{"osaka"}}} {
			a, errA := ref.SourceDays(ctx, addr, s)
			b, errB := got.SourceDays(ctx, addr, s)
			check(fmt.Sprintf("SourceDays %s %+v", addr, s), a, b, errA, errB)
		}
	}
}

func keep(dim string) []store.Key {
	switch dim {
	case store.DimCountry:
		return []store.Key{{Country: "CN"}, {Country: "US"}}
	case store.DimPort:
		return []store.Key{{Proto: 6, Port: 23}, {Proto: 6, Port: 80}, {Proto: 17, Port: 53}}
	case store.DimASN:
		return []store.Key{{ASN: 4134}}
	}
	return []store.Key{{Sensor: "tokyo"}}
}

func sortRows(rows []store.BreakdownRow) {
	slices.SortFunc(rows, func(a, b store.BreakdownRow) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Dim, b.Dim), cmp.Compare(a.Key.ASN, b.Key.ASN),
			cmp.Compare(a.Key.Proto, b.Key.Proto), cmp.Compare(a.Key.Port, b.Key.Port), a.Key.Prefix.Addr().Compare(b.Key.Prefix.Addr()))
	})
}
