package duckstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// patternTable is the exploit matches in the columns the stats query reads
// (src stands in for the source key: both identify the address).
var patternTable = patternTableOf("exploits")

// patternTableOf is patternTable over another table of exploit matches.
func patternTableOf(table string) string {
	bit := classify.Exploit.Bit()
	return fmt.Sprintf(`(SELECT day, sensor, src, src AS skey, country, asn, proto, port, pattern, packets,
		CAST(NULL AS INTEGER) AS src_port, CAST(%d AS UTINYINT) AS classes, 'exploit' AS class FROM %s)`, bit, table)
}

// srcPortTable is the hits with their source's one source port in the
// capture (null when it used several, or sent no TCP/UDP).
const srcPortTable = `(SELECT s.day, s.sensor, s.src, s.skey, s.country, s.asn,
		CASE WHEN s.tcpudp THEN s.src_port END AS src_port,
		h.proto, h.port, h.classes, h.packets
	FROM hit_counts h JOIN sources s ON s.ingest_id = h.ingest_id AND s.sid = h.sid)`

// viewPlan is the plan of a stats query grouped by pattern or src_port:
// those come from the source-level tables, never from a rollup.
func viewPlan(q store.StatsQuery) (statsPlan, bool) {
	if q.RuleSet != 0 {
		t := patternTableOf(ruleSetExploits(q.RuleSet))
		return statsPlan{table: t, classTable: t}, true
	}
	var pattern, srcPort bool
	for _, d := range q.By {
		pattern = pattern || d == "pattern"
		srcPort = srcPort || d == "src_port"
	}
	switch {
	case pattern:
		return statsPlan{table: patternTable, classTable: patternTable}, true
	case srcPort:
		return statsPlan{table: srcPortTable,
			classTable: "(SELECT x.*, c.name AS class FROM " + srcPortTable + " x JOIN classes c ON (x.classes & c.bit) <> 0)"}, true
	}
	return statsPlan{}, false
}

// GeoDatabases returns the GeoIP database pairs that the ingests of the
// sensors (nil: all) were geolocated with, most used first.
func (s *Store) GeoDatabases(ctx context.Context, sensors []string) ([]store.GeoDBUse, error) {
	defer s.took("GeoDatabases", time.Now())
	f, args := readSensorFilter("sensor", sensors)
	rows, err := s.db.QueryContext(ctx, `SELECT coalesce(country_db, ''), coalesce(asn_db, ''), count(*) AS n
		FROM ingests WHERE (error IS NULL OR error = '')`+f+`
		GROUP BY ALL ORDER BY n DESC, 1, 2`, args...)
	if err != nil {
		return nil, fmt.Errorf("geo databases: %w", err)
	}
	defer rows.Close()
	var out []store.GeoDBUse
	for rows.Next() {
		var u store.GeoDBUse
		if err := rows.Scan(&u.CountryDB, &u.ASNDB, &u.Ingests); err != nil {
			return nil, fmt.Errorf("geo databases: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("geo databases: %w", err)
	}
	return out, nil
}

// ExploitPatterns returns the exploit matches of sel by pattern.
func (s *Store) ExploitPatterns(ctx context.Context, sel store.Selection) (store.ExploitPatterns, error) {
	defer s.took("ExploitPatterns", time.Now())
	var out store.ExploitPatterns
	sf, sargs := readSensorFilter("sensor", sel.Sensors)
	dr, dargs := readDays("day", sel.From, sel.To)
	args := append(dargs, sargs...)
	rows, err := s.db.QueryContext(ctx, `WITH e AS (SELECT * FROM exploits WHERE`+dr+sf+`),
		p AS (SELECT pattern, `+protoSQL+` AS pname, port, sum(packets) AS n,
			row_number() OVER (PARTITION BY pattern ORDER BY sum(packets) DESC, proto, port) AS r
			FROM e GROUP BY pattern, proto, port)
		SELECT e.pattern, CAST(sum(e.packets) AS DOUBLE), CAST(count(DISTINCT e.src) AS DOUBLE),
			CAST(count(DISTINCT e.day) AS INTEGER), any_value(p.port), any_value(p.pname)
		FROM e JOIN p ON p.pattern = e.pattern AND p.r = 1
		GROUP BY e.pattern ORDER BY 2 DESC, 1`, args...)
	if err != nil {
		return out, fmt.Errorf("exploit patterns: %w", err)
	}
	for rows.Next() {
		var t store.PatternTotal
		if err := rows.Scan(&t.Pattern, &t.Packets, &t.Sources, &t.Days, &t.Port, &t.Proto); err != nil {
			rows.Close()
			return out, fmt.Errorf("exploit patterns: %w", err)
		}
		out.Totals = append(out.Totals, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("exploit patterns: %w", err)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT day, pattern, CAST(sum(packets) AS DOUBLE), CAST(count(DISTINCT src) AS DOUBLE)
		FROM exploits WHERE`+dr+sf+` GROUP BY day, pattern ORDER BY day, pattern`, args...)
	if err != nil {
		return out, fmt.Errorf("exploit patterns by day: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d store.PatternDay
		var day time.Time
		if err := rows.Scan(&day, &d.Pattern, &d.Packets, &d.Sources); err != nil {
			return out, fmt.Errorf("exploit patterns by day: %w", err)
		}
		d.Day = civil.Of(day)
		out.Daily = append(out.Daily, d)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("exploit patterns by day: %w", err)
	}
	return out, nil
}

// FixedSourcePorts returns the n source ports used as the one source port
// of most distinct sources over sel (a source-day counts when all its
// TCP/UDP packets came from that port), most sources first.
func (s *Store) FixedSourcePorts(ctx context.Context, sel store.Selection, n int) ([]store.SourcePortRow, error) {
	defer s.took("FixedSourcePorts", time.Now())
	sf, sargs := readSensorFilter("sensor", sel.Sensors)
	dr, dargs := readDays("day", sel.From, sel.To)
	// The arguments of one filter of days and sensors (dr, sf).
	days := append(slices.Clone(dargs), sargs...)
	// A source-day is grouped from its rows by key (skey, as every
	// distinct count), and has one source port when its rows' smallest
	// and largest agree: the same days as the source_days view, without
	// its text addresses and distinct aggregates. The ports are ranked by
	// sources and packets first; the days and the leading country (which
	// needs the places) are then counted for the n ports shown only.
	groups := func(from string) string {
		return `SELECT day, sensor, skey, any_value(place) AS place, sum(packets) AS packets,
			CASE WHEN min(src_port) = max(src_port) AND bool_and(src_port IS NOT NULL OR NOT tcpudp) THEN min(src_port) END AS src_port
			FROM ` + from + ` WHERE` + dr + sf + ` GROUP BY day, sensor, skey`
	}
	rest := `d AS MATERIALIZED (SELECT day, skey, place, src_port, packets FROM g WHERE src_port IS NOT NULL),
		pk AS (SELECT src_port, count(DISTINCT skey) AS n, sum(packets) AS p FROM d GROUP BY src_port),
		top AS (SELECT * FROM pk ORDER BY n DESC, p DESC, src_port LIMIT ?),
		dt AS (SELECT d.* FROM d SEMI JOIN top ON top.src_port = d.src_port),
		c AS (SELECT src_port, country, row_number() OVER (PARTITION BY src_port ORDER BY count(*) DESC, country) AS r
			FROM (SELECT DISTINCT dt.src_port, dt.skey, p.country FROM dt JOIN places p ON p.code = dt.place) GROUP BY src_port, country),
		days AS (SELECT src_port, count(DISTINCT day) AS n FROM dt GROUP BY src_port),
		a AS (SELECT count(DISTINCT skey) AS n FROM d)
		SELECT top.src_port, CAST(top.n AS DOUBLE), CAST(top.p AS DOUBLE), CAST(days.n AS INTEGER), c.country,
			CAST(top.n AS DOUBLE) / greatest(a.n, 1)
		FROM top JOIN days ON days.src_port = top.src_port
			JOIN c ON c.src_port = top.src_port AND c.r = 1 CROSS JOIN a
		ORDER BY 2 DESC, 3 DESC, 1`
	scan := func(rows *sql.Rows, err error) ([]store.SourcePortRow, error) {
		if err != nil {
			return nil, fmt.Errorf("fixed source ports: %w", err)
		}
		defer rows.Close()
		var out []store.SourcePortRow
		for rows.Next() {
			var r store.SourcePortRow
			if err := rows.Scan(&r.Port, &r.Sources, &r.Packets, &r.Days, &r.Country, &r.Share); err != nil {
				return nil, fmt.Errorf("fixed source ports: %w", err)
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("fixed source ports: %w", err)
		}
		return out, nil
	}
	if !s.rawReads {
		// Nearly every source-day is one row (one file a day per sensor):
		// grouping millions of rows that are their own groups is most of
		// the question's time. The days of a sensor whose rows are as
		// many as their distinct sources (links_all: the sources of any
		// class a day at that sensor, exact when the links are up to date)
		// have one row per source-day, which is its own group; only the
		// other days are grouped.
		var out []store.SourcePortRow
		used, err := s.withLinks(ctx, sel.To, func(tx *sql.Tx) (err error) {
			one := `SELECT r.day, r.sensor FROM (SELECT day, sensor, count(*) AS n FROM source_rows WHERE` + dr + sf + ` GROUP BY day, sensor) r
				JOIN (SELECT day, sensor, sum(sources) AS n FROM links_all WHERE sensor IS NOT NULL AND class IS NULL GROUP BY day, sensor) l
				ON l.day = r.day AND l.sensor = r.sensor AND l.n = r.n`
			q := `WITH one AS MATERIALIZED (` + one + `),
				g AS (SELECT day, sensor, skey, place, packets, src_port FROM source_rows x SEMI JOIN one ON one.day = x.day AND one.sensor = x.sensor
					WHERE` + dr + sf + ` AND src_port IS NOT NULL
				UNION ALL ` + groups("source_rows x ANTI JOIN one ON one.day = x.day AND one.sensor = x.sensor") + `),
				` + rest
			args := append(slices.Concat(days, days, days), max(n, 1))
			out, err = scan(tx.QueryContext(ctx, q, args...))
			return err
		})
		if used || err != nil {
			return out, err
		}
	}
	return scan(s.db.QueryContext(ctx, `WITH g AS (`+groups("source_rows")+`), `+rest, append(days, max(n, 1))...))
}
