package duckstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
)

// Links make exact distinct sources over any range of days a sum of a few
// thousand pre-counted rows instead of a distinct count over millions of
// source keys (the hash table of which is what a cold question over a
// month spent its time in, BENCHMARKS.md "Cold calls").
//
// Take every (sensor, class, key, source) and the days it was seen on,
// d1 < d2 < ...: each day is an occurrence whose prev is the day before it
// (NULL for d1). The distinct sources of a key over [a, b] are exactly
// its occurrences with a <= day <= b whose prev is NULL or before a: a
// source seen in the range counts once, at its first day there. The
// sources of one day are all of that day's occurrences. The links_* tables
// keep the occurrences counted by (day, prev, sensor, class, key): a few
// hundred thousand rows for the 30-day bench store, against its 4.4 M
// source-day rows. A NULL sensor stands for every sensor together (a
// source seen by two sensors counts once), a NULL class for any class.
//
// The links are derived from rollup_source_day. A commit that changes the
// rows of a day d (an ingest, a replacement, a reassignment) only changes
// the occurrences of days >= d, so it records the earliest day it touched
// in links_state (markLinks, inside its transaction); UpdateLinks later
// recounts the links of every day from there (serve runs it in its warm
// round, after writes). Until then a reader uses the links only for
// questions that end before that day (withLinks) and counts distinct
// keys as before otherwise: the answers are the same either way.

var linksSchema = []string{
	`CREATE TABLE links_all (day DATE, prev DATE, sensor VARCHAR, class VARCHAR, sources UBIGINT)`,
	`CREATE TABLE links_country (day DATE, prev DATE, sensor VARCHAR, class VARCHAR, country VARCHAR, sources UBIGINT)`,
	`CREATE TABLE links_asn (day DATE, prev DATE, sensor VARCHAR, class VARCHAR, asn UINTEGER, sources UBIGINT)`,
	// Ports have too long a tail (random ports of backscatter and of
	// scans) for links of every one: 25 M rows for the bench store. The
	// ports linked are those of the days' busiest (rollup_port_peak),
	// listed in links_port_set; the sensor is NULL for every sensor, the
	// class never.
	`CREATE TABLE links_port (day DATE, prev DATE, sensor VARCHAR, class VARCHAR, proto UTINYINT, port USMALLINT, sources UBIGINT)`,
	`CREATE TABLE links_port_set (class VARCHAR, proto UTINYINT, port USMALLINT)`,
	// The name of each AS (the largest any source of it has), counted
	// again at each update: what a question by AS looks its names up in.
	`CREATE TABLE links_as_names (asn UINTEGER, org VARCHAR)`,
	// The sources with more than one country (AS) on a day, per day and
	// sensor (NULL: every sensor): where there are none, the sources of
	// a day are split among the keys, and the keys' counts add up.
	`CREATE TABLE links_multi (day DATE, sensor VARCHAR, dim VARCHAR, sources UBIGINT)`,
	// The earliest day whose links are not up to date; NULL: all are.
	`CREATE TABLE links_state (from_day DATE)`,
	// A store upgraded with rows has every day to count.
	`INSERT INTO links_state SELECT min(day) FROM rollup_source_day`,
}

// linkDims are the links tables and the rollup_source_day column each is
// keyed by ("" for none).
var linkDims = []struct{ table, key string }{
	{"links_all", ""},
	{"links_country", "country"},
	{"links_asn", "asn"},
}

// markLinks records inside a write's transaction that the links of day and
// every later day must be counted again.
func markLinks(r runner, day time.Time) error {
	d := readDayArg(civil.Of(day))
	if err := r.exec(`UPDATE links_state SET from_day = least(coalesce(from_day, CAST(? AS DATE)), CAST(? AS DATE))`, d, d); err != nil {
		return fmt.Errorf("links: %w", err)
	}
	return nil
}

// markScope is markLinks for the earliest day of scope.
func markScope(r runner, scope dayScope) error {
	var first time.Time
	for _, days := range scope {
		for d := range days {
			if first.IsZero() || d.Before(first) {
				first = d
			}
		}
	}
	if first.IsZero() {
		return nil
	}
	return markLinks(r, first)
}

// UpdateLinks brings the links up to date: the links of every day from
// the earliest one a write changed are counted again from
// rollup_source_day, in one write transaction. It reports whether there
// was anything to do. A store opened read-only has nothing it may do.
func (s *Store) UpdateLinks(ctx context.Context) (bool, error) {
	if s.readOnly {
		return false, nil
	}
	var from sql.NullTime
	if err := s.db.QueryRowContext(ctx, `SELECT from_day FROM links_state`).Scan(&from); err != nil {
		return false, fmt.Errorf("links: %w", err)
	}
	if !from.Valid {
		return false, nil
	}
	defer s.took("UpdateLinks", time.Now())
	if err := s.lockWrites(ctx); err != nil {
		return false, err
	}
	defer s.unlockWrites()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("links: %w", err)
	}
	defer tx.Rollback()
	r := txRunner{ctx, tx}
	did, err := updateLinks(r)
	if err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("links: %w", err)
	}
	return did, nil
}

// updateLinks counts again, inside the caller's transaction, the links of
// every day from links_state's day on, and records that all are up to
// date.
func updateLinks(r runner) (bool, error) {
	var from time.Time
	var found bool
	if err := r.query(`SELECT from_day FROM links_state WHERE from_day IS NOT NULL`, nil, func(v []driver.Value) error {
		t, ok := v[0].(time.Time)
		if !ok {
			return fmt.Errorf("links_state.from_day is %T", v[0])
		}
		from, found = t, true
		return nil
	}); err != nil {
		return false, fmt.Errorf("links: %w", err)
	}
	if !found {
		return false, nil
	}
	d := readDayArg(civil.Of(from))
	// The sources seen from that day on: only their earlier days matter
	// (each collapses to its last day before it, the prev of its first
	// occurrence from there).
	if err := r.exec(`CREATE OR REPLACE TEMP TABLE links_keys AS SELECT DISTINCT skey FROM rollup_source_day WHERE day >= CAST(? AS DATE)`, d); err != nil {
		return false, fmt.Errorf("links: %w", err)
	}
	for _, ld := range linkDims {
		key, xkey := "", ""
		if ld.key != "" {
			key, xkey = ld.key+", ", "x."+ld.key+", "
		}
		if err := r.exec(`DELETE FROM `+ld.table+` WHERE day >= CAST(? AS DATE)`, d); err != nil {
			return false, fmt.Errorf("links (%s): %w", ld.table, err)
		}
		// Grouping sets: per sensor and class, every sensor (sensor
		// NULL), any class (class NULL), both; the days before from
		// fall into one group (d0 NULL) whose day is the last of them.
		q := `INSERT INTO ` + ld.table + `
			SELECT day, prev, sensor, class, ` + key + `CAST(count(*) AS UBIGINT) FROM (
				SELECT day, sensor, class, ` + key + `lag(day) OVER (PARTITION BY sensor, class, ` + key + `skey ORDER BY day) AS prev FROM (
					SELECT CASE WHEN x.day >= CAST(? AS DATE) THEN x.day END AS d0, max(x.day) AS day,
						x.sensor, c.name AS class, ` + xkey + `x.skey
					FROM rollup_source_day x JOIN classes c ON (x.classes & c.bit) <> 0
					WHERE x.skey IN (SELECT skey FROM links_keys)
					GROUP BY GROUPING SETS ((d0, x.sensor, c.name, ` + xkey + `x.skey), (d0, c.name, ` + xkey + `x.skey),
						(d0, x.sensor, ` + xkey + `x.skey), (d0, ` + xkey + `x.skey))))
			WHERE day >= CAST(? AS DATE)
			GROUP BY ALL`
		if err := r.exec(q, d, d); err != nil {
			return false, fmt.Errorf("links (%s): %w", ld.table, err)
		}
	}
	if err := r.exec(`DELETE FROM links_multi WHERE day >= CAST(? AS DATE)`, d); err != nil {
		return false, fmt.Errorf("links (links_multi): %w", err)
	}
	for _, col := range []string{"country", "asn"} {
		if err := r.exec(`INSERT INTO links_multi SELECT day, sensor, '`+col+`', CAST(count(*) AS UBIGINT) FROM (
				SELECT day, sensor, skey FROM rollup_source_day WHERE day >= CAST(? AS DATE)
				GROUP BY GROUPING SETS ((day, sensor, skey), (day, skey))
				HAVING count(DISTINCT `+col+`) + CAST(count(*) > count(`+col+`) AS INTEGER) > 1)
			GROUP BY ALL`, d); err != nil {
			return false, fmt.Errorf("links (links_multi): %w", err)
		}
	}
	if err := updatePortLinks(r, d); err != nil {
		return false, err
	}
	for _, q := range []string{`DROP TABLE links_keys`, `DELETE FROM links_as_names`,
		`INSERT INTO links_as_names SELECT asn, max(as_org) FROM sources WHERE as_org <> '' GROUP BY asn`,
		`UPDATE links_state SET from_day = NULL`} {
		if err := r.exec(q); err != nil {
			return false, fmt.Errorf("links: %w", err)
		}
	}
	return true, nil
}

// errNotLinked, returned by a read of withLinks: the links do not have
// what the question asks (a port not linked); withLinks then reports that
// it did not answer.
var errNotLinked = errors.New("not in the links")

// updatePortLinks is updateLinks for links_port, from day d (a DATE
// literal's text) on: the ports now linked are those of rollup_port_peak;
// a port no longer among them loses its rows, a port new among them gets
// the links of every day, the others those of days from d on.
func updatePortLinks(r runner, d string) error {
	steps := []struct {
		q    string
		args []any
	}{
		{`CREATE OR REPLACE TEMP TABLE links_ports_now AS
			SELECT n.class, n.proto, n.port, s.class IS NULL AS new
			FROM (SELECT DISTINCT class, proto, port FROM rollup_port_peak) n
			LEFT JOIN links_port_set s ON s.class = n.class AND s.proto = n.proto AND s.port = n.port`, nil},
		{`DELETE FROM links_port WHERE day >= CAST(? AS DATE) OR NOT EXISTS (SELECT 1 FROM links_ports_now n
			WHERE n.class = links_port.class AND n.proto = links_port.proto AND n.port = links_port.port AND NOT n.new)`, []any{d}},
		{`INSERT INTO links_port
			SELECT day, prev, sensor, class, proto, port, CAST(count(*) AS UBIGINT) FROM (
				SELECT day, sensor, class, proto, port, new,
					lag(day) OVER (PARTITION BY sensor, class, proto, port, skey ORDER BY day) AS prev FROM (
					SELECT CASE WHEN n.new OR h.day >= CAST(? AS DATE) THEN h.day END AS d0, max(h.day) AS day,
						h.sensor, c.name AS class, h.proto, h.port, h.skey, n.new
					FROM port_hits h JOIN classes c ON (h.classes & c.bit) <> 0
					JOIN links_ports_now n ON n.class = c.name AND n.proto = h.proto AND n.port = h.port
					WHERE n.new OR h.skey IN (SELECT skey FROM links_keys)
					GROUP BY GROUPING SETS ((d0, h.sensor, c.name, h.proto, h.port, h.skey, n.new),
						(d0, c.name, h.proto, h.port, h.skey, n.new))))
			WHERE new OR day >= CAST(? AS DATE)
			GROUP BY day, prev, sensor, class, proto, port`, []any{d, d}},
		{`DELETE FROM links_port_set`, nil},
		{`INSERT INTO links_port_set SELECT class, proto, port FROM links_ports_now`, nil},
		{`DROP TABLE links_ports_now`, nil},
	}
	for _, st := range steps {
		if err := r.exec(st.q, st.args...); err != nil {
			return fmt.Errorf("links (links_port): %w", err)
		}
	}
	return nil
}

// withLinks runs read in one transaction (one snapshot of the store) when
// the links are up to date for every day up to to, and reports whether it
// ran. Raw reads never use them.
func (s *Store) withLinks(ctx context.Context, to civil.Day, read func(*sql.Tx) error) (bool, error) {
	if s.rawReads {
		return false, nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var from sql.NullTime
	if err := tx.QueryRowContext(ctx, `SELECT from_day FROM links_state`).Scan(&from); err != nil {
		return false, fmt.Errorf("links: %w", err)
	}
	if from.Valid && civil.Of(from.Time) <= to {
		return false, nil
	}
	if err := read(tx); err != nil {
		if errors.Is(err, errNotLinked) {
			return false, nil
		}
		return false, err
	}
	return true, nil
}

// asNames is the table of AS names a question in tx looks names up in:
// links_as_names when the links are up to date, else "" (the sources).
func asNames(ctx context.Context, tx *sql.Tx) (string, error) {
	var current bool
	if err := tx.QueryRowContext(ctx, `SELECT from_day IS NULL FROM links_state`).Scan(&current); err != nil {
		return "", fmt.Errorf("links: %w", err)
	}
	if current {
		return "links_as_names", nil
	}
	return "", nil
}
