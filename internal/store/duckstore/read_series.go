package duckstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// seriesPlan is what the series questions of one dimension read.
type seriesPlan struct {
	keyCols []string // key columns
	hk      []string // the same, qualified with h.
	classes []string
	where   string // " WHERE ..."
	args    []any
	// packetTable is the table packets are summed over.
	packetTable string
	sums        []string // per class: packets of the class
}

func planSeries(sel store.Selection, dim string, classes []string, country string, nw store.Narrow) (*seriesPlan, error) {
	p := &seriesPlan{}
	switch dim {
	case store.DimCountry:
		p.keyCols = []string{"country"}
	case store.DimPort:
		p.keyCols = []string{"proto", "port"}
	case store.DimASN:
		p.keyCols = []string{"asn"}
	case store.DimSensor:
		p.keyCols = []string{"sensor"}
	default:
		return nil, fmt.Errorf("unknown dimension %q (country, port, asn or sensor)", dim)
	}
	if sel.To < sel.From {
		return nil, fmt.Errorf("days end (%s) before they start (%s)", sel.To, sel.From)
	}
	if err := readCheckClasses(classes); err != nil {
		return nil, err
	}
	p.classes = classify.Names()
	if len(classes) > 0 {
		p.classes = classes
	}
	for _, c := range p.keyCols {
		p.hk = append(p.hk, "h."+c)
	}
	sf, sargs := readSensorFilter("h.sensor", sel.Sensors)
	dr, dargs := readDays("h.day", sel.From, sel.To)
	p.where = " WHERE" + dr + sf
	p.args = append(dargs, sargs...)
	if country != "" {
		p.where += " AND h.country = ?"
		p.args = append(p.args, country)
	}
	if nw.HasPort {
		p.where += " AND h.proto = ? AND h.port = ?"
		p.args = append(p.args, nw.Proto, nw.Port)
	}
	if nw.HasASN {
		p.where += " AND h.asn = ?"
		p.args = append(p.args, nw.ASN)
	}
	// One filtered sum per class: the class bits are tested inside the
	// aggregation, so hits are scanned once and never joined.
	for _, c := range p.classes {
		p.sums = append(p.sums, fmt.Sprintf("CAST(sum(h.packets) FILTER (WHERE h.classes & %d <> 0) AS DOUBLE)", readClassBit(c)))
	}
	// Packet counts by port or sensor need neither the source address nor
	// its country: port_hits reads them without joining the sources table.
	p.packetTable = "hits"
	if (dim == store.DimPort || dim == store.DimSensor) && country == "" && !nw.HasASN {
		p.packetTable = "port_hits"
	}
	return p, nil
}

// Series returns the daily series of q, ordered by class (display order),
// sensor and key. Folding happens in the database: destination ports and
// AS numbers run into the tens of thousands (a masscan sweep hits every
// port), and the database answers the folded question far faster than Go
// can receive every key.
func (s *Store) Series(ctx context.Context, q store.SeriesQuery) ([]store.Series, error) {
	defer s.took("Series", time.Now())
	if q.Unit != store.UnitPackets && q.Unit != store.UnitSources && q.Unit != "" {
		return nil, fmt.Errorf("series: unknown unit %q (packets or sources)", q.Unit)
	}
	p, err := planSeries(q.Selection, q.Dim, q.Classes, q.Country, q.Narrow)
	if err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	sensorCol := "''"
	if q.BySensor {
		sensorCol = "h.sensor"
	}
	keyList := p.hk
	keyExpr := strings.Join(keyList, ", ")
	join := ""
	var joinArgs []any
	if q.Fold {
		last := p.keyCols[len(p.keyCols)-1]
		fk := slices.Clone(p.hk)
		if len(q.Keep) == 0 {
			fk[len(fk)-1] = "NULL"
		} else {
			var on []string
			for _, c := range p.keyCols {
				on = append(on, "k."+c+" = h."+c)
			}
			tuple := "(?" + strings.Repeat(", ?", len(p.keyCols)-1) + ")"
			join = ` LEFT JOIN (VALUES ` + strings.TrimSuffix(strings.Repeat(tuple+", ", len(q.Keep)), ", ") +
				`) k(` + strings.Join(p.keyCols, ", ") + `) ON ` + strings.Join(on, " AND ")
			for _, k := range q.Keep {
				joinArgs = append(joinArgs, keyArgs(q.Dim, k)...)
			}
			fk[len(fk)-1] = "CASE WHEN k." + last + " IS NULL THEN NULL ELSE h." + last + " END"
		}
		if q.Dim == store.DimPort && q.FoldFrom > 0 {
			// Left-out high ports get -1: the FoldHigh series.
			high := "WHEN h.port >= " + strconv.Itoa(q.FoldFrom) + " THEN -1 "
			if len(q.Keep) == 0 {
				fk[len(fk)-1] = "CASE " + high + "END"
			} else {
				fk[len(fk)-1] = "CASE WHEN k.port IS NOT NULL THEN CAST(h.port AS INTEGER) " + high + "END"
			}
		}
		keyList = fk
		keyExpr = strings.Join(keyList, ", ")
	}
	args := append(joinArgs, p.args...)
	plan := s.seriesPlan(q.Dim, q.Country, q.Unit, q.Sensors, q.BySensor, q.Fold)
	if q.Narrow.Any() {
		// The rollups keep neither a port with the AS nor the AS with a
		// port: narrowed questions read the source-level tables.
		plan = readPlan{}
	}
	var sqlText string
	// bySet: the rows are distinct sources per class set (seriesSourcesBySet).
	var bySet bool
	if plan.perClass {
		// One row per class: the rollup's class column, its packets or
		// (when each result row is one rollup key) its distinct sources.
		meas := "packets"
		if q.Unit == store.UnitSources {
			meas = "sources"
		}
		ca := make([]any, len(p.classes))
		for i, c := range p.classes {
			ca[i] = c
		}
		args = append(args, ca...)
		sqlText = `SELECT h.day, ` + sensorCol + `, ` + keyExpr + `, h.class, CAST(sum(h.` + meas + `) AS DOUBLE) FROM ` + plan.table +
			` h` + join + p.where + ` AND h.class IN (` + placeholders(len(ca)) + `) GROUP BY ALL`
	} else {
		measures, table := p.sums, p.packetTable
		if q.Unit == store.UnitSources {
			// Distinct sources: one filtered distinct count of the integer
			// source key per class, in one scan. Country, AS and sensor are
			// properties of a source-day, so the much smaller sources table
			// answers exactly (its classes column is the OR over the
			// source-day's packets); ports need the hits, which carry the key
			// themselves.
			measures = nil
			for _, c := range p.classes {
				measures = append(measures, fmt.Sprintf("CAST(count(DISTINCT h.skey) FILTER (WHERE h.classes & %d <> 0) AS DOUBLE)", readClassBit(c)))
			}
			// The sources table has no ports: a port narrowing reads the
			// hits.
			if q.Dim != store.DimPort && !q.HasPort {
				table = "sources"
			}
		}
		if plan.table != "" {
			table = plan.table
		}
		sqlText = `SELECT h.day, ` + sensorCol + `, ` + keyExpr + `, ` + strings.Join(measures, ", ") +
			` FROM ` + table + ` h` + join + p.where + ` GROUP BY ALL`
		if q.Unit == store.UnitSources && !s.rawReads {
			sqlText, bySet = seriesSourcesBySet(table, sensorCol, keyList, join, p.where), true
		}
	}
	if table, ok := seriesLinks(q); ok {
		// Distinct sources per day from the links, when up to date:
		// a day's occurrences are its sources. Folded keys add up only
		// where no source has two keys on one day (linksPartition).
		la := append(append([]any{}, joinArgs...), p.args...)
		for _, c := range p.classes {
			la = append(la, c)
		}
		lq := `SELECT h.day, ` + sensorCol + `, ` + keyExpr + `, h.class, CAST(sum(h.sources) AS DOUBLE) FROM ` + table +
			` h` + join + p.where + ` AND h.class IN (` + placeholders(len(p.classes)) + `) GROUP BY ALL`
		var out []store.Series
		used, err := s.withLinks(ctx, q.To, func(tx *sql.Tx) error {
			if q.Fold {
				if ok, err := linksPartition(ctx, tx, q); err != nil || !ok {
					return cmp.Or(err, errNotLinked)
				}
			}
			rows, err := tx.QueryContext(ctx, lq, la...)
			if err != nil {
				return fmt.Errorf("series by %s: %w", q.Dim, err)
			}
			out, err = seriesRows(q, p, true, false, rows)
			return err
		})
		if used || err != nil {
			return out, err
		}
	}
	rows, err := s.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("series by %s: %w", q.Dim, err)
	}
	return seriesRows(q, p, plan.perClass, bySet, rows)
}

// seriesRows reads the rows of a series question into its series and
// closes them: per class (perClass: a class column and one value), per
// class set (bySet) or one value per class of p.
func seriesRows(q store.SeriesQuery, p *seriesPlan, perClass, bySet bool, rows *sql.Rows) ([]store.Series, error) {
	defer rows.Close()
	n := q.Days()
	type id struct {
		class, sensor string
		key           store.Key
	}
	idx := map[id]int{}
	var out []store.Series
	for rows.Next() {
		var (
			sensor     sql.NullString
			day        time.Time
			text       sql.NullString
			proto, num sql.NullInt64
			vals       = make([]sql.NullFloat64, len(p.classes))
			class      string
		)
		dest := []any{&day, &sensor}
		switch q.Dim {
		case store.DimCountry, store.DimSensor:
			dest = append(dest, &text)
		case store.DimPort:
			dest = append(dest, &proto, &num)
		case store.DimASN:
			dest = append(dest, &num)
		}
		var set uint8
		switch {
		case perClass:
			dest = append(dest, &class, &vals[0])
		case bySet:
			dest = append(dest, &set, &vals[0])
		default:
			for i := range vals {
				dest = append(dest, &vals[i])
			}
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("series by %s: %w", q.Dim, err)
		}
		switch {
		case perClass:
			// The value goes to its class's position.
			v := vals[0]
			clear(vals)
			if i := slices.Index(p.classes, class); i >= 0 {
				vals[i] = v
			}
		case bySet:
			// The sources of a class set count under each of its classes.
			v := vals[0]
			for i, c := range p.classes {
				vals[i] = sql.NullFloat64{}
				if uint8(readClassBit(c))&set != 0 {
					vals[i] = v
				}
			}
		}
		var k store.Key
		switch q.Dim {
		case store.DimCountry, store.DimSensor:
			switch {
			case !text.Valid:
				k.Fold = store.FoldOther
			case q.Dim == store.DimCountry:
				k.Country = text.String
			default:
				k.Sensor = text.String
			}
		case store.DimPort:
			k.Proto = uint8(proto.Int64)
			switch {
			case !num.Valid:
				k.Fold = store.FoldOther
			case num.Int64 < 0:
				k.Fold = store.FoldHigh
			default:
				k.Port = uint16(num.Int64)
			}
		case store.DimASN:
			if num.Valid {
				k.ASN = uint32(num.Int64)
			} else {
				k.Fold = store.FoldOther
			}
		}
		d := civil.Of(day).Sub(q.From)
		if d < 0 || d >= n {
			continue
		}
		for i, c := range p.classes {
			if !vals[i].Valid || vals[i].Float64 == 0 {
				continue
			}
			j, ok := idx[id{c, sensor.String, k}]
			if !ok {
				j = len(out)
				idx[id{c, sensor.String, k}] = j
				out = append(out, store.Series{Class: c, Sensor: sensor.String, Key: k, Values: make([]float64, n)})
			}
			out[j].Values[d] += vals[i].Float64
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("series by %s: %w", q.Dim, err)
	}
	slices.SortFunc(out, func(a, b store.Series) int {
		return cmp.Or(cmp.Compare(readClassOrder(a.Class), readClassOrder(b.Class)), cmp.Compare(a.Class, b.Class),
			cmp.Compare(a.Sensor, b.Sensor), compareKeys(a.Key, b.Key))
	})
	return out, nil
}

// keyArgs are the values of a key's columns.
func keyArgs(dim string, k store.Key) []any {
	switch dim {
	case store.DimCountry:
		return []any{k.Country}
	case store.DimPort:
		return []any{int(k.Proto), int(k.Port)}
	case store.DimASN:
		return []any{int64(k.ASN)}
	default:
		return []any{k.Sensor}
	}
}

func compareKeys(a, b store.Key) int {
	return cmp.Or(cmp.Compare(a.Fold, b.Fold), cmp.Compare(a.Country, b.Country), cmp.Compare(a.Sensor, b.Sensor),
		cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Port, b.Port), cmp.Compare(a.ASN, b.ASN), a.Prefix.Addr().Compare(b.Prefix.Addr()))
}

// readClassOrder is the display position of a class (unknown names last).
func readClassOrder(name string) int {
	if c, ok := classify.ParseClass(name); ok {
		return int(c)
	}
	return int(classify.NumClasses)
}

// TopKeys returns the keys that are among the q.N largest of some class by
// total packets or by packets on one day.
func (s *Store) TopKeys(ctx context.Context, q store.TopKeysQuery) ([]store.Key, error) {
	defer s.took("TopKeys", time.Now())
	p, err := planSeries(q.Selection, q.Dim, q.Classes, q.Country, q.Narrow)
	if err != nil {
		return nil, fmt.Errorf("top keys: %w", err)
	}
	if q.N <= 0 {
		return nil, nil
	}
	kc := strings.Join(p.keyCols, ", ")
	var sqlText string
	args := p.args
	plan := s.seriesPlan(q.Dim, q.Country, store.UnitPackets, q.Sensors, false, false)
	if q.Narrow.Any() {
		plan = readPlan{}
	}
	// Class names are checked (planSeries), so they are safe as literals.
	table, sums := p.packetTable, p.sums
	if plan.table != "" {
		table = plan.table
	}
	peak, peakArgs, byPeak := "", []any(nil), false
	if plan.perClass && q.Dim == store.DimPort {
		lo, hi := s.dataDays(ctx)
		peak, peakArgs, byPeak = s.topPortsByPeak(topKeysArgs{sensors: q.Sensors, from: q.From, to: q.To,
			classes: p.classes, where: p.where, args: p.args, n: q.N, dataFrom: lo, dataTo: hi})
	}
	switch {
	case byPeak:
		sqlText, args = peak, peakArgs
	case plan.perClass:
		// One sum per day, class and key over the rollup's class
		// column (one grouping with a single sum costs less than a sum
		// filtered per class), then each key's total and busiest day
		// per class, ranked within each class.
		lits := make([]string, len(p.classes))
		for i, c := range p.classes {
			lits[i] = "'" + c + "'"
		}
		sqlText = `WITH d AS (SELECT h.day, h.class, ` + strings.Join(p.hk, ", ") + `, sum(h.packets) AS v FROM ` + table + ` h` + p.where +
			` AND h.class IN (` + strings.Join(lits, ", ") + `) GROUP BY ALL),
		t AS (SELECT class, ` + kc + `, sum(v) AS t, max(v) AS p FROM d GROUP BY ALL)
		` + topByClass(q.Dim, kc, q.N, "t", "t")
	default:
		var cols, ranks, agg []string
		for i := range p.classes {
			cols = append(cols, fmt.Sprintf("%s AS v%d", sums[i], i))
			ranks = append(ranks, fmt.Sprintf(`SELECT %[1]s FROM t WHERE t%[2]d > 0
			QUALIFY row_number() OVER (ORDER BY t%[2]d DESC, %[1]s) <= %[3]d OR row_number() OVER (ORDER BY p%[2]d DESC, %[1]s) <= %[3]d`, kc, i, q.N))
			agg = append(agg, fmt.Sprintf("coalesce(sum(v%[1]d), 0) AS t%[1]d, coalesce(max(v%[1]d), 0) AS p%[1]d", i))
		}
		sqlText = `WITH d AS (SELECT h.day, ` + strings.Join(p.hk, ", ") + `, ` + strings.Join(cols, ", ") + ` FROM ` + table + ` h` + p.where + ` GROUP BY ALL),
		t AS (SELECT ` + kc + `, ` + strings.Join(agg, ", ") + ` FROM d GROUP BY ALL)
		` + strings.Join(ranks, " UNION ") + ` ORDER BY ALL`
	}
	rows, err := s.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("top keys: %w", err)
	}
	defer rows.Close()
	var out []store.Key
	for rows.Next() {
		var k store.Key
		var text sql.NullString
		var proto, num sql.NullInt64
		var err error
		switch q.Dim {
		case store.DimCountry, store.DimSensor:
			err = rows.Scan(&text)
		case store.DimPort:
			err = rows.Scan(&proto, &num)
		default:
			err = rows.Scan(&num)
		}
		if err != nil {
			return nil, fmt.Errorf("top keys: %w", err)
		}
		switch q.Dim {
		case store.DimCountry:
			k.Country = text.String
		case store.DimSensor:
			k.Sensor = text.String
		case store.DimPort:
			k.Proto, k.Port = uint8(proto.Int64), uint16(num.Int64)
		default:
			k.ASN = uint32(num.Int64)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("top keys: %w", err)
	}
	return out, nil
}

// topByClass is the SQL of TopKeys' answer from the tables totals (columns
// class, the key columns kc and t, the key's packets) and peaks (class, kc
// and p, its busiest day's packets; often the same table): the distinct keys
// among the first n of each class by t and by p (more first, then the key
// ascending), ordered. A numeric key is ranked with max_by(key, score, n),
// which keeps the first n of each class as it reads; the score orders by
// value, then by key ascending (key below 2^bits). Text keys (countries,
// sensors; a few hundred) are ranked with a window, which sorts them all.
func topByClass(dim, kc string, n int, totals, peaks string) string {
	key, bits := "", ""
	switch dim {
	case store.DimPort:
		key, bits = "(proto * 65536 + port)", "16777216"
	case store.DimASN:
		key, bits = "asn", "4294967296"
	}
	ns := strconv.Itoa(n)
	if key == "" {
		return `SELECT DISTINCT ` + kc + ` FROM (SELECT ` + kc + ` FROM ` + totals + ` WHERE t > 0 QUALIFY row_number() OVER (PARTITION BY class ORDER BY t DESC, ` + kc + `) <= ` + ns + `
			UNION ALL SELECT ` + kc + ` FROM ` + peaks + ` WHERE p > 0 QUALIFY row_number() OVER (PARTITION BY class ORDER BY p DESC, ` + kc + `) <= ` + ns + `) ORDER BY ALL`
	}
	top := func(val, from string) string {
		return `SELECT unnest(max_by(` + key + `, CAST(` + val + ` AS HUGEINT) * ` + bits + ` + (` + bits + ` - 1 - ` + key + `), ` + ns + `)) AS k
			FROM ` + from + ` WHERE ` + val + ` > 0 GROUP BY class`
	}
	out := "k AS asn"
	if dim == store.DimPort {
		out = "k // 65536 AS proto, k % 65536 AS port"
	}
	return `SELECT DISTINCT ` + out + ` FROM (` + top("t", totals) + ` UNION ALL ` + top("p", peaks) + `) ORDER BY ALL`
}

// HighPorts counts, per class and protocol, the distinct destination ports
// from `from` up hit over sel.
func (s *Store) HighPorts(ctx context.Context, sel store.Selection, from int) ([]store.HighPorts, error) {
	defer s.took("HighPorts", time.Now())
	sf, sargs := readSensorFilter("h.sensor", sel.Sensors)
	dr, dargs := readDays("h.day", sel.From, sel.To)
	args := append(append(dargs, from), sargs...)
	// A port is in rollup_day_port under a class on the days it had
	// packets of that class.
	sqlText := `SELECT h.class, h.proto, count(DISTINCT h.port) FROM rollup_day_port h WHERE` + dr + ` AND h.port >= ?` + sf + ` GROUP BY ALL ORDER BY ALL`
	if s.rawReads {
		sqlText = `SELECT c.name, h.proto, count(DISTINCT h.port)` + readPortClassJoin + `WHERE` + dr + ` AND h.port >= ?` + sf + ` GROUP BY ALL ORDER BY ALL`
	} else if q, qargs, ok := highPortsByBlock(sel, from); ok {
		sqlText, args = q, qargs
	}
	rows, err := s.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("high ports: %w", err)
	}
	defer rows.Close()
	var out []store.HighPorts
	for rows.Next() {
		var h store.HighPorts
		if err := rows.Scan(&h.Class, &h.Proto, &h.Ports); err != nil {
			return nil, fmt.Errorf("high ports: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("high ports: %w", err)
	}
	return out, nil
}
