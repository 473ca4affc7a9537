package duckstore

import (
	"context"
	"database/sql/driver"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/store"
)

// evidenceSchema is the migration of the evidence store (docs/rules.md
// "Evidence"): each distinct payload once (payloads), the packets that
// carried it per ingest, day, source, protocol and port (evidence_counts),
// what each ingest kept and dropped (evidence_ingests), and the exploit
// counts re-evaluated under rule sets by `rules backfill` (exploit_counts,
// with the (rule set, day, sensor) pairs done in backfills). The *_stage
// tables hold rows inside one transaction only.
var evidenceSchema = []string{
	`CREATE TABLE IF NOT EXISTS payloads (id UBIGINT, hash BLOB, len UINTEGER, data BLOB)`,
	`CREATE TABLE IF NOT EXISTS payloads_stage (id UBIGINT, hash BLOB, len UINTEGER, data BLOB)`,
	`CREATE TABLE IF NOT EXISTS evidence_counts (
		ingest_id INTEGER, day DATE, sensor VARCHAR, src VARCHAR, proto UTINYINT, port USMALLINT,
		payload UBIGINT, packets UBIGINT)`,
	`CREATE TABLE IF NOT EXISTS evidence_ingests (
		ingest_id INTEGER, sensor VARCHAR, max_len UINTEGER, packets UBIGINT, kept UBIGINT,
		dropped UBIGINT, truncated UBIGINT, payloads UBIGINT)`,
	`CREATE TABLE IF NOT EXISTS exploit_counts (
		rule_set INTEGER, day DATE, sensor VARCHAR, src VARCHAR, country VARCHAR, asn UINTEGER,
		proto UTINYINT, port USMALLINT, pattern VARCHAR, packets UBIGINT)`,
	`CREATE TABLE IF NOT EXISTS backfills (
		rule_set INTEGER, day DATE, sensor VARCHAR, packets UBIGINT, payloads UBIGINT, done_at TIMESTAMP)`,
	`CREATE TABLE IF NOT EXISTS backfill_stage (payload UBIGINT, pattern VARCHAR)`,
}

// evidenceTables are the tables whose rows carry an ingest id, deleted
// with the ingest when it is replaced.
var evidenceTables = []string{"evidence_counts", "evidence_ingests"}

var (
	_ store.EvidenceTx    = (*Tx)(nil)
	_ store.EvidenceStore = (*Store)(nil)
)

// AppendEvidence implements store.EvidenceTx: the payloads the store does
// not hold yet are added, and the counts are written under the Tx's ingest.
func (t *Tx) AppendEvidence(ctx context.Context, p *evidence.Part, sensor string) error {
	if p == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errors.New("transaction already finished")
	}
	return t.raw(ctx, func(conn *duckdb.Conn) error {
		exec := func(q string, a ...any) error { return execConn(ctx, conn, q, a...) }
		ids := make([]uint64, len(p.Payloads))
		for i := range p.Payloads {
			ids[i] = payloadID(p.Payloads[i].Hash)
		}
		if err := insertPayloads(ctx, connRunner{ctx, conn}, p.Payloads, ids); err != nil {
			return fmt.Errorf("evidence payloads: %w", err)
		}
		if err := exec(`INSERT INTO evidence_ingests VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.id, sensor, uint32(p.MaxLen), p.Packets, p.Kept, p.Dropped, p.Truncated, uint64(len(p.Payloads))); err != nil {
			return err
		}
		// The ingest and sensor are constants of the statement, the day a
		// number; counts are sorted by day and source, so a source's text
		// is made once per run of its rows.
		cols, err := colInfos("day", duckdb.TYPE_INTEGER, "src", duckdb.TYPE_VARCHAR, "proto", duckdb.TYPE_UTINYINT,
			"port", duckdb.TYPE_USMALLINT, "payload", duckdb.TYPE_UBIGINT, "packets", duckdb.TYPE_UBIGINT)
		if err != nil {
			return err
		}
		sel := fmt.Sprintf("%d, DATE '1970-01-01' + day, %s, src, proto, port, payload, packets", t.id, sqlString(sensor))
		var lastSrc netip.Addr
		var lastText string
		return bulkInsertAs(ctx, exec, "evidence_counts", sel, cols, len(p.Counts), func(ch duckdb.DataChunk, row, i int) error {
			c := &p.Counts[i]
			if c.Src != lastSrc || lastText == "" {
				lastSrc, lastText = c.Src, c.Src.String()
			}
			if err := duckdb.SetChunkValue(ch, 0, row, int32(c.Day)); err != nil {
				return err
			}
			duckdb.SetChunkValue(ch, 1, row, lastText)
			duckdb.SetChunkValue(ch, 2, row, c.Proto)
			duckdb.SetChunkValue(ch, 3, row, c.Port)
			duckdb.SetChunkValue(ch, 4, row, ids[c.Payload])
			return duckdb.SetChunkValue(ch, 5, row, c.Packets)
		})
	})
}

// insertPayloads adds to payloads those of a part the store does not hold
// yet (ids: their payloadID), refusing ids that collide: two of the part's
// payloads with one id, or one with the id of a stored payload of other
// content. The part's payloads are distinct (evidence.Part).
func insertPayloads(ctx context.Context, r connRunner, pays []evidence.Payload, ids []uint64) error {
	if len(pays) == 0 {
		return nil
	}
	collide := 0
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] {
			collide++
		}
	}
	// The stored payloads of the part's ids, by id.
	idCols, err := colInfos("id", duckdb.TYPE_UBIGINT)
	if err != nil {
		return err
	}
	rid, release := registerRows(idCols, len(ids), func(c duckdb.DataChunk, row, i int) error {
		return duckdb.SetChunkValue(c, 0, row, ids[i])
	})
	stored := map[uint64][]byte{}
	err = r.query(fmt.Sprintf(`SELECT id, hash FROM payloads WHERE id IN (SELECT id FROM honeyscope_rows(%d))`, rid), nil, func(v []driver.Value) error {
		id, ok1 := v[0].(uint64)
		h, ok2 := v[1].([]byte)
		if !ok1 || !ok2 {
			return fmt.Errorf("payloads row is %T, %T", v[0], v[1])
		}
		stored[id] = h
		return nil
	})
	release()
	if err != nil {
		return err
	}
	var add []int
	for i := range pays {
		h, ok := stored[ids[i]]
		switch {
		case !ok:
			add = append(add, i)
		case string(h) != string(pays[i].Hash[:]):
			collide++
		}
	}
	if collide > 0 {
		// Two payloads whose SHA-256 share their first 64 bits: about
		// n²/2^65 likely for n payloads in the store.
		return fmt.Errorf("%d payload ids collide with payloads of other content", collide)
	}
	cols, err := colInfos("id", duckdb.TYPE_UBIGINT, "hash", duckdb.TYPE_BLOB, "len", duckdb.TYPE_UINTEGER, "data", duckdb.TYPE_BLOB)
	if err != nil {
		return err
	}
	return bulkInsert(ctx, r.exec, "payloads", cols, len(add), func(c duckdb.DataChunk, row, i int) error {
		q := &pays[add[i]]
		if err := duckdb.SetChunkValue(c, 0, row, ids[add[i]]); err != nil {
			return err
		}
		duckdb.SetChunkValue(c, 1, row, q.Hash[:])
		duckdb.SetChunkValue(c, 2, row, uint32(q.Len))
		return duckdb.SetChunkValue(c, 3, row, q.Data)
	})
}

// payloadID is a payload's key in evidence_counts: the first 64 bits of its
// SHA-256 (payloads keeps the whole hash beside it; AppendEvidence refuses
// two payloads with one id).
func payloadID(h [32]byte) uint64 { return binary.BigEndian.Uint64(h[:8]) }

// evidenceWhere is the filter of q over a table with day and sensor.
func evidenceWhere(q store.EvidenceQuery, alias string) (string, []any) {
	var w []string
	var args []any
	if q.From != 0 {
		w = append(w, alias+"day >= ?")
		args = append(args, q.From.Time())
	}
	if q.To != 0 {
		w = append(w, alias+"day <= ?")
		args = append(args, q.To.Time())
	}
	if q.Sensor != "" {
		w = append(w, alias+"sensor = ?")
		args = append(args, q.Sensor)
	}
	if len(w) == 0 {
		return " TRUE", nil
	}
	return " " + strings.Join(w, " AND "), args
}

// EvidenceDays implements store.EvidenceStore.
func (s *Store) EvidenceDays(ctx context.Context, q store.EvidenceQuery) ([]store.EvidenceDay, error) {
	defer s.took("EvidenceDays", time.Now())
	w, args := evidenceWhere(q, "")
	rows, err := s.db.QueryContext(ctx, `SELECT day, sensor, CAST(sum(packets) AS UBIGINT), CAST(count(DISTINCT payload) AS BIGINT)
		FROM evidence_counts WHERE`+w+` GROUP BY day, sensor ORDER BY day, sensor`, args...)
	if err != nil {
		return nil, fmt.Errorf("evidence days: %w", err)
	}
	defer rows.Close()
	var out []store.EvidenceDay
	for rows.Next() {
		var d store.EvidenceDay
		var day time.Time
		var n int64
		if err := rows.Scan(&day, &d.Sensor, &d.Packets, &n); err != nil {
			return nil, fmt.Errorf("evidence days: %w", err)
		}
		d.Day, d.Payloads = civil.Of(day), int(n)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Backfill implements store.EvidenceStore.
func (s *Store) Backfill(ctx context.Context, ruleSet int32, q store.EvidenceQuery, c store.Classifiers, progress func(done, total int)) (store.BackfillResult, error) {
	var res store.BackfillResult
	if s.readOnly {
		return res, errors.New("store opened read-only")
	}
	days, err := s.EvidenceDays(ctx, q)
	if err != nil {
		return res, err
	}
	sb := &sessionBackfill{}
	if c.Session != nil {
		if sb, err = s.classifySessions(ctx, q, c.Session); err != nil {
			return res, err
		}
	}
	if len(days) == 0 && sb.Sessions == 0 {
		return res, store.ErrNoEvidence
	}
	res = sb.Result(days)
	srows, err := s.sessionRows(ctx, sb, q)
	if err != nil {
		return res, err
	}
	classify := c.Payload
	if classify == nil {
		classify = func(store.EvidencePayload) string { return "" }
	}
	w, args := evidenceWhere(q, "")
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT count(DISTINCT payload) FROM evidence_counts WHERE`+w, args...).Scan(&total); err != nil {
		return res, fmt.Errorf("backfill: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT p.id, p.hash, p.len, p.data FROM payloads p
		SEMI JOIN (SELECT DISTINCT payload FROM evidence_counts WHERE`+w+`) c ON c.payload = p.id`, args...)
	if err != nil {
		return res, fmt.Errorf("backfill: read payloads: %w", err)
	}
	type match struct {
		id      uint64
		pattern string
	}
	var matches []match
	seen := 0
	for rows.Next() {
		var p store.EvidencePayload
		var n uint32
		var id uint64
		if err := rows.Scan(&id, &p.Hash, &n, &p.Data); err != nil {
			rows.Close()
			return res, fmt.Errorf("backfill: read payloads: %w", err)
		}
		p.Len = int(n)
		if pat := classify(p); pat != "" {
			matches = append(matches, match{id, pat})
		}
		seen++
		if progress != nil && seen%4096 == 0 {
			progress(seen, total)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("backfill: read payloads: %w", err)
	}
	if progress != nil {
		progress(seen, total)
	}
	res.Payloads, res.Matched = seen, len(matches)
	if err := s.lockWrites(ctx); err != nil {
		return res, fmt.Errorf("backfill: %w", err)
	}
	defer s.unlockWrites()
	err = s.withConn(ctx, func(conn *duckdb.Conn) error {
		if err := execConn(ctx, conn, "BEGIN TRANSACTION"); err != nil {
			return err
		}
		ok := false
		defer func() {
			if !ok {
				execConn(context.Background(), conn, "ROLLBACK")
			}
		}()
		del := append([]any{ruleSet}, args...)
		for _, tb := range []string{"exploit_counts", "backfills"} {
			if err := execConn(ctx, conn, `DELETE FROM `+tb+` WHERE rule_set = ? AND`+w, del...); err != nil {
				return err
			}
		}
		if err := appendRows(conn, "backfill_stage", len(matches), func(i int) []driver.Value {
			return []driver.Value{matches[i].id, matches[i].pattern}
		}); err != nil {
			return err
		}
		cw, cargs := evidenceWhere(q, "c.")
		ins := append([]any{ruleSet}, cargs...)
		if err := execConn(ctx, conn, `INSERT INTO exploit_counts
			SELECT ?, c.day, c.sensor, c.src, coalesce(g.country, '??'), coalesce(g.asn, 0), c.proto, c.port, m.pattern,
				CAST(sum(c.packets) AS UBIGINT)
			FROM evidence_counts c JOIN backfill_stage m ON m.payload = c.payload
			LEFT JOIN (SELECT ingest_id, day, src, any_value(country) AS country, any_value(asn) AS asn
				FROM sources GROUP BY ingest_id, day, src) g
				ON g.ingest_id = c.ingest_id AND g.day = c.day AND g.src = c.src
			WHERE`+cw+` GROUP BY c.day, c.sensor, c.src, g.country, g.asn, c.proto, c.port, m.pattern`, ins...); err != nil {
			return fmt.Errorf("exploit counts: %w", err)
		}
		if err := execConn(ctx, conn, `DELETE FROM backfill_stage`); err != nil {
			return err
		}
		now := time.Now().UTC()
		bf := append([]any{ruleSet, now}, args...)
		if err := execConn(ctx, conn, `INSERT INTO backfills
			SELECT ?, day, sensor, CAST(sum(packets) AS UBIGINT), CAST(count(DISTINCT payload) AS UBIGINT), ?
			FROM evidence_counts WHERE`+w+` GROUP BY day, sensor`, bf...); err != nil {
			return err
		}
		if err := writeSessionCounts(ctx, conn, ruleSet, srows, sb.Pairs, now); err != nil {
			return err
		}
		if err := execConn(ctx, conn, "COMMIT"); err != nil {
			return err
		}
		ok = true
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("backfill: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(CAST(sum(packets) AS UBIGINT), 0) FROM exploit_counts
		WHERE rule_set = ? AND`+w, append([]any{ruleSet}, args...)...).Scan(&res.Rows, &res.Exploits); err != nil {
		return res, fmt.Errorf("backfill: %w", err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(CAST(sum(dropped) AS UBIGINT), 0) FROM evidence_ingests
		WHERE ingest_id IN (SELECT DISTINCT ingest_id FROM evidence_counts WHERE`+w+`)`, args...).Scan(&res.Dropped); err != nil {
		return res, fmt.Errorf("backfill: %w", err)
	}
	// Honeypot ingests (intrusion counts) have their sessions as evidence.
	if err := s.db.QueryRowContext(ctx, `SELECT count(DISTINCT ingest_id) FROM sources WHERE`+w+`
		AND ingest_id NOT IN (SELECT ingest_id FROM evidence_ingests)
		AND ingest_id NOT IN (SELECT id FROM ingests WHERE format IN ('honeypot', 'cowrie'))`, args...).Scan(&res.Uncovered); err != nil {
		return res, fmt.Errorf("backfill: %w", err)
	}
	return res, nil
}

// RuleSetRuns implements store.EvidenceStore.
func (s *Store) RuleSetRuns(ctx context.Context, q store.EvidenceQuery) ([]store.RuleSetRun, error) {
	defer s.took("RuleSetRuns", time.Now())
	w, args := evidenceWhere(q, "")
	// Days of an ingest: those its sources rows cover.
	rows, err := s.db.QueryContext(ctx, `SELECT day, sensor, rule_set, backfill, done_at FROM (
			SELECT s.day, s.sensor, coalesce(i.rule_set, -1) AS rule_set, false AS backfill, max(i.ingested_at) AS done_at
			FROM sources s JOIN ingests i ON i.id = s.ingest_id GROUP BY 1, 2, 3
			UNION ALL
			SELECT day, sensor, rule_set, true, done_at FROM backfills) x
		WHERE`+w+` ORDER BY day, sensor, rule_set, backfill`, args...)
	if err != nil {
		return nil, fmt.Errorf("rule set runs: %w", err)
	}
	defer rows.Close()
	var out []store.RuleSetRun
	for rows.Next() {
		var r store.RuleSetRun
		var day time.Time
		var at *time.Time
		if err := rows.Scan(&day, &r.Sensor, &r.RuleSet, &r.Backfill, &at); err != nil {
			return nil, fmt.Errorf("rule set runs: %w", err)
		}
		r.Day = civil.Of(day)
		if at != nil {
			r.At = *at
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ruleSetExploits is the exploit matches under rule set id in the columns
// of exploits: the counts a backfill wrote for it, and, on the (day,
// sensor) pairs it has not backfilled, the hits of ingests classified with
// it.
func ruleSetExploits(id int32) string {
	return fmt.Sprintf(`(SELECT day, sensor, src, country, asn, proto, port, pattern, packets
		FROM exploit_counts WHERE rule_set = %[1]d
		UNION ALL
		SELECT e.day, e.sensor, e.src, e.country, e.asn, e.proto, e.port, e.pattern, e.packets
		FROM exploits e JOIN ingests i ON i.id = e.ingest_id
		WHERE coalesce(i.rule_set, -1) = %[1]d AND NOT EXISTS (
			SELECT 1 FROM backfills b WHERE b.rule_set = %[1]d AND b.day = e.day AND b.sensor = e.sensor))`, id)
}
