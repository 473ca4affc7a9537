package duckstore

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/storetest"
)

// schema2Store decompresses the schema-2 fixture (testdata/README.md) into
// a temporary directory and returns its path.
func schema2Store(t *testing.T) string {
	t.Helper()
	f, err := os.Open("testdata/schema2.duckdb.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "s2.duckdb")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// schema2Dims are the dimension lists of the fixture's CSVs.
var schema2Dims = [][]string{
	{"day", "sensor", "class"},
	{"day", "sensor", "src"},
	{"sensor", "class", "country"},
	{"sensor", "class", "port"},
}

// statsCSV formats rows as `honeyscope stats --format csv` does.
func statsCSV(dims []string, rows []store.StatsRow) []string {
	hasASN := slices.Contains(dims, "asn")
	head := append([]string(nil), dims...)
	if hasASN {
		head = append(head, "as_org")
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(append(head, "packets", "sources"))
	for _, r := range rows {
		var rec []string
		for _, k := range r.Keys {
			rec = append(rec, fmt.Sprint(k))
		}
		if hasASN {
			rec = append(rec, r.Org)
		}
		w.Write(append(rec, strconv.FormatUint(r.Packets, 10), strconv.FormatUint(r.Sources, 10)))
	}
	w.Flush()
	return strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameRowSet compares a header line and a set of rows.
func sameRowSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 || len(want) == 0 || got[0] != want[0] {
		t.Fatalf("%s: header %q, want %q", what, first(got), first(want))
	}
	g, w := slices.Clone(got[1:]), slices.Clone(want[1:])
	slices.Sort(g)
	slices.Sort(w)
	if slices.Equal(g, w) {
		return
	}
	gs, ws := map[string]bool{}, map[string]bool{}
	for _, l := range g {
		gs[l] = true
	}
	for _, l := range w {
		ws[l] = true
	}
	shown := 0
	for _, l := range w {
		if !gs[l] && shown < 5 {
			t.Errorf("%s: missing %s", what, l)
			shown++
		}
	}
	for _, l := range g {
		if !ws[l] && shown < 10 {
			t.Errorf("%s: unexpected %s", what, l)
			shown++
		}
	}
	t.Fatalf("%s: %d rows, want %d", what, len(g), len(w))
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// TestSchema2Upgrade opens the schema-2 release's store read-only (which
// upgrades it), checks that stats gives what that release printed, then
// commits one more capture and checks that it adds up.
func TestSchema2Upgrade(t *testing.T) {
	ctx := context.Background()
	path := schema2Store(t)
	var steps []string
	ro, err := Open(ctx, path, Options{ReadOnly: true, Migrating: func(from, to int, name string) {
		steps = append(steps, fmt.Sprintf("%d->%d %s", from, to, name))
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := SchemaVersion - baselineVersion; len(steps) != want || !strings.HasPrefix(steps[0], "2->3 ") {
		t.Errorf("migration steps %q, want %d starting at 2->3", steps, want)
	}
	before := map[string][]string{}
	for _, dims := range schema2Dims {
		name := strings.Join(dims, "-")
		rows, err := ro.Stats(ctx, store.StatsQuery{By: dims})
		if err != nil {
			t.Fatal(err)
		}
		got := statsCSV(store.StatsQuery{By: dims}.Dims(), rows)
		sameRowSet(t, name, got, readLines(t, "testdata/schema2-"+name+".csv"))
		before[name] = got
	}
	ro.Close()

	// Opening again migrates nothing.
	steps = nil
	st, err := Open(ctx, path, Options{Migrating: func(from, to int, name string) { steps = append(steps, name) }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if len(steps) != 0 {
		t.Errorf("second open migrated %q", steps)
	}
	// One more capture of sensor open on 2026-05-01: a mirai source the
	// day already has and a new one.
	var known string
	if err := st.DB().QueryRow(`SELECT min(src) FROM hits WHERE day = '2026-05-01' AND sensor = 'open' AND classes & 2 <> 0`).Scan(&known); err != nil {
		t.Fatal(err)
	}
	fresh := "203.0.113.77"
	for _, l := range before["day-sensor-src"] {
		if strings.Contains(l, ","+fresh+",") {
			t.Fatalf("fixture already has %s", fresh)
		}
	}
	d := day("2026-05-01")
	ts := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano() // 21:00 in Tokyo: still 2026-05-01
	m := classify.Access.Bit() | classify.Mirai.Bit()
	b := &store.Batch{
		Ingest: store.Ingest{Path: "extra.pcap", Hash: "sha256:extra", Sensor: "open", Format: "pcap", Packets: 10, ErrorOffset: -1, Detection: classify.BuiltinVersion},
		Result: &aggregate.Result{
			Sources: []aggregate.SourceDay{
				{Addr: netip.MustParseAddr(known), Day: d, Packets: 4, First: ts, Last: ts, Tags: m},
				{Addr: netip.MustParseAddr(fresh), Day: d, Packets: 6, First: ts, Last: ts, Tags: m},
			},
			Hits: []aggregate.Hit{
				{Source: 0, Proto: 6, Port: 23, Tags: m, Packets: 4},
				{Source: 1, Proto: 6, Port: 23, Tags: m, Packets: 6},
			},
		},
		Places: []store.Place{{Country: "JP"}, {Country: "JP"}},
		Sensor: store.Sensor{Name: "open", Nets: "192.0.2.0/24", Addresses: 256},
	}
	if _, err := st.Commit(ctx, b); err != nil {
		t.Fatal(err)
	}
	// A live capture interval with no packets but lost ones: its drops
	// come back with its coverage.
	lo := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	live := &store.Batch{
		Ingest: store.Ingest{Path: "live:eth0", Hash: "live:live:eth0:1", Sensor: "live", Format: "live", ErrorOffset: -1,
			First: lo, Last: lo.Add(10 * time.Second), KernelDrops: 7, QueueDrops: 3},
		Result: &aggregate.Result{},
		Sensor: store.Sensor{Name: "live"},
	}
	if _, err := st.Commit(ctx, live); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Stats(ctx, store.StatsQuery{By: []string{"day", "sensor", "class"}})
	if err != nil {
		t.Fatal(err)
	}
	after := statsCSV([]string{"day", "sensor", "class"}, rows)
	old := map[string][2]uint64{}
	for _, l := range before["day-sensor-class"][1:] {
		k, p, s := splitCounts(l)
		old[k] = [2]uint64{p, s}
	}
	changed := 0
	for _, l := range after[1:] {
		k, p, s := splitCounts(l)
		want := old[k]
		if k == "2026-05-01,open,access" || k == "2026-05-01,open,mirai" {
			want[0] += 10 // both sources' packets
			want[1]++     // the new source; the other was counted already
			changed++
		}
		if p != want[0] || s != want[1] {
			t.Errorf("after commit %s: %d packets %d sources, want %d %d", k, p, s, want[0], want[1])
		}
	}
	if changed != 2 || len(after) != len(before["day-sensor-class"]) {
		t.Errorf("after commit: %d rows (%d changed), want %d (2 changed)", len(after), changed, len(before["day-sensor-class"]))
	}
	// Every dimension list still agrees with the source-level rows.
	for _, dims := range schema2Dims {
		q := store.StatsQuery{By: dims}
		compareStats(t, st, q)
	}
	caps, err := st.Captures(ctx, []string{"live"})
	if err != nil || len(caps) != 1 || caps[0].KernelDrops != 7 || caps[0].QueueDrops != 3 {
		t.Errorf("captures of the live interval: %+v (%v), want one with 7 kernel and 3 queue drops", caps, err)
	}
	var det string
	if err := st.DB().QueryRow(`SELECT detection FROM ingests WHERE hash = 'sha256:extra'`).Scan(&det); err != nil || det != classify.BuiltinVersion {
		t.Errorf("detection %q (%v), want %q", det, err, classify.BuiltinVersion)
	}
}

func splitCounts(l string) (key string, packets, sources uint64) {
	f := strings.Split(l, ",")
	n := len(f)
	packets, _ = strconv.ParseUint(f[n-2], 10, 64)
	sources, _ = strconv.ParseUint(f[n-1], 10, 64)
	return strings.Join(f[:n-2], ","), packets, sources
}

// compareStats checks that the planned table and the source-level rows
// give the same rows for q.
func compareStats(t *testing.T, st *Store, q store.StatsQuery) {
	t.Helper()
	ctx := context.Background()
	got, err := st.stats(ctx, q, false)
	if err != nil {
		t.Fatalf("%+v: %v", q, err)
	}
	want, err := st.stats(ctx, q, true)
	if err != nil {
		t.Fatalf("%+v raw: %v", q, err)
	}
	g, w := statsCSV(q.Dims(), got), statsCSV(q.Dims(), want)
	if !slices.Equal(g, w) {
		plan := planStats(q)
		t.Errorf("%+v (from %s): %d rows, raw %d", q, plan.table, len(g)-1, len(w)-1)
		for i := 1; i < min(len(g), len(w)); i++ {
			if g[i] != w[i] {
				t.Errorf("  row %d: %s, raw %s", i, g[i], w[i])
				break
			}
		}
	}
}

// TestMigrationSteps migrates the schema-2 store one step at a time and
// checks after each that no fact was lost and the new tables agree with
// the source-level rows.
func TestMigrationSteps(t *testing.T) {
	ctx := context.Background()
	path := schema2Store(t)
	counts := func(st *Store) string {
		var b strings.Builder
		for _, tb := range []string{"ingests", "sources", "hit_counts", "exploits", "hourly", "sensors"} {
			var n int64
			if err := st.DB().QueryRow(`SELECT count(*) FROM ` + tb).Scan(&n); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s=%d ", tb, n)
		}
		var p uint64
		if err := st.DB().QueryRow(`SELECT sum(packets) FROM hit_counts`).Scan(&p); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "packets=%d", p)
		return b.String()
	}
	st, err := Open(ctx, path, Options{migrateTo: 2})
	if err != nil {
		t.Fatal(err)
	}
	base := counts(st)
	st.Close()
	var prevDigest string
	for _, m := range migrations {
		if m.to <= baselineVersion {
			continue
		}
		var steps []int
		st, err := Open(ctx, path, Options{migrateTo: m.to, Migrating: func(from, to int, _ string) { steps = append(steps, from, to) }})
		if err != nil {
			t.Fatalf("migrate to %d: %v", m.to, err)
		}
		if !slices.Equal(steps, []int{m.to - 1, m.to}) {
			t.Errorf("migrate to %d: steps %v", m.to, steps)
		}
		if v, err := schemaVersion(ctx, st.DB()); err != nil || v != m.to {
			t.Errorf("after migration %d: version %d (%v)", m.to, v, err)
		}
		if c := counts(st); c != base {
			t.Errorf("after migration %d: %s, want %s", m.to, c, base)
		}
		// Every value of every source-day row is kept (schema 17 moves
		// them into source_rows and places behind the view sources).
		digest := sourcesDigest(t, st)
		if prevDigest != "" && digest != prevDigest {
			t.Errorf("after migration %d: sources %s, want %s", m.to, digest, prevDigest)
		}
		prevDigest = digest
		switch m.to {
		case 3:
			checkRollupTotals(t, st)
		case 4:
			var n int
			if err := st.DB().QueryRow(`SELECT count(*) FROM ingests WHERE detection IS NULL`).Scan(&n); err != nil || n != 2 {
				t.Errorf("after migration 4: %d ingests without detection (%v), want the 2 old ones", n, err)
			}
		case 5:
			checkSessionTables(t, st)
		case 6:
			var n int
			if err := st.DB().QueryRow(`SELECT count(*) FROM ingests WHERE kernel_drops = 0 AND queue_drops = 0`).Scan(&n); err != nil || n != 2 {
				t.Errorf("after migration 6: %d ingests without drops (%v), want the 2 old ones", n, err)
			}
		case 7:
			var n int
			if err := st.DB().QueryRow(`SELECT count(*) FROM ingests WHERE rule_set IS NULL`).Scan(&n); err != nil || n != 2 {
				t.Errorf("after migration 7: %d ingests without a rule set (%v), want the 2 old ones", n, err)
			}
			if sets, err := st.RuleSets(ctx); err != nil || len(sets) != 0 {
				t.Errorf("after migration 7: rule sets %v (%v), want none", sets, err)
			}
		}
		st.Close()
	}
	// A store of a later schema than this build is refused, read-only or not.
	st, err = Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.DB().Exec(`UPDATE meta SET value = '99' WHERE key = 'schema_version'`)
	st.Close()
	for _, ro := range []bool{false, true} {
		_, err := Open(ctx, path, Options{ReadOnly: ro})
		if !errors.Is(err, errTooNew) || !strings.Contains(err.Error(), "99") {
			t.Errorf("schema 99 (read-only %v): %v, want a newer-schema refusal", ro, err)
		}
	}
}

// sourcesDigest is a hash of every value of the sources rows, with their
// count and the number of IPv6 rows.
func sourcesDigest(t *testing.T, st *Store) string {
	t.Helper()
	var h, n, v6 any
	err := st.DB().QueryRow(`SELECT bit_xor(hash(ingest_id, sid, day, sensor, src, country, asn, as_org, special, packets, bytes,
		classes, first_seen, last_seen, src_port, tcpudp, skey)), count(*), count(*) FILTER (WHERE src LIKE '%:%') FROM sources`).Scan(&h, &n, &v6)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(h, "/", n, "/", v6)
}

// checkRollupTotals compares each rollup's totals with hit_counts.
func checkRollupTotals(t *testing.T, st *Store) {
	t.Helper()
	q := func(sql string) string {
		var p, s any
		if err := st.DB().QueryRow(sql).Scan(&p, &s); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return fmt.Sprint(p, "/", s)
	}
	total := q(`SELECT sum(packets), count(DISTINCT (day, skey)) FROM hits`)
	for _, tb := range []string{"rollup_day", "rollup_day_country", "rollup_day_asn", "rollup_day_port"} {
		// Access rows: every packet once; their distinct sources add up
		// to source-days only in rollup_day (one row per day × sensor).
		if got := q(`SELECT sum(packets), 0 FROM ` + tb + ` WHERE class = 'access'`); strings.Split(got, "/")[0] != strings.Split(total, "/")[0] {
			t.Errorf("%s: access packets %s, want %s", tb, got, total)
		}
	}
	if got := q(`SELECT sum(packets), count(DISTINCT (day, skey)) FROM rollup_source_day`); got != total {
		t.Errorf("rollup_source_day: %s, want %s", got, total)
	}
	perSensor := q(`SELECT sum(packets), sum(n) FROM (SELECT sum(packets) AS packets, count(DISTINCT skey) AS n FROM hits GROUP BY day, sensor)`)
	if got := q(`SELECT sum(packets), sum(sources) FROM rollup_day WHERE class = 'access'`); got != perSensor {
		t.Errorf("rollup_day: %s, want %s", got, perSensor)
	}
}

// TestHoldStore is not a test: TestReadOnlyUpgradeLocked runs it in a child
// process to hold a store open.
func TestHoldStore(t *testing.T) {
	path := os.Getenv("HONEYSCOPE_TEST_HOLD")
	if path == "" {
		t.Skip("helper process only")
	}
	// Read-only at the old version: other readers may open it, nobody
	// may write it.
	st, err := Open(context.Background(), path, Options{ReadOnly: true, migrateTo: 2})
	if err != nil {
		fmt.Println("error:", err)
		return
	}
	defer st.Close()
	fmt.Println("held")
	io.Copy(io.Discard, os.Stdin) // until the parent closes stdin
}

// TestReadOnlyUpgradeLocked: a read-only open of an older store that
// another process holds fails clearly instead of reading an old schema.
func TestReadOnlyUpgradeLocked(t *testing.T) {
	path := schema2Store(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldStore$", "-test.v")
	cmd.Env = append(os.Environ(), "HONEYSCOPE_TEST_HOLD="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Wait() }()
	sc := bufio.NewScanner(out)
	held := false
	for sc.Scan() {
		if sc.Text() == "held" {
			held = true
			break
		}
	}
	if !held {
		t.Fatal("helper process did not hold the store")
	}
	go io.Copy(io.Discard, out)
	_, err = Open(context.Background(), path, Options{ReadOnly: true, LockTimeout: 100 * time.Millisecond, Waiting: func() {}})
	if err == nil || !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "must be upgraded") {
		t.Fatalf("read-only open of an old store another process reads: %v, want an upgrade-needs-the-store error", err)
	}
}

// checkSessionTables checks a store just migrated to schema 5: the session
// tables are there and empty, and the intrusion class is known.
func checkSessionTables(t *testing.T, st *Store) {
	t.Helper()
	for _, tb := range []string{"hp_sessions", "hp_logins", "hp_commands", "hp_requests", "hp_urls", "hp_files", "samples", "hp_batches"} {
		var n int
		if err := st.DB().QueryRow(`SELECT count(*) FROM ` + tb).Scan(&n); err != nil || n != 0 {
			t.Errorf("after migration 5: %s has %d rows (%v), want an empty table", tb, n, err)
		}
	}
	var bit int
	if err := st.DB().QueryRow(`SELECT bit FROM classes WHERE name = 'intrusion'`).Scan(&bit); err != nil || bit != int(classify.Intrusion.Bit()) {
		t.Errorf("after migration 5: intrusion bit %d (%v)", bit, err)
	}
}

// TestSessionsAfterUpgrade commits a batch of sessions with intrusion hits
// to stores upgraded from schema 2 (the fixture) and from schema 4, and
// checks that the intrusions add up with the old rows.
func TestSessionsAfterUpgrade(t *testing.T) {
	ctx := context.Background()
	from4 := filepath.Join(t.TempDir(), "v4.duckdb")
	st, err := Open(ctx, from4, Options{migrateTo: 4, TimeZone: "Asia/Tokyo"})
	if err != nil {
		t.Fatal(err)
	}
	// This build's commit writes the columns of schemas 6 to 8: they are there
	// only while the batch is committed, so the store is left at schema 4.
	drops := []string{"kernel_drops UBIGINT DEFAULT 0", "queue_drops UBIGINT DEFAULT 0", "rule_set INTEGER",
		"not_decoded VARCHAR", "undated UBIGINT DEFAULT 0"}
	for _, col := range drops {
		if _, err := st.DB().Exec(`ALTER TABLE ingests ADD COLUMN ` + col); err != nil {
			t.Fatal(err)
		}
	}
	// And the tables of schemas 16, 18, 19 and 20 (filled again by their
	// migrations), and the source-day rows in the shape of schema 17
	// (source_rows, places), turned back into the table sources afterwards.
	for _, q := range append(append(append(append(append([]string{}, peakSchema...), blockSchema...), sourceRowsSchema...), linksSchema...), linksTouchedSchema...) {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.Commit(ctx, sampleBatch("sha256:v4")); err != nil {
		t.Fatal(err)
	}
	for _, col := range drops {
		if _, err := st.DB().Exec(`ALTER TABLE ingests DROP COLUMN ` + strings.Fields(col)[0]); err != nil {
			t.Fatal(err)
		}
	}
	for _, q := range []string{`DROP TABLE rollup_port_peak`, `DROP TABLE rollup_block_port`, `CREATE TABLE sources_table AS SELECT * FROM sources`, `DROP VIEW sources`,
		`ALTER TABLE sources_table RENAME TO sources`, `DROP TABLE source_rows`, `DROP TABLE places`,
		`DROP TABLE links_all`, `DROP TABLE links_country`, `DROP TABLE links_asn`, `DROP TABLE links_port`, `DROP TABLE links_port_set`, `DROP TABLE links_as_names`, `DROP TABLE links_multi`, `DROP TABLE links_state`} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	for name, path := range map[string]string{"schema 2": schema2Store(t), "schema 4": from4} {
		st, err := Open(ctx, path, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		before, err := st.Stats(ctx, store.StatsQuery{By: []string{"class"}})
		if err != nil {
			t.Fatal(err)
		}
		src := netip.MustParseAddr("198.51.100.200")
		ss := []session.Session{storetest.Telnet("m5", "open", src, time.Date(2026, 5, 1, 3, 0, 0, 0, time.UTC), storetest.ELF("m5"), "sh")}
		if err := st.CommitSessions(ctx, store.SessionBatch{ID: "m5", Sessions: ss, Hits: storetest.IntrusionHits("m5", "open", ss, st.Location())}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		after, err := st.Stats(ctx, store.StatsQuery{By: []string{"class"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(after) != len(before)+1 {
			t.Errorf("%s: classes after the intrusion: %v, before %v", name, after, before)
		}
		found := false
		for _, r := range after {
			if r.Keys[0] == "intrusion" {
				found = true
				if r.Packets != 1 || r.Sources != 1 {
					t.Errorf("%s: intrusion row %+v, want 1 session from 1 source", name, r)
				}
			}
		}
		if !found {
			t.Errorf("%s: no intrusion row in %v", name, after)
		}
		for _, dims := range append(schema2Dims, []string{"day", "class", "port"}) {
			compareStats(t, st, store.StatsQuery{By: dims})
		}
		got, err := st.Sessions(ctx, store.SessionQuery{})
		if err != nil || len(got) != 1 || got[0].ID != "m5" {
			t.Errorf("%s: sessions %+v (%v)", name, got, err)
		}
		st.Close()
	}
}
