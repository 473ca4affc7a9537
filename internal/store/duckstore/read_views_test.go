package duckstore

import (
	"context"
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// viewsFixture: s1 sees 192.0.2.10 (JP) from one source port 5555 on 05-01
// and 05-02, 192.0.2.77 (CN) from one port 5555 on 05-01 and from several
// ports on 05-02, and 198.51.100.5 (JP) from port 40000 on 05-02. Exploit
// matches: 192.0.2.10 "mozi" 3+2 packets to 80, 192.0.2.77 "mozi" 4 packets
// to 8080 and "gpon" 1 packet to 80.
func viewsFixture(t *testing.T) *Store {
	t.Helper()
	ctx := context.Background()
	b := readBatch("s1", "sha256:v1", []readHit{
		{"192.0.2.10", "2026-05-01", 80, false, 10}, {"192.0.2.10", "2026-05-02", 80, false, 5},
		{"192.0.2.77", "2026-05-01", 8080, false, 6}, {"192.0.2.77", "2026-05-02", 80, false, 4},
		{"198.51.100.5", "2026-05-02", 23, false, 1},
	})
	r := b.Result
	ports := map[string]uint16{"192.0.2.10 2026-05-01": 5555, "192.0.2.10 2026-05-02": 5555,
		"192.0.2.77 2026-05-01": 5555, "198.51.100.5 2026-05-02": 40000}
	for i := range r.Sources {
		k := r.Sources[i].Addr.String() + " " + r.Sources[i].Day.String()
		if p, ok := ports[k]; ok {
			r.Sources[i].SrcPort, r.Sources[i].PortState = p, 1
		}
	}
	find := func(src, day string) uint32 {
		for i, s := range r.Sources {
			if s.Addr.String() == src && s.Day.String() == day {
				return uint32(i)
			}
		}
		t.Fatalf("no source %s %s", src, day)
		return 0
	}
	patterns := []string{"mozi", "gpon"}
	for _, e := range []struct {
		src, day      string
		port, pattern int
		packets       uint64
	}{
		{"192.0.2.10", "2026-05-01", 80, 0, 3}, {"192.0.2.10", "2026-05-02", 80, 0, 2},
		{"192.0.2.77", "2026-05-01", 8080, 0, 4}, {"192.0.2.77", "2026-05-02", 80, 1, 1},
	} {
		i := find(e.src, e.day)
		r.Exploits = append(r.Exploits, aggregate.ExploitHit{Source: i, Proto: 6, Port: uint16(e.port), Pattern: e.pattern, Packets: e.packets})
		for j := range r.Hits {
			if r.Hits[j].Source == i {
				r.Hits[j].Tags |= classify.Exploit.Bit()
			}
		}
		r.Sources[i].Tags |= classify.Exploit.Bit()
	}
	b.Pattern = func(id int) string { return patterns[id] }
	path := filepath.Join(t.TempDir(), "views.duckdb")
	st, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b.Ingest.CountryDB, b.Ingest.ASNDB = "builtin country (c.mmdb 2026-06-17)", "builtin asn (a.tgz 2026-06-17)"
	if _, err := st.Commit(ctx, b); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestStatsByPatternAndSrcPort(t *testing.T) {
	st := viewsFixture(t)
	ctx := context.Background()
	got, err := st.Stats(ctx, store.StatsQuery{By: []string{"pattern"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.StatsRow{{Keys: []any{"mozi"}, Packets: 9, Sources: 2}, {Keys: []any{"gpon"}, Packets: 1, Sources: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("by pattern = %+v, want %+v", got, want)
	}
	got, err = st.Stats(ctx, store.StatsQuery{By: []string{"day", "pattern"}, OrderBy: "key", Classes: []string{"exploit"}})
	if err != nil {
		t.Fatal(err)
	}
	want = []store.StatsRow{{Keys: []any{"2026-05-01", "mozi"}, Packets: 7, Sources: 2},
		{Keys: []any{"2026-05-02", "gpon"}, Packets: 1, Sources: 1}, {Keys: []any{"2026-05-02", "mozi"}, Packets: 2, Sources: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("by day,pattern = %+v, want %+v", got, want)
	}
	if got, err = st.Stats(ctx, store.StatsQuery{By: []string{"pattern"}, Classes: []string{"mirai"}}); err != nil || len(got) != 0 {
		t.Errorf("mirai patterns = %+v, %v; want none", got, err)
	}
	got, err = st.Stats(ctx, store.StatsQuery{By: []string{"src_port"}})
	if err != nil {
		t.Fatal(err)
	}
	// 5555: 10+5+6 packets from 2 sources; several ports (nil): 4 from 192.0.2.77; 40000: 1.
	want = []store.StatsRow{{Keys: []any{int64(5555)}, Packets: 21, Sources: 2},
		{Keys: []any{nil}, Packets: 4, Sources: 1}, {Keys: []any{int64(40000)}, Packets: 1, Sources: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("by src_port = %+v, want %+v", got, want)
	}
}

func TestReadViews(t *testing.T) {
	st := viewsFixture(t)
	ctx := context.Background()
	ep, err := st.ExploitPatterns(ctx, sel("2026-05-01", "2026-05-02"))
	if err != nil {
		t.Fatal(err)
	}
	wantT := []store.PatternTotal{{Pattern: "mozi", Packets: 9, Sources: 2, Days: 2, Port: 80, Proto: "tcp"},
		{Pattern: "gpon", Packets: 1, Sources: 1, Days: 1, Port: 80, Proto: "tcp"}}
	if !reflect.DeepEqual(ep.Totals, wantT) {
		t.Errorf("pattern totals = %+v, want %+v", ep.Totals, wantT)
	}
	wantD := []store.PatternDay{{Day: cday("2026-05-01"), Pattern: "mozi", Packets: 7, Sources: 2},
		{Day: cday("2026-05-02"), Pattern: "gpon", Packets: 1, Sources: 1}, {Day: cday("2026-05-02"), Pattern: "mozi", Packets: 2, Sources: 1}}
	if !reflect.DeepEqual(ep.Daily, wantD) {
		t.Errorf("pattern days = %+v, want %+v", ep.Daily, wantD)
	}
	if ep, err := st.ExploitPatterns(ctx, sel("2026-05-02", "2026-05-02", "s2")); err != nil || len(ep.Totals)+len(ep.Daily) != 0 {
		t.Errorf("other sensor: %+v, %v", ep, err)
	}
	fp, err := st.FixedSourcePorts(ctx, sel("2026-05-01", "2026-05-02"), 10)
	if err != nil {
		t.Fatal(err)
	}
	wantP := []store.SourcePortRow{{Port: 5555, Sources: 2, Packets: 21, Days: 2, Country: "CN", Share: 2.0 / 3},
		{Port: 40000, Sources: 1, Packets: 1, Days: 1, Country: "JP", Share: 1.0 / 3}}
	if !reflect.DeepEqual(fp, wantP) {
		t.Errorf("fixed source ports = %+v, want %+v", fp, wantP)
	}
	if fp, _ := st.FixedSourcePorts(ctx, sel("2026-05-01", "2026-05-02"), 1); len(fp) != 1 {
		t.Errorf("n=1 gave %d rows", len(fp))
	}
	dbs, err := st.GeoDatabases(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []store.GeoDBUse{{CountryDB: "builtin country (c.mmdb 2026-06-17)", ASNDB: "builtin asn (a.tgz 2026-06-17)", Ingests: 1}}; !reflect.DeepEqual(dbs, want) {
		t.Errorf("geo databases = %+v, want %+v", dbs, want)
	}
	// The sensor filter applies to every ingest, not only to failed ones.
	if dbs, err := st.GeoDatabases(ctx, []string{"s2"}); err != nil || len(dbs) != 0 {
		t.Errorf("geo databases of another sensor = %+v, %v", dbs, err)
	}
}

// TestSourceDaysPortsExploits: a source's fixed source port and exploit
// matches per day.
func TestSourceDaysPortsExploits(t *testing.T) {
	st := viewsFixture(t)
	ctx := context.Background()
	days, err := st.SourceDays(ctx, netip.MustParseAddr("192.0.2.77"), sel("2026-05-01", "2026-05-02"))
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 {
		t.Fatalf("%d days: %+v", len(days), days)
	}
	if !days[0].FixedSrcPort || days[0].SrcPort != 5555 || days[1].FixedSrcPort {
		t.Errorf("source ports: day 1 %v %d, day 2 %v %d", days[0].FixedSrcPort, days[0].SrcPort, days[1].FixedSrcPort, days[1].SrcPort)
	}
	if want := []store.PatternPackets{{Pattern: "mozi", Proto: 6, Port: 8080, Packets: 4}}; !reflect.DeepEqual(days[0].Exploits, want) {
		t.Errorf("day 1 exploits %+v, want %+v", days[0].Exploits, want)
	}
	if want := []store.PatternPackets{{Pattern: "gpon", Proto: 6, Port: 80, Packets: 1}}; !reflect.DeepEqual(days[1].Exploits, want) {
		t.Errorf("day 2 exploits %+v, want %+v", days[1].Exploits, want)
	}
	other, err := st.SourceDays(ctx, netip.MustParseAddr("198.51.100.5"), sel("2026-05-01", "2026-05-02"))
	if err != nil || len(other) != 1 || !other[0].FixedSrcPort || other[0].SrcPort != 40000 || other[0].Exploits != nil {
		t.Errorf("198.51.100.5: %+v %v", other, err)
	}
}

// TestFixedSourcePortsMatch: the fixed source ports read with the links
// up to date (days of a sensor with one row per source-day taken as they
// are) equal those of every source-day grouped, on stores where every day
// has one file per sensor, where some have two, and where most have many.
func TestFixedSourcePortsMatch(t *testing.T) {
	ctx := context.Background()
	nonEmpty := 0
	for _, files := range []int{1, 2, 3, 12} {
		st, err := Open(ctx, filepath.Join(t.TempDir(), "f.duckdb"), Options{})
		if err != nil {
			t.Fatal(err)
		}
		w := newRandomWorld(uint64(files))
		for i := range files {
			if _, err := st.Commit(ctx, w.batch([]string{"a", "b"}[i%2], fmt.Sprintf("sha256:%02d", i))); err != nil {
				t.Fatal(err)
			}
		}
		if did, err := st.UpdateLinks(ctx); err != nil || !did {
			t.Fatalf("update links: %v %v", did, err)
		}
		for _, sensors := range [][]string{nil, {"a"}, {"b"}, {"a", "b"}} {
			for _, days := range [][2]string{{"2026-05-01", "2026-05-04"}, {"2026-05-02", "2026-05-03"}, {"2026-05-02", "2026-05-02"}} {
				for _, n := range []int{1, 3, 10} {
					q := store.Selection{Sensors: sensors, From: cday(days[0]), To: cday(days[1])}
					got := readBoth(t, st, fmt.Sprintf("%d files: fixed source ports %v %v top %d", files, sensors, days, n),
						func() ([]store.SourcePortRow, error) { return st.FixedSourcePorts(ctx, q, n) }, nil)
					if len(got) > 0 {
						nonEmpty++
					}
				}
			}
		}
		st.Close()
	}
	if nonEmpty == 0 {
		t.Error("no fixed source port was compared")
	}
}
