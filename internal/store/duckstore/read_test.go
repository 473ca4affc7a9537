package duckstore

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// readHit is one cell of the read fixture.
type readHit struct {
	src, day string
	port     uint16
	mirai    bool
	packets  uint64
}

var readPlaces = map[string]store.Place{
	"192.0.2.10":   {Country: "JP", ASN: 64500, Org: "Example JP"},
	"192.0.2.77":   {Country: "CN", ASN: 64501, Org: "Example CN"},
	"2001:db8::1":  {Country: "US"},
	"198.51.100.5": {Country: "JP", ASN: 64500, Org: "Example JP"},
}

// readBatch builds one capture of sensor from TCP hits.
func readBatch(sensor, hash string, hits []readHit) *store.Batch {
	r := &aggregate.Result{}
	var places []store.Place
	idx := map[string]int{}
	var first, last int64
	for _, h := range hits {
		d := cday(h.day)
		ts := d.Start(time.UTC).Add(time.Hour).UnixNano()
		if first == 0 || ts < first {
			first = ts
		}
		last = max(last, ts+3600e9)
		k := h.src + " " + h.day
		i, ok := idx[k]
		if !ok {
			i = len(r.Sources)
			idx[k] = i
			r.Sources = append(r.Sources, aggregate.SourceDay{Addr: netip.MustParseAddr(h.src), Day: d, First: ts, Last: ts + 3600e9, PortState: 2})
			places = append(places, readPlaces[h.src])
		}
		tags := classify.Access.Bit()
		if h.mirai {
			tags |= classify.Mirai.Bit()
		}
		r.Sources[i].Packets += h.packets
		r.Sources[i].Tags |= tags
		r.Hits = append(r.Hits, aggregate.Hit{Source: uint32(i), Proto: 6, Port: h.port, Tags: tags, Packets: h.packets})
		r.Packets += h.packets
		r.Inbound += h.packets
	}
	r.First, r.Last = first, last
	return &store.Batch{
		Ingest: store.Ingest{Path: sensor + ".pcap", Hash: hash, Size: 1, Sensor: sensor, Format: "pcap",
			Packets: r.Packets, First: time.Unix(0, first).UTC(), Last: time.Unix(0, last).UTC(), ErrorOffset: -1},
		Result: r, Places: places, Pattern: func(int) string { return "" },
		Sensor: store.Sensor{Name: sensor, Addresses: 256},
	}
}

func cday(s string) civil.Day {
	d, err := civil.Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// readFixture: sensor s1 sees a JP and a CN source on 05-01 and 05-02 and
// an IPv6 source on 05-02; sensor s2 a second JP source on 05-02 and 05-03.
func readFixture(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "read.duckdb")
	st, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []*store.Batch{
		readBatch("s1", "sha256:01", []readHit{
			{"192.0.2.10", "2026-05-01", 23, true, 10}, {"192.0.2.10", "2026-05-01", 80, false, 2},
			{"192.0.2.10", "2026-05-02", 23, true, 5},
			{"192.0.2.77", "2026-05-01", 2323, true, 3}, {"192.0.2.77", "2026-05-02", 40000, false, 4},
			{"2001:db8::1", "2026-05-02", 23, false, 1},
		}),
		readBatch("s2", "sha256:02", []readHit{
			{"198.51.100.5", "2026-05-02", 23, true, 7}, {"198.51.100.5", "2026-05-03", 23, true, 2},
		}),
	} {
		if _, err := st.Commit(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	return ro
}

func sel(from, to string, sensors ...string) store.Selection {
	return store.Selection{Sensors: sensors, From: cday(from), To: cday(to)}
}

// seriesMap renders series as "class sensor key" → values.
func seriesMap(ss []store.Series) map[string][]float64 {
	out := map[string][]float64{}
	for _, s := range ss {
		out[fmt.Sprintf("%s %s %+v", s.Class, s.Sensor, s.Key)] = s.Values
	}
	return out
}

func TestReadSensorsRangeCaptures(t *testing.T) {
	st, ctx := readFixture(t), context.Background()
	ss, err := st.Sensors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 || ss[0].Name != "s1" || ss[1].Name != "s2" || ss[0].Addresses != 256 {
		t.Errorf("sensors %+v", ss)
	}
	for _, c := range []struct {
		sensors     []string
		first, last string
	}{{nil, "2026-05-01", "2026-05-03"}, {[]string{"s2"}, "2026-05-02", "2026-05-03"}} {
		f, l, ok, err := st.DataRange(ctx, c.sensors)
		if err != nil || !ok || f.String() != c.first || l.String() != c.last {
			t.Errorf("DataRange(%v) = %s %s %v %v, want %s %s", c.sensors, f, l, ok, err, c.first, c.last)
		}
	}
	if _, _, ok, err := st.DataRange(ctx, []string{"nope"}); ok || err != nil {
		t.Errorf("DataRange of an unknown sensor: ok %v, %v", ok, err)
	}
	caps, err := st.Captures(ctx, []string{"s2"})
	if err != nil {
		t.Fatal(err)
	}
	want := store.Capture{Sensor: "s2", First: time.Date(2026, 5, 2, 1, 0, 0, 0, time.UTC), Last: time.Date(2026, 5, 3, 2, 0, 0, 0, time.UTC)}
	if len(caps) != 1 || caps[0] != want {
		t.Errorf("captures %+v, want %+v", caps, want)
	}
	orgs, err := st.ASOrgs(ctx, sel("2026-05-01", "2026-05-03"))
	if err != nil || !reflect.DeepEqual(orgs, map[uint32]string{64500: "Example JP", 64501: "Example CN"}) {
		t.Errorf("AS orgs %v %v", orgs, err)
	}
}

func TestReadSeries(t *testing.T) {
	st, ctx := readFixture(t), context.Background()
	jp, cn, us := store.Key{Country: "JP"}, store.Key{Country: "CN"}, store.Key{Country: "US"}
	k := func(class, sensor string, key store.Key) string { return fmt.Sprintf("%s %s %+v", class, sensor, key) }
	cases := []struct {
		name string
		q    store.SeriesQuery
		want map[string][]float64
	}{
		{"packets by country", store.SeriesQuery{Selection: sel("2026-05-01", "2026-05-03"), Dim: store.DimCountry, Classes: []string{"access", "mirai"}},
			map[string][]float64{
				k("access", "", jp): {12, 12, 2}, k("access", "", cn): {3, 4, 0}, k("access", "", us): {0, 1, 0},
				k("mirai", "", jp): {10, 12, 2}, k("mirai", "", cn): {3, 0, 0}}},
		{"sources by country", store.SeriesQuery{Selection: sel("2026-05-01", "2026-05-03"), Dim: store.DimCountry, Unit: store.UnitSources, Classes: []string{"access"}},
			map[string][]float64{k("access", "", jp): {1, 2, 1}, k("access", "", cn): {1, 1, 0}, k("access", "", us): {0, 1, 0}}},
		{"by sensor, one sensor's days", store.SeriesQuery{Selection: sel("2026-05-02", "2026-05-03", "s2"), Dim: store.DimCountry, Classes: []string{"mirai"}, BySensor: true},
			map[string][]float64{k("mirai", "s2", jp): {7, 2}}},
		{"sensor dimension", store.SeriesQuery{Selection: sel("2026-05-01", "2026-05-03"), Dim: store.DimSensor, Classes: []string{"mirai"}},
			map[string][]float64{k("mirai", "", store.Key{Sensor: "s1"}): {13, 5, 0}, k("mirai", "", store.Key{Sensor: "s2"}): {0, 7, 2}}},
		{"ports folded", store.SeriesQuery{Selection: sel("2026-05-01", "2026-05-02"), Dim: store.DimPort, Classes: []string{"access"},
			Fold: true, Keep: []store.Key{{Proto: 6, Port: 23}}, FoldFrom: 1024},
			map[string][]float64{
				k("access", "", store.Key{Proto: 6, Port: 23}):              {10, 13},
				k("access", "", store.Key{Proto: 6, Fold: store.FoldOther}): {2, 0},
				k("access", "", store.Key{Proto: 6, Fold: store.FoldHigh}):  {3, 4}}},
		{"distinct sources of a folded key", store.SeriesQuery{Selection: sel("2026-05-01", "2026-05-02"), Dim: store.DimASN, Unit: store.UnitSources,
			Classes: []string{"access"}, Fold: true},
			map[string][]float64{k("access", "", store.Key{Fold: store.FoldOther}): {2, 4}}},
		{"country filter", store.SeriesQuery{Selection: sel("2026-05-01", "2026-05-03"), Dim: store.DimASN, Classes: []string{"mirai"}, Country: "CN"},
			map[string][]float64{k("mirai", "", store.Key{ASN: 64501}): {3, 0, 0}}},
		{"port narrowing", store.SeriesQuery{Selection: sel("2026-05-01", "2026-05-03"), Dim: store.DimCountry, Classes: []string{"access"},
			Narrow: store.Narrow{HasPort: true, Proto: 6, Port: 23}},
			map[string][]float64{k("access", "", jp): {10, 12, 2}, k("access", "", us): {0, 1, 0}}},
		{"port narrowing, sources", store.SeriesQuery{Selection: sel("2026-05-01", "2026-05-03"), Dim: store.DimCountry, Unit: store.UnitSources,
			Classes: []string{"access"}, Narrow: store.Narrow{HasPort: true, Proto: 6, Port: 23}},
			map[string][]float64{k("access", "", jp): {1, 2, 1}, k("access", "", us): {0, 1, 0}}},
		{"AS narrowing by port", store.SeriesQuery{Selection: sel("2026-05-01", "2026-05-03"), Dim: store.DimPort, Classes: []string{"access"},
			Narrow: store.Narrow{HasASN: true, ASN: 64500}},
			map[string][]float64{k("access", "", store.Key{Proto: 6, Port: 23}): {10, 12, 2}, k("access", "", store.Key{Proto: 6, Port: 80}): {2, 0, 0}}},
		{"AS narrowing by sensor", store.SeriesQuery{Selection: sel("2026-05-01", "2026-05-03"), Dim: store.DimSensor, Classes: []string{"mirai"},
			Narrow: store.Narrow{HasASN: true, ASN: 64501}},
			map[string][]float64{k("mirai", "", store.Key{Sensor: "s1"}): {3, 0, 0}}},
		{"port and AS narrowing, sources", store.SeriesQuery{Selection: sel("2026-05-01", "2026-05-03"), Dim: store.DimSensor, Unit: store.UnitSources,
			Classes: []string{"access"}, Narrow: store.Narrow{HasPort: true, Proto: 6, Port: 23, HasASN: true, ASN: 64500}},
			map[string][]float64{k("access", "", store.Key{Sensor: "s1"}): {1, 1, 0}, k("access", "", store.Key{Sensor: "s2"}): {0, 1, 1}}},
	}
	for _, c := range cases {
		ss, err := st.Series(ctx, c.q)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := seriesMap(ss); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %v\nwant %v", c.name, got, c.want)
		}
	}
	for _, q := range []store.SeriesQuery{
		{Selection: sel("2026-05-02", "2026-05-01"), Dim: store.DimCountry},
		{Selection: sel("2026-05-01", "2026-05-02"), Dim: "colour"},
		{Selection: sel("2026-05-01", "2026-05-02"), Dim: store.DimCountry, Unit: "bytes"},
		{Selection: sel("2026-05-01", "2026-05-02"), Dim: store.DimCountry, Classes: []string{"nope"}},
	} {
		if _, err := st.Series(ctx, q); err == nil {
			t.Errorf("%+v accepted", q)
		}
	}
}

func TestReadTopKeysAndHighPorts(t *testing.T) {
	st, ctx := readFixture(t), context.Background()
	for _, c := range []struct {
		n    int
		want []store.Key
	}{
		{1, []store.Key{{Proto: 6, Port: 23}}},
		// access: 40000 by total and by peak; mirai: 2323.
		{2, []store.Key{{Proto: 6, Port: 23}, {Proto: 6, Port: 2323}, {Proto: 6, Port: 40000}}},
	} {
		got, err := st.TopKeys(ctx, store.TopKeysQuery{Selection: sel("2026-05-01", "2026-05-03"), Dim: store.DimPort, N: c.n})
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("TopKeys N=%d: %+v %v, want %+v", c.n, got, err, c.want)
		}
	}
	// Narrowed to AS 64501 (the CN source: 3 packets to 2323, 4 to
	// 40000), the top port of access by total and by peak is 40000.
	got, err := st.TopKeys(ctx, store.TopKeysQuery{Selection: sel("2026-05-01", "2026-05-03"), Dim: store.DimPort, Classes: []string{"access"},
		Narrow: store.Narrow{HasASN: true, ASN: 64501}, N: 1})
	if want := []store.Key{{Proto: 6, Port: 40000}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("TopKeys narrowed to AS 64501: %+v %v, want %+v", got, err, want)
	}
	hp, err := st.HighPorts(ctx, sel("2026-05-01", "2026-05-03"), 1024)
	want := []store.HighPorts{{Class: "access", Proto: 6, Ports: 2}, {Class: "mirai", Proto: 6, Ports: 1}}
	if err != nil || !reflect.DeepEqual(hp, want) {
		t.Errorf("HighPorts %+v %v, want %+v", hp, err, want)
	}
}

func TestReadDistinctSources(t *testing.T) {
	st, ctx := readFixture(t), context.Background()
	qs := []store.KeyDays{
		{Class: "mirai", Dim: store.DimCountry, Key: store.Key{Country: "JP"}, From: cday("2026-05-01"), To: cday("2026-05-03")},
		{Class: "mirai", Sensor: "s2", Dim: store.DimCountry, Key: store.Key{Country: "JP"}, From: cday("2026-05-01"), To: cday("2026-05-03")},
		{Class: "access", Dim: store.DimPort, Key: store.Key{Proto: 6, Port: 23}, From: cday("2026-05-02"), To: cday("2026-05-02")},
		{Class: "mirai", Dim: store.DimASN, Key: store.Key{ASN: 64500}, From: cday("2026-05-01"), To: cday("2026-05-03")},
		{Class: "mirai", Dim: store.DimASN, Key: store.Key{ASN: 64500}, From: cday("2026-05-03"), To: cday("2026-05-03")},
		{Class: "nope", Dim: store.DimASN, Key: store.Key{ASN: 64500}, From: cday("2026-05-01"), To: cday("2026-05-03")},
	}
	got, err := st.DistinctSources(ctx, nil, qs)
	if want := []float64{2, 1, 3, 2, 1, 0}; err != nil || !slices.Equal(got, want) {
		t.Errorf("DistinctSources %v %v, want %v", got, err, want)
	}
	// The sensor selection applies to every question.
	got, err = st.DistinctSources(ctx, []string{"s1"}, qs[:1])
	if err != nil || !slices.Equal(got, []float64{1}) {
		t.Errorf("DistinctSources at s1: %v %v", got, err)
	}
}

func TestReadBreakdownAndTopSources(t *testing.T) {
	st, ctx := readFixture(t), context.Background()
	q := store.BreakdownQuery{Selection: sel("2026-05-01", "2026-05-02"), Class: "mirai", Dim: store.DimCountry, Key: store.Key{Country: "JP"}}
	rows, err := st.Breakdown(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, r := range rows {
		got[fmt.Sprintf("%s %s %+v", r.Day, r.Dim, r.Key)] = r.Value
	}
	p24 := func(s string) store.Key { return store.Key{Prefix: netip.MustParsePrefix(s)} }
	want := map[string]float64{}
	for _, w := range []struct {
		day, dim string
		key      store.Key
		v        float64
	}{
		{"2026-05-01", store.DimASN, store.Key{ASN: 64500}, 10}, {"2026-05-02", store.DimASN, store.Key{ASN: 64500}, 12},
		{"2026-05-01", store.DimPort, store.Key{Proto: 6, Port: 23}, 10}, {"2026-05-02", store.DimPort, store.Key{Proto: 6, Port: 23}, 12},
		{"2026-05-01", store.DimPrefix, p24("192.0.2.0/24"), 10}, {"2026-05-02", store.DimPrefix, p24("192.0.2.0/24"), 5},
		{"2026-05-02", store.DimPrefix, p24("198.51.100.0/24"), 7},
	} {
		want[fmt.Sprintf("%s %s %+v", w.day, w.dim, w.key)] = w.v
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("breakdown\n got %v\nwant %v", got, want)
	}
	q.Unit = store.UnitSources
	rows, err = st.Breakdown(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Dim == store.DimASN && r.Day.String() == "2026-05-02" && r.Value != 2 {
			t.Errorf("distinct sources of AS64500 on 05-02: %v, want 2", r.Value)
		}
	}
	q.Unit, q.To = store.UnitPackets, cday("2026-05-03")
	top, err := st.TopSources(ctx, q, 1)
	if err != nil || !reflect.DeepEqual(top, []store.SourcePackets{{Addr: "192.0.2.10", Packets: 15}}) {
		t.Errorf("TopSources %+v %v", top, err)
	}
	q.Dim = "colour"
	if _, err := st.Breakdown(ctx, q); err == nil {
		t.Error("unknown dimension accepted")
	}
}

func TestReadClassTotals(t *testing.T) {
	st, ctx := readFixture(t), context.Background()
	got, err := st.ClassTotals(ctx, store.TotalsQuery{Selection: sel("2026-05-01", "2026-05-03"), Split: cday("2026-05-02")})
	if err != nil {
		t.Fatal(err)
	}
	if g := got.Before["access"]; g != (store.Total{Packets: 15, Sources: 2}) {
		t.Errorf("access before: %+v", g)
	}
	if g := got.After["access"]; g != (store.Total{Packets: 19, Sources: 4}) {
		t.Errorf("access after: %+v", g)
	}
	if g := got.After["mirai"]; g != (store.Total{Packets: 14, Sources: 2}) {
		t.Errorf("mirai after: %+v", g)
	}
	if g := got.DailySources["access"]; !slices.Equal(g, []float64{2, 4, 1}) {
		t.Errorf("access daily sources %v", g)
	}
}

func TestReadSourceDays(t *testing.T) {
	st, ctx := readFixture(t), context.Background()
	days, err := st.SourceDays(ctx, netip.MustParseAddr("192.0.2.10"), sel("2026-05-01", "2026-05-03"))
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 {
		t.Fatalf("%d days: %+v", len(days), days)
	}
	d := days[0]
	if d.Day.String() != "2026-05-01" || d.Packets != 12 || !slices.Equal(d.Classes, []string{"access", "mirai"}) ||
		!slices.Equal(d.Sensors, []string{"s1"}) || d.Country != "JP" || d.ASN != 64500 || d.Org != "Example JP" ||
		!d.First.Equal(time.Date(2026, 5, 1, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("day 1: %+v", d)
	}
	if want := []store.PortPackets{{Proto: 6, Port: 23, Packets: 10}, {Proto: 6, Port: 80, Packets: 2}}; !slices.Equal(d.Ports, want) {
		t.Errorf("ports %+v, want %+v", d.Ports, want)
	}
	if days[1].Packets != 5 || days[1].Day.String() != "2026-05-02" {
		t.Errorf("day 2: %+v", days[1])
	}
	none, err := st.SourceDays(ctx, netip.MustParseAddr("192.0.2.10"), sel("2026-05-01", "2026-05-03", "s2"))
	if err != nil || len(none) != 0 {
		t.Errorf("at s2: %+v %v", none, err)
	}
}
