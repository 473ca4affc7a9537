package clickstore

// samplesTable is the samples as the DuckDB store's samples table holds
// them, computed when read: one row per content (sha, size, type,
// first_us, last_us, n, via, sid, src, sensor).
//
//   - A content of the current sessions' sample files is the sessions'
//     sample: its first and last file, the distinct sessions, how, in
//     which session, from which source and at which sensor it first
//     arrived. A fetch of the same content moves its last seen on.
//   - Any other content was added by hand or fetched, whichever was
//     written first (by seq): "added" (no sessions; first and last add)
//     or "fetched" (1, and the first fetch's time, session, source and
//     sensor); a fetch moves the last seen of either on, an add only that
//     of an added one.
//
// Without the malware tables (a test stopped the migrations earlier) only
// the sessions' samples are.
func (s *Store) samplesTable() string {
	db := s.db
	sessions := `SELECT sha, argMin(fsize, k) AS size, argMin(ftype, k) AS type, min(us) AS first_us, max(us) AS last_us,
				toInt64(uniqExact(id)) AS n, argMin(fvia, k) AS via, argMin(id, k) AS sid, argMin(src, k) AS src, argMin(sensor, k) AS sensor
			FROM (SELECT id, src, sensor, sha, us, fsize, ftype, fvia, (us, id, seq) AS k FROM ` + db + `.hp_sessions
				ARRAY JOIN sf_sha AS sha, sf_us AS us, sf_seq AS seq, sf_size AS fsize, sf_type AS ftype, sf_via AS fvia
				WHERE ` + s.currentSessions() + `)
			GROUP BY sha`
	if !s.has(malwareVersion) {
		return `(` + sessions + `)`
	}
	// pri orders the candidates of a content: the sessions' first, then
	// the first written of the adds and the fetches.
	// Its columns are renamed (x_...): an alias must not be the name of a
	// column it is made of.
	return `(SELECT sha, argMax(x_size, pri) AS size, argMax(x_type, pri) AS type, argMax(x_first, pri) AS first_us,
			greatest(argMax(x_last, pri), maxIf(x_last, x_via = 'fetched')) AS last_us, argMax(x_n, pri) AS n,
			argMax(x_via, pri) AS via, argMax(x_sid, pri) AS sid, argMax(x_src, pri) AS src, argMax(x_sensor, pri) AS sensor
		FROM (
			SELECT sha, size AS x_size, type AS x_type, first_us AS x_first, last_us AS x_last, n AS x_n, via AS x_via, sid AS x_sid,
				src AS x_src, sensor AS x_sensor, (toInt8(2), toInt64(0), toInt8(0)) AS pri
			FROM (` + sessions + `)
			UNION ALL
			SELECT sha256 AS sha, argMin(size, seq) AS x_size, argMin(type, seq) AS x_type, min(added_us) AS x_first, max(added_us) AS x_last,
				toInt64(0) AS x_n, 'added' AS x_via, '' AS x_sid, '' AS x_src, '' AS x_sensor, (toInt8(1), -toInt64(min(seq)), toInt8(1)) AS pri
			FROM ` + db + `.sample_adds GROUP BY sha256
			UNION ALL
			SELECT sha256 AS sha, argMin(size, seq) AS x_size, argMin(type, seq) AS x_type, argMin(ts_us, seq) AS x_first, max(ts_us) AS x_last,
				toInt64(1) AS x_n, 'fetched' AS x_via, argMin(session_id, seq) AS x_sid, argMin(src, seq) AS x_src, argMin(sensor, seq) AS x_sensor,
				(toInt8(1), -toInt64(min(seq)), toInt8(0)) AS pri
			FROM ` + db + `.fetches WHERE sha256 != '' GROUP BY sha256)
		GROUP BY sha)`
}

// shaList is the placeholders and arguments of a list of digests.
func shaList(sha []string) (string, []any) {
	a := make([]any, len(sha))
	for i, h := range sha {
		a[i] = h
	}
	return placeholders(len(a)), a
}
