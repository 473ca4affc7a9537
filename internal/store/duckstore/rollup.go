package duckstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Rollups: per-day aggregates kept up to date inside every commit, so that
// Stats (and the read methods) can answer from far fewer rows than
// hit_counts holds. docs/store.md describes each table exactly.
//
// Distinct-source counts cannot be added up (a source seen in two hourly
// files of one day is one source). A commit's days that no other ingest
// covers are counted in Go from its parts (rollup_go.go); for the others
// the commit adds what its own rows bring that the day's earlier rows do
// not (addIngestRollups), and a replacement recomputes every (day, sensor)
// it touches from the source-level rows (hit_counts and sources), which
// already include the commit's own rows and exclude those it replaced.
// Reassign recomputes the geography-dependent rollups of the days it
// changed (BENCHMARKS.md).

var rollupSchema = []string{
	// One row per day × sensor × source × country × ASN × class set: the
	// source-level facts without ports, usually one or two rows per
	// source-day (far fewer than hit_counts).
	`CREATE TABLE IF NOT EXISTS rollup_source_day (day DATE, sensor VARCHAR, skey UBIGINT,
		country VARCHAR, asn UINTEGER, classes UTINYINT, packets UBIGINT)`,
	// Per day × sensor × class (one row per class a packet carries), with
	// exact distinct sources of that class.
	`CREATE TABLE IF NOT EXISTS rollup_day (day DATE, sensor VARCHAR, class VARCHAR,
		packets UBIGINT, sources UBIGINT)`,
	`CREATE TABLE IF NOT EXISTS rollup_day_country (day DATE, sensor VARCHAR, class VARCHAR, country VARCHAR,
		packets UBIGINT, sources UBIGINT)`,
	`CREATE TABLE IF NOT EXISTS rollup_day_asn (day DATE, sensor VARCHAR, class VARCHAR, asn UINTEGER,
		packets UBIGINT, sources UBIGINT)`,
	`CREATE TABLE IF NOT EXISTS rollup_day_port (day DATE, sensor VARCHAR, class VARCHAR, proto UTINYINT, port USMALLINT,
		packets UBIGINT, sources UBIGINT)`,
}

// rollupTables are the rollups in the order they are rebuilt (the per-day
// ones after rollup_source_day, which three of them are counted from).
var rollupTables = []string{"rollup_source_day", "rollup_day", "rollup_day_country", "rollup_day_asn", "rollup_day_port"}

// geoRollups are the rollups that depend on a source's country or ASN.
var geoRollups = map[string]bool{"rollup_source_day": true, "rollup_day_country": true, "rollup_day_asn": true}

// migrateRollups is migration 3: create the rollups and fill them from the
// rows already stored.
func migrateRollups(ctx context.Context, tx *sql.Tx) error {
	if err := execAll(rollupSchema)(ctx, tx); err != nil {
		return err
	}
	r := txRunner{ctx, tx}
	for _, t := range rollupTables {
		if err := r.exec(rollupInsert(t, "", "", "", "")); err != nil {
			return fmt.Errorf("fill %s: %w", t, err)
		}
	}
	return nil
}

// rollupInsert returns the statement that fills table t for the rows the
// filters select: srcWhere on sources (alias s), hitWhere on hit_counts
// (alias h), rollWhere on rollup_source_day (alias x). Empty filters: all.
// sensorLit, when the filters select one sensor's ingests, is that sensor's
// SQL literal (else rollup_day_port learns each ingest's sensor by a join).
func rollupInsert(t, srcWhere, hitWhere, rollWhere, sensorLit string) string {
	and := func(w string) string {
		if w == "" {
			return ""
		}
		return " WHERE " + w
	}
	switch t {
	case "rollup_source_day":
		w := strings.Join(nonEmpty(srcWhere, hitWhere), " AND ")
		return `INSERT INTO rollup_source_day
			SELECT s.day, s.sensor, s.skey, s.country, s.asn, h.classes, sum(h.packets)
			FROM hit_counts h JOIN sources s ON s.ingest_id = h.ingest_id AND s.sid = h.sid` + and(w) + `
			GROUP BY s.day, s.sensor, s.skey, s.country, s.asn, h.classes`
	case "rollup_day", "rollup_day_country", "rollup_day_asn":
		extra := map[string]string{"rollup_day": "", "rollup_day_country": ", x.country", "rollup_day_asn": ", x.asn"}[t]
		return `INSERT INTO ` + t + `
			SELECT x.day, x.sensor, c.name` + extra + `, sum(x.packets), count(DISTINCT x.skey)
			FROM rollup_source_day x JOIN classes c ON (x.classes & c.bit) <> 0` + and(rollWhere) + `
			GROUP BY x.day, x.sensor, c.name` + extra
	case "rollup_day_port":
		// hit_counts has no sensor: it is the sensor of the ingest's
		// sources (one per ingest, see Tx.Append).
		if sensorLit != "" {
			return `INSERT INTO rollup_day_port
			SELECT h.day, ` + sensorLit + `, c.name, h.proto, h.port, sum(h.packets), count(DISTINCT h.skey)
			FROM hit_counts h JOIN classes c ON (h.classes & c.bit) <> 0` + and(hitWhere) + `
			GROUP BY h.day, c.name, h.proto, h.port`
		}
		return `INSERT INTO rollup_day_port
			SELECT h.day, i.sensor, c.name, h.proto, h.port, sum(h.packets), count(DISTINCT h.skey)
			FROM hit_counts h
			JOIN (SELECT ingest_id, any_value(sensor) AS sensor FROM sources GROUP BY ingest_id) i ON i.ingest_id = h.ingest_id
			JOIN classes c ON (h.classes & c.bit) <> 0` + and(hitWhere) + `
			GROUP BY h.day, i.sensor, c.name, h.proto, h.port`
	}
	panic("unknown rollup " + t)
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// dayScope is a set of (sensor, day) pairs whose rollups must be rebuilt.
type dayScope map[string]map[time.Time]bool

func (d dayScope) add(sensor string, day time.Time) {
	m := d[sensor]
	if m == nil {
		m = map[time.Time]bool{}
		d[sensor] = m
	}
	m[day.UTC().Truncate(24*time.Hour)] = true
}

// runner runs statements inside the caller's transaction.
type runner interface {
	exec(q string, args ...any) error
	query(q string, args []any, each func(vals []driver.Value) error) error
}

type txRunner struct {
	ctx context.Context
	tx  *sql.Tx
}

func (r txRunner) exec(q string, args ...any) error {
	_, err := r.tx.ExecContext(r.ctx, q, args...)
	return err
}

func (r txRunner) query(q string, args []any, each func([]driver.Value) error) error {
	rows, err := r.tx.QueryContext(r.ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	dv := make([]driver.Value, len(cols))
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i := range vals {
			dv[i] = vals[i]
		}
		if err := each(dv); err != nil {
			return err
		}
	}
	return rows.Err()
}

type connRunner struct {
	ctx  context.Context
	conn *duckdb.Conn
}

func (r connRunner) exec(q string, args ...any) error { return execConn(r.ctx, r.conn, q, args...) }

func (r connRunner) query(q string, args []any, each func([]driver.Value) error) error {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	rows, err := r.conn.QueryContext(r.ctx, q, nv)
	if err != nil {
		return err
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(dest); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := each(dest); err != nil {
			return err
		}
	}
}

// scopeOf returns the (sensor, day) pairs that rows of sources matching
// where (with args) cover.
func scopeOf(r runner, where string, args ...any) (dayScope, error) {
	d := dayScope{}
	err := r.query(`SELECT DISTINCT sensor, day FROM sources`+where, args, func(v []driver.Value) error {
		sensor, _ := v[0].(string)
		day, ok := v[1].(time.Time)
		if !ok {
			return fmt.Errorf("sources.day is %T", v[1])
		}
		d.add(sensor, day)
		return nil
	})
	return d, err
}

// refreshRollups rebuilds the rollups of every (sensor, day) in scope from
// the source-level rows, inside the caller's transaction. With geoOnly,
// only the rollups that depend on countries and ASNs are rebuilt.
func refreshRollups(r runner, scope dayScope, geoOnly bool) error {
	sensors := make([]string, 0, len(scope))
	for s := range scope {
		sensors = append(sensors, s)
	}
	slices.Sort(sensors)
	for _, sensor := range sensors {
		// One day at a time: the aggregations hold one day's state.
		for _, d := range sortedDays(scope[sensor]) {
			if err := refreshSensorDays(r, sensor, []time.Time{d}, geoOnly); err != nil {
				return fmt.Errorf("rollups of sensor %q, %s: %w", sensor, d.Format("2006-01-02"), err)
			}
		}
	}
	return nil
}

func sortedDays(set map[time.Time]bool) []time.Time {
	days := make([]time.Time, 0, len(set))
	for d := range set {
		days = append(days, d)
	}
	slices.SortFunc(days, func(a, b time.Time) int { return a.Compare(b) })
	return days
}

// refreshSensorDays rebuilds one sensor's rollups of the given days. The
// filters are written as literals (dates, integers, one quoted name), so
// DuckDB can skip row groups by their min/max zone maps: the hit_counts
// rows of other ingests and other days are not read.
func refreshSensorDays(r runner, sensor string, days []time.Time, geoOnly bool) error {
	if len(days) == 0 {
		return nil
	}
	dl := make([]string, len(days))
	for i, d := range days {
		dl[i] = "DATE '" + d.Format("2006-01-02") + "'"
	}
	dayList := strings.Join(dl, ", ")
	sensorLit := "'" + strings.ReplaceAll(sensor, "'", "''") + "'"
	var ids []string
	err := r.query(`SELECT DISTINCT ingest_id FROM sources WHERE sensor = `+sensorLit+` AND day IN (`+dayList+`) ORDER BY 1`, nil,
		func(v []driver.Value) error {
			id, ok := v[0].(int32)
			if !ok {
				return fmt.Errorf("sources.ingest_id is %T", v[0])
			}
			ids = append(ids, strconv.Itoa(int(id)))
			return nil
		})
	if err != nil {
		return err
	}
	for _, t := range rollupTables {
		if geoOnly && !geoRollups[t] {
			continue
		}
		if err := r.exec(`DELETE FROM ` + t + ` WHERE sensor = ` + sensorLit + ` AND day IN (` + dayList + `)`); err != nil {
			return fmt.Errorf("clear %s: %w", t, err)
		}
		if len(ids) == 0 {
			continue // every row of these days was deleted
		}
		idList := strings.Join(ids, ", ")
		srcWhere := `s.ingest_id IN (` + idList + `) AND s.day IN (` + dayList + `) AND s.sensor = ` + sensorLit
		hitWhere := `h.ingest_id IN (` + idList + `) AND h.day IN (` + dayList + `)`
		rollWhere := `x.sensor = ` + sensorLit + ` AND x.day IN (` + dayList + `)`
		if err := r.exec(rollupInsert(t, srcWhere, hitWhere, rollWhere, sensorLit)); err != nil {
			return fmt.Errorf("fill %s: %w", t, err)
		}
	}
	return nil
}

// addIngest adds a new capture's rows to the rollups one day at a time, so
// that the memory of the aggregations is that of one day.
func addIngest(r runner, id int32, sensor string, days []time.Time) error {
	for _, d := range days {
		if err := addIngestRollups(r, id, sensor, []time.Time{d}); err != nil {
			return fmt.Errorf("rollups of sensor %q, %s: %w", sensor, d.Format("2006-01-02"), err)
		}
	}
	return nil
}

// addIngestRollups adds ingest id, a new capture of sensor covering days,
// to the rollups without recounting what was there: the commit of a
// capture that replaces nothing. Its packets add up; its sources add to a
// distinct count only where the source was not already counted for that
// key (the same day, sensor, class and country, ASN or port), which a join
// of the capture's own rows with the earlier rows of the same days finds.
// The additions go in as rows of their own (a key may have several rows;
// readers sum them), and every (sensor, day) slice is compacted into one
// row per key when the number of captures it holds reaches a power of two,
// so the rows stay within a small factor of the keys.
func addIngestRollups(r runner, id int32, sensor string, days []time.Time) error {
	if len(days) == 0 {
		return nil
	}
	dl := make([]string, len(days))
	for i, d := range days {
		dl[i] = "DATE '" + d.Format("2006-01-02") + "'"
	}
	dayList := strings.Join(dl, ", ")
	sensorLit := "'" + strings.ReplaceAll(sensor, "'", "''") + "'"
	idLit := strconv.Itoa(int(id))
	var older []string
	err := r.query(`SELECT DISTINCT ingest_id FROM sources WHERE sensor = `+sensorLit+` AND day IN (`+dayList+`) AND ingest_id <> `+idLit+` ORDER BY 1`, nil,
		func(v []driver.Value) error {
			n, ok := v[0].(int32)
			if !ok {
				return fmt.Errorf("sources.ingest_id is %T", v[0])
			}
			older = append(older, strconv.Itoa(int(n)))
			return nil
		})
	if err != nil {
		return err
	}
	steps := []struct{ what, q string }{
		{"new source-days", `CREATE OR REPLACE TEMP TABLE rollup_new AS
			SELECT s.day, s.sensor, s.skey, s.country, s.asn, h.classes, sum(h.packets) AS packets
			FROM hit_counts h JOIN sources s ON s.ingest_id = h.ingest_id AND s.sid = h.sid
			WHERE h.ingest_id = ` + idLit + ` AND s.ingest_id = ` + idLit + ` AND h.day IN (` + dayList + `) AND s.day IN (` + dayList + `)
			GROUP BY s.day, s.sensor, s.skey, s.country, s.asn, h.classes`},
	}
	for _, g := range []struct{ table, key string }{{"rollup_day", ""}, {"rollup_day_country", "country"}, {"rollup_day_asn", "asn"}} {
		key, on := "", ""
		if g.key != "" {
			key, on = ", "+g.key, " AND o."+g.key+" = n."+g.key
		}
		steps = append(steps, struct{ what, q string }{g.table, `INSERT INTO ` + g.table + `
			SELECT n.day, ` + sensorLit + `, c.name` + strings.ReplaceAll(key, ", ", ", n.") + `, sum(n.packets),
			       count(DISTINCT n.skey) FILTER (WHERE coalesce(o.seen, 0) & c.bit = 0)
			FROM rollup_new n JOIN classes c ON (n.classes & c.bit) <> 0
			LEFT JOIN (SELECT day, skey` + key + `, bit_or(classes) AS seen FROM rollup_source_day
			      WHERE sensor = ` + sensorLit + ` AND day IN (` + dayList + `) AND skey IN (SELECT skey FROM rollup_new)
			      GROUP BY day, skey` + key + `) o ON o.day = n.day AND o.skey = n.skey` + on + `
			GROUP BY n.day, c.name` + strings.ReplaceAll(key, ", ", ", n.")})
	}
	// The capture's (source, port) pairs that earlier captures of the day
	// already have, with the classes they had there.
	portJoin, portNew := "", "count(DISTINCT h.skey)"
	if len(older) > 0 {
		portJoin = `
			LEFT JOIN (SELECT h.day, h.skey, h.proto, h.port, bit_or(h.classes) AS seen
			      FROM hit_counts h SEMI JOIN rollup_new_ports k ON k.day = h.day AND k.skey = h.skey AND k.proto = h.proto AND k.port = h.port
			      WHERE h.ingest_id IN (` + strings.Join(older, ", ") + `) AND h.day IN (` + dayList + `)
			      GROUP BY h.day, h.skey, h.proto, h.port) o
			ON o.day = h.day AND o.skey = h.skey AND o.proto = h.proto AND o.port = h.port`
		portNew = "count(DISTINCT h.skey) FILTER (WHERE coalesce(o.seen, 0) & c.bit = 0)"
	}
	steps = append(steps,
		struct{ what, q string }{"rollup_source_day", `INSERT INTO rollup_source_day SELECT * FROM rollup_new`},
		struct{ what, q string }{"new ports", `CREATE OR REPLACE TEMP TABLE rollup_new_ports AS
			SELECT DISTINCT day, skey, proto, port FROM hit_counts
			WHERE ingest_id = ` + idLit + ` AND day IN (` + dayList + `) AND ` + strconv.FormatBool(len(older) > 0)},
		struct{ what, q string }{"rollup_day_port", `CREATE OR REPLACE TEMP TABLE rollup_new_day_port AS
			SELECT h.day AS day, ` + sensorLit + ` AS sensor, c.name AS class, h.proto AS proto, h.port AS port,
			       sum(h.packets) AS packets, ` + portNew + ` AS sources
			FROM hit_counts h JOIN classes c ON (h.classes & c.bit) <> 0` + portJoin + `
			WHERE h.ingest_id = ` + idLit + ` AND h.day IN (` + dayList + `)
			GROUP BY h.day, c.name, h.proto, h.port`},
		struct{ what, q string }{"rollup_day_port", `INSERT INTO rollup_day_port SELECT * FROM rollup_new_day_port`},
		// The commit's port packets of these days, for its port blocks
		// (addPortBlocks, after every day is added).
		struct{ what, q string }{"shared ports", `INSERT INTO rollup_shared_ports SELECT day, class, proto, port, packets FROM rollup_new_day_port`},
		struct{ what, q string }{"drop", `DROP TABLE rollup_new_day_port`},
		struct{ what, q string }{"drop", `DROP TABLE rollup_new`},
		struct{ what, q string }{"drop", `DROP TABLE rollup_new_ports`},
	)
	for _, s := range steps {
		if err := r.exec(s.q); err != nil {
			return fmt.Errorf("rollups (%s): %w", s.what, err)
		}
	}
	if n := len(older) + 1; n >= 4 && n&(n-1) == 0 {
		return compactRollups(r, sensorLit, dayList)
	}
	return nil
}

// rollupKeys are the key columns of each rollup (all but the counts).
var rollupKeys = map[string]string{
	"rollup_source_day":  "day, sensor, skey, country, asn, classes",
	"rollup_day":         "day, sensor, class",
	"rollup_day_country": "day, sensor, class, country",
	"rollup_day_asn":     "day, sensor, class, asn",
	"rollup_day_port":    "day, sensor, class, proto, port",
}

// compactRollups merges the rows of one key into one in the given
// sensor's days (the counts of a key's rows add up, see addIngestRollups).
func compactRollups(r runner, sensorLit, dayList string) error {
	for _, t := range rollupTables {
		sums := "sum(packets) AS packets, sum(sources) AS sources"
		if t == "rollup_source_day" {
			sums = "sum(packets) AS packets"
		}
		where := ` WHERE sensor = ` + sensorLit + ` AND day IN (` + dayList + `)`
		for _, q := range []string{
			`CREATE OR REPLACE TEMP TABLE rollup_compact AS SELECT ` + rollupKeys[t] + `, ` + sums + ` FROM ` + t + where + ` GROUP BY ` + rollupKeys[t],
			`DELETE FROM ` + t + where,
			`INSERT INTO ` + t + ` SELECT * FROM rollup_compact`,
			`DROP TABLE rollup_compact`,
		} {
			if err := r.exec(q); err != nil {
				return fmt.Errorf("compact %s: %w", t, err)
			}
		}
	}
	return nil
}
