package duckstore

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
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

// linksTouchedSchema is migration 20: the earliest day a write touched
// since an update of the links began counting (UpdateLinks).
var linksTouchedSchema = []string{`ALTER TABLE links_state ADD COLUMN touched DATE`}

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
	if err := r.exec(`UPDATE links_state SET from_day = least(coalesce(from_day, CAST(? AS DATE)), CAST(? AS DATE)),
		touched = least(coalesce(touched, CAST(? AS DATE)), CAST(? AS DATE))`, d, d, d, d); err != nil {
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
// rollup_source_day. It reports whether there was anything to do. A store
// opened read-only has nothing it may do.
//
// The counting (seconds to tens of seconds) reads a snapshot of the store
// into temporary tables without the write lock, so that writers go on
// meanwhile; holding the lock, one short transaction then replaces the
// links of those days with them. A write that committed meanwhile has
// recorded the earliest day it touched (links_state.touched, cleared when
// the counting began): the links from that day on stay marked as not up
// to date (from_day), for the next update to count again.
func (s *Store) UpdateLinks(ctx context.Context) (bool, error) {
	if s.readOnly {
		return false, nil
	}
	s.linksMu.Lock()
	defer s.linksMu.Unlock()
	var from sql.NullTime
	if err := s.db.QueryRowContext(ctx, `SELECT from_day FROM links_state`).Scan(&from); err != nil {
		return false, fmt.Errorf("links: %w", err)
	}
	if !from.Valid {
		return false, nil
	}
	defer s.took("UpdateLinks", time.Now())
	// The temporary tables belong to one connection.
	c, err := s.db.Conn(ctx)
	if err != nil {
		return false, fmt.Errorf("links: %w", err)
	}
	defer c.Close()
	defer func() {
		for _, t := range linksTemps {
			_, _ = c.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS `+t)
		}
	}()
	// 1. From which day, and from now on what writes touch.
	var d string
	err = s.linksTx(ctx, c, true, func(r runner) error {
		if err := r.exec(`UPDATE links_state SET touched = NULL`); err != nil {
			return fmt.Errorf("links: %w", err)
		}
		if err := r.query(`SELECT CAST(from_day AS VARCHAR) FROM links_state WHERE from_day IS NOT NULL`, nil, func(v []driver.Value) error {
			d, _ = v[0].(string)
			return nil
		}); err != nil {
			return fmt.Errorf("links: %w", err)
		}
		return nil
	})
	if err != nil || d == "" {
		return false, err
	}
	// 2. The links of days from d on, counted from a snapshot (and, when
	// the rows written since the links were last put in order are many,
	// every row of the tables in order: linksCluster).
	var cl linksCluster
	err = s.linksTx(ctx, c, false, func(r runner) error {
		if err := countLinks(r, d); err != nil {
			return err
		}
		var err error
		if cl, err = clusterLinks(r, d); err != nil {
			return err
		}
		if linksCounted != nil {
			linksCounted()
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	// 3. In place of the links of those days.
	swap := time.Now()
	if err := s.linksTx(ctx, c, true, func(r runner) error { return swapLinks(r, d, cl) }); err != nil {
		return false, err
	}
	s.took("UpdateLinks (holding the write lock)", swap)
	return true, nil
}

// linksCounted, when set (tests), runs when the links are counted, in the
// counting's transaction (its snapshot still open), without the write
// lock.
var linksCounted func()

// linksTemps are the temporary tables of an update of the links: those
// of countLinks (newLinks of each linkDims table, and the others).
var linksTemps = func() []string {
	t := []string{"links_keys", "links_new_multi", "links_ports_now", "links_new_port", "links_new_as_names", fullLinks("links_port")}
	for _, ld := range linkDims {
		t = append(t, newLinks(ld.table), fullLinks(ld.table))
	}
	return t
}()

// linksTx runs f in one transaction on c, holding the write lock when
// write is set.
func (s *Store) linksTx(ctx context.Context, c *sql.Conn, write bool, f func(runner) error) error {
	if write {
		if err := s.lockWrites(ctx); err != nil {
			return err
		}
		defer s.unlockWrites()
	}
	tx, err := c.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("links: %w", err)
	}
	defer tx.Rollback()
	if err := f(txRunner{ctx, tx}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("links: %w", err)
	}
	return nil
}

// countLinks counts, into temporary tables (linksTemps), the links of
// every day from d (a DATE literal's text) on, as of the caller's
// transaction.
func countLinks(r runner, d string) error {
	// The sources seen from that day on: only their earlier days matter
	// (each collapses to its last day before it, the prev of its first
	// occurrence from there).
	if err := r.exec(`CREATE OR REPLACE TEMP TABLE links_keys AS SELECT DISTINCT skey FROM rollup_source_day WHERE day >= CAST(? AS DATE)`, d); err != nil {
		return fmt.Errorf("links: %w", err)
	}
	for _, ld := range linkDims {
		key, xkey := "", ""
		if ld.key != "" {
			key, xkey = ld.key+", ", "x."+ld.key+", "
		}
		// Grouping sets: per sensor and class, every sensor (sensor
		// NULL), any class (class NULL), both; the days before from
		// fall into one group (d0 NULL) whose day is the last of them.
		q := `CREATE OR REPLACE TEMP TABLE ` + newLinks(ld.table) + ` AS
			SELECT day, prev, sensor, class, ` + key + `CAST(count(*) AS UBIGINT) AS sources FROM (
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
			return fmt.Errorf("links (%s): %w", ld.table, err)
		}
	}
	var multi []string
	for _, col := range []string{"country", "asn"} {
		multi = append(multi, `SELECT day, sensor, '`+col+`' AS dim, CAST(count(*) AS UBIGINT) AS sources FROM (
				SELECT day, sensor, skey FROM rollup_source_day WHERE day >= CAST(? AS DATE)
				GROUP BY GROUPING SETS ((day, sensor, skey), (day, skey))
				HAVING count(DISTINCT `+col+`) + CAST(count(*) > count(`+col+`) AS INTEGER) > 1)
			GROUP BY ALL`)
	}
	if err := r.exec(`CREATE OR REPLACE TEMP TABLE links_new_multi AS `+strings.Join(multi, " UNION ALL "), d, d); err != nil {
		return fmt.Errorf("links (links_multi): %w", err)
	}
	if err := countPortLinks(r, d); err != nil {
		return err
	}
	if err := r.exec(`CREATE OR REPLACE TEMP TABLE links_new_as_names AS SELECT asn, max(as_org) AS org FROM sources WHERE as_org <> '' GROUP BY asn`); err != nil {
		return fmt.Errorf("links: %w", err)
	}
	return nil
}

// newLinks is the temporary table of the new rows of a links table.
func newLinks(table string) string { return "links_new_" + strings.TrimPrefix(table, "links_") }

// fullLinks is the temporary table of every row of a links table, in
// order (clusterLinks).
func fullLinks(table string) string { return "links_full_" + strings.TrimPrefix(table, "links_") }

// linksOrder is the order the rows of a links table are written in, for
// one keyed by key (its columns followed by ", "; "" for none): class,
// sensor, key, day. Every question of the links asks one class (or any)
// and one sensor (or every one), most of them a few keys: in this order
// their rows lie in a few row groups, and DuckDB's zone maps skip the
// others (a question of one class's ASes scanned the 2.8 M rows of the
// bench store's links_asn in 25-30 ms, 2-3 ms in order).
func linksOrder(key string) string {
	return "class NULLS FIRST, sensor NULLS FIRST, " + key + "day, prev NULLS FIRST"
}

// linksClusterShare: the links tables are written whole, in order, when
// the days whose rows were appended since they last were (each update
// appends those of the days it counted, in order among themselves) are
// at least 1/linksClusterShare of the store's days. A variable for tests.
var linksClusterShare = 8

// linksCluster is what clusterLinks decided for an update: whether the
// tables are written whole (full), and the first day whose rows are not
// in the tables' order after it (next, recorded in meta as
// links_clustered).
type linksCluster struct {
	full bool
	next string
}

// clusterLinks decides, as of the caller's transaction (the counting's
// snapshot), whether the update of the links from day d on writes the
// tables whole in order, and if so counts their rows into temporary
// tables (fullLinks): the rows of days before d as they are (the links of
// earlier days do not change, and nothing but an update writes them) and
// the new ones. The rows of days from links_clustered on (meta; a store
// without it has none in order) were appended by updates.
func clusterLinks(r runner, d string) (linksCluster, error) {
	var first, last, clustered string
	if err := r.query(`SELECT CAST(min(day) AS VARCHAR), CAST(max(day) AS VARCHAR),
			(SELECT value FROM meta WHERE key = 'links_clustered') FROM rollup_source_day`, nil, func(v []driver.Value) error {
		first, _ = v[0].(string)
		last, _ = v[1].(string)
		clustered, _ = v[2].(string)
		return nil
	}); err != nil {
		return linksCluster{}, fmt.Errorf("links: %w", err)
	}
	if c, err := store.ParseDay(clustered); err != nil {
		clustered = "" // none recorded (or not a day): none in order
	} else {
		clustered = civil.Of(c).String() // compared as text below
	}
	base := min(d, cmp.Or(clustered, first, d))
	if first == "" || last < base {
		return linksCluster{next: base}, nil
	}
	f, err1 := store.ParseDay(first)
	l, err2 := store.ParseDay(last)
	b, err3 := store.ParseDay(base)
	if err := errors.Join(err1, err2, err3); err != nil {
		return linksCluster{}, fmt.Errorf("links: %w", err)
	}
	appended, days := civil.Of(l)-civil.Of(b)+1, civil.Of(l)-civil.Of(f)+1
	if int(appended)*linksClusterShare < int(days) {
		return linksCluster{next: base}, nil
	}
	tables := []struct{ table, key, keep string }{{"links_port", "proto, port, ",
		// As swapLinks keeps them: a port still linked, not new.
		` AND EXISTS (SELECT 1 FROM links_ports_now n WHERE n.class = o.class AND n.proto = o.proto AND n.port = o.port AND NOT n.new)`}}
	for _, ld := range linkDims {
		key := ""
		if ld.key != "" {
			key = ld.key + ", "
		}
		tables = append(tables, struct{ table, key, keep string }{ld.table, key, ""})
	}
	for _, t := range tables {
		cols := `day, prev, sensor, class, ` + t.key + `sources`
		q := `CREATE OR REPLACE TEMP TABLE ` + fullLinks(t.table) + ` AS SELECT ` + cols + ` FROM (
			SELECT ` + cols + ` FROM ` + t.table + ` o WHERE day < CAST(? AS DATE)` + t.keep + `
			UNION ALL SELECT ` + cols + ` FROM ` + newLinks(t.table) + `) ORDER BY ` + linksOrder(t.key)
		if err := r.exec(q, d); err != nil {
			return linksCluster{}, fmt.Errorf("links (%s): %w", t.table, err)
		}
	}
	return linksCluster{full: true, next: civil.Of(l).AddDays(1).String()}, nil
}

// swapLinks puts the links countLinks counted from day d on in place, in
// the caller's transaction (with cl.full, every row of the tables, from
// clusterLinks), and records from which day they are not up to date: the
// earliest a write touched since the counting began (none: all are).
func swapLinks(r runner, d string, cl linksCluster) error {
	type step struct {
		q    string
		args []any
	}
	var steps []step
	replace := func(table, key, dropOld string, args ...any) {
		cols := `day, prev, sensor, class, ` + key + `sources`
		if cl.full {
			steps = append(steps,
				step{`DELETE FROM ` + table, nil},
				step{`INSERT INTO ` + table + ` SELECT ` + cols + ` FROM ` + fullLinks(table), nil})
			return
		}
		steps = append(steps,
			step{`DELETE FROM ` + table + ` WHERE ` + dropOld, args},
			step{`INSERT INTO ` + table + ` SELECT ` + cols + ` FROM ` + newLinks(table) + ` ORDER BY ` + linksOrder(key), nil})
	}
	for _, ld := range linkDims {
		key := ""
		if ld.key != "" {
			key = ld.key + ", "
		}
		replace(ld.table, key, `day >= CAST(? AS DATE)`, d)
	}
	// A port no longer linked loses its rows, a port new among them has
	// the links of every day, the others those of days from d on.
	replace("links_port", "proto, port, ", `day >= CAST(? AS DATE) OR NOT EXISTS (SELECT 1 FROM links_ports_now n
			WHERE n.class = links_port.class AND n.proto = links_port.proto AND n.port = links_port.port AND NOT n.new)`, d)
	steps = append(steps,
		step{`DELETE FROM links_multi WHERE day >= CAST(? AS DATE)`, []any{d}},
		step{`INSERT INTO links_multi SELECT day, sensor, dim, sources FROM links_new_multi`, nil},
		step{`INSERT OR REPLACE INTO meta VALUES ('links_clustered', ?)`, []any{cl.next}},
		step{`DELETE FROM links_port_set`, nil},
		step{`INSERT INTO links_port_set SELECT class, proto, port FROM links_ports_now`, nil},
		step{`DELETE FROM links_as_names`, nil},
		step{`INSERT INTO links_as_names SELECT asn, org FROM links_new_as_names`, nil},
		step{`UPDATE links_state SET from_day = touched`, nil})
	for _, st := range steps {
		if err := r.exec(st.q, st.args...); err != nil {
			return fmt.Errorf("links: %w", err)
		}
	}
	return nil
}

// errNotLinked, returned by a read of withLinks: the links do not have
// what the question asks (a port not linked); withLinks then reports that
// it did not answer.
var errNotLinked = errors.New("not in the links")

// countPortLinks is countLinks for links_port, from day d on: the ports
// now linked are those of rollup_port_peak (links_ports_now, with whether
// each is new among them); a port new among them gets the links of every
// day, the others those of days from d on (links_new_port).
func countPortLinks(r runner, d string) error {
	steps := []struct {
		q    string
		args []any
	}{
		{`CREATE OR REPLACE TEMP TABLE links_ports_now AS
			SELECT n.class, n.proto, n.port, s.class IS NULL AS new
			FROM (SELECT DISTINCT class, proto, port FROM rollup_port_peak) n
			LEFT JOIN links_port_set s ON s.class = n.class AND s.proto = n.proto AND s.port = n.port`, nil},
		{`CREATE OR REPLACE TEMP TABLE links_new_port AS
			SELECT day, prev, sensor, class, proto, port, CAST(count(*) AS UBIGINT) AS sources FROM (
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
