package duckstore

import (
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/classify"
)

// Port peaks from Go. A (sensor, day) the Tx counted itself in Go (no
// other ingest of the sensor has rows there, rollup_go.go) has its
// rollup_day_port rows in memory while its parts are written, summed over
// them: its peaks for the sensor are picked from them instead of grouping
// the day's rows again by SQL, and so are its peaks over all sensors when
// no other sensor has port rows that day. Once a part comes that does not
// touch the day (the parts of a capture in time order have moved on), the
// day's peaks are picked and its rows let go (retireDays); a day that
// comes back after that has its peaks recounted by SQL, as have other
// days and every day of a commit that replaces ingests (refreshPortPeaks).

// goPeaks is a Tx's port peaks picked in Go.
type goPeaks struct {
	ports  map[aggregate.Day][]portRow  // days being written: their port rows, summed over parts
	picked map[aggregate.Day][]portPeak // days let go: their peaks (sensor rows, then all-sensor rows)
	sql    map[aggregate.Day]bool       // days that came back after being let go
}

// addDayPorts adds a part's rollup_day_port rows of day d (sorted by
// portRow.key) to the day's sums.
func (t *Tx) addDayPorts(d aggregate.Day, rows []portRow) {
	p := &t.peaks
	if p.ports == nil {
		p.ports, p.picked, p.sql = map[aggregate.Day][]portRow{}, map[aggregate.Day][]portPeak{}, map[aggregate.Day]bool{}
	}
	if _, ok := p.picked[d]; ok || p.sql[d] {
		delete(p.picked, d)
		p.sql[d] = true
		return
	}
	have, ok := p.ports[d]
	if !ok || len(have) == 0 {
		p.ports[d] = rows
		return
	}
	p.ports[d] = mergePortRows(have, rows)
}

// retireDays lets go of what the Tx holds in memory of the days part
// perDay does not touch: the port rows (their peaks picked) and, unless
// the Tx hands its state on (Continues), the cells counted there, which
// are the Tx's hit_counts rows of the day (recallCells).
func (t *Tx) retireDays(perDay map[aggregate.Day][]uint32) {
	for d, rows := range t.peaks.ports {
		if _, here := perDay[d]; here {
			continue
		}
		t.peaks.picked[d] = dayPeaks(dayPeaks(nil, int32(d), false, rows), int32(d), true, rows)
		delete(t.peaks.ports, d)
		if g := t.goDays[d]; g != nil && !t.keep && !g.stored && !g.dirty && !g.dropped {
			t.goState -= 16 * (len(g.cells) + len(g.pending))
			g.cells, g.pending, g.stored = nil, nil, true
		}
	}
}

// recallCells reads back the cells of a day retireDays let go, from the
// Tx's rows (before the current part's are inserted).
func (t *Tx) recallCells(ctx context.Context, conn *duckdb.Conn, d aggregate.Day, g *goDay) error {
	if !g.stored {
		return nil
	}
	day := "DATE '" + d.Time().Format("2006-01-02") + "'"
	if err := readDayCells(connRunner{ctx, conn}, []int32{t.id}, day, g); err != nil {
		return err
	}
	g.stored = false
	t.goState += 16 * len(g.cells)
	return nil
}

// mergePortRows merges two lists sorted by key, adding up the packets of a
// key in both (the sources of such a key are not needed by the peaks and
// are left as they were).
func mergePortRows(a, b []portRow) []portRow {
	out := make([]portRow, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i].key() < b[j].key():
			out = append(out, a[i])
			i++
		case i == len(a) || b[j].key() < a[i].key():
			out = append(out, b[j])
			j++
		default:
			r := a[i]
			r.n.packets += b[j].n.packets
			out = append(out, r)
			i++
			j++
		}
	}
	return out
}

// portPeak is one rollup_port_peak row picked in Go.
type portPeak struct {
	day  int32
	all  bool // the row over all sensors (sensor NULL)
	port portRow
}

// dayPeaks appends the peaks of one day's sorted port rows: per class,
// the peakKeep rows with most packets, ties broken by protocol and port
// (peakInsert's order).
func dayPeaks(out []portPeak, day int32, all bool, rows []portRow) []portPeak {
	before := func(x, y *portRow) bool {
		if x.n.packets != y.n.packets {
			return x.n.packets > y.n.packets
		}
		return x.key() < y.key() // same class: protocol, then port
	}
	top := make([]portRow, 0, peakKeep)
	for s := 0; s < len(rows); {
		e := s
		for e < len(rows) && rows[e].class == rows[s].class {
			e++
		}
		top = top[:0]
		for i := s; i < e; i++ {
			r := &rows[i]
			if len(top) == peakKeep && !before(r, &top[len(top)-1]) {
				continue
			}
			k := len(top)
			if k < peakKeep {
				top = append(top, *r)
			} else {
				k--
			}
			for k > 0 && before(r, &top[k-1]) {
				top[k] = top[k-1]
				k--
			}
			top[k] = *r
		}
		for _, r := range top {
			out = append(out, portPeak{day, all, r})
		}
		s = e
	}
	return out
}

// writePortPeaks brings rollup_port_peak up to date for the (sensor, day)s
// of scope at Finish, after the commit's other rollups are written.
func (t *Tx) writePortPeaks(ctx context.Context, r runner, scope dayScope, replaced bool) error {
	p := &t.peaks
	if replaced || len(p.ports)+len(p.picked) == 0 {
		return refreshPortPeaks(r, scope)
	}
	rest := dayScope{}
	var own []aggregate.Day
	for sensor, days := range scope {
		for d := range days {
			ad := aggregate.DayOf(d, time.UTC)
			_, ok := p.ports[ad]
			if _, picked := p.picked[ad]; (ok || picked) && sensor == t.sensor {
				if g := t.goDays[ad]; g != nil && !g.dirty && t.goBase[ad] == nil {
					own = append(own, ad)
					continue
				}
			}
			rest.add(sensor, d)
		}
	}
	if len(own) > 0 {
		slices.Sort(own)
		lits := make([]string, len(own))
		for i, d := range own {
			lits[i] = "DATE '" + d.Time().Format("2006-01-02") + "'"
		}
		in := strings.Join(lits, ", ")
		sensorLit := sqlString(t.sensor)
		// The days other sensors have port rows on: their peaks over all
		// sensors are SQL's.
		shared := map[aggregate.Day]bool{}
		err := r.query(`SELECT DISTINCT day FROM rollup_day_port WHERE day IN (`+in+`) AND sensor <> `+sensorLit, nil, func(v []driver.Value) error {
			tm, ok := v[0].(time.Time)
			if !ok {
				return fmt.Errorf("rollup_day_port.day is %T", v[0])
			}
			shared[aggregate.DayOf(tm, time.UTC)] = true
			return nil
		})
		if err != nil {
			return fmt.Errorf("port peaks: %w", err)
		}
		if err := r.exec(`DELETE FROM rollup_port_peak WHERE day IN (` + in + `) AND (sensor IS NULL OR sensor = ` + sensorLit + `)`); err != nil {
			return fmt.Errorf("port peaks: %w", err)
		}
		var peaks []portPeak
		for _, d := range own {
			picked, ok := p.picked[d]
			if !ok {
				picked = dayPeaks(dayPeaks(nil, int32(d), false, p.ports[d]), int32(d), true, p.ports[d])
			}
			for _, pk := range picked {
				if !pk.all || !shared[d] {
					peaks = append(peaks, pk)
				}
			}
		}
		if err := insertPeaks(ctx, r, t.sensor, peaks); err != nil {
			return err
		}
		for _, d := range own {
			if shared[d] {
				day := "DATE '" + d.Time().Format("2006-01-02") + "'"
				if err := r.exec(peakInsert(`h.day = `+day, true)); err != nil {
					return fmt.Errorf("port peaks of %s: %w", d.Time().Format("2006-01-02"), err)
				}
			}
		}
	}
	return refreshPortPeaks(r, rest)
}

// insertPeaks inserts peaks picked in Go (the day and sensor as numbers,
// the class as its index).
func insertPeaks(ctx context.Context, r runner, sensor string, peaks []portPeak) error {
	names := classify.Names()
	lits := make([]string, len(names))
	for i, n := range names {
		lits[i] = sqlString(n)
	}
	cols, err := colInfos("day", duckdb.TYPE_INTEGER, "all_sensors", duckdb.TYPE_BOOLEAN, "class", duckdb.TYPE_UTINYINT,
		"proto", duckdb.TYPE_UTINYINT, "port", duckdb.TYPE_USMALLINT, "packets", duckdb.TYPE_UBIGINT)
	if err != nil {
		return err
	}
	sel := `DATE '1970-01-01' + day, CASE WHEN all_sensors THEN NULL ELSE ` + sqlString(sensor) + ` END, [` +
		strings.Join(lits, ", ") + `][class + 1], proto, port, packets`
	err = bulkInsertAs(ctx, r.exec, "rollup_port_peak", sel, cols, len(peaks), func(c duckdb.DataChunk, row, i int) error {
		p := &peaks[i]
		if err := duckdb.SetChunkValue(c, 0, row, p.day); err != nil {
			return err
		}
		duckdb.SetChunkValue(c, 1, row, p.all)
		duckdb.SetChunkValue(c, 2, row, p.port.class)
		duckdb.SetChunkValue(c, 3, row, p.port.proto)
		duckdb.SetChunkValue(c, 4, row, p.port.port)
		return duckdb.SetChunkValue(c, 5, row, p.port.n.packets)
	})
	if err != nil {
		return fmt.Errorf("port peaks: %w", err)
	}
	return nil
}
