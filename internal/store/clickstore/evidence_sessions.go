package clickstore

import (
	"context"
	"encoding/gob"
	"fmt"
	"strings"
	"time"

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

// backfillSessionCond is the sessions a backfill of q reads: current,
// committed, not filtered, started in q's days in the store's zone.
func (s *Store) backfillSessionCond(q store.EvidenceQuery) *cond {
	c := &cond{parts: []string{s.currentSessions(), "filtered = 0", "has_start = 1"}}
	if q.From != 0 {
		c.add("start_us >= ?", q.From.Start(s.loc).UnixMicro())
	}
	if q.To != 0 {
		c.add("start_us < ?", q.To.AddDays(1).Start(s.loc).UnixMicro())
	}
	if q.Sensor != "" {
		c.add("sensor = ?", q.Sensor)
	}
	return c
}

// classifySessions runs classify over the sessions of q, a day at a time.
func (s *Store) classifySessions(ctx context.Context, q store.EvidenceQuery, classify func(*session.Session) ([]string, []string)) (*sessionBackfill, error) {
	c := s.backfillSessionCond(q)
	var n uint64
	var lo, hi int64
	if err := s.conn.QueryRow(ctx, `SELECT count(), min(start_us), max(start_us) FROM `+s.db+`.hp_sessions`+c.where(), c.args...).Scan(&n, &lo, &hi); err != nil {
		return nil, fmt.Errorf("backfill: sessions: %w", err)
	}
	if n == 0 {
		return &sessionBackfill{}, nil
	}
	first, last := civil.FromTime(time.UnixMicro(lo), s.loc), civil.FromTime(time.UnixMicro(hi), s.loc)
	return store.ClassifySessionDays(ctx, first, last, func(d civil.Day) ([]session.Session, error) {
		ss, err := s.backfillSessions(ctx, store.EvidenceQuery{From: d, To: d, Sensor: q.Sensor})
		if err != nil {
			return nil, fmt.Errorf("backfill: sessions of %s: %w", d, err)
		}
		return ss, nil
	}, classify)
}

// backfillSessions reads the sessions of one day of q in the order they
// started, with what a backfill hands the classifier: addresses, ports,
// start, sensor, and every command and request (unbounded, as the DuckDB
// store reads them for a backfill).
func (s *Store) backfillSessions(ctx context.Context, q store.EvidenceQuery) ([]session.Session, error) {
	c := s.backfillSessionCond(q)
	rows, err := s.conn.Query(ctx, `SELECT id, sensor, port, src, src_port, dst, start_us, lists FROM `+s.db+`.hp_sessions`+
		c.where()+` ORDER BY start_us, id`, c.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []session.Session
	for rows.Next() {
		var x session.Session
		var src, dst, blob string
		var start int64
		if err := rows.Scan(&x.ID, &x.Sensor, &x.Port, &src, &x.SrcPort, &dst, &start, &blob); err != nil {
			return nil, err
		}
		x.Src, x.Dst = parseAddr(src), parseAddr(dst)
		x.Start = time.UnixMicro(start).UTC()
		var l lists
		if err := gob.NewDecoder(strings.NewReader(blob)).Decode(&l); err != nil {
			return nil, fmt.Errorf("session %s: %w", x.ID, err)
		}
		x.Commands, x.Requests = l.Commands, l.Requests
		for i := range x.Commands {
			x.Commands[i].Time = x.Commands[i].Time.UTC()
		}
		for i := range x.Requests {
			x.Requests[i].Time = x.Requests[i].Time.UTC()
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// sessionCounts gives the session counts of a backfill their places
// (store.SessionBackfill.Placed), as the DuckDB store does: the country and
// AS of a committed sources row of the source on that day and sensor, else
// the session's country and AS 0 ("??" without either).
func (s *Store) sessionCounts(ctx context.Context, sb *sessionBackfill, q store.EvidenceQuery) ([]store.SessionCount, error) {
	if len(sb.Counts) == 0 {
		return nil, nil
	}
	places := map[sessionKey]store.SessionPlace{}
	c := evidenceCond(q, "")
	rows, err := s.conn.Query(ctx, `SELECT toString(day), sensor, src, any(country), any(asn) FROM `+s.db+`.sources
		WHERE ingest_id IN `+s.visible()+` AND `+c.and()+` GROUP BY day, sensor, src`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("backfill: session places: %w", err)
	}
	if err := store.EachRow(rows, func(sc store.Scanner) error {
		var k sessionKey
		var day string
		var p store.SessionPlace
		if err := sc.Scan(&day, &k.Sensor, &k.Src, &p.Country, &p.ASN); err != nil {
			return err
		}
		var err error
		if k.Day, err = civil.Parse(day); err != nil {
			return err
		}
		places[k] = p
		return nil
	}); err != nil {
		return nil, fmt.Errorf("backfill: session places: %w", err)
	}
	sc := s.backfillSessionCond(q)
	rows, err = s.conn.Query(ctx, `SELECT sensor, src, any(country) FROM `+s.db+`.hp_sessions`+sc.where()+` GROUP BY sensor, src`, sc.args...)
	if err != nil {
		return nil, fmt.Errorf("backfill: session places: %w", err)
	}
	countries := map[[2]string]string{}
	if err := store.EachRow(rows, func(r store.Scanner) error {
		var sn, sr, cc string
		if err := r.Scan(&sn, &sr, &cc); err != nil {
			return err
		}
		countries[[2]string{sn, sr}] = cc
		return nil
	}); err != nil {
		return nil, fmt.Errorf("backfill: session places: %w", err)
	}
	return sb.Placed(places, countries), nil
}
