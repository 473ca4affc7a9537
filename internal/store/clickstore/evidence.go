package clickstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/store"
)

// The evidence store (store.EvidenceTx, store.EvidenceStore; docs/rules.md
// "Evidence", docs/store.md "ClickHouse"), as in the DuckDB store: each
// distinct payload once (payloads, keyed by the first 64 bits of its
// SHA-256), the packets that carried it per ingest, day, source, protocol
// and port (evidence_counts) and what each ingest kept and dropped
// (evidence_ingests), both tagged with the capture's ingest id and visible
// with its ingest row, like every fact row; the exploit counts of `rules
// backfill` (exploit_counts) and the (rule set, day, sensor) triples they
// cover (backfills).
//
// ClickHouse has no transactions, so a backfill replaces by versions: its
// rows carry a backfill number (the time it began, in nanoseconds), and
// the rows of a triple that count are those of the highest number in
// backfills for it, unless that row says the triple was removed (a later
// backfill of those days found nothing there). backfills rows are written
// last, in one block: a backfill becomes visible whole or not at all.

// evidenceVersion is the migration that creates the evidence tables.
const evidenceVersion = 10

// evidenceMigration creates the evidence tables. payloads is a
// ReplacingMergeTree: two writers storing one new payload at the same
// moment leave two equal rows until a merge, and the reads take one per id.
var evidenceMigration = []string{
	`CREATE TABLE IF NOT EXISTS {db}.payloads (id UInt64, hash String, len UInt32, data String)
		ENGINE = ReplacingMergeTree() ORDER BY id`,
	`CREATE TABLE IF NOT EXISTS {db}.evidence_counts (
		ingest_id Int32, day Date, sensor String, src String, proto UInt8, port UInt16, payload UInt64, packets UInt64)
		ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (day, sensor, payload)`,
	`CREATE TABLE IF NOT EXISTS {db}.evidence_ingests (
		ingest_id Int32, sensor String, max_len UInt32, packets UInt64, kept UInt64, dropped UInt64, truncated UInt64, payloads UInt64)
		ENGINE = MergeTree() ORDER BY ingest_id`,
	`CREATE TABLE IF NOT EXISTS {db}.exploit_counts (
		backfill Int64, rule_set Int32, day Date, sensor String, src String, country String, asn UInt32,
		proto UInt8, port UInt16, pattern String, packets UInt64)
		ENGINE = MergeTree() PARTITION BY toYYYYMM(day) ORDER BY (rule_set, day, sensor, pattern)`,
	`CREATE TABLE IF NOT EXISTS {db}.backfills (
		backfill Int64, rule_set Int32, day Date, sensor String, removed UInt8, packets UInt64, payloads UInt64, done_us Int64)
		ENGINE = MergeTree() ORDER BY (rule_set, day, sensor, backfill)`,
	// The payloads a backfill's rules matched, read by its INSERT … SELECT
	// of exploit_counts and deleted after it.
	`CREATE TABLE IF NOT EXISTS {db}.backfill_stage (backfill Int64, payload UInt64, pattern String)
		ENGINE = MergeTree() ORDER BY (backfill, payload)`,
}

var (
	_ store.EvidenceTx    = (*Tx)(nil)
	_ store.EvidenceStore = (*Store)(nil)
)

// payloadID is a payload's key: the first 64 bits of its SHA-256, as in
// the DuckDB store.
func payloadID(h [32]byte) uint64 { return binary.BigEndian.Uint64(h[:8]) }

// idChunk is how many payload ids one lookup names (well inside the
// server's max_query_size of 256 KiB).
const idChunk = 4096

// AppendEvidence implements store.EvidenceTx: the payloads the store does
// not hold yet are added, and the counts are written under the Tx's ingest
// (visible when Finish records it).
func (t *Tx) AppendEvidence(ctx context.Context, p *evidence.Part, sensor string) error {
	if p == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errors.New("transaction already finished")
	}
	s := t.s
	if !s.has(evidenceVersion) {
		return nil
	}
	ids := make([]uint64, len(p.Payloads))
	at := make(map[uint64]int, len(p.Payloads))
	for i := range p.Payloads {
		id := payloadID(p.Payloads[i].Hash)
		if j, ok := at[id]; ok && p.Payloads[j].Hash != p.Payloads[i].Hash {
			return fmt.Errorf("evidence payloads: payload ids collide (%016x)", id)
		}
		ids[i], at[id] = id, i
	}
	held, err := s.heldPayloads(ctx, ids, func(id uint64, hash string) error {
		if hash != string(p.Payloads[at[id]].Hash[:]) {
			// Two payloads whose SHA-256 share their first 64 bits.
			return fmt.Errorf("evidence payloads: payload id %016x collides with a stored payload of other content", id)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var fresh []int
	for i, id := range ids {
		if !held[id] && at[id] == i {
			fresh = append(fresh, i)
		}
	}
	db := s.db
	if err := s.insert(ctx, `INSERT INTO `+db+`.payloads (id, hash, len, data)`, len(fresh), func(k int) []any {
		q := &p.Payloads[fresh[k]]
		return []any{ids[fresh[k]], string(q.Hash[:]), uint32(q.Len), string(q.Data)}
	}); err != nil {
		return fmt.Errorf("evidence payloads: %w", err)
	}
	if err := s.insertRows(ctx, `INSERT INTO `+db+`.evidence_ingests (ingest_id, sensor, max_len, packets, kept, dropped, truncated, payloads)`,
		[]any{t.id, sensor, uint32(p.MaxLen), p.Packets, p.Kept, p.Dropped, p.Truncated, uint64(len(p.Payloads))}); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	// Counts are sorted by day and source: a source's text and a day's
	// time are made once per run of their rows.
	var lastSrc string
	var lastDay civil.Day = -1 << 31
	var dayTime any
	prev := -1
	err = s.insert(ctx, `INSERT INTO `+db+`.evidence_counts (ingest_id, day, sensor, src, proto, port, payload, packets)`,
		len(p.Counts), func(i int) []any {
			c := &p.Counts[i]
			if prev < 0 || c.Src != p.Counts[prev].Src {
				lastSrc = c.Src.Unmap().String()
			}
			prev = i
			if c.Day != lastDay {
				lastDay, dayTime = c.Day, c.Day.Time()
			}
			return []any{t.id, dayTime, sensor, lastSrc, c.Proto, c.Port, ids[c.Payload], c.Packets}
		})
	if err != nil {
		return fmt.Errorf("evidence counts: %w", err)
	}
	return nil
}

// heldPayloads returns which of ids the store holds, calling check with
// each one's stored hash.
func (s *Store) heldPayloads(ctx context.Context, ids []uint64, check func(id uint64, hash string) error) (map[uint64]bool, error) {
	held := map[uint64]bool{}
	for lo := 0; lo < len(ids); lo += idChunk {
		list := idList(ids[lo:min(len(ids), lo+idChunk)])
		rows, err := s.conn.Query(ctx, `SELECT id, any(hash) FROM `+s.db+`.payloads WHERE id IN (`+list+`) GROUP BY id`)
		if err != nil {
			return nil, fmt.Errorf("evidence payloads: %w", err)
		}
		for rows.Next() {
			var id uint64
			var h string
			if err := rows.Scan(&id, &h); err != nil {
				rows.Close()
				return nil, fmt.Errorf("evidence payloads: %w", err)
			}
			if err := check(id, h); err != nil {
				rows.Close()
				return nil, err
			}
			held[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("evidence payloads: %w", err)
		}
	}
	return held, nil
}

// idList is ids as SQL literals.
func idList(ids []uint64) string {
	b := make([]byte, 0, 21*len(ids))
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, id, 10)
	}
	return string(b)
}

// evidenceCond is the filter of q over a table with day and sensor
// columns (alias, when set, prefixed).
func evidenceCond(q store.EvidenceQuery, alias string) *cond {
	c := &cond{}
	if q.From != 0 {
		c.add(alias+"day >= toDate(?)", q.From.String())
	}
	if q.To != 0 {
		c.add(alias+"day <= toDate(?)", q.To.String())
	}
	if q.Sensor != "" {
		c.add(alias+"sensor = ?", q.Sensor)
	}
	return c
}

// and is c's conditions joined, "1" when there are none.
func (c *cond) and() string {
	if len(c.parts) == 0 {
		return "1"
	}
	return strings.Join(c.parts, " AND ")
}

// visibleEvidence is the evidence_counts rows of committed ingests in q,
// with its arguments.
func (s *Store) visibleEvidence(q store.EvidenceQuery) (string, []any) {
	c := evidenceCond(q, "")
	return `ingest_id IN ` + s.visible() + ` AND ` + c.and(), c.args
}

// EvidenceDays implements store.EvidenceStore.
func (s *Store) EvidenceDays(ctx context.Context, q store.EvidenceQuery) ([]store.EvidenceDay, error) {
	if !s.has(evidenceVersion) {
		return nil, nil
	}
	w, args := s.visibleEvidence(q)
	rows, err := s.conn.Query(ctx, `SELECT toString(day) AS d, sensor, toUInt64(sum(packets)), toUInt64(uniqExact(payload))
		FROM `+s.db+`.evidence_counts WHERE `+w+` GROUP BY d, sensor ORDER BY d, sensor`, args...)
	if err != nil {
		return nil, fmt.Errorf("evidence days: %w", err)
	}
	defer rows.Close()
	var out []store.EvidenceDay
	for rows.Next() {
		var d store.EvidenceDay
		var day string
		var n uint64
		if err := rows.Scan(&day, &d.Sensor, &d.Packets, &n); err != nil {
			return nil, fmt.Errorf("evidence days: %w", err)
		}
		if d.Day, err = civil.Parse(day); err != nil {
			return nil, fmt.Errorf("evidence days: %w", err)
		}
		d.Payloads = int(n)
		out = append(out, d)
	}
	return out, rows.Err()
}

// currentBackfills is the (rule_set, day, sensor, backfill) of the
// backfill rows that count: the newest of each triple, unless removed.
// ruleSet, when not 0, keeps that set's only.
func (s *Store) currentBackfills(ruleSet int32) string {
	w := ""
	if ruleSet != 0 {
		w = fmt.Sprintf(" WHERE rule_set = %d", ruleSet)
	}
	return `(SELECT rule_set, day, sensor, max(backfill) AS newest FROM ` + s.db + `.backfills` + w +
		` GROUP BY rule_set, day, sensor HAVING argMax(removed, backfill) = 0)`
}

// ruleSetTable is the exploit matches under rule set id in the columns a
// stats query reads (patternTable's): the counts a backfill wrote for it,
// and, on the (day, sensor) pairs it has not backfilled, the hits of the
// ingests classified with it. Its rows are all visible.
func (s *Store) ruleSetTable(id int32) string {
	cols := fmt.Sprintf(`day, sensor, src, country, asn, proto, port, pattern, packets,
		toUInt8(%d) AS classes, CAST(NULL, 'Nullable(Int64)') AS sp`, classify.Exploit.Bit())
	bf := s.currentBackfills(id)
	return fmt.Sprintf(`(SELECT %[1]s FROM %[2]s.exploit_counts WHERE rule_set = %[3]d AND (rule_set, day, sensor, backfill) IN %[4]s
		UNION ALL
		SELECT %[1]s FROM %[2]s.exploits WHERE ingest_id IN %[5]s
			AND ingest_id IN (SELECT id FROM %[2]s.ingests WHERE if(rule_set = 0, %[6]d, rule_set) = %[3]d)
			AND (day, sensor) NOT IN (SELECT day, sensor FROM %[4]s))`, cols, s.db, id, bf, s.visible(), store.BuiltinRuleSet)
}

// evidenceCopies copies the evidence rows of ingest old to ingest id (a
// Reassign writes an ingest again under a new id: its evidence goes with
// it; payloads are not per ingest).
func (s *Store) evidenceCopies(old int32, id string) []string {
	if !s.has(evidenceVersion) {
		return nil
	}
	o := fmt.Sprint(old)
	return []string{
		`INSERT INTO ` + s.db + `.evidence_counts (ingest_id, day, sensor, src, proto, port, payload, packets)
		SELECT ` + id + `, day, sensor, src, proto, port, payload, packets FROM ` + s.db + `.evidence_counts WHERE ingest_id = ` + o,
		`INSERT INTO ` + s.db + `.evidence_ingests (ingest_id, sensor, max_len, packets, kept, dropped, truncated, payloads)
		SELECT ` + id + `, sensor, max_len, packets, kept, dropped, truncated, payloads FROM ` + s.db + `.evidence_ingests WHERE ingest_id = ` + o,
	}
}
