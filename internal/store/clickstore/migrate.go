package clickstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SchemaVersion is the schema this build writes.
const SchemaVersion = 10

// migration is one numbered schema step. Its statements are idempotent
// (IF NOT EXISTS): ClickHouse cannot run them in a transaction, so a step
// cut short is run again whole, and the version is recorded after it.
type migration struct {
	version int
	name    string
	stmts   []string
}

// Tables are MergeTree, partitioned by month where rows carry a day, and
// ordered for the reads: by day and sensor first. "{db}" is the database.
var migrations = []migration{
	{1, "baseline", []string{
		`CREATE TABLE IF NOT EXISTS {db}.meta (key String, value String, at DateTime)
			ENGINE = MergeTree() ORDER BY (key, at)`,
		// One row per committed capture: its presence makes the capture's
		// rows visible; replaces lists the ingests it retires.
		`CREATE TABLE IF NOT EXISTS {db}.ingests (
			id Int32, replaces Array(Int32), path String, hash String, size Int64, sensor String, format String,
			frames UInt64, packets UInt64, outbound UInt64, undecodable UInt64,
			first_ns Int64, last_ns Int64, error String, error_offset Int64,
			ingested_at DateTime, duration_ms Int64, country_db String, asn_db String, version String,
			detection String, rule_set Int32, kernel_drops UInt64, queue_drops UInt64)
			ENGINE = MergeTree() ORDER BY id`,
		// Ingest ids handed out by Begin (the first claim of an id wins).
		`CREATE TABLE IF NOT EXISTS {db}.ingest_claims (id Int32, token String, at DateTime, aborted UInt8)
			ENGINE = MergeTree() ORDER BY (id, at, token)`,
		`CREATE TABLE IF NOT EXISTS {db}.sensors (name String, nets String, addresses Float64, at DateTime)
			ENGINE = MergeTree() ORDER BY (name, at)`,
		`CREATE TABLE IF NOT EXISTS {db}.sources (
			ingest_id Int32, day Date, sensor String, src String, country String, asn UInt32, as_org String,
			special String, packets UInt64, bytes UInt64, classes UInt8, first_ns Int64, last_ns Int64,
			src_port Int32, tcpudp UInt8)
			ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (day, sensor, src)`,
		// The hit counts with their source's attributes: ClickHouse
		// answers from one wide table rather than from a join.
		`CREATE TABLE IF NOT EXISTS {db}.hits (
			ingest_id Int32, day Date, sensor String, src String, country String, asn UInt32,
			proto UInt8, port UInt16, classes UInt8, packets UInt64)
			ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (day, sensor, proto, port, country)`,
		`CREATE TABLE IF NOT EXISTS {db}.exploits (
			ingest_id Int32, day Date, sensor String, src String, country String, asn UInt32,
			proto UInt8, port UInt16, pattern String, packets UInt64)
			ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (day, sensor, pattern)`,
		`CREATE TABLE IF NOT EXISTS {db}.hourly (
			ingest_id Int32, hour DateTime, sensor String, proto UInt8, classes UInt8, packets UInt64, bytes UInt64)
			ENGINE = MergeTree() PARTITION BY toYYYYMM(hour) ORDER BY (hour, sensor)`,
	}},
	{2, "honeypot sessions", []string{
		// One row per session per batch that wrote it, tagged with the
		// batch's ingest id: the newest committed row of an id is the
		// session. Its lists are in lists (gob); the columns after
		// intrusion are what the reads filter on and the samples.
		`CREATE TABLE IF NOT EXISTS {db}.hp_sessions (
			ingest_id Int32, id String, sensor String, service String, port UInt16, src String, src_port UInt16, dst String,
			has_start UInt8, start_us Int64, has_end UInt8, end_us Int64, end_reason String,
			arch String, client_version String, hassh String, hassh_algos String, telnet_options String,
			filtered UInt8, country String, logged_in UInt8, username String, password String,
			bytes_in Int64, bytes_out Int64, first_bytes String, truncated Int32, intrusion UInt8,
			login_users Array(String), texts Array(String), file_shas Array(String),
			sf_sha Array(String), sf_us Array(Int64), sf_seq Array(Int32), sf_size Array(Int64), sf_type Array(String), sf_via Array(String),
			lists String)
			ENGINE = MergeTree() ORDER BY (id, ingest_id)`,
		// One row per committed batch. A batch without intrusion hits is
		// committed by its row here (hits = 0); one with hits by its
		// ingest's row in ingests, this row naming the batch for retries.
		`CREATE TABLE IF NOT EXISTS {db}.hp_commits (ingest_id Int32, batch String, hits UInt8, at DateTime, sessions Int32)
			ENGINE = MergeTree() ORDER BY (batch, ingest_id)`,
	}},
	{3, "rollups", rollupMigration},
	{4, "transport batches", []string{
		// One row per transport batch a Finish applied, written before
		// its ingest's row: it counts only once that ingest is committed.
		`CREATE TABLE IF NOT EXISTS {db}.ingest_batches (id String, ingest_id Int32, at DateTime)
			ENGINE = MergeTree() ORDER BY (id, ingest_id)`,
	}},
	{5, "geo history", []string{
		// One row per Reassign, as in the DuckDB store.
		`CREATE TABLE IF NOT EXISTS {db}.geo_history (done_at DateTime, day_from String, day_to String,
			country_db String, asn_db String, sources Int64, rows Int64, changed Int64)
			ENGINE = MergeTree() ORDER BY done_at`,
	}},
	{6, "source-port histograms", []string{
		// As in the DuckDB store (docs/srcports.md), tagged with the
		// ingest id like every fact row.
		`CREATE TABLE IF NOT EXISTS {db}.srcport_counts (
			ingest_id Int32, day Date, sensor String, src String, kind UInt8, proto UInt8, port UInt16, packets UInt64)
			ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (day, sensor, src, kind, proto, port)`,
		`CREATE TABLE IF NOT EXISTS {db}.srcport_ingests (
			ingest_id Int32, sensor String, k UInt16, packets UInt64, dropped UInt64, confined Int32, many Int32, few Int32)
			ENGINE = MergeTree() ORDER BY ingest_id`,
	}},
	{7, "DNS resolutions", []string{
		// One row per name per put; the row of the highest seq is the
		// name's resolution.
		`CREATE TABLE IF NOT EXISTS {db}.infra_resolutions (
			name String, seq UInt64, resolved_at DateTime, zone String, cdn String, result String)
			ENGINE = MergeTree() ORDER BY (name, seq)`,
	}},
	{8, "rule sets", []string{
		// As in the DuckDB store (docs/rules.md): a set exists once its
		// rule_sets row does (written after its files and rules); ids are
		// claimed as ingest ids are.
		`CREATE TABLE IF NOT EXISTS {db}.rule_set_claims (id Int32, token String, at DateTime)
			ENGINE = MergeTree() ORDER BY (id, at, token)`,
		`CREATE TABLE IF NOT EXISTS {db}.rule_sets (id Int32, name String, version String, hash String,
			active_from String, sensor String, ad_hoc UInt8, added_us Int64)
			ENGINE = MergeTree() ORDER BY id`,
		`CREATE TABLE IF NOT EXISTS {db}.rule_set_files (rule_set Int32, seq Int32, name String, text String)
			ENGINE = MergeTree() ORDER BY (rule_set, seq)`,
		`CREATE TABLE IF NOT EXISTS {db}.rule_set_rules (rule_set Int32, gid UInt32, sid UInt32, rev UInt32, msg String, classtype String)
			ENGINE = MergeTree() ORDER BY (rule_set, gid, sid)`,
	}},
	{malwareVersion, "samples, triage, sandbox runs and fetches", malwareSchema},
	{evidenceVersion, "evidence", evidenceMigration},
}

// factTables are the tables whose rows carry an ingest id (the rollups
// included: Cleanup's mutations do not reach a materialized view's table).
var factTables = []string{"sources", "hits", "exploits", "hourly", "rollup_source_day", "rollup_port", "srcport_counts", "srcport_ingests",
	"evidence_counts", "evidence_ingests"}

func (s *Store) schemaVersion(ctx context.Context) (int, error) {
	var n uint64
	if err := s.conn.QueryRow(ctx, `SELECT count() FROM system.tables WHERE database = ? AND name = 'meta'`, s.db).Scan(&n); err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, nil
	}
	var v int64
	if err := s.conn.QueryRow(ctx, `SELECT max(toInt64OrZero(value)) FROM `+s.db+`.meta WHERE key = 'schema_version'`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v), nil
}

// migrate runs the migrations above the store's version, up to upTo
// (0: all; the tests stop earlier to test a step).
func (s *Store) migrate(ctx context.Context, upTo int) error {
	have, err := s.schemaVersion(ctx)
	if err != nil {
		return err
	}
	if have > SchemaVersion {
		return fmt.Errorf("schema version %d is newer than this build knows (%d): use a newer honeyscope", have, SchemaVersion)
	}
	for _, m := range migrations {
		if m.version <= have || upTo > 0 && m.version > upTo {
			continue
		}
		for _, q := range m.stmts {
			if err := s.conn.Exec(ctx, strings.ReplaceAll(q, "{db}", s.db)); err != nil {
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		if err := s.insertRows(ctx, `INSERT INTO `+s.db+`.meta (key, value, at)`,
			[]any{"schema_version", strconv.Itoa(m.version), time.Now().UTC()}); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}
