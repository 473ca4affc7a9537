package duckstore

import (
	"context"
	"database/sql/driver"
	"fmt"
	"net/netip"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// A backfill re-evaluates the honeypot's sessions (store.ClassifySessionDays):
// this store reads them a day at a time and writes their counts.

// The backfill's session counts, counted by store.ClassifySessionDays.
type (
	sessionKey      = store.SessionMatch
	daySensor       = store.DaySensor
	sessionBackfill = store.SessionBackfill
)

// sessionWhere is the filter of q over hp_sessions, the days of the
// session start in loc.
func sessionWhere(q store.EvidenceQuery, loc *time.Location) (string, []any) {
	w := " NOT coalesce(filtered, false) AND start_ts IS NOT NULL"
	var args []any
	if q.From != 0 {
		w += " AND start_ts >= ?"
		args = append(args, q.From.Start(loc).UTC())
	}
	if q.To != 0 {
		w += " AND start_ts < ?"
		args = append(args, q.To.AddDays(1).Start(loc).UTC())
	}
	if q.Sensor != "" {
		w += " AND sensor = ?"
		args = append(args, q.Sensor)
	}
	return w, args
}

// classifySessions runs classify over the sessions of q, a day at a time.
func (s *Store) classifySessions(ctx context.Context, q store.EvidenceQuery, classify func(*session.Session) ([]string, []string)) (*sessionBackfill, error) {
	w, args := sessionWhere(q, s.loc)
	var lo, hi *time.Time
	if err := s.db.QueryRowContext(ctx, `SELECT min(start_ts), max(start_ts) FROM hp_sessions WHERE`+w, args...).Scan(&lo, &hi); err != nil {
		return nil, fmt.Errorf("backfill: sessions: %w", err)
	}
	if lo == nil || hi == nil {
		return &sessionBackfill{}, nil
	}
	first, last := civil.FromTime(*lo, s.loc), civil.FromTime(*hi, s.loc)
	return store.ClassifySessionDays(ctx, first, last, func(d civil.Day) ([]session.Session, error) {
		ss, err := s.backfillSessions(ctx, store.EvidenceQuery{From: d, To: d, Sensor: q.Sensor})
		if err != nil {
			return nil, fmt.Errorf("backfill: sessions of %s: %w", d, err)
		}
		return ss, nil
	}, classify)
}

// backfillSessions reads the sessions of one day of q with their commands
// and requests, in the order they started.
func (s *Store) backfillSessions(ctx context.Context, q store.EvidenceQuery) ([]session.Session, error) {
	w, args := sessionWhere(q, s.loc)
	rows, err := s.db.QueryContext(ctx, `SELECT id, coalesce(sensor, ''), coalesce(port, 0), coalesce(src, ''),
		coalesce(src_port, 0), coalesce(dst, ''), start_ts FROM hp_sessions WHERE`+w+` ORDER BY start_ts, id`, args...)
	if err != nil {
		return nil, err
	}
	var ss []session.Session
	at := map[string]int{}
	for rows.Next() {
		var x session.Session
		var src, dst string
		if err := rows.Scan(&x.ID, &x.Sensor, &x.Port, &src, &x.SrcPort, &dst, &x.Start); err != nil {
			rows.Close()
			return nil, err
		}
		x.Src, _ = netip.ParseAddr(src)
		x.Dst, _ = netip.ParseAddr(dst)
		at[x.ID] = len(ss)
		ss = append(ss, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, nil
	}
	in := ` WHERE session_id IN (SELECT id FROM hp_sessions WHERE` + w + `) ORDER BY session_id, seq`
	rows, err = s.db.QueryContext(ctx, `SELECT session_id, ts, coalesce(input, '') FROM hp_commands`+in, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var ts *time.Time
		var c session.Command
		if err := rows.Scan(&id, &ts, &c.Input); err != nil {
			rows.Close()
			return nil, err
		}
		if ts != nil {
			c.Time = *ts
		}
		if i, ok := at[id]; ok {
			ss[i].Commands = append(ss[i].Commands, c)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.QueryContext(ctx, `SELECT session_id, ts, coalesce(method, ''), coalesce(path, ''), coalesce(version, ''),
		coalesce(host, ''), coalesce(headers, ''), body, coalesce(body_size, 0) FROM hp_requests`+in, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var ts *time.Time
		var r session.Request
		if err := rows.Scan(&id, &ts, &r.Method, &r.Path, &r.Version, &r.Host, &r.Headers, &r.Body, &r.BodySize); err != nil {
			return nil, err
		}
		if ts != nil {
			r.Time = *ts
		}
		if i, ok := at[id]; ok {
			ss[i].Requests = append(ss[i].Requests, r)
		}
	}
	return ss, rows.Err()
}

// sessionRows gives the session counts of a backfill their places
// (store.SessionBackfill.Placed): the country and AS of a sources row of
// the source on that day and sensor, else the session's country and AS 0.
func (s *Store) sessionRows(ctx context.Context, sb *sessionBackfill, q store.EvidenceQuery) ([]store.SessionCount, error) {
	if len(sb.Counts) == 0 {
		return nil, nil
	}
	places := map[sessionKey]store.SessionPlace{}
	w, args := evidenceWhere(q, "")
	rows, err := s.db.QueryContext(ctx, `SELECT day, sensor, src, coalesce(any_value(country), ''), coalesce(any_value(asn), 0)
		FROM sources WHERE`+w+` GROUP BY day, sensor, src`, args...)
	if err != nil {
		return nil, fmt.Errorf("backfill: session places: %w", err)
	}
	if err := store.EachRow(rows, func(sc store.Scanner) error {
		var k sessionKey
		var day time.Time
		var p store.SessionPlace
		if err := sc.Scan(&day, &k.Sensor, &k.Src, &p.Country, &p.ASN); err != nil {
			return err
		}
		k.Day = civil.Of(day)
		places[k] = p
		return nil
	}); err != nil {
		return nil, fmt.Errorf("backfill: session places: %w", err)
	}
	wq, qargs := sessionWhere(q, s.loc)
	rows, err = s.db.QueryContext(ctx, `SELECT coalesce(sensor, ''), coalesce(src, ''), coalesce(any_value(country), '')
		FROM hp_sessions WHERE`+wq+` GROUP BY ALL`, qargs...)
	if err != nil {
		return nil, fmt.Errorf("backfill: session places: %w", err)
	}
	countries := map[[2]string]string{}
	if err := store.EachRow(rows, func(sc store.Scanner) error {
		var sn, sr, c string
		if err := sc.Scan(&sn, &sr, &c); err != nil {
			return err
		}
		countries[[2]string{sn, sr}] = c
		return nil
	}); err != nil {
		return nil, fmt.Errorf("backfill: session places: %w", err)
	}
	return sb.Placed(places, countries), nil
}

// writeSessionCounts appends the session rows of a backfill under ruleSet
// to exploit_counts, and a backfills row for each (day, sensor) with
// sessions that the evidence gave none. Call inside the backfill's
// transaction.
func writeSessionCounts(ctx context.Context, conn *duckdb.Conn, ruleSet int32, rows []store.SessionCount, pairs map[daySensor]bool, now time.Time) error {
	if err := appendRows(conn, "exploit_counts", len(rows), func(i int) []driver.Value {
		r := &rows[i]
		return []driver.Value{ruleSet, r.Day.Time(), r.Sensor, r.Src, r.Country, r.ASN, uint8(6), r.Port, r.Pattern, r.N}
	}); err != nil {
		return fmt.Errorf("session exploit counts: %w", err)
	}
	for p := range pairs {
		if err := execConn(ctx, conn, `INSERT INTO backfills SELECT ?, ?, ?, 0, 0, ?
			WHERE NOT EXISTS (SELECT 1 FROM backfills WHERE rule_set = ? AND day = ? AND sensor = ?)`,
			ruleSet, p.Day.Time(), p.Sensor, now, ruleSet, p.Day.Time(), p.Sensor); err != nil {
			return fmt.Errorf("session backfills: %w", err)
		}
	}
	return nil
}
