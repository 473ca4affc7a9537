package duckstore

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// linksPlan is the plan of a Stats question whose distinct sources the
// links answer (links.go), or false. The table it reads is the union of a
// per-day rollup's rows (their packets, sources 0) and the links' rows
// that count (their sources, packets 0), so that the query statsSQL
// writes around it adds up both: the packets of the rows selected and the
// distinct sources of each result row, exactly.
//
// It answers when each result row is one (sensor, class, key) of the
// links over a range of days, or over one day: class and the key (country,
// AS, or named ports under one protocol and one class; one kind of key at
// most) grouped by or fixed to one value, or no key; the sensor grouped
// by, fixed to one or not asked (every sensor); the day grouped by (the
// occurrences of each day) or not (the first of each source in the range:
// prev before From). Whether the named ports are linked is checked in the
// question's transaction (portsLinked). Addresses and rule sets are never
// in the links.
func linksPlan(q store.StatsQuery) (statsPlan, bool) { return linksPlanOf(q, false) }

// linksPlanOf is linksPlan; with linkedOnly, a question of ports that
// names none reads the linked ports alone (the rows of the others left
// out: see topPorts).
func linksPlanOf(q store.StatsQuery, linkedOnly bool) (statsPlan, bool) {
	if q.NoSources || q.RuleSet != 0 || len(q.Srcs) > 0 {
		return statsPlan{}, false
	}
	if _, ok := viewPlan(q); ok {
		return statsPlan{}, false
	}
	grouped := map[string]bool{}
	for _, d := range q.By {
		switch d {
		case "day", "sensor", "class", "country", "asn", "port", "proto":
			grouped[d] = true
		default:
			return statsPlan{}, false
		}
	}
	nCountries := distinct(q.Countries, strings.ToUpper)
	nASNs := distinct(q.ASNs, func(a uint32) uint32 { return a })
	nClasses := distinct(q.Classes, func(s string) string { return s })
	nSensors := distinct(q.Sensors, func(s string) string { return s })
	usesCountry := grouped["country"] || nCountries > 0
	usesASN := grouped["asn"] || nASNs > 0
	nPorts := distinct(q.Ports, func(p int) int { return p })
	nProtos := distinct(q.Protos, func(p string) string { return p })
	usesPort := grouped["port"] || grouped["proto"] || nPorts > 0 || nProtos > 0
	switch {
	case usesCountry && usesASN, usesPort && (usesCountry || usesASN):
		return statsPlan{}, false
	case usesPort && (nPorts == 0 && !linkedOnly || !grouped["port"] && nPorts != 1 || !grouped["proto"] && nProtos != 1 ||
		!grouped["class"] && nClasses != 1):
		// Ports: only some are linked (the question names them, so
		// that stats can check), each under one protocol and class.
		return statsPlan{}, false
	case usesCountry && !grouped["country"] && nCountries != 1,
		usesASN && !grouped["asn"] && nASNs != 1,
		!grouped["class"] && nClasses > 1,
		!grouped["sensor"] && nSensors > 1:
		return statsPlan{}, false
	}
	if q.To != "" {
		if _, err := store.ParseDay(q.To); err != nil {
			return statsPlan{}, false // statsSQL reports it
		}
	}
	var from civil.Day
	hasFrom := q.From != ""
	if hasFrom {
		t, err := store.ParseDay(q.From)
		if err != nil {
			return statsPlan{}, false // statsSQL reports it
		}
		from = civil.Of(t)
	}
	table, links, key := "rollup_day", "links_all", ""
	switch {
	case usesCountry:
		table, links, key = "rollup_day_country", "links_country", "country, "
	case usesASN:
		table, links, key = "rollup_day_asn", "links_asn", "asn, "
	case usesPort:
		table, links, key = "rollup_day_port", "links_port", "proto, port, "
	}
	var conds []string
	class := "class"
	switch {
	case grouped["class"] || nClasses == 1:
		conds = append(conds, "class IS NOT NULL")
	default:
		// A question of no class: the sources of any class, under the
		// name of the class statsSQL selects the packets of no class
		// by (allHitClasses: every packet is access).
		conds = append(conds, "class IS NULL")
		class = "'" + allHitClasses[0].String() + "'"
	}
	if grouped["sensor"] || nSensors == 1 {
		conds = append(conds, "sensor IS NOT NULL")
	} else {
		conds = append(conds, "sensor IS NULL")
	}
	switch {
	case grouped["day"]:
	case hasFrom:
		conds = append(conds, "(prev IS NULL OR prev < CAST('"+from.String()+"' AS DATE))")
	default:
		conds = append(conds, "prev IS NULL")
	}
	semi := ""
	if linkedOnly && usesPort {
		semi = " r SEMI JOIN links_port_set s ON s.class = r.class AND s.proto = r.proto AND s.port = r.port"
	}
	sub := `(SELECT day, sensor, class, ` + key + `packets, CAST(0 AS UBIGINT) AS sources FROM ` + table + semi + `
		UNION ALL SELECT day, sensor, ` + class + ` AS class, ` + key + `CAST(0 AS UBIGINT) AS packets, sources FROM ` + links + semi + `
		WHERE ` + strings.Join(conds, " AND ") + `)`
	return statsPlan{table: sub, perClass: true, summed: true}, true
}

// linksTo is the last day a question of days up to to (YYYY-MM-DD, ""
// for open) reads.
func linksTo(to string) civil.Day {
	if to == "" {
		return civil.Day(math.MaxInt32)
	}
	t, err := store.ParseDay(to)
	if err != nil {
		return civil.Day(math.MaxInt32)
	}
	return civil.Of(t)
}

// linkSensor is the links' sensor condition for a selection of sensors:
// every sensor together (none selected) or one; false for several.
func linkSensor(col string, sensors []string) (string, []any, bool) {
	switch distinct(sensors, func(s string) string { return s }) {
	case 0:
		return col + " IS NULL", nil, true
	case 1:
		return col + " = ?", []any{sensors[0]}, true
	}
	return "", nil, false
}

// classTotalsByLinks answers ClassTotals from rollup_day (packets) and
// links_all (sources), when the links are up to date and the sensors are
// every one or one; it reports whether it did.
func (s *Store) classTotalsByLinks(ctx context.Context, q store.TotalsQuery, out store.ClassTotals) (bool, error) {
	sc, sargs, ok := linkSensor("sensor", q.Sensors)
	if !ok {
		return false, nil
	}
	n := q.Days()
	return s.withLinks(ctx, q.To, func(tx *sql.Tx) error {
		sf, pargs := readSensorFilter("sensor", q.Sensors)
		dr, dargs := readDays("day", q.From, q.To)
		split := readDayArg(q.Split)
		rows, err := tx.QueryContext(ctx, `SELECT class, day >= CAST(? AS DATE), CAST(sum(packets) AS DOUBLE) FROM rollup_day
			WHERE`+dr+sf+` GROUP BY ALL`, append(append([]any{split}, dargs...), pargs...)...)
		if err != nil {
			return fmt.Errorf("totals: %w", err)
		}
		for rows.Next() {
			var class string
			var after bool
			var v float64
			if err := rows.Scan(&class, &after, &v); err != nil {
				rows.Close()
				return fmt.Errorf("totals: %w", err)
			}
			side := out.Before
			if after {
				side = out.After
			}
			t := side[class]
			t.Packets += v
			side[class] = t
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("totals: %w", err)
		}
		// A source counts on a side at its first day there: prev
		// before the side's first day (the split, or From).
		afterFrom := max(q.Split, q.From)
		rows, err = tx.QueryContext(ctx, `SELECT class, day, prev, CAST(sum(sources) AS DOUBLE) FROM links_all
			WHERE class IS NOT NULL AND `+sc+` AND`+dr+` GROUP BY ALL`, append(sargs, dargs...)...)
		if err != nil {
			return fmt.Errorf("totals: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var (
				class     string
				day, prev sql.NullTime
				v         float64
			)
			if err := rows.Scan(&class, &day, &prev, &v); err != nil {
				return fmt.Errorf("totals: %w", err)
			}
			d := civil.Of(day.Time)
			if i := d.Sub(q.From); day.Valid && i >= 0 && i < n {
				if out.DailySources[class] == nil {
					out.DailySources[class] = make([]float64, n)
				}
				out.DailySources[class][i] += v
			}
			side, first := out.Before, q.From
			if d >= q.Split {
				side, first = out.After, afterFrom
			}
			if !prev.Valid || civil.Of(prev.Time) < first {
				t := side[class]
				t.Sources += v
				side[class] = t
			}
		}
		return rows.Err()
	})
}

// distinctSourcesByLinks answers the questions of DistinctSources by
// country, AS and linked port (links_port_set) from the links, when they
// are up to date, into out; it returns which it answered (none when the
// links are not).
func (s *Store) distinctSourcesByLinks(ctx context.Context, sensors []string, qs []store.KeyDays, out []float64) ([]bool, error) {
	done := make([]bool, len(qs))
	type item struct {
		i    int
		args []any // i, class, sensor, first, last, key (proto, port for a port)
	}
	byDim := map[string][]item{}
	var last civil.Day
	for i, q := range qs {
		if _, ok := classify.ParseClass(q.Class); !ok || q.To < q.From {
			continue
		}
		if q.Dim != store.DimCountry && q.Dim != store.DimASN && q.Dim != store.DimPort {
			continue
		}
		var sensor any
		switch {
		case q.Sensor != "":
			if len(sensors) > 0 && !slices.Contains(sensors, q.Sensor) {
				done[i] = true // a sensor not selected: 0
				continue
			}
			sensor = q.Sensor
		default:
			_, sargs, ok := linkSensor("", sensors)
			if !ok {
				continue
			}
			if len(sargs) > 0 {
				sensor = sargs[0]
			}
		}
		args := []any{i, q.Class, sensor, readDayArg(q.From), readDayArg(q.To)}
		switch q.Dim {
		case store.DimCountry:
			args = append(args, q.Key.Country)
		case store.DimASN:
			args = append(args, int64(q.Key.ASN))
		default:
			args = append(args, int(q.Key.Proto), int(q.Key.Port))
		}
		byDim[q.Dim] = append(byDim[q.Dim], item{i, args})
		last = max(last, q.To)
	}
	if len(byDim) == 0 {
		return done, nil
	}
	vals := make([]float64, len(qs))
	linked := map[int]bool{} // the port questions whose port is linked
	used, err := s.withLinks(ctx, last, func(tx *sql.Tx) error {
		var parts []string
		var args []any
		if items := byDim[store.DimPort]; len(items) > 0 {
			// Only the linked ports have links: the others are left to
			// the caller.
			tuple := "(?, ?, ?, ?)"
			list := strings.TrimSuffix(strings.Repeat(tuple+", ", len(items)), ", ")
			var largs []any
			for _, it := range items {
				largs = append(largs, it.args[0], it.args[1], it.args[5], it.args[6])
			}
			rows, err := tx.QueryContext(ctx, `SELECT w.i FROM (VALUES `+list+`) w(i, class, proto, port)
				SEMI JOIN links_port_set s ON s.class = w.class AND s.proto = w.proto AND s.port = w.port`, largs...)
			if err != nil {
				return fmt.Errorf("distinct sources: %w", err)
			}
			for rows.Next() {
				var i int
				if err := rows.Scan(&i); err != nil {
					rows.Close()
					return fmt.Errorf("distinct sources: %w", err)
				}
				linked[i] = true
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("distinct sources: %w", err)
			}
		}
		for _, dim := range []string{store.DimCountry, store.DimASN, store.DimPort} {
			items := byDim[dim]
			if dim == store.DimPort {
				items = slices.DeleteFunc(slices.Clone(items), func(it item) bool { return !linked[it.i] })
			}
			if len(items) == 0 {
				continue
			}
			table, keyCols, on, cast := "links_country", "k", "l.country = w.k", "CAST(? AS VARCHAR)"
			switch dim {
			case store.DimASN:
				table, on, cast = "links_asn", "l.asn = w.k", "CAST(? AS UINTEGER)"
			case store.DimPort:
				table, keyCols, on, cast = "links_port", "proto, port", "l.proto = w.proto AND l.port = w.port", "CAST(? AS UTINYINT), CAST(? AS USMALLINT)"
			}
			tuple := "(?, ?, CAST(? AS VARCHAR), CAST(? AS DATE), CAST(? AS DATE), " + cast + ")"
			list := strings.TrimSuffix(strings.Repeat(tuple+", ", len(items)), ", ")
			parts = append(parts, `SELECT w.i, CAST(sum(l.sources) AS DOUBLE) FROM `+table+` l JOIN (VALUES `+list+`) w(i, class, sensor, first, last, `+keyCols+`)
				ON l.class = w.class AND l.sensor IS NOT DISTINCT FROM w.sensor AND `+on+`
				AND l.day BETWEEN w.first AND w.last AND (l.prev IS NULL OR l.prev < w.first)
				GROUP BY w.i`)
			for _, it := range items {
				args = append(args, it.args...)
			}
		}
		if len(parts) == 0 {
			return nil
		}
		rows, err := tx.QueryContext(ctx, strings.Join(parts, " UNION ALL "), args...)
		if err != nil {
			return fmt.Errorf("distinct sources: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var i int
			var v float64
			if err := rows.Scan(&i, &v); err != nil {
				return fmt.Errorf("distinct sources: %w", err)
			}
			if i >= 0 && i < len(vals) {
				vals[i] = v
			}
		}
		return rows.Err()
	})
	if err != nil || !used {
		// Not up to date: only the unselected sensors' questions are
		// answered (0).
		return done, err
	}
	for dim, items := range byDim {
		for _, it := range items {
			if dim != store.DimPort || linked[it.i] {
				done[it.i], out[it.i] = true, vals[it.i]
			}
		}
	}
	return done, nil
}

// portsLinked reports whether every (class, protocol, port) that a Stats
// question of ports (linksPlan) reads from rollup_day_port is linked.
func portsLinked(ctx context.Context, tx *sql.Tx, q store.StatsQuery) (bool, error) {
	if ok, err := namedPortsLinked(ctx, tx, q); ok || err != nil {
		return ok, err
	}
	where := []string{"port IN (" + placeholders(len(q.Ports)) + ")"}
	var args []any
	for _, p := range q.Ports {
		args = append(args, p)
	}
	if len(q.Protos) > 0 {
		where = append(where, "proto IN ("+placeholders(len(q.Protos))+")")
		for _, p := range q.Protos {
			n, err := store.ProtoNumber(p)
			if err != nil {
				return false, err
			}
			args = append(args, n)
		}
	}
	where, args = rollupPortWhere(q, where, args, false)
	var missing int64
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT DISTINCT class, proto, port FROM rollup_day_port
		WHERE `+strings.Join(where, " AND ")+`) r
		WHERE NOT EXISTS (SELECT 1 FROM links_port_set s WHERE s.class = r.class AND s.proto = r.proto AND s.port = r.port)`, args...).Scan(&missing)
	return missing == 0, err
}

// namedPortsLinked reports whether every (class, protocol, port) a Stats
// question of ports names (classes, protocols and ports all named) is in
// links_port_set: a few rows read, where portsLinked's look at which of
// them rollup_day_port holds scans its rows of the ports (15-20 ms on the
// bench store). False means "not known": portsLinked then looks.
func namedPortsLinked(ctx context.Context, tx *sql.Tx, q store.StatsQuery) (bool, error) {
	nClasses := distinct(q.Classes, func(s string) string { return s })
	nProtos := distinct(q.Protos, func(p string) string { return p })
	nPorts := distinct(q.Ports, func(p int) int { return p })
	if nClasses == 0 || nProtos == 0 || nPorts == 0 {
		return false, nil
	}
	var args []any
	for _, c := range q.Classes {
		args = append(args, c)
	}
	for _, p := range q.Protos {
		n, err := store.ProtoNumber(p)
		if err != nil {
			return false, err
		}
		args = append(args, n)
	}
	for _, p := range q.Ports {
		args = append(args, p)
	}
	var linked int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT DISTINCT class, proto, port FROM links_port_set
		WHERE class IN (`+placeholders(len(q.Classes))+`) AND proto IN (`+placeholders(len(q.Protos))+`) AND port IN (`+placeholders(len(q.Ports))+`))`,
		args...).Scan(&linked)
	return err == nil && linked == nClasses*nProtos*nPorts, err
}

// topPorts answers a question of the top ports of one class by distinct
// sources (By port, OrderBy sources, Top, no port named) from the links
// of the linked ports, when that is exact: when no other port can be
// among the top, because an upper bound of its distinct sources (the sum
// of its sources per day and sensor in rollup_day_port) is below the last
// top port's. It returns errNotLinked when it is not.
func topPorts(ctx context.Context, tx *sql.Tx, q store.StatsQuery) ([]store.StatsRow, error) {
	lp, ok := linksPlanOf(q, true)
	if !ok {
		return nil, errNotLinked
	}
	rows, err := statsIn(ctx, tx, q, lp, "")
	if err != nil {
		return nil, err
	}
	where, bargs := rollupPortWhere(q, nil, nil, true)
	var bound float64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(b), 0) FROM (SELECT CAST(sum(sources) AS DOUBLE) AS b FROM rollup_day_port r
		WHERE `+strings.Join(where, " AND ")+` AND NOT EXISTS (SELECT 1 FROM links_port_set s
			WHERE s.class = r.class AND s.proto = r.proto AND s.port = r.port)
		GROUP BY proto, port)`, bargs...).Scan(&bound); err != nil {
		return nil, err
	}
	if bound == 0 || len(rows) == q.Top && bound < float64(rows[len(rows)-1].Sources) {
		return rows, nil
	}
	return nil, errNotLinked
}

// topPortsQuestion reports whether q is one topPorts may answer.
func topPortsQuestion(q store.StatsQuery) bool {
	return !q.NoSources && q.RuleSet == 0 && q.OrderBy == "sources" && q.Top > 0 && len(q.Ports) == 0 && len(q.Protos) == 0 &&
		len(q.Countries) == 0 && len(q.ASNs) == 0 && len(q.Srcs) == 0 &&
		len(q.Classes) == 1 &&
		distinct(q.Sensors, func(s string) string { return s }) <= 1 &&
		slices.Equal(q.By, []string{"port", "proto"})
}

// seriesLinks is the table a Series question of distinct sources reads
// from the links, or false: by country or AS, of every source (no country
// nor narrowing), over every sensor or one, or per sensor.
func seriesLinks(q store.SeriesQuery) (string, bool) {
	if q.Unit != store.UnitSources || q.Country != "" || q.Narrow.Any() {
		return "", false
	}
	if !q.BySensor && distinct(q.Sensors, func(s string) string { return s }) > 1 {
		return "", false
	}
	table, key := "", ""
	switch q.Dim {
	case store.DimCountry:
		table, key = "links_country", "country"
	case store.DimASN:
		table, key = "links_asn", "asn"
	default:
		return "", false
	}
	sensor := "sensor IS NULL"
	if q.BySensor || len(q.Sensors) > 0 {
		sensor = "sensor IS NOT NULL"
	}
	return `(SELECT day, sensor, class, ` + key + `, sources FROM ` + table + ` WHERE class IS NOT NULL AND ` + sensor + `)`, true
}

// linksPartition reports whether no source of q's days has two keys of
// q's dimension on one day (at the sensors the series counts over), so
// that the distinct sources of folded keys are the sum of theirs.
func linksPartition(ctx context.Context, tx *sql.Tx, q store.SeriesQuery) (bool, error) {
	sensor, args := "sensor IS NULL", []any{}
	if q.BySensor || len(q.Sensors) > 0 {
		sensor = "sensor IS NOT NULL"
		if !q.BySensor {
			sensor, args = "sensor = ?", []any{q.Sensors[0]}
		}
	}
	dr, dargs := readDays("day", q.From, q.To)
	var n int64
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM links_multi WHERE dim = ? AND `+sensor+` AND`+dr,
		append(append([]any{q.Dim}, args...), dargs...)...).Scan(&n)
	return n == 0, err
}

// rollupPortWhere adds to where (and args) the conditions on
// rollup_day_port of q's classes and days, and with sensors those of its
// sensors.
func rollupPortWhere(q store.StatsQuery, where []string, args []any, sensors bool) ([]string, []any) {
	for _, f := range []struct {
		col  string
		vals []string
	}{{"class", q.Classes}, {"sensor", q.Sensors}} {
		if len(f.vals) == 0 || f.col == "sensor" && !sensors {
			continue
		}
		where = append(where, f.col+" IN ("+placeholders(len(f.vals))+")")
		for _, v := range f.vals {
			args = append(args, v)
		}
	}
	if q.From != "" {
		where = append(where, "day >= CAST(? AS DATE)")
		args = append(args, q.From)
	}
	if q.To != "" {
		where = append(where, "day <= CAST(? AS DATE)")
		args = append(args, q.To)
	}
	return where, args
}
