package duckstore

import (
	"context"
	"errors"
	"fmt"
	"github.com/honeyscope/honeyscope/internal/store"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/classify"
)

func day(s string) aggregate.Day {
	t, _ := time.Parse("2006-01-02", s)
	return aggregate.Day(t.Unix() / 86400)
}

func sampleBatch(hash string) *store.Batch {
	a1 := netip.MustParseAddr("203.0.113.5")
	a2 := netip.MustParseAddr("2001:db8::7")
	m := classify.Access.Bit() | classify.Mirai.Bit()
	ts := time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC).UnixNano()
	r := &aggregate.Result{
		Sources: []aggregate.SourceDay{
			{Addr: a1, Day: day("2026-05-01"), Packets: 5, First: ts, Last: ts + 1e9, Tags: m, SrcPort: 40000, PortState: 1},
			{Addr: a1, Day: day("2026-05-02"), Packets: 1, First: ts + 86400e9, Last: ts + 86400e9, Tags: m, SrcPort: 40000, PortState: 1},
			{Addr: a2, Day: day("2026-05-01"), Packets: 2, First: ts, Last: ts, Tags: classify.Access.Bit() | classify.Exploit.Bit(), PortState: 2},
		},
		Hits: []aggregate.Hit{
			{Source: 0, Proto: 6, Port: 23, Tags: m, Packets: 4},
			{Source: 0, Proto: 6, Port: 2323, Tags: m, Packets: 1},
			{Source: 1, Proto: 6, Port: 23, Tags: m, Packets: 1},
			{Source: 2, Proto: 6, Port: 80, Tags: classify.Access.Bit(), Packets: 1},
			{Source: 2, Proto: 6, Port: 80, Tags: classify.Access.Bit() | classify.Exploit.Bit(), Packets: 1},
		},
		Exploits: []aggregate.ExploitHit{{Source: 2, Proto: 6, Port: 80, Pattern: 0, Packets: 1}},
		Hourly:   []aggregate.HourCount{{Hour: ts / 1e9, Proto: 6, Tags: m, Packets: 8}},
		Packets:  8, Inbound: 8, First: ts, Last: ts + 86400e9,
	}
	return &store.Batch{
		Ingest:  store.Ingest{Path: "x.pcap", Hash: hash, Size: 100, Sensor: "s1", Format: "pcap", Frames: 8, Packets: 8, ErrorOffset: -1},
		Result:  r,
		Places:  []store.Place{{Country: "AU"}, {Country: "AU"}, {Country: "ZZ", Special: "documentation"}},
		Pattern: func(int) string { return "jaws-shell" },
		Sensor:  store.Sensor{Name: "s1", Nets: "192.0.2.0/24", Addresses: 256},
	}
}

func TestCommitAndStats(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	st, err := Open(ctx, path, Options{TimeZone: "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Commit(ctx, sampleBatch("sha256:aa")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Commit(ctx, sampleBatch("sha256:aa")); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("second commit: %v, want ErrDuplicate", err)
	}
	b := sampleBatch("sha256:aa")
	b.Replace = true
	if _, err := st.Commit(ctx, b); err != nil {
		t.Fatalf("replace: %v", err)
	}
	st.Close()

	if _, err := Open(ctx, path, Options{TimeZone: "UTC"}); err == nil {
		t.Fatal("reopening with another time zone should fail")
	}
	ro, err := Open(ctx, path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if ro.TimeZone() != "Asia/Tokyo" {
		t.Errorf("tz %s", ro.TimeZone())
	}
	cases := []struct {
		q    store.StatsQuery
		want [][3]any // first key, packets, sources
	}{
		{store.StatsQuery{}, [][3]any{{nil, uint64(8), uint64(2)}}},
		{store.StatsQuery{By: []string{"day"}, OrderBy: "key"}, [][3]any{{"2026-05-01", uint64(7), uint64(2)}, {"2026-05-02", uint64(1), uint64(1)}}},
		{store.StatsQuery{By: []string{"class"}, OrderBy: "key"}, [][3]any{{"access", uint64(8), uint64(2)}, {"exploit", uint64(1), uint64(1)}, {"mirai", uint64(6), uint64(1)}}},
		{store.StatsQuery{By: []string{"port"}, Classes: []string{"mirai"}}, [][3]any{{int64(23), uint64(5), uint64(1)}, {int64(2323), uint64(1), uint64(1)}}},
		{store.StatsQuery{By: []string{"country"}, Countries: []string{"zz"}}, [][3]any{{"ZZ", uint64(2), uint64(1)}}},
		{store.StatsQuery{By: []string{"proto"}}, [][3]any{{"tcp", uint64(8), uint64(2)}}},
		{store.StatsQuery{By: []string{"day"}, From: "2026-05-02"}, [][3]any{{"2026-05-02", uint64(1), uint64(1)}}},
	}
	for _, c := range cases {
		rows, err := ro.Stats(ctx, c.q)
		if err != nil {
			t.Fatalf("%+v: %v", c.q, err)
		}
		if len(rows) != len(c.want) {
			t.Fatalf("%+v: %d rows %+v, want %d", c.q, len(rows), rows, len(c.want))
		}
		for i, w := range c.want {
			r := rows[i]
			if w[0] != nil && r.Keys[0] != w[0] || r.Packets != w[1] || r.Sources != w[2] {
				t.Errorf("%+v row %d = %v %d %d, want %v", c.q, i, r.Keys, r.Packets, r.Sources, w)
			}
		}
	}
	var single bool
	var sport int
	if err := ro.DB().QueryRow(`SELECT single_src_port, src_port FROM source_days WHERE src = '203.0.113.5' AND day = '2026-05-01'`).Scan(&single, &sport); err != nil || !single || sport != 40000 {
		t.Errorf("source_days single=%v sport=%d err=%v", single, sport, err)
	}
	if _, err := ro.Stats(ctx, store.StatsQuery{By: []string{"bogus"}}); err == nil {
		t.Error("unknown dimension accepted")
	}
	if _, err := ro.Stats(ctx, store.StatsQuery{Classes: []string{"bogus"}}); err == nil {
		t.Error("unknown class accepted")
	}
}

func TestReadOnlyMissing(t *testing.T) {
	_, err := Open(context.Background(), filepath.Join(t.TempDir(), "none.duckdb"), Options{ReadOnly: true})
	if !errors.Is(err, store.ErrNoStore) {
		t.Fatalf("err = %v", err)
	}
}

func TestReassign(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.duckdb")
	st, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Commit(ctx, sampleBatch("sha256:bb")); err != nil {
		t.Fatal(err)
	}
	// Re-geolocate only 2026-05-02: the 203.0.113.5 row of that day moves to JP/AS64500.
	loc := func(a netip.Addr) store.Place {
		if a.Is4() {
			return store.Place{Country: "JP", ASN: 64500, Org: "Example Net"}
		}
		return store.Place{Country: "ZZ", Special: "documentation"}
	}
	res, err := st.Reassign(ctx, "2026-05-02", "2026-05-02", loc, "test-country", "test-asn")
	if err != nil {
		t.Fatal(err)
	}
	if res.Sources != 1 || res.Rows != 1 || res.Changed != 1 {
		t.Errorf("result %+v, want 1 source, 1 row, 1 changed", res)
	}
	rows, err := st.Stats(ctx, store.StatsQuery{By: []string{"day", "country", "asn"}, OrderBy: "key"})
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, r := range rows {
		got += fmt.Sprintf("%v/%v/%v:%d ", r.Keys[0], r.Keys[1], r.Keys[2], r.Packets)
	}
	want := "2026-05-01/AU/0:5 2026-05-01/ZZ/0:2 2026-05-02/JP/64500:1 "
	if got != want {
		t.Errorf("after reassign: %q, want %q", got, want)
	}
	// The ingest spans both days, so it still names the old database.
	var db string
	st.DB().QueryRow(`SELECT country_db FROM ingests`).Scan(&db)
	if db == "test-country" {
		t.Error("partial reassign relabelled the whole ingest")
	}
	if _, err := st.Reassign(ctx, "", "", loc, "test-country", "test-asn"); err != nil {
		t.Fatal(err)
	}
	st.DB().QueryRow(`SELECT country_db FROM ingests`).Scan(&db)
	if db != "test-country" {
		t.Errorf("full reassign: ingest country_db = %q", db)
	}
	var n int
	st.DB().QueryRow(`SELECT count(*) FROM geo_history`).Scan(&n)
	if n != 2 {
		t.Errorf("geo_history has %d rows, want 2", n)
	}
	if _, err := st.Reassign(ctx, "May 1", "", loc, "", ""); err == nil {
		t.Error("bad day accepted")
	}
	// Without an ASN database only countries change: stored ASNs stay.
	loc2 := func(a netip.Addr) store.Place { return store.Place{Country: "DE"} }
	if _, err := st.Reassign(ctx, "", "", loc2, "country-2", ""); err != nil {
		t.Fatal(err)
	}
	var asn int
	var org, asnDB string
	st.DB().QueryRow(`SELECT max(asn), max(as_org) FROM sources WHERE src = '203.0.113.5'`).Scan(&asn, &org)
	st.DB().QueryRow(`SELECT asn_db FROM ingests`).Scan(&asnDB)
	if asn != 64500 || org != "Example Net" || asnDB != "test-asn" {
		t.Errorf("country-only reassign: asn %d %q, ingest asn_db %q; want the stored AS64500 Example Net, test-asn kept", asn, org, asnDB)
	}
	var c string
	st.DB().QueryRow(`SELECT min(country) FROM sources WHERE src = '203.0.113.5'`).Scan(&c)
	if c != "DE" {
		t.Errorf("country-only reassign: country %q, want DE", c)
	}
}

// TestTxParts writes one capture in two parts and checks Finish's duplicate
// handling and Abort.
func TestTxParts(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "t.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	write := func(hash string, replace bool, abort bool) error {
		b := sampleBatch(hash)
		tx, err := st.Begin(ctx)
		if err != nil {
			return err
		}
		// Two parts of the same rows: sids must not collide.
		for i := 0; i < 2; i++ {
			if err := tx.Append(ctx, b.Result, b.Places, "s1", b.Pattern); err != nil {
				return err
			}
		}
		if abort {
			return tx.Abort()
		}
		return tx.Finish(ctx, b.Ingest, replace, b.Sensor)
	}
	total := func() uint64 {
		rows, err := st.Stats(ctx, store.StatsQuery{})
		if err != nil {
			t.Fatal(err)
		}
		return rows[0].Packets
	}
	if err := write("sha256:cc", false, true); err != nil || total() != 0 {
		t.Fatalf("aborted tx: err %v, %d packets visible", err, total())
	}
	if err := write("sha256:cc", false, false); err != nil || total() != 16 {
		t.Fatalf("two parts: err %v, %d packets, want 16", err, total())
	}
	if err := write("sha256:cc", false, false); !errors.Is(err, store.ErrDuplicate) || total() != 16 {
		t.Fatalf("duplicate: err %v, %d packets", err, total())
	}
	if err := write("sha256:cc", true, false); err != nil || total() != 16 {
		t.Fatalf("replace: err %v, %d packets", err, total())
	}
	var days int
	st.DB().QueryRow(`SELECT count(*) FROM source_days`).Scan(&days)
	if days != 3 {
		t.Errorf("source_days rows %d, want 3 (parts merged)", days)
	}
}

func TestOpenRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	// A store that must exist is not created.
	missing := filepath.Join(dir, "missing.duckdb")
	if _, err := Open(ctx, missing, Options{MustExist: true}); !errors.Is(err, store.ErrNoStore) {
		t.Errorf("MustExist on a missing file: %v, want ErrNoStore", err)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("MustExist created the file")
	}

	// A bad time zone is refused before the file is created.
	badTZ := filepath.Join(dir, "tz.duckdb")
	if _, err := Open(ctx, badTZ, Options{TimeZone: "Mars/Base"}); err == nil || !strings.Contains(err.Error(), "Mars/Base") {
		t.Errorf("bad zone: %v, want an error naming it", err)
	}
	if _, err := os.Stat(badTZ); err == nil {
		t.Error("a bad time zone left a store file behind")
	}

	// A store written with another schema version is refused with advice,
	// before the schema statements run.
	old := filepath.Join(dir, "old.duckdb")
	st, err := Open(ctx, old, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(ctx, `UPDATE meta SET value = '1' WHERE key = 'schema_version'`); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().ExecContext(ctx, `ALTER TABLE hit_counts DROP COLUMN skey`); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, ro := range []bool{false, true} {
		_, err := Open(ctx, old, Options{ReadOnly: ro})
		if err == nil || !strings.Contains(err.Error(), "schema version 1") || !strings.Contains(err.Error(), "new store") {
			t.Errorf("old schema (read-only %v): %v, want a schema version error with advice", ro, err)
		}
	}
}

// TestStatsPortsByProtocol: ICMP type 8 and TCP port 8 are different keys,
// even when only --by port is asked for.
func TestStatsPortsByProtocol(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "t.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b := sampleBatch("sha256:cc")
	b.Result.Hits = append(b.Result.Hits,
		aggregate.Hit{Source: 0, Proto: 1, Port: 8, Tags: classify.Access.Bit(), Packets: 7},
		aggregate.Hit{Source: 2, Proto: 6, Port: 8, Tags: classify.Access.Bit(), Packets: 3})
	if _, err := st.Commit(ctx, b); err != nil {
		t.Fatal(err)
	}
	q := store.StatsQuery{By: []string{"port"}, Ports: []int{8}, OrderBy: "key"}
	if got := strings.Join(q.Dims(), ","); got != "port,proto" {
		t.Errorf("Dims() = %s, want port,proto", got)
	}
	rows, err := st.Stats(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, r := range rows {
		got += fmt.Sprintf("%v/%v:%d ", r.Keys[0], r.Keys[1], r.Packets)
	}
	if want := "8/icmp:7 8/tcp:3 "; got != want {
		t.Errorf("stats --by port --port 8: %q, want %q", got, want)
	}
}

func TestSameZoneNames(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tz.duckdb")
	st, err := Open(ctx, path, Options{TimeZone: "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	// Japan is another name of Asia/Tokyo; Asia/Seoul has the same offset
	// today but not in every year.
	if st, err := Open(ctx, path, Options{TimeZone: "Japan"}); err != nil {
		t.Errorf("Japan on an Asia/Tokyo store: %v", err)
	} else {
		st.Close()
	}
	if _, err := Open(ctx, path, Options{TimeZone: "Asia/Seoul"}); err == nil {
		t.Error("Asia/Seoul accepted on an Asia/Tokyo store")
	}
}
