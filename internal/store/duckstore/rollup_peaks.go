package duckstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Port peaks: the busiest destination ports of each day, kept at every
// commit, so that ranking ports by their busiest day (TopKeys) does not
// group every port of every day (rollup_day_port holds about as many rows
// as there are ports hit per day, sensor and class: masscan and
// backscatter reach nearly all of them).
//
// rollup_port_peak holds, per day, class and sensor (and per day and class
// over all sensors, sensor NULL), the peakKeep ports with most packets that
// day, ties broken by protocol and port as TopKeys breaks them. That is
// enough to find exactly the n <= peakKeep ports with the largest single
// day over any days: a port among those n has its busiest day in that
// day's list, since otherwise peakKeep ports would beat it on that day and
// so rank before it by their own busiest days; and a port's largest
// listed day never exceeds its busiest day, so no other port climbs above
// them. docs/store.md ("Rollups") has the table.

// peakKeep is how many ports of a day, class and sensor are kept (a
// variable so that tests can keep fewer than their stores have).
var peakKeep = 64

var peakSchema = []string{
	`CREATE TABLE IF NOT EXISTS rollup_port_peak (day DATE, sensor VARCHAR, class VARCHAR, proto UTINYINT, port USMALLINT,
		packets UBIGINT)`,
}

// migratePortPeaks is the migration that creates rollup_port_peak and
// fills it from rollup_day_port.
func migratePortPeaks(ctx context.Context, tx *sql.Tx) error {
	if err := execAll(peakSchema)(ctx, tx); err != nil {
		return err
	}
	r := txRunner{ctx, tx}
	for _, all := range []bool{false, true} {
		if err := r.exec(peakInsert("", all)); err != nil {
			return fmt.Errorf("fill rollup_port_peak: %w", err)
		}
	}
	return nil
}

// peakInsert is the statement that adds the peaks of the rollup_day_port
// rows where selects (alias h; "": all): per sensor, or over all sensors
// (all, sensor NULL).
func peakInsert(where string, all bool) string {
	sensor, group := "h.sensor", "h.day, h.sensor, h.class, h.proto, h.port"
	if all {
		sensor, group = "CAST(NULL AS VARCHAR)", "h.day, h.class, h.proto, h.port"
	}
	if where != "" {
		where = " WHERE " + where
	}
	return `INSERT INTO rollup_port_peak SELECT day, sensor, class, proto, port, packets FROM (
		SELECT h.day, ` + sensor + ` AS sensor, h.class, h.proto, h.port, sum(h.packets) AS packets FROM rollup_day_port h` + where + `
		GROUP BY ` + group + `)
		QUALIFY row_number() OVER (PARTITION BY day, sensor, class ORDER BY packets DESC, proto, port) <= ` + strconv.Itoa(peakKeep)
}

// refreshPortPeaks recounts the peaks of the (sensor, day)s of scope and
// of those days over all sensors from rollup_day_port, inside the
// commit's transaction, after the commit's rollups are written.
func refreshPortPeaks(r runner, scope dayScope) error {
	byDay := map[time.Time][]string{}
	for sensor, days := range scope {
		for d := range days {
			byDay[d] = append(byDay[d], sensor)
		}
	}
	days := make([]time.Time, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	slices.SortFunc(days, func(a, b time.Time) int { return a.Compare(b) })
	for _, d := range days {
		// Literals, so that the day's row groups are found by their zone
		// maps (as refreshSensorDays does).
		day := "DATE '" + d.Format("2006-01-02") + "'"
		sensors := byDay[d]
		slices.Sort(sensors)
		lits := make([]string, len(sensors))
		for i, s := range sensors {
			lits[i] = "'" + strings.ReplaceAll(s, "'", "''") + "'"
		}
		in := strings.Join(lits, ", ")
		for _, q := range []string{
			`DELETE FROM rollup_port_peak WHERE day = ` + day + ` AND (sensor IS NULL OR sensor IN (` + in + `))`,
			peakInsert(`h.day = `+day+` AND h.sensor IN (`+in+`)`, false),
			peakInsert(`h.day = `+day, true),
		} {
			if err := r.exec(q); err != nil {
				return fmt.Errorf("port peaks of %s: %w", d.Format("2006-01-02"), err)
			}
		}
	}
	return nil
}

// topPortsByPeak is the TopKeys question by port when rollup_port_peak
// answers its busiest days: over every sensor or over one, of every
// source, for at most peakKeep ports. The totals over the days add up
// the whole blocks of rollup_block_port and the edge days of
// rollup_day_port, per class and port (not per day: the day's sum over
// sensors is what the peaks hold; portTotals). ok is false when the
// question is not one of those.
func (s *Store) topPortsByPeak(q topKeysArgs) (sqlText string, args []any, ok bool) {
	if s.rawReads || q.n > peakKeep || len(q.classes) == 0 {
		return "", nil, false
	}
	sensorCond := " AND h.sensor IS NULL"
	var sensorArgs []any
	switch {
	case len(q.sensors) == 0:
	case oneSensor(q.sensors):
		sensorCond, sensorArgs = " AND h.sensor = ?", []any{q.sensors[0]}
	default:
		return "", nil, false
	}
	lits := make([]string, len(q.classes))
	for i, c := range q.classes {
		lits[i] = "'" + c + "'" // checked class names (planSeries)
	}
	classes := " AND h.class IN (" + strings.Join(lits, ", ") + ")"
	dr, dargs := readDays("h.day", q.from, q.to)
	totals, targs := portTotals(q, classes, sensorCond, sensorArgs)
	sqlText = `WITH t AS (` + totals + `),
		pk AS (SELECT h.class, h.proto, h.port, max(h.packets) AS p FROM rollup_port_peak h WHERE` + dr + sensorCond + classes + ` GROUP BY ALL)
		` + topByClass(store.DimPort, "proto, port", q.n, "t", "pk") + ``
	args = append(append(append([]any{}, targs...), dargs...), sensorArgs...)
	return sqlText, args, true
}

// portTotals is the query of the packets per class, protocol and port over
// q's days (columns class, proto, port, t; keys without packets there may
// come with t = 0): whole blocks from rollup_block_port (sensorCond, with
// sensorArgs, selects its rows: one sensor's or all sensors'), with days
// added or subtracted from rollup_day_port (blockCover).
func portTotals(q topKeysArgs, classes, sensorCond string, sensorArgs []any) (string, []any) {
	blocks, plus, minus := blockCover(q.from, q.to, q.dataFrom, q.dataTo)
	if len(blocks) == 0 || !portBlocks {
		return `SELECT h.class, h.proto, h.port, sum(h.packets) AS t FROM rollup_day_port h` + q.where + classes + ` GROUP BY ALL`, q.args
	}
	lits := make([]string, len(blocks))
	for i, b := range blocks {
		lits[i] = dateLit(b)
	}
	parts := []string{`SELECT h.class, h.proto, h.port, sum(h.packets) AS t FROM rollup_block_port h
		WHERE h.block IN (` + strings.Join(lits, ", ") + `)` + sensorCond + classes + ` GROUP BY ALL`}
	args := append([]any{}, sensorArgs...)
	sf, sargs := readSensorFilter("h.sensor", q.sensors)
	for _, d := range []struct {
		sign   string
		ranges [][2]civil.Day
	}{{"", plus}, {"-", minus}} {
		if len(d.ranges) == 0 {
			continue
		}
		parts = append(parts, `SELECT h.class, h.proto, h.port, `+d.sign+`sum(h.packets) AS t FROM rollup_day_port h
			WHERE (`+edgeDays(d.ranges)+`)`+sf+classes+` GROUP BY ALL`)
		args = append(args, sargs...)
	}
	return `SELECT class, proto, port, sum(t) AS t FROM (` + strings.Join(parts, " UNION ALL ") + `) GROUP BY ALL`, args
}

// topKeysArgs is what topPortsByPeak needs of a TopKeys question.
type topKeysArgs struct {
	sensors  []string
	from, to civil.Day
	classes  []string
	where    string // the rollup_day_port filter of planSeries (alias h): days and sensors
	// dataFrom, dataTo: the days that may hold data (Store.dataDays).
	dataFrom, dataTo civil.Day
	args             []any
	n                int
}
