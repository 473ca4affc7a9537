package clickstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Backfill implements store.EvidenceStore. Its rows become visible at once
// when its backfills rows are written (evidence.go); a backfill cut short
// leaves rows no read counts, which Cleanup deletes.
func (s *Store) Backfill(ctx context.Context, ruleSet int32, q store.EvidenceQuery, c store.Classifiers, progress func(done, total int)) (store.BackfillResult, error) {
	var res store.BackfillResult
	if s.readOnly {
		return res, errors.New("store opened read-only")
	}
	if !s.has(evidenceVersion) {
		return res, store.ErrNoEvidenceStore
	}
	bid := time.Now().UnixNano()
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
	srows, err := s.sessionCounts(ctx, sb, q)
	if err != nil {
		return res, err
	}
	if res.Payloads, res.Matched, err = s.classifyPayloads(ctx, bid, q, c, progress); err != nil {
		return res, err
	}
	if err := s.writeBackfill(ctx, bid, ruleSet, q, days, srows, sb.Pairs); err != nil {
		return res, fmt.Errorf("backfill: %w", err)
	}
	return res, s.backfillTotals(ctx, ruleSet, q, &res)
}

// classifyPayloads runs c.Payload over every distinct payload of the
// evidence of q and stages the matches under backfill bid.
func (s *Store) classifyPayloads(ctx context.Context, bid int64, q store.EvidenceQuery, c store.Classifiers, progress func(done, total int)) (seen, matched int, err error) {
	classify := c.Payload
	if classify == nil {
		classify = func(store.EvidencePayload) string { return "" }
	}
	w, args := s.visibleEvidence(q)
	var total uint64
	if err := s.conn.QueryRow(ctx, `SELECT toUInt64(uniqExact(payload)) FROM `+s.db+`.evidence_counts WHERE `+w, args...).Scan(&total); err != nil {
		return 0, 0, fmt.Errorf("backfill: %w", err)
	}
	rows, err := s.conn.Query(ctx, `SELECT id, any(hash), any(len), any(data) FROM `+s.db+`.payloads
		WHERE id IN (SELECT payload FROM `+s.db+`.evidence_counts WHERE `+w+`) GROUP BY id`, args...)
	if err != nil {
		return 0, 0, fmt.Errorf("backfill: read payloads: %w", err)
	}
	type match struct {
		id      uint64
		pattern string
	}
	var matches []match
	for rows.Next() {
		var id uint64
		var hash, data string
		var n uint32
		if err := rows.Scan(&id, &hash, &n, &data); err != nil {
			rows.Close()
			return 0, 0, fmt.Errorf("backfill: read payloads: %w", err)
		}
		p := store.EvidencePayload{Hash: []byte(hash), Len: int(n), Data: []byte(data)}
		if pat := classify(p); pat != "" {
			matches = append(matches, match{id, pat})
		}
		seen++
		if progress != nil && seen%4096 == 0 {
			progress(seen, int(total))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, fmt.Errorf("backfill: read payloads: %w", err)
	}
	if progress != nil {
		progress(seen, int(total))
	}
	err = s.insert(ctx, `INSERT INTO `+s.db+`.backfill_stage (backfill, payload, pattern)`, len(matches), func(i int) []any {
		return []any{bid, matches[i].id, matches[i].pattern}
	})
	if err != nil {
		return 0, 0, fmt.Errorf("backfill: stage matches: %w", err)
	}
	return seen, len(matches), nil
}

// writeBackfill writes the exploit counts of backfill bid under ruleSet:
// the staged payload matches' packets (with the country and AS of their
// source's sources row, "??" and 0 without one) and the session rows,
// then its backfills rows, which make them count: one per (day, sensor)
// with evidence or sessions, and a removed one for each triple in q a
// backfill of ruleSet covered before and this one does not.
func (s *Store) writeBackfill(ctx context.Context, bid int64, ruleSet int32, q store.EvidenceQuery, days []store.EvidenceDay, srows []store.SessionCount, spairs map[daySensor]bool) error {
	db := s.db
	w, args := s.visibleEvidence(q)
	// 18.16 joins one table per SELECT: the matches first, then the
	// sources' places.
	ins := fmt.Sprintf(`INSERT INTO %[1]s.exploit_counts (backfill, rule_set, day, sensor, src, country, asn, proto, port, pattern, packets)
		SELECT toInt64(%[2]d), toInt32(%[3]d), day, sensor, src, if(placed = 1, country, '??') AS k_country, if(placed = 1, asn, toUInt32(0)) AS k_asn,
			proto, port, pattern, toUInt64(sum(packets))
		FROM (
			SELECT ingest_id, day, sensor, src, proto, port, pattern, packets FROM %[1]s.evidence_counts
			ANY INNER JOIN (SELECT payload, pattern FROM %[1]s.backfill_stage WHERE backfill = %[2]d) USING payload
			WHERE %[4]s)
		ANY LEFT JOIN (SELECT ingest_id, day, src, any(country) AS country, any(asn) AS asn, toUInt8(1) AS placed
			FROM %[1]s.sources WHERE ingest_id IN %[5]s GROUP BY ingest_id, day, src) USING (ingest_id, day, src)
		GROUP BY day, sensor, src, k_country, k_asn, proto, port, pattern`, db, bid, ruleSet, w, s.visible())
	if err := s.conn.Exec(ctx, ins, args...); err != nil {
		return fmt.Errorf("exploit counts: %w", err)
	}
	if err := s.insert(ctx, `INSERT INTO `+db+`.exploit_counts (backfill, rule_set, day, sensor, src, country, asn, proto, port, pattern, packets)`,
		len(srows), func(i int) []any {
			r := &srows[i]
			return []any{bid, ruleSet, r.Day.Time(), r.Sensor, r.Src, r.Country, r.ASN, uint8(6), r.Port, r.Pattern, r.N}
		}); err != nil {
		return fmt.Errorf("session exploit counts: %w", err)
	}
	// The triples covered so far, to be removed where this one finds nothing.
	c := evidenceCond(q, "")
	rows, err := s.conn.Query(ctx, `SELECT toString(day), sensor FROM `+s.currentBackfills(ruleSet)+` WHERE `+c.and(), c.args...)
	if err != nil {
		return fmt.Errorf("backfills: %w", err)
	}
	var gone []daySensor
	covered := map[daySensor]bool{}
	for _, d := range days {
		covered[daySensor{Day: d.Day, Sensor: d.Sensor}] = true
	}
	for p := range spairs {
		covered[p] = true
	}
	for rows.Next() {
		var day string
		var p daySensor
		if err := rows.Scan(&day, &p.Sensor); err != nil {
			rows.Close()
			return fmt.Errorf("backfills: %w", err)
		}
		if p.Day, err = civil.Parse(day); err != nil {
			rows.Close()
			return fmt.Errorf("backfills: %w", err)
		}
		if !covered[p] {
			gone = append(gone, p)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backfills: %w", err)
	}
	now := time.Now().UTC().UnixMicro()
	var bf [][]any
	have := map[daySensor]bool{}
	for _, d := range days {
		have[daySensor{Day: d.Day, Sensor: d.Sensor}] = true
		bf = append(bf, []any{bid, ruleSet, d.Day.Time(), d.Sensor, uint8(0), d.Packets, uint64(d.Payloads), now})
	}
	for p := range spairs {
		if !have[p] {
			bf = append(bf, []any{bid, ruleSet, p.Day.Time(), p.Sensor, uint8(0), uint64(0), uint64(0), now})
		}
	}
	for _, p := range gone {
		bf = append(bf, []any{bid, ruleSet, p.Day.Time(), p.Sensor, uint8(1), uint64(0), uint64(0), now})
	}
	if err := s.insertRows(ctx, `INSERT INTO `+db+`.backfills (backfill, rule_set, day, sensor, removed, packets, payloads, done_us)`, bf...); err != nil {
		return fmt.Errorf("backfills: %w", err)
	}
	if err := s.conn.Exec(ctx, fmt.Sprintf(`ALTER TABLE %s.backfill_stage DELETE WHERE backfill = %d`, db, bid)); err != nil {
		return fmt.Errorf("backfill stage: %w", err)
	}
	return nil
}

// backfillTotals fills what res says of the stored counts: the rows and
// packets under ruleSet in q, the payload packets the evidence dropped and
// the ingests that kept none.
func (s *Store) backfillTotals(ctx context.Context, ruleSet int32, q store.EvidenceQuery, res *store.BackfillResult) error {
	db := s.db
	c := evidenceCond(q, "")
	var rows uint64
	if err := s.conn.QueryRow(ctx, `SELECT count(), toUInt64(sum(packets)) FROM `+db+`.exploit_counts
		WHERE rule_set = ? AND (rule_set, day, sensor, backfill) IN `+s.currentBackfills(ruleSet)+` AND `+c.and(),
		append([]any{ruleSet}, c.args...)...).Scan(&rows, &res.Exploits); err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	res.Rows = int64(rows)
	w, args := s.visibleEvidence(q)
	if err := s.conn.QueryRow(ctx, `SELECT toUInt64(sum(dropped)) FROM `+db+`.evidence_ingests
		WHERE ingest_id IN (SELECT ingest_id FROM `+db+`.evidence_counts WHERE `+w+`)`, args...).Scan(&res.Dropped); err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	// Honeypot ingests (intrusion counts) have their sessions as evidence.
	var n uint64
	if err := s.conn.QueryRow(ctx, `SELECT toUInt64(uniqExact(ingest_id)) FROM `+db+`.sources
		WHERE ingest_id IN `+s.visible()+` AND `+c.and()+`
		AND ingest_id NOT IN (SELECT ingest_id FROM `+db+`.evidence_ingests)
		AND ingest_id NOT IN (SELECT id FROM `+db+`.ingests WHERE format IN ('honeypot', 'cowrie'))`, c.args...).Scan(&n); err != nil {
		return fmt.Errorf("backfill: %w", err)
	}
	res.Uncovered = int(n)
	return nil
}

// RuleSetRuns implements store.EvidenceStore. At is the ingest's time to
// the second (the ingests table keeps seconds) or the backfill's to the
// microsecond.
func (s *Store) RuleSetRuns(ctx context.Context, q store.EvidenceQuery) ([]store.RuleSetRun, error) {
	db := s.db
	c := evidenceCond(q, "")
	bf := ""
	if s.has(evidenceVersion) {
		bf = `UNION ALL
			SELECT toString(day), sensor, rule_set, toUInt8(1), argMax(done_us, backfill) FROM ` + db + `.backfills WHERE ` + c.and() + `
			GROUP BY rule_set, day, sensor HAVING argMax(removed, backfill) = 0`
	}
	args := append(append([]any{}, c.args...), c.args...)
	if bf == "" {
		args = c.args
	}
	rows, err := s.conn.Query(ctx, `SELECT d, sensor, rs, bf, at_us FROM (
			SELECT toString(day) AS d, sensor, toInt32(if(rule_set = 0, `+fmt.Sprint(store.BuiltinRuleSet)+`, rule_set)) AS rs, toUInt8(0) AS bf,
				toInt64(max(toUInt32(ingested_at))) * 1000000 AS at_us
			FROM (SELECT day, sensor, ingest_id FROM `+db+`.sources WHERE ingest_id IN `+s.visible()+` AND `+c.and()+` GROUP BY day, sensor, ingest_id)
			ANY LEFT JOIN (SELECT id AS ingest_id, rule_set, ingested_at FROM `+db+`.ingests) USING ingest_id
			GROUP BY d, sensor, rs
			`+bf+`)
		ORDER BY d, sensor, rs, bf`, args...)
	if err != nil {
		return nil, fmt.Errorf("rule set runs: %w", err)
	}
	defer rows.Close()
	var out []store.RuleSetRun
	for rows.Next() {
		var r store.RuleSetRun
		var day string
		var backfill uint8
		var at int64
		if err := rows.Scan(&day, &r.Sensor, &r.RuleSet, &backfill, &at); err != nil {
			return nil, fmt.Errorf("rule set runs: %w", err)
		}
		if r.Day, err = civil.Parse(day); err != nil {
			return nil, fmt.Errorf("rule set runs: %w", err)
		}
		r.Backfill = backfill == 1
		if at != 0 {
			r.At = time.UnixMicro(at).UTC()
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// cleanupBackfills deletes the backfill rows no read counts that are older
// than cut: exploit_counts rows of a triple's older backfills, or of a
// backfill cut short, and stage rows left by one.
func (s *Store) cleanupBackfills(ctx context.Context, cut time.Time) error {
	if !s.has(evidenceVersion) {
		return nil
	}
	ns := cut.UnixNano()
	for _, q := range []string{
		fmt.Sprintf(`ALTER TABLE %s.exploit_counts DELETE WHERE backfill < %d AND (rule_set, day, sensor, backfill) NOT IN %s`,
			s.db, ns, s.currentBackfills(0)),
		fmt.Sprintf(`ALTER TABLE %s.backfill_stage DELETE WHERE backfill < %d`, s.db, ns),
	} {
		if err := s.conn.Exec(ctx, q); err != nil {
			return fmt.Errorf("cleanup backfills: %w", err)
		}
	}
	return nil
}
