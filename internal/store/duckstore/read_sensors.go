package duckstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Sensors lists the sensors with at least one ingested capture, by name.
func (s *Store) Sensors(ctx context.Context) ([]store.Sensor, error) {
	defer s.took("Sensors", time.Now())
	rows, err := s.db.QueryContext(ctx, `SELECT i.sensor, coalesce(any_value(s.nets), ''), coalesce(max(s.addresses), 0)
		FROM ingests i LEFT JOIN sensors s ON s.name = i.sensor
		GROUP BY i.sensor ORDER BY i.sensor`)
	if err != nil {
		return nil, fmt.Errorf("list sensors: %w", err)
	}
	defer rows.Close()
	var out []store.Sensor
	for rows.Next() {
		var x store.Sensor
		if err := rows.Scan(&x.Name, &x.Nets, &x.Addresses); err != nil {
			return nil, fmt.Errorf("list sensors: %w", err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list sensors: %w", err)
	}
	return out, nil
}

// DataRange returns the first and last day holding data of the sensors.
func (s *Store) DataRange(ctx context.Context, sensors []string) (first, last civil.Day, ok bool, err error) {
	defer s.took("DataRange", time.Now())
	f, args := readSensorFilter("sensor", sensors)
	var lo, hi sql.NullTime
	if err = s.db.QueryRowContext(ctx, `SELECT min(day), max(day) FROM sources WHERE true`+f, args...).Scan(&lo, &hi); err != nil {
		return 0, 0, false, fmt.Errorf("data range: %w", err)
	}
	if !lo.Valid || !hi.Valid {
		return 0, 0, false, nil
	}
	return civil.Of(lo.Time), civil.Of(hi.Time), true, nil
}

// Captures returns the first and last packet time of each ingested file of
// the sensors.
func (s *Store) Captures(ctx context.Context, sensors []string) ([]store.Capture, error) {
	defer s.took("Captures", time.Now())
	f, args := readSensorFilter("sensor", sensors)
	rows, err := s.db.QueryContext(ctx, `SELECT sensor, first_ts, last_ts, coalesce(kernel_drops, 0), coalesce(queue_drops, 0) FROM ingests
		WHERE first_ts IS NOT NULL AND last_ts IS NOT NULL`+f+` ORDER BY sensor, first_ts, last_ts`, args...)
	if err != nil {
		return nil, fmt.Errorf("captures: %w", err)
	}
	defer rows.Close()
	var out []store.Capture
	for rows.Next() {
		var c store.Capture
		var a, b time.Time
		if err := rows.Scan(&c.Sensor, &a, &b, &c.KernelDrops, &c.QueueDrops); err != nil {
			return nil, fmt.Errorf("captures: %w", err)
		}
		if b.Before(a) {
			a, b = b, a
		}
		c.First, c.Last = a.UTC(), b.UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("captures: %w", err)
	}
	return out, nil
}

// ASOrgs returns the organisation of each AS seen over s.
func (s *Store) ASOrgs(ctx context.Context, sel store.Selection) (map[uint32]string, error) {
	defer s.took("ASOrgs", time.Now())
	sf, sargs := readSensorFilter("sensor", sel.Sensors)
	dr, dargs := readDays("day", sel.From, sel.To)
	// The names come from the few (AS, place) pairs of the rows, not from
	// every row of the sources view: the same maximum of the same names.
	rows, err := s.db.QueryContext(ctx, `SELECT r.asn, max(p.as_org)
		FROM (SELECT DISTINCT asn, place FROM source_rows WHERE`+dr+` AND asn <> 0`+sf+`) r
		JOIN places p ON p.code = r.place WHERE p.as_org <> '' GROUP BY r.asn`, append(dargs, sargs...)...)
	if err != nil {
		return nil, fmt.Errorf("AS names: %w", err)
	}
	defer rows.Close()
	out := map[uint32]string{}
	for rows.Next() {
		var asn uint32
		var org string
		if err := rows.Scan(&asn, &org); err != nil {
			return nil, fmt.Errorf("AS names: %w", err)
		}
		out[asn] = org
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("AS names: %w", err)
	}
	return out, nil
}
