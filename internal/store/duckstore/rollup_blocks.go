package duckstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Port blocks: packets per class, protocol and port over aligned spans of
// blockDays days, kept at every commit, so that port totals over a range
// (TopKeys by port) add up whole blocks and read the per-day rollup only
// for the days at the range's edges, instead of grouping every day's port
// rows (rollup_day_port holds about as many rows a day as there are ports
// hit, and masscan and backscatter reach nearly all of them: a block of
// eight days has about as many keys as one day).
//
// rollup_block_port holds, per block (its first day: the days since
// 1970-01-01 are a multiple of blockDays), sensor (NULL: all sensors
// together), class, protocol and port, the packets of those days. Like the
// per-day rollups a key may have several rows, whose packets add up: a
// commit that replaces nothing adds its own packets as rows of their own
// (merged false; true when they are the first rows of the block and
// sensor, being one per key), once for its sensor and once for all
// sensors; a (block,
// sensor) is merged to one row per key (merged true) when the rows added
// since it last was reach as many as the merged ones (and at least
// blockMergeMin), so its rows stay under about twice its keys while each
// row is merged a bounded number of times. A replacement recounts the
// blocks of the days it touches from rollup_day_port. Packets only: port
// totals are exact sums; distinct sources over a range still come from
// the source-level rows. docs/store.md ("Rollups") has the table.

// blockDays is the length of a block in days: a variable so that tests can
// use blocks shorter than their stores' ranges. A store's blocks are those
// of the build that wrote them: change it only for a new store.
var blockDays = 8

// portBlocks: the reads use rollup_block_port (a variable so that a
// benchmark can compare them with the per-day reads).
var portBlocks = true

// blockMergeMin is the fewest added rows for which a (block, sensor) is
// merged (a variable for tests).
var blockMergeMin = 4096

var blockSchema = []string{
	`CREATE TABLE IF NOT EXISTS rollup_block_port (block DATE, sensor VARCHAR, class VARCHAR, proto UTINYINT, port USMALLINT,
		packets UBIGINT, merged BOOLEAN)`,
}

// blockOf is the first day of d's block.
func blockOf(d civil.Day) civil.Day {
	m := int(d) % blockDays
	if m < 0 {
		m += blockDays
	}
	return d - civil.Day(m)
}

// blockExpr is the SQL of the block of the DATE column col.
func blockExpr(col string) string {
	n := strconv.Itoa(blockDays)
	return `CAST(` + col + ` - CAST(((` + col + ` - DATE '1970-01-01') % ` + n + ` + ` + n + `) % ` + n + ` AS INTEGER) AS DATE)`
}

// dateLit is the SQL literal of a day.
func dateLit(d civil.Day) string { return "DATE '" + d.String() + "'" }

// migratePortBlocks is the migration that creates rollup_block_port and
// fills it from rollup_day_port.
func migratePortBlocks(ctx context.Context, tx *sql.Tx) error {
	if err := execAll(blockSchema)(ctx, tx); err != nil {
		return err
	}
	r := txRunner{ctx, tx}
	for _, all := range []bool{false, true} {
		if err := r.exec(blockInsert("", all)); err != nil {
			return fmt.Errorf("fill rollup_block_port: %w", err)
		}
	}
	return nil
}

// blockInsert is the statement that adds, merged, the block totals of the
// rollup_day_port rows where selects (alias h; "": all): per sensor, or
// over all sensors (all, sensor NULL).
func blockInsert(where string, all bool) string {
	sensor := "h.sensor"
	if all {
		sensor = "CAST(NULL AS VARCHAR)"
	}
	if where != "" {
		where = " WHERE " + where
	}
	return `INSERT INTO rollup_block_port SELECT ` + blockExpr("h.day") + ` AS block, ` + sensor + ` AS sensor, h.class, h.proto, h.port,
		sum(h.packets), true FROM rollup_day_port h` + where + ` GROUP BY ALL`
}

// sharedPortsSchema is the temporary table of the port rows a commit adds
// to days other ingests cover (addIngestRollups fills it, addPortBlocks
// reads and drops it), created empty at the start of finishRollups.
const sharedPortsSchema = `CREATE OR REPLACE TEMP TABLE rollup_shared_ports (day DATE, class VARCHAR, proto UTINYINT, port USMALLINT, packets UBIGINT)`

// blockSensorCond is the condition on rollup_block_port.sensor selecting
// the rows of sensorLit ("" for the rows of all sensors).
func blockSensorCond(sensorLit string) string {
	if sensorLit == "" {
		return "sensor IS NULL"
	}
	return "sensor = " + sensorLit
}

// addPortBlocks adds the packets of a commit that replaces nothing to the
// blocks of its days, after its other rollups are written: for a day the
// Tx counted itself (no other ingest has rows there) they are the day's
// rollup_day_port rows; for a day it counted in Go on a carried state,
// its own hits; for the others, the rows addIngestRollups added there
// (kept in rollup_shared_ports).
func (t *Tx) addPortBlocks(r runner) error {
	if len(t.days) == 0 {
		return nil
	}
	var own, adopted, shared []string
	blocks := map[civil.Day]bool{}
	for d := range t.days {
		day := civil.Of(d)
		blocks[blockOf(day)] = true
		ad := aggregate.DayOf(d, time.UTC)
		switch {
		case t.goDays[ad] != nil && t.goBase[ad] != nil:
			// Counted in Go on a state carried from earlier commits
			// (rollup_carry.go): the day's rows hold theirs too.
			adopted = append(adopted, dateLit(day))
		case t.goDays[ad] != nil:
			own = append(own, dateLit(day))
		default:
			shared = append(shared, dateLit(day))
		}
	}
	sensorLit := sqlString(t.sensor)
	var parts []string
	if len(adopted) > 0 {
		slices.Sort(adopted)
		parts = append(parts, `SELECT `+blockExpr("h.day")+` AS block, c.name AS class, h.proto, h.port, h.packets
			FROM hit_counts h JOIN classes c ON (h.classes & c.bit) <> 0
			WHERE h.ingest_id = `+strconv.Itoa(int(t.id))+` AND h.day IN (`+strings.Join(adopted, ", ")+`)`)
	}
	if len(own) > 0 {
		slices.Sort(own)
		parts = append(parts, `SELECT `+blockExpr("h.day")+` AS block, h.class, h.proto, h.port, h.packets FROM rollup_day_port h
			WHERE h.sensor = `+sensorLit+` AND h.day IN (`+strings.Join(own, ", ")+`)`)
	}
	if len(shared) > 0 {
		slices.Sort(shared)
		parts = append(parts, `SELECT `+blockExpr("h.day")+` AS block, h.class, h.proto, h.port, h.packets
			FROM rollup_shared_ports h WHERE h.day IN (`+strings.Join(shared, ", ")+`)`)
	}
	if err := r.exec(`CREATE OR REPLACE TEMP TABLE block_new AS SELECT block, class, proto, port, sum(packets) AS packets
			FROM (` + strings.Join(parts, " UNION ALL ") + `) GROUP BY ALL`); err != nil {
		return fmt.Errorf("port blocks: %w", err)
	}
	rows := map[civil.Day]int64{}
	err := r.query(`SELECT block, count(*) FROM block_new GROUP BY ALL`, nil, func(v []driver.Value) error {
		b, ok1 := v[0].(time.Time)
		n, ok2 := v[1].(int64)
		if !ok1 || !ok2 {
			return fmt.Errorf("block_new row is %T, %T", v[0], v[1])
		}
		rows[civil.Of(b)] = n
		return nil
	})
	if err != nil {
		return fmt.Errorf("port blocks: %w", err)
	}
	for _, b := range sortedBlocks(blocks) {
		for _, s := range []string{sensorLit, ""} {
			merged, added, err := blockRows(r, b, s)
			if err != nil {
				return err
			}
			// The first rows of a (block, sensor) are one per key already.
			first := merged+added == 0
			sensor := s
			if s == "" {
				sensor = "NULL"
			}
			if err := r.exec(`INSERT INTO rollup_block_port SELECT block, ` + sensor + `, class, proto, port, packets, ` +
				strconv.FormatBool(first) + ` FROM block_new WHERE block = ` + dateLit(b)); err != nil {
				return fmt.Errorf("port block %s: %w", b, err)
			}
			if added += rows[b]; !first && added >= int64(blockMergeMin) && added >= merged {
				if err := mergeBlock(r, b, s); err != nil {
					return err
				}
			}
		}
	}
	if err := r.exec(`DROP TABLE block_new; DROP TABLE IF EXISTS rollup_shared_ports`); err != nil {
		return fmt.Errorf("port blocks: %w", err)
	}
	return nil
}

func sortedBlocks(set map[civil.Day]bool) []civil.Day {
	out := make([]civil.Day, 0, len(set))
	for b := range set {
		out = append(out, b)
	}
	slices.Sort(out)
	return out
}

// blockWhere selects the rows of block b of sensorLit ("": all sensors).
func blockWhere(b civil.Day, sensorLit string) string {
	return ` WHERE block = ` + dateLit(b) + ` AND ` + blockSensorCond(sensorLit)
}

// blockRows counts the merged and the added rows of block b of sensorLit
// ("": all sensors).
func blockRows(r runner, b civil.Day, sensorLit string) (merged, added int64, err error) {
	err = r.query(`SELECT count(*) FILTER (WHERE merged), count(*) FILTER (WHERE NOT merged) FROM rollup_block_port`+blockWhere(b, sensorLit), nil,
		func(v []driver.Value) error {
			m, ok1 := v[0].(int64)
			a, ok2 := v[1].(int64)
			if !ok1 || !ok2 {
				return fmt.Errorf("block row counts are %T, %T", v[0], v[1])
			}
			merged, added = m, a
			return nil
		})
	if err != nil {
		return 0, 0, fmt.Errorf("port block %s: %w", b, err)
	}
	return merged, added, nil
}

// mergeBlock merges the rows of block b of sensorLit ("": all sensors)
// into one per key: when the rows added since the last merge are as many
// as the merged ones and at least blockMergeMin (addPortBlocks).
func mergeBlock(r runner, b civil.Day, sensorLit string) error {
	where := blockWhere(b, sensorLit)
	for _, q := range []string{
		`CREATE OR REPLACE TEMP TABLE block_merge AS SELECT block, sensor, class, proto, port, sum(packets) AS packets, true AS merged
			FROM rollup_block_port` + where + ` GROUP BY ALL`,
		`DELETE FROM rollup_block_port` + where,
		`INSERT INTO rollup_block_port SELECT * FROM block_merge`,
		`DROP TABLE block_merge`,
	} {
		if err := r.exec(q); err != nil {
			return fmt.Errorf("merge port block %s: %w", b, err)
		}
	}
	return nil
}

// recountPortBlocks recounts, from rollup_day_port, the blocks of the
// (sensor, day)s of scope for their sensors and for all sensors: after a
// replacement, whose rows went.
func recountPortBlocks(r runner, scope dayScope) error {
	all := map[civil.Day]bool{}
	sensors := make([]string, 0, len(scope))
	for s := range scope {
		sensors = append(sensors, s)
	}
	slices.Sort(sensors)
	for _, s := range sensors {
		blocks := map[civil.Day]bool{}
		for d := range scope[s] {
			b := blockOf(civil.Of(d))
			blocks[b], all[b] = true, true
		}
		for _, b := range sortedBlocks(blocks) {
			if err := recountBlock(r, b, sqlString(s)); err != nil {
				return err
			}
		}
	}
	for _, b := range sortedBlocks(all) {
		if err := recountBlock(r, b, ""); err != nil {
			return err
		}
	}
	return nil
}

// recountBlock recounts block b of sensorLit ("": all sensors).
func recountBlock(r runner, b civil.Day, sensorLit string) error {
	days := `h.day BETWEEN ` + dateLit(b) + ` AND ` + dateLit(b.AddDays(blockDays-1))
	if sensorLit != "" {
		days += ` AND h.sensor = ` + sensorLit
	}
	for _, q := range []string{
		`DELETE FROM rollup_block_port WHERE block = ` + dateLit(b) + ` AND ` + blockSensorCond(sensorLit),
		blockInsert(days, sensorLit == ""),
	} {
		if err := r.exec(q); err != nil {
			return fmt.Errorf("recount port block %s: %w", b, err)
		}
	}
	return nil
}

// blockSpan splits the days from..to into the whole blocks within them
// (their first days) and the days outside those (at most blockDays-1 at
// each end), as up to two ranges.
func blockSpan(from, to civil.Day) (blocks []civil.Day, edges [][2]civil.Day) {
	first := blockOf(from)
	if first < from {
		first = first.AddDays(blockDays)
	}
	for b := first; b.AddDays(blockDays-1) <= to; b = b.AddDays(blockDays) {
		blocks = append(blocks, b)
	}
	if len(blocks) == 0 {
		return nil, [][2]civil.Day{{from, to}}
	}
	if from < blocks[0] {
		edges = append(edges, [2]civil.Day{from, blocks[0].AddDays(-1)})
	}
	if end := blocks[len(blocks)-1].AddDays(blockDays); end <= to {
		edges = append(edges, [2]civil.Day{end, to})
	}
	return blocks, edges
}

// highPortsByBlock is the HighPorts question when the range holds whole
// blocks: a port is in a block's rows under a class exactly when it is in
// the rollup_day_port rows of one of its days, so the distinct ports are
// those of the blocks' rows and of the edge days' rows together. ok is
// false when the range holds no whole block.
func highPortsByBlock(sel store.Selection, from int) (string, []any, bool) {
	blocks, edges := blockSpan(sel.From, sel.To)
	if len(blocks) == 0 || !portBlocks {
		return "", nil, false
	}
	lits := make([]string, len(blocks))
	for i, b := range blocks {
		lits[i] = dateLit(b)
	}
	sensorCond, sensorArgs := " AND h.sensor IS NULL", []any(nil)
	if len(sel.Sensors) > 0 {
		sensorCond, sensorArgs = readSensorFilter("h.sensor", sel.Sensors)
	}
	parts := []string{`SELECT DISTINCT h.class, h.proto, h.port FROM rollup_block_port h
		WHERE h.block IN (` + strings.Join(lits, ", ") + `) AND h.port >= ?` + sensorCond}
	args := append([]any{from}, sensorArgs...)
	if len(edges) > 0 {
		sf, sargs := readSensorFilter("h.sensor", sel.Sensors)
		parts = append(parts, `SELECT DISTINCT h.class, h.proto, h.port FROM rollup_day_port h
			WHERE (`+edgeDays(edges)+`) AND h.port >= ?`+sf)
		args = append(append(args, from), sargs...)
	}
	return `SELECT class, proto, count(DISTINCT port) FROM (` + strings.Join(parts, " UNION ALL ") + `) GROUP BY ALL ORDER BY ALL`, args, true
}

// edgeDays is the condition selecting the days of edges on h.day, as
// literals, so that their row groups are found by their zone maps.
func edgeDays(edges [][2]civil.Day) string {
	ranges := make([]string, len(edges))
	for i, e := range edges {
		ranges[i] = `h.day BETWEEN ` + dateLit(e[0]) + ` AND ` + dateLit(e[1])
	}
	return strings.Join(ranges, " OR ")
}

// blockCover is blockSpan for sums, which may subtract: the days from..to
// as whole blocks added up (blocks), days added (plus) and days taken
// away (minus), each a list of ranges. A block the range covers only in
// part is read whole with its days outside the range subtracted when
// fewer of those than of its days inside hold data: lo..hi are the days
// that may (the store's first and last; pass the widest days for
// unknown). A range that ends at the store's last day so subtracts days
// without rows, and an edge otherwise costs at most half a block of days.
func blockCover(from, to, lo, hi civil.Day) (blocks []civil.Day, plus, minus [][2]civil.Day) {
	// data is the number of days of a..b within lo..hi.
	data := func(a, b civil.Day) int { return max(0, min(b, hi).Sub(max(a, lo))+1) }
	for b := blockOf(from); b <= to; b = b.AddDays(blockDays) {
		end := b.AddDays(blockDays - 1)
		in0, in1 := max(from, b), min(to, end)
		inside := data(in0, in1)
		outside := data(b, end) - inside
		switch {
		case in1.Sub(in0)+1 == blockDays:
			blocks = append(blocks, b)
		case outside < inside:
			blocks = append(blocks, b)
			if b < in0 {
				minus = append(minus, [2]civil.Day{b, in0.AddDays(-1)})
			}
			if in1 < end {
				minus = append(minus, [2]civil.Day{in1.AddDays(1), end})
			}
		default:
			plus = append(plus, [2]civil.Day{in0, in1})
		}
	}
	return blocks, plus, minus
}

// dataDays is the store's first and last day of data as the ingests'
// first and last packets give them (the widest days when none); only the
// cost of a blockCover depends on it, never its sums.
func (s *Store) dataDays(ctx context.Context) (lo, hi civil.Day) {
	lo, hi = civil.Day(math.MinInt32), civil.Day(math.MaxInt32)
	var a, b sql.NullTime
	if err := s.db.QueryRowContext(ctx, `SELECT min(first_ts), max(last_ts) FROM ingests`).Scan(&a, &b); err != nil || !a.Valid || !b.Valid {
		return lo, hi
	}
	return civil.FromTime(a.Time, s.loc), civil.FromTime(b.Time, s.loc)
}
