package clickstore

// Rollups: two SummingMergeTree tables filled by materialized views on
// every insert into hits, each row still tagged with its ingest id, so the
// reads keep only committed ingests exactly as they do on hits (a commit,
// a replacement and an aborted Tx need nothing more):
//
//   - rollup_source_day: per ingest × day × sensor × source × country ×
//     ASN × class set, the packets (hits without the protocol and port:
//     about a fifth of its rows). Distinct sources are uniqExact(src) over
//     it, exact for any grouping of day, sensor, class, country and ASN.
//   - rollup_port: per ingest × day × sensor × protocol × port × class
//     set, the packets (no source): packets by port, and distinct ports.
//
// A view's GROUP BY sums within each inserted block; the table sums rows of
// one key when it merges parts, in the background: reads always sum.
// Distinct sources by port are not rolled up (they need the sources: that
// is hits itself).

// rollupMigration is migration 3: the rollup tables and their views, and
// the rows of hits already stored (the fill runs only into an empty table,
// so a migration run again after the views exist counts nothing twice;
// run it with no writer committing).
var rollupMigration = []string{
	`CREATE TABLE IF NOT EXISTS {db}.rollup_source_day (
		ingest_id Int32, day Date, sensor String, src String, country String, asn UInt32, classes UInt8, packets UInt64)
		ENGINE = SummingMergeTree(packets) PARTITION BY toYYYYMM(day) ORDER BY (day, sensor, classes, country, asn, src, ingest_id)`,
	`CREATE TABLE IF NOT EXISTS {db}.rollup_port (
		ingest_id Int32, day Date, sensor String, proto UInt8, port UInt16, classes UInt8, packets UInt64)
		ENGINE = SummingMergeTree(packets) PARTITION BY toYYYYMM(day) ORDER BY (day, sensor, proto, port, classes, ingest_id)`,
	`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.rollup_source_day_mv TO {db}.rollup_source_day AS
		SELECT ingest_id, day, sensor, src, country, asn, classes, sum(packets) AS packets
		FROM {db}.hits GROUP BY ingest_id, day, sensor, src, country, asn, classes`,
	`CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.rollup_port_mv TO {db}.rollup_port AS
		SELECT ingest_id, day, sensor, proto, port, classes, sum(packets) AS packets
		FROM {db}.hits GROUP BY ingest_id, day, sensor, proto, port, classes`,
	`INSERT INTO {db}.rollup_source_day (ingest_id, day, sensor, src, country, asn, classes, packets)
		SELECT ingest_id, day, sensor, src, country, asn, classes, sum(packets) FROM {db}.hits
		WHERE (SELECT count() FROM {db}.rollup_source_day) = 0
		GROUP BY ingest_id, day, sensor, src, country, asn, classes`,
	`INSERT INTO {db}.rollup_port (ingest_id, day, sensor, proto, port, classes, packets)
		SELECT ingest_id, day, sensor, proto, port, classes, sum(packets) FROM {db}.hits
		WHERE (SELECT count() FROM {db}.rollup_port) = 0
		GROUP BY ingest_id, day, sensor, proto, port, classes`,
}

// Columns a read needs, for choosing the table that answers it.
const (
	needPort uint8 = 1 << iota // proto, port
	needSrc                    // src
	needGeo                    // country, asn
)

// factTable is the smallest table holding the columns need names (besides
// ingest_id, day, sensor, classes and packets, which all hold): rollup_port
// for ports alone, rollup_source_day without ports, hits otherwise or when
// the rollups are off.
func (s *Store) factTable(need uint8) string {
	switch {
	case s.noRollups || need&needPort != 0 && need&(needSrc|needGeo) != 0:
		return s.db + ".hits"
	case need&needPort != 0:
		return s.db + ".rollup_port"
	}
	return s.db + ".rollup_source_day"
}
