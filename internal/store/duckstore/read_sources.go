package duckstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// DistinctSources returns the distinct sources of each of qs: of its class
// and key over its days, at its sensor (or at every one of sensors). One
// query answers them all. Queries of unknown dimensions or classes count 0.
func (s *Store) DistinctSources(ctx context.Context, sensors []string, qs []store.KeyDays) ([]float64, error) {
	defer s.took("DistinctSources", time.Now())
	out := make([]float64, len(qs))
	done, err := s.distinctSourcesByLinks(ctx, sensors, qs, out)
	if err != nil {
		return nil, err
	}
	sf, sargs := readSensorFilter("h.sensor", sensors)
	var parts []string
	var args []any
	add := func(table, cols, on string, idx []int, vals [][]any) {
		if len(vals) == 0 {
			return
		}
		lo, hi := qs[idx[0]].From, qs[idx[0]].To
		for _, i := range idx {
			lo, hi = min(lo, qs[i].From), max(hi, qs[i].To)
		}
		tuple := "(?, ?, ?, CAST(? AS DATE), CAST(? AS DATE)" + strings.Repeat(", ?", strings.Count(cols, ",")+1) + ")"
		list := strings.TrimSuffix(strings.Repeat(tuple+", ", len(vals)), ", ")
		dr, dargs := readDays("h.day", lo, hi)
		parts = append(parts, `SELECT w.i, CAST(count(DISTINCT h.skey) AS DOUBLE) FROM `+table+
			` h JOIN classes c ON (h.classes & c.bit) <> 0 JOIN (VALUES `+list+`) w(i, class, sensor, first, last, `+cols+`)
			ON w.class = c.name AND `+on+` AND h.day BETWEEN w.first AND w.last AND (w.sensor = '' OR w.sensor = h.sensor)
			WHERE`+dr+sf+` GROUP BY w.i`)
		for _, v := range vals {
			args = append(args, v...)
		}
		args = append(args, dargs...)
		args = append(args, sargs...)
	}
	var cc, pp, aa, rp [][]any
	var ci, pi, ai []int
	for i, q := range qs {
		if _, ok := classify.ParseClass(q.Class); !ok || q.To < q.From || done[i] {
			continue
		}
		head := []any{i, q.Class, q.Sensor, readDayArg(q.From), readDayArg(q.To)}
		switch q.Dim {
		case store.DimCountry:
			cc, ci = append(cc, append(head, q.Key.Country)), append(ci, i)
		case store.DimPort:
			// One day at one sensor is one rollup_day_port key, whose
			// sources add up.
			sensor := q.Sensor
			if sensor == "" && oneSensor(sensors) {
				sensor = sensors[0]
			}
			if !s.rawReads && q.From == q.To && sensor != "" {
				rp = append(rp, []any{i, q.Class, sensor, readDayArg(q.From), int(q.Key.Proto), int(q.Key.Port)})
				continue
			}
			pp, pi = append(pp, append(head, int(q.Key.Proto), int(q.Key.Port))), append(pi, i)
		case store.DimASN:
			aa, ai = append(aa, append(head, int64(q.Key.ASN))), append(ai, i)
		}
	}
	// Country and AS belong to a source-day: rollup_source_day (or the
	// sources table) answers.
	srcTable := "rollup_source_day"
	if s.rawReads {
		srcTable = "sources"
	}
	add(srcTable, "country", "w.country = h.country", ci, cc)
	add("port_hits", "proto, port", "w.proto = h.proto AND w.port = h.port", pi, pp)
	add(srcTable, "asn", "w.asn = h.asn", ai, aa)
	if len(rp) > 0 {
		lo, hi := qs[rp[0][0].(int)].From, qs[rp[0][0].(int)].From
		for _, v := range rp {
			lo, hi = min(lo, qs[v[0].(int)].From), max(hi, qs[v[0].(int)].From)
		}
		dr, dargs := readDays("h.day", lo, hi)
		list := strings.TrimSuffix(strings.Repeat("(?, ?, ?, CAST(? AS DATE), ?, ?), ", len(rp)), ", ")
		parts = append(parts, `SELECT w.i, CAST(sum(h.sources) AS DOUBLE) FROM rollup_day_port h JOIN (VALUES `+list+`) w(i, class, sensor, day, proto, port)
			ON h.class = w.class AND h.sensor = w.sensor AND h.day = w.day AND h.proto = w.proto AND h.port = w.port
			WHERE`+dr+sf+` GROUP BY w.i`)
		for _, v := range rp {
			args = append(args, v...)
		}
		args = append(append(args, dargs...), sargs...)
	}
	if len(parts) == 0 {
		return out, nil
	}
	rows, err := s.db.QueryContext(ctx, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return nil, fmt.Errorf("distinct sources: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var v float64
		if err := rows.Scan(&i, &v); err != nil {
			return nil, fmt.Errorf("distinct sources: %w", err)
		}
		if i >= 0 && i < len(out) {
			out[i] = v
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("distinct sources: %w", err)
	}
	return out, nil
}

// readSeriesFilter restricts hits to one class and key over q's days.
func readSeriesFilter(q store.BreakdownQuery) (string, []any, error) {
	if _, ok := classify.ParseClass(q.Class); !ok {
		return "", nil, fmt.Errorf("unknown class %q (one of %s)", q.Class, strings.Join(classify.Names(), ", "))
	}
	if q.To < q.From {
		return "", nil, fmt.Errorf("days end (%s) before they start (%s)", q.To, q.From)
	}
	sf, sargs := readSensorFilter("h.sensor", q.Sensors)
	dr, dargs := readDays("h.day", q.From, q.To)
	where := ` WHERE c.name = ? AND` + dr + sf
	args := append(append([]any{q.Class}, dargs...), sargs...)
	switch q.Dim {
	case store.DimCountry:
		where += " AND h.country = ?"
		args = append(args, q.Key.Country)
	case store.DimPort:
		where += " AND h.proto = ? AND h.port = ?"
		args = append(args, int(q.Key.Proto), int(q.Key.Port))
	case store.DimASN:
		where += " AND h.asn = ?"
		args = append(args, int64(q.Key.ASN))
	default:
		return "", nil, fmt.Errorf("unknown dimension %q (country, port or asn)", q.Dim)
	}
	return where, args, nil
}

// TopSources returns the n sources that sent most packets in q's series
// over its days.
func (s *Store) TopSources(ctx context.Context, q store.BreakdownQuery, n int) ([]store.SourcePackets, error) {
	defer s.took("TopSources", time.Now())
	where, args, err := readSeriesFilter(q)
	if err != nil {
		return nil, fmt.Errorf("top sources: %w", err)
	}
	if n <= 0 {
		return nil, nil
	}
	sqlText := `SELECT h.src, CAST(sum(h.packets) AS DOUBLE) AS p` + readClassJoin + where +
		` GROUP BY h.src ORDER BY p DESC, h.src LIMIT ` + strconv.Itoa(n)
	if !s.rawReads {
		// The packets per source key come from rollup_source_day (country,
		// AS) or port_hits (ports), which need no join with the sources
		// table; the addresses of the keys that can make the top (ties
		// with the n-th included) are then looked up there.
		table := "rollup_source_day"
		if q.Dim == store.DimPort {
			table = "port_hits"
		}
		sf, sargs := readSensorFilter("a.sensor", q.Sensors)
		dr, dargs := readDays("a.day", q.From, q.To)
		sqlText = `WITH p AS (SELECT h.skey, sum(h.packets) AS p FROM ` + table + ` h JOIN classes c ON (h.classes & c.bit) <> 0` + where +
			` GROUP BY h.skey QUALIFY rank() OVER (ORDER BY p DESC) <= ` + strconv.Itoa(n) + `),
			a AS (SELECT DISTINCT a.skey, a.src FROM sources a WHERE` + dr + sf + ` AND a.skey IN (SELECT skey FROM p))
			SELECT a.src, CAST(p.p AS DOUBLE) AS p FROM p JOIN a ON a.skey = p.skey ORDER BY p DESC, a.src LIMIT ` + strconv.Itoa(n)
		args = append(append(slices.Clone(args), dargs...), sargs...)
	}
	rows, err := s.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, fmt.Errorf("top sources: %w", err)
	}
	defer rows.Close()
	var out []store.SourcePackets
	for rows.Next() {
		var sp store.SourcePackets
		if err := rows.Scan(&sp.Addr, &sp.Packets); err != nil {
			return nil, fmt.Errorf("top sources: %w", err)
		}
		out = append(out, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("top sources: %w", err)
	}
	return out, nil
}

// SourceDays returns what the store holds of addr per day over sel.
func (s *Store) SourceDays(ctx context.Context, addr netip.Addr, sel store.Selection) ([]store.SourceDay, error) {
	defer s.took("SourceDays", time.Now())
	if !addr.IsValid() {
		return nil, fmt.Errorf("source days: no address")
	}
	src := addr.Unmap().String()
	sf, sargs := readSensorFilter("sensor", sel.Sensors)
	dr, dargs := readDays("day", sel.From, sel.To)
	args := append(append([]any{src}, dargs...), sargs...)
	// The key first: DuckDB skips the row groups of other keys (src is
	// computed by the view sources from the key).
	key := " skey = " + strconv.FormatUint(SourceKey(addr), 10) + " AND"
	rows, err := s.db.QueryContext(ctx, `SELECT day, string_agg(DISTINCT sensor, chr(0) ORDER BY sensor), any_value(country), any_value(asn),
		coalesce(max(as_org), ''), CAST(sum(packets) AS UBIGINT), CAST(sum(bytes) AS UBIGINT), bit_or(classes), min(first_seen), max(last_seen)
		FROM sources WHERE`+key+` src = ? AND`+dr+sf+` GROUP BY day ORDER BY day`, args...)
	if err != nil {
		return nil, fmt.Errorf("source days of %s: %w", src, err)
	}
	defer rows.Close()
	var out []store.SourceDay
	byDay := map[civil.Day]int{}
	for rows.Next() {
		var (
			d        store.SourceDay
			day      time.Time
			sensors  string
			country  sql.NullString
			asn      sql.NullInt64
			classes  uint8
			fst, lst sql.NullTime
		)
		if err := rows.Scan(&day, &sensors, &country, &asn, &d.Org, &d.Packets, &d.Bytes, &classes, &fst, &lst); err != nil {
			return nil, fmt.Errorf("source days of %s: %w", src, err)
		}
		d.Day = civil.Of(day)
		d.Sensors = strings.Split(sensors, "\x00")
		d.Country, d.ASN = country.String, uint32(asn.Int64)
		for c := classify.Class(0); c < classify.NumClasses; c++ {
			if classify.Tags(classes).Has(c) {
				d.Classes = append(d.Classes, c.String())
			}
		}
		if fst.Valid {
			d.First = fst.Time.UTC()
		}
		if lst.Valid {
			d.Last = lst.Time.UTC()
		}
		byDay[d.Day] = len(out)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("source days of %s: %w", src, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	prows, err := s.db.QueryContext(ctx, `SELECT day, proto, port, CAST(sum(packets) AS UBIGINT) AS p FROM hits
		WHERE`+key+` src = ? AND`+dr+sf+` GROUP BY ALL ORDER BY day, p DESC, proto, port`, args...)
	if err != nil {
		return nil, fmt.Errorf("ports of %s: %w", src, err)
	}
	defer prows.Close()
	for prows.Next() {
		var day time.Time
		var pp store.PortPackets
		if err := prows.Scan(&day, &pp.Proto, &pp.Port, &pp.Packets); err != nil {
			return nil, fmt.Errorf("ports of %s: %w", src, err)
		}
		if i, ok := byDay[civil.Of(day)]; ok {
			out[i].Ports = append(out[i].Ports, pp)
		}
	}
	if err := prows.Err(); err != nil {
		return nil, fmt.Errorf("ports of %s: %w", src, err)
	}
	if err := s.sourcePortsExploits(ctx, src, dr+sf, args, byDay, out); err != nil {
		return nil, err
	}
	for i := range out {
		slices.Sort(out[i].Sensors)
	}
	return out, nil
}

// sourcePortsExploits fills the source port state and exploit matches of
// a source's days (where and args select the source, days and sensors).
func (s *Store) sourcePortsExploits(ctx context.Context, src, where string, args []any, byDay map[civil.Day]int, out []store.SourceDay) error {
	rows, err := s.db.QueryContext(ctx, `SELECT day, bool_and(single_src_port) AND count(DISTINCT src_port) = 1, coalesce(any_value(src_port), 0)
		FROM source_days WHERE src = ? AND`+where+` GROUP BY day`, args...)
	if err != nil {
		return fmt.Errorf("source ports of %s: %w", src, err)
	}
	defer rows.Close()
	for rows.Next() {
		var day time.Time
		var fixed sql.NullBool
		var port int32
		if err := rows.Scan(&day, &fixed, &port); err != nil {
			return fmt.Errorf("source ports of %s: %w", src, err)
		}
		if i, ok := byDay[civil.Of(day)]; ok && fixed.Bool && port >= 0 && port <= 65535 {
			out[i].FixedSrcPort, out[i].SrcPort = true, uint16(port)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("source ports of %s: %w", src, err)
	}
	erows, err := s.db.QueryContext(ctx, `SELECT day, coalesce(pattern, ''), proto, port, CAST(sum(packets) AS UBIGINT) AS p FROM exploits
		WHERE src = ? AND`+where+` GROUP BY ALL ORDER BY day, p DESC, 2, proto, port`, args...)
	if err != nil {
		return fmt.Errorf("exploits of %s: %w", src, err)
	}
	defer erows.Close()
	for erows.Next() {
		var day time.Time
		var e store.PatternPackets
		if err := erows.Scan(&day, &e.Pattern, &e.Proto, &e.Port, &e.Packets); err != nil {
			return fmt.Errorf("exploits of %s: %w", src, err)
		}
		if i, ok := byDay[civil.Of(day)]; ok && len(out[i].Exploits) < maxSourceExploits {
			out[i].Exploits = append(out[i].Exploits, e)
		}
	}
	if err := erows.Err(); err != nil {
		return fmt.Errorf("exploits of %s: %w", src, err)
	}
	return nil
}

// maxSourceExploits bounds the exploit matches of one source's day.
const maxSourceExploits = 100
