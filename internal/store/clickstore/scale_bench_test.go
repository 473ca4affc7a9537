package clickstore_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/clickstore"
	"github.com/honeyscope/honeyscope/internal/store/storetest/contract"
)

// Scale shape (BENCHMARKS.md, "Reads at 30 days × 10 M packets a day"):
// per day, scaleSources source-days split over two sensors, each with 2 or
// 3 port cells (2.5 on average) and about 5 packets a cell (heavy-tailed,
// 1 to 19); a source's country and ASN are Zipf-like in its id, its
// protocol and class set fixed by its id, its ports mostly from a short
// Zipf-like list of popular ports; half of a day's sources were there the
// day before, 8 × scaleSources distinct sources in all.
const (
	scaleDays    = 30
	scaleSources = 800_000 // source-days per day at full scale
)

// scaleFraction is $HONEYSCOPE_BENCH_SCALE_FRACTION (default 1): the part
// of the full size to synthesize.
func scaleFraction(b *testing.B) float64 {
	s := os.Getenv("HONEYSCOPE_BENCH_SCALE_FRACTION")
	if s == "" {
		return 1
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f > 1 {
		b.Fatalf("HONEYSCOPE_BENCH_SCALE_FRACTION=%q: want a number in (0, 1]", s)
	}
	return f
}

// scaleHits is the INSERT of day d's hits rows: n source-days.
func scaleHits(d int, day civil.Day, n int) string {
	ports := "[23, 22, 80, 443, 8080, 445, 3389, 2323, 5555, 1433, 3306, 6379, 81, 8443, 37215, 52869, 5900, 25, 53, 123]"
	countries := "['CN', 'US', 'RU', 'BR', 'IN', 'KR', 'VN', 'TW', 'DE', 'NL', 'FR', 'GB', 'ID', 'TH', 'IR', 'JP', 'UA', 'SG', 'HK', 'TR', 'MX', 'AR', 'PL', 'EG', 'PK', 'BD', 'IT', 'CA', 'RO', 'ZA']"
	return fmt.Sprintf(`INSERT INTO {db}.hits (ingest_id, day, sensor, src, country, asn, proto, port, classes, packets)
		SELECT ingest_id, toDate('%[1]s'), sensor, IPv4NumToString(toUInt32(16777216 + id * 7)), country, asn, proto,
			if(proto = 1, toUInt16(0), port),
			toUInt8(if(proto = 1, 16, if(uz < 0.3, 3, if(uz < 0.45, 5, if(uz < 0.55, 9, 1))))),
			toUInt64(1 + floor(18 * pow(uk, 3)))
		FROM (SELECT toInt32(1 + 2 * %[2]d + s %% 2) AS ingest_id, if(s %% 2 = 0, 'east', 'west') AS sensor, id, k,
			%[4]s[1 + toUInt32(least(29, floor(pow(intHash32(id) / 4294967296, 3) * 30)))] AS country,
			toUInt32(64512 + floor(pow(intHash32(id + 1) / 4294967296, 2) * 5000)) AS asn,
			intHash32(id * 8 + k + %[2]d * 1000003) / 4294967296 AS uk,
			intHash32(id + 2) / 4294967296 AS up,
			intHash32(id + 3) / 4294967296 AS uz,
			toUInt8(if(up < 0.9, 6, if(up < 0.98, 17, 1))) AS proto,
			toUInt16(if(uk < 0.8, %[5]s[1 + toUInt32(least(19, floor(pow(uk / 0.8, 2) * 20)))], 1 + intHash32(id * 8 + k + 3) %% 65535)) AS port
			FROM (SELECT number AS s, (number + %[2]d * intDiv(%[3]d, 2)) %% (%[3]d * 8) AS id,
				arrayJoin(range(toUInt8(2 + number %% 2))) AS k FROM numbers(%[3]d)))`,
		day.String(), d, n, countries, ports)
}

// scaleSourcesRows is the INSERT of day's sources rows, from its hits.
func scaleSourcesRows(day civil.Day) string {
	return fmt.Sprintf(`INSERT INTO {db}.sources (ingest_id, day, sensor, src, country, asn, as_org, special,
			packets, bytes, classes, first_ns, last_ns, src_port, tcpudp)
		SELECT ingest_id, day, sensor, src, any(country), any(asn), concat('AS', toString(any(asn))), '',
			sum(packets), sum(packets) * 60, groupBitOr(classes),
			toInt64(toUInt32(toDateTime(day))) * 1000000000, toInt64(toUInt32(toDateTime(day))) * 1000000000 + 86399000000000,
			toInt32(-1), toUInt8(1)
		FROM {db}.hits WHERE day = toDate('%s') GROUP BY ingest_id, day, sensor, src`, day.String())
}

// scaleIngests is the INSERT of one ingests row per day and sensor, from
// the hits.
const scaleIngests = `INSERT INTO {db}.ingests (id, path, hash, size, sensor, format, frames, packets, first_ns, last_ns, ingested_at, version)
	SELECT ingest_id, concat('synth-', toString(ingest_id)), concat('synth-', toString(ingest_id)), toInt64(sum(packets) * 76),
		any(sensor), 'pcap', sum(packets), sum(packets),
		toInt64(toUInt32(toDateTime(min(day)))) * 1000000000, toInt64(toUInt32(toDateTime(max(day)))) * 1000000000 + 86399000000000,
		now(), 'scale-bench'
	FROM {db}.hits GROUP BY ingest_id`

// BenchmarkReadsAtScale times BenchmarkReads' reads over a store filled
// server-side (INSERT ... SELECT FROM numbers) with rows of 30 days × 10 M
// packets a day over two sensors (times $HONEYSCOPE_BENCH_SCALE_FRACTION),
// the materialized views filling the rollups as a commit does. It runs
// only with HONEYSCOPE_BENCH_SCALE=1 and a ClickHouse server.
func BenchmarkReadsAtScale(b *testing.B) {
	if os.Getenv("HONEYSCOPE_BENCH_SCALE") != "1" {
		b.Skip("set HONEYSCOPE_BENCH_SCALE=1 (and $" + contract.EnvClickHouse + ") to fill and read a store of 300 M packets")
	}
	frac := scaleFraction(b)
	st := contract.ClickHouse(b, "")
	ctx := context.Background()
	exec := func(q string) {
		b.Helper()
		if err := clickstore.Exec(ctx, st, q); err != nil {
			b.Fatalf("%v\n%s", err, q)
		}
	}
	count := func(q string) uint64 {
		b.Helper()
		n, err := clickstore.QueryUint64(ctx, st, q)
		if err != nil {
			b.Fatalf("%v\n%s", err, q)
		}
		return n
	}
	n := int(float64(scaleSources) * frac)
	start := civil.FromTime(time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), time.UTC)
	t0 := time.Now()
	for d := range scaleDays {
		exec(scaleHits(d, start.AddDays(d), n))
	}
	tHits := time.Since(t0)
	for d := range scaleDays {
		exec(scaleSourcesRows(start.AddDays(d)))
	}
	exec(scaleIngests)
	b.Logf("fill: hits with rollups %v, sources and ingests %v (scale %g, %d source-days a day)", tHits.Round(time.Millisecond), (time.Since(t0) - tHits).Round(time.Millisecond), frac, n)
	var sizes []string
	for _, t := range []string{"hits", "sources", "rollup_source_day", "rollup_port", "ingests"} {
		rows := count(`SELECT toUInt64(count()) FROM {db}.` + t)
		parts := `FROM system.parts WHERE active AND database = '` + clickstore.DBName(st) + `' AND table = '` + t + `'`
		bytes := count(`SELECT toUInt64(sum(bytes_on_disk)) ` + parts)
		n := count(`SELECT toUInt64(count()) ` + parts)
		sizes = append(sizes, fmt.Sprintf("%s %d rows, %.1f MB in %d parts", t, rows, float64(bytes)/1e6, n))
	}
	b.Logf("sizes: %s", strings.Join(sizes, "; "))

	// The store answers sensibly: the packets of the ingests are those of
	// hits, and ClassTotals of the last week (from rollup_source_day) has
	// hits' packets of each class.
	packets := count(`SELECT toUInt64(sum(packets)) FROM {db}.hits`)
	if in := count(`SELECT toUInt64(sum(packets)) FROM {db}.ingests`); in != packets || packets == 0 {
		b.Fatalf("ingests hold %d packets, hits %d", in, packets)
	}
	first, last, ok, err := st.DataRange(ctx, nil)
	if err != nil || !ok || first != start || last != start.AddDays(scaleDays-1) {
		b.Fatalf("data range %v..%v %v %v, want %v..%v", first, last, ok, err, start, start.AddDays(scaleDays-1))
	}
	all := store.Selection{From: first, To: last}
	week := store.Selection{From: last.AddDays(-6), To: last}
	// A week, not the 30 days: over 30 days uniqExact of 6.4 M sources
	// per class exceeds the test server's 2 GB per query.
	tot, err := st.ClassTotals(ctx, store.TotalsQuery{Selection: week, Split: last})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		class string
		bit   int
	}{{"access", 1}, {"mirai", 2}, {"zmap", 4}, {"masscan", 8}, {"backscatter", 16}} {
		want := count(fmt.Sprintf(`SELECT toUInt64(sum(packets)) FROM {db}.hits WHERE bitAnd(classes, %d) != 0 AND day >= toDate('%s')`, c.bit, week.From))
		if got := tot.Before[c.class].Packets + tot.After[c.class].Packets; got != float64(want) || want == 0 {
			b.Fatalf("ClassTotals %s: %v packets, hits hold %d", c.class, got, want)
		}
	}
	b.Logf("packets %d (%.2f M a day)", packets, float64(packets)/scaleDays/1e6)

	top, err := st.Stats(ctx, store.StatsQuery{From: last.String(), To: last.String(), By: []string{"src"}, Top: 1})
	if err != nil || len(top) == 0 {
		b.Fatal(err)
	}
	benchDashboardReads(b, st, all, week, netipMust(top[0].Keys[0].(string)))
}
