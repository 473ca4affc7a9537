package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/synth"
)

type geoPool struct{}

func (geoPool) Countries() []string                          { return geo.DefaultCountries() }
func (geoPool) Addr(cc string, n uint64) (netip.Addr, bool)  { return geo.DefaultAddr(cc, n) }
func (geoPool) Addr6(cc string, n uint64) (netip.Addr, bool) { return geo.DefaultAddr6(cc, n) }

// buildStore ingests two small synthetic captures (sensors tokyo and
// osaka, overlapping days) into a new store in dir and returns its path.
func buildStore(t testing.TB, dir string) string {
	t.Helper()
	l, err := geo.Open(geo.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	locate := func(a netip.Addr) store.Place {
		i := l.Lookup(a)
		return store.Place{Country: i.Country, ASN: i.ASN, Org: i.Org, Special: i.Special}
	}
	db := filepath.Join(dir, "s.duckdb")
	for i, sensor := range []string{"tokyo", "osaka"} {
		capPath := filepath.Join(dir, sensor+".pcap")
		sp, _ := synth.ParseSpike("MX:2:8")
		truth, err := synth.WriteFile(capPath, synth.Config{Packets: 30000, Days: 4 + i, Seed: uint64(11 + i), Pool: geoPool{}, Spikes: []synth.Spike{sp}})
		if err != nil {
			t.Fatal(err)
		}
		nets, _ := ingest.ParseNets([]string{truth.SensorNet, truth.SensorNet6})
		res, err := ingest.Run(context.Background(), ingest.Config{DBPath: db, Sensor: sensor, TimeZone: "Asia/Tokyo", Locate: locate, SensorNets: nets}, []string{capPath})
		if err != nil || res[0].Err != nil || !res[0].Committed {
			t.Fatalf("ingest %s: %v %+v", sensor, err, res)
		}
	}
	return db
}

var testDB string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "honeyscope-api-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testDB = filepath.Join(dir, "s.duckdb")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// openTestStore builds the shared test store on first use and opens it
// read-only.
func openTestStore(t *testing.T) store.Store {
	t.Helper()
	if _, err := os.Stat(testDB); err != nil {
		buildStore(t, filepath.Dir(testDB))
	}
	st, err := duckstore.Open(context.Background(), testDB, duckstore.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func fetch(t *testing.T, c *Component, target string, v any) {
	t.Helper()
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "http://x"+target, nil))
	if rec.Code != 200 {
		t.Fatalf("%s: %d %s", target, rec.Code, rec.Body.String())
	}
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("%s: %v", target, err)
	}
}

func direct(t *testing.T, st store.Store, q store.StatsQuery) []store.StatsRow {
	t.Helper()
	rows, err := st.Stats(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatalf("direct query %+v has no rows: the comparison would be empty", q)
	}
	return rows
}

// asJSON is what direct rows look like after the API's JSON round trip.
func asJSON(t *testing.T, dims []string, rows []store.StatsRow) []map[string]any {
	t.Helper()
	out := make([]map[string]any, len(rows))
	for i, r := range rows {
		out[i] = rowJSON(dims, r)
	}
	b, _ := json.Marshal(out)
	var back []map[string]any
	json.Unmarshal(b, &back)
	return back
}

func TestStatsAgainstStore(t *testing.T) {
	st := openTestStore(t)
	c := newTestComponent(t, st, Configuration{}, Dependencies{})
	for _, tc := range []struct {
		query string
		q     store.StatsQuery
	}{
		{"by=day,class", store.StatsQuery{By: []string{"day", "class"}}},
		{"by=day,sensor&class=mirai", store.StatsQuery{By: []string{"day", "sensor"}, Classes: []string{"mirai"}}},
		{"by=country&class=mirai&top=5&order=sources", store.StatsQuery{By: []string{"country"}, Classes: []string{"mirai"}, Top: 5, OrderBy: "sources"}},
		{"by=country&unit=sources&top=5", store.StatsQuery{By: []string{"country"}, Top: 5, OrderBy: "sources"}},
		{"by=port&proto=tcp&port=23,2323,80-81", store.StatsQuery{By: []string{"port"}, Protos: []string{"tcp"}, Ports: []int{23, 2323, 80, 81}}},
		{"by=asn,day&country=us&sensor=osaka", store.StatsQuery{By: []string{"asn", "day"}, Countries: []string{"US"}, Sensors: []string{"osaka"}}},
		{"by=class&from=2026-05-02&to=2026-05-03", store.StatsQuery{By: []string{"class"}, From: "2026-05-02", To: "2026-05-03"}},
		{"", store.StatsQuery{}},
	} {
		var got StatsAnswer
		fetch(t, c, "/api/v1/stats?"+tc.query, &got)
		want := direct(t, st, tc.q)
		if !slices.Equal(got.Dims, tc.q.Dims()) {
			t.Errorf("%s: dims %v, want %v", tc.query, got.Dims, tc.q.Dims())
		}
		if w := asJSON(t, tc.q.Dims(), want); !reflect.DeepEqual(got.Rows, w) {
			t.Errorf("%s: rows differ\n got %v\nwant %v", tc.query, got.Rows, w)
		}
		if got.Truncated {
			t.Errorf("%s: truncated", tc.query)
		}
	}
	// A row limit cuts and says so.
	small := newTestComponent(t, st, Configuration{MaxRows: 3}, Dependencies{})
	var got StatsAnswer
	fetch(t, small, "/api/v1/stats?by=day,class", &got)
	if len(got.Rows) != 3 || !got.Truncated {
		t.Errorf("MaxRows 3: %d rows, truncated %v", len(got.Rows), got.Truncated)
	}
}

func TestSeriesAgainstStore(t *testing.T) {
	st := openTestStore(t)
	c := newTestComponent(t, st, Configuration{}, Dependencies{})
	for _, tc := range []struct {
		by, class, unit string
		top             int
	}{
		{"country", "mirai", "packets", 3},
		{"country", "access", "sources", 4},
		{"port", "access", "sources", 4},
		{"port", "mirai", "packets", 3},
		{"sensor", "access", "sources", 1},
		{"sensor", "access", "packets", 1},
		{"asn", "zmap", "sources", 2},
	} {
		name := tc.by + "/" + tc.class + "/" + tc.unit
		var got SeriesAnswer
		fetch(t, c, fmt.Sprintf("/api/v1/series?by=%s&class=%s&unit=%s&top=%d", tc.by, tc.class, tc.unit, tc.top), &got)
		dayIdx := map[string]int{}
		for i, d := range got.Days {
			dayIdx[d] = i
		}
		// Every key per day, from the store.
		want := map[string][]uint64{}
		for _, r := range direct(t, st, store.StatsQuery{By: []string{"day", tc.by}, Classes: []string{tc.class}}) {
			k := keyOf(tc.by, r.Keys, 1)
			if want[k] == nil {
				want[k] = make([]uint64, len(got.Days))
			}
			i, ok := dayIdx[r.Keys[0].(string)]
			if !ok {
				t.Fatalf("%s: day %v missing from the axis %v", name, r.Keys[0], got.Days)
			}
			want[k][i] += unitValue(r, tc.unit)
		}
		// The top keys are the store's top over the period.
		tops := direct(t, st, store.StatsQuery{By: []string{tc.by}, Classes: []string{tc.class}, Top: tc.top, OrderBy: tc.unit})
		if len(got.Series) != len(tops)+1 || got.Series[len(tops)].Key != "other" {
			t.Fatalf("%s: %d series, want %d and other", name, len(got.Series), len(tops))
		}
		isTop := map[string]bool{}
		for i, r := range tops {
			k := keyOf(tc.by, r.Keys, 0)
			isTop[k] = true
			if got.Series[i].Key != k {
				t.Errorf("%s: series %d is %s, want %s", name, i, got.Series[i].Key, k)
			}
		}
		check := func(what string, vals []*uint64, want []uint64) {
			if len(vals) != len(want) {
				t.Fatalf("%s %s: %d values for %d days", name, what, len(vals), len(want))
			}
			for i, v := range vals {
				if v == nil || *v != want[i] {
					t.Errorf("%s %s day %s: %v, want %d", name, what, got.Days[i], v, want[i])
				}
			}
		}
		for i, r := range tops {
			check(got.Series[i].Key, got.Series[i].Values, want[keyOf(tc.by, r.Keys, 0)])
		}
		// "other" adds up the other keys, except distinct sources by port.
		other := make([]uint64, len(got.Days))
		for k, v := range want {
			if !isTop[k] {
				for i, x := range v {
					other[i] += x
				}
			}
		}
		if tc.by == "port" && tc.unit == "sources" {
			for i, v := range got.Series[len(tops)].Values {
				if v != nil {
					t.Errorf("%s: other on %s is %d, want null", name, got.Days[i], *v)
				}
			}
			if got.Note == "" {
				t.Errorf("%s: no note for the missing other", name)
			}
		} else {
			check("other", got.Series[len(tops)].Values, other)
		}
		// The total per day is the store's per-day count.
		tot := make([]uint64, len(got.Days))
		for _, r := range direct(t, st, store.StatsQuery{By: []string{"day"}, Classes: []string{tc.class}}) {
			tot[dayIdx[r.Keys[0].(string)]] = unitValue(r, tc.unit)
		}
		check("total", got.Total, tot)
	}
	// A day of the axis without data is null, not zero.
	var got SeriesAnswer
	fetch(t, c, "/api/v1/series?by=country&class=mirai&from=2026-04-29&to=2026-05-02", &got)
	if len(got.Days) != 4 || got.Total[0] != nil || got.Total[1] != nil || got.Total[2] == nil || got.Series[0].Values[0] != nil {
		t.Errorf("days before the data: %v total %v", got.Days, got.Total)
	}
}

func TestTopTotalsSourceAgainstStore(t *testing.T) {
	st := openTestStore(t)
	c := newTestComponent(t, st, Configuration{}, Dependencies{})
	var top TopAnswer
	fetch(t, c, "/api/v1/top?by=asn&class=mirai&top=5&unit=sources", &top)
	wantTop := direct(t, st, store.StatsQuery{By: []string{"asn"}, Classes: []string{"mirai"}, Top: 5, OrderBy: "sources"})
	all := direct(t, st, store.StatsQuery{Classes: []string{"mirai"}})
	if top.Total != (Count{all[0].Packets, all[0].Sources}) || len(top.Rows) != len(wantTop) {
		t.Fatalf("top: total %v rows %d, want %v %d", top.Total, len(top.Rows), all[0], len(wantTop))
	}
	for i, r := range wantTop {
		if top.Rows[i].Key != fmt.Sprint(r.Keys[0]) || top.Rows[i].Value != r.Sources ||
			top.Rows[i].Share != float64(r.Sources)/float64(all[0].Sources) {
			t.Errorf("top row %d: %+v, want %v", i, top.Rows[i], r)
		}
	}

	var tot TotalsAnswer
	fetch(t, c, "/api/v1/totals?sensor=tokyo", &tot)
	q := store.StatsQuery{Sensors: []string{"tokyo"}}
	w := direct(t, st, q)[0]
	if tot.Packets != w.Packets || tot.Sources != w.Sources {
		t.Errorf("totals %v, want %v", tot.Count, w)
	}
	q.By, q.OrderBy = []string{"class"}, "key"
	if wc := asJSON(t, q.By, direct(t, st, q)); !reflect.DeepEqual(tot.Classes, wc) {
		t.Errorf("totals classes %v, want %v", tot.Classes, wc)
	}
	q.By = []string{"day"}
	days := direct(t, st, q)
	if tot.Days != len(days) || tot.FirstDay != days[0].Keys[0] || tot.LastDay != days[len(days)-1].Keys[0] {
		t.Errorf("totals days %d %s..%s, want %d", tot.Days, tot.FirstDay, tot.LastDay, len(days))
	}
	if len(tot.Sensors) != 1 || tot.Sensors[0]["sensor"] != "tokyo" {
		t.Errorf("totals sensors %v", tot.Sensors)
	}

	// The busiest source, checked against grouping by src (not the Srcs
	// filter the endpoint uses).
	bySrc := direct(t, st, store.StatsQuery{By: []string{"src"}, Top: 1})
	ip := bySrc[0].Keys[0].(string)
	var src SourceAnswer
	fetch(t, c, "/api/v1/source/"+url.PathEscape(ip), &src)
	if src.IP != ip || src.Packets != bySrc[0].Packets {
		t.Errorf("source %s: %d packets, want %d", ip, src.Packets, bySrc[0].Packets)
	}
	perDay := map[string]uint64{}
	for _, r := range direct(t, st, store.StatsQuery{By: []string{"day", "sensor", "src"}}) {
		if r.Keys[2] == ip {
			perDay[fmt.Sprint(r.Keys[0], "/", r.Keys[1])] += r.Packets
		}
	}
	gotDay := map[string]uint64{}
	for _, d := range src.Days {
		gotDay[d.Day+"/"+d.Sensor] += d.Packets
		if d.Classes["access"] != d.Packets {
			t.Errorf("source day %s: access %d of %d packets", d.Day, d.Classes["access"], d.Packets)
		}
	}
	if !reflect.DeepEqual(gotDay, perDay) {
		t.Errorf("source days %v, want %v", gotDay, perDay)
	}
	if len(src.TopPorts) == 0 {
		t.Error("source without ports")
	}
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/source/198.51.100.77", nil))
	if rec.Code != 404 {
		t.Errorf("unseen source: %d", rec.Code)
	}
	// With its days cut to one row, its packets are still all of them.
	if len(src.Days) > 1 {
		cut := newTestComponent(t, st, Configuration{MaxRows: 1}, Dependencies{})
		var one SourceAnswer
		fetch(t, cut, "/api/v1/source/"+url.PathEscape(ip), &one)
		if len(one.Days) != 1 || one.Packets != bySrc[0].Packets {
			t.Errorf("source with days cut to 1: %d days, %d packets, want 1 and %d", len(one.Days), one.Packets, bySrc[0].Packets)
		}
	} else {
		t.Errorf("the busiest source has %d day rows: the cut is not tested", len(src.Days))
	}
}

func TestInfoAndHealth(t *testing.T) {
	st := openTestStore(t)
	c := newTestComponent(t, st, Configuration{}, Dependencies{Info: Info{Version: "v-test", Schema: 7}})
	var info InfoAnswer
	fetch(t, c, "/api/v1/info", &info)
	if info.Store.Path != st.Path() || info.Store.TimeZone != "Asia/Tokyo" || info.Store.Schema != 7 || info.Version != "v-test" || info.Period {
		t.Errorf("info %+v", info)
	}
	var h HealthAnswer
	fetch(t, c, "/api/v1/health", &h)
	if h.Status != "ok" {
		t.Errorf("health %+v", h)
	}
	down := newTestComponent(t, st, Configuration{}, Dependencies{Ready: func() error { return fmt.Errorf("shutting down") }})
	rec := httptest.NewRecorder()
	down.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/health", nil))
	if rec.Code != 503 {
		t.Errorf("health while not ready: %d", rec.Code)
	}
}
