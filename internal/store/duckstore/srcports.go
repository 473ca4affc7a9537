package duckstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
)

// srcPortSchema is the migration of the source-port study: the histogram
// bins of each confined source per ingest and day (srcport_counts; kind 0
// source port, 1 destination port, 2 the destination ports beyond those
// kept), and what each ingest's collection kept and left out
// (srcport_ingests).
var srcPortSchema = []string{
	`CREATE TABLE IF NOT EXISTS srcport_counts (
		ingest_id INTEGER, day DATE, sensor VARCHAR, src VARCHAR, kind UTINYINT, proto UTINYINT,
		port USMALLINT, packets UBIGINT)`,
	`CREATE TABLE IF NOT EXISTS srcport_ingests (
		ingest_id INTEGER, sensor VARCHAR, k USMALLINT, packets UBIGINT, dropped UBIGINT,
		confined INTEGER, many INTEGER, few INTEGER)`,
}

func init() {
	// The rows carry the ingest id: they go with the ingest when it is
	// replaced, as the evidence does.
	evidenceTables = append(evidenceTables, "srcport_counts", "srcport_ingests")
}

var (
	_ store.SrcPortTx     = (*Tx)(nil)
	_ store.SrcPortStore  = (*Store)(nil)
	_ store.SrcPortRanker = (*Store)(nil)
)

// AppendSrcPorts implements store.SrcPortTx.
func (t *Tx) AppendSrcPorts(ctx context.Context, p *srcports.Part, sensor string) error {
	if p == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errors.New("transaction already finished")
	}
	return t.raw(ctx, func(conn *duckdb.Conn) error {
		if err := execConn(ctx, conn, `INSERT INTO srcport_ingests VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.id, sensor, uint16(p.K), p.Packets, p.Dropped, int32(p.Confined), int32(p.Many), int32(p.Few)); err != nil {
			return fmt.Errorf("source ports: %w", err)
		}
		var last netip.Addr
		var text string
		if err := appendRows(conn, "srcport_counts", len(p.Rows), func(i int) []driver.Value {
			r := &p.Rows[i]
			if r.Src != last || text == "" {
				last, text = r.Src, r.Src.String()
			}
			return []driver.Value{t.id, r.Day.Time(), sensor, text, r.Kind, r.Proto, r.Port, r.Packets}
		}); err != nil {
			return fmt.Errorf("source ports: %w", err)
		}
		return nil
	})
}

// srcPortWhere is the condition on srcport_counts c of q (without Net,
// filtered in Go, but with a text prefix for octet-aligned IPv4 prefixes).
func srcPortWhere(q store.SrcPortQuery) (string, []any) {
	w := []string{"true"}
	var args []any
	if q.From != 0 {
		w = append(w, "c.day >= ?")
		args = append(args, q.From.Time())
	}
	if q.To != 0 {
		w = append(w, "c.day <= ?")
		args = append(args, q.To.Time())
	}
	in := func(col string, vs []string, not bool) {
		if len(vs) == 0 {
			return
		}
		op := " IN ("
		if not {
			op = " NOT IN ("
		}
		w = append(w, col+op+strings.TrimSuffix(strings.Repeat("?, ", len(vs)), ", ")+")")
		for _, v := range vs {
			args = append(args, v)
		}
	}
	in("c.sensor", q.Sensors, false)
	in("c.sensor", q.Exclude, true)
	if q.Run != 0 {
		w = append(w, `c.ingest_id IN (SELECT i.id FROM ingests i JOIN sandbox_runs r ON r.id = ? AND i.sensor = r.sensor
			WHERE i.first_ts >= r.started - INTERVAL 1 MINUTE
			AND i.last_ts <= r.started + to_milliseconds(r.duration_ms + 60000))`)
		args = append(args, q.Run)
	}
	if q.Src.IsValid() {
		w = append(w, "c.src = ?")
		args = append(args, q.Src.Unmap().String())
	}
	if q.Srcs != nil {
		if len(q.Srcs) == 0 {
			w = append(w, "false")
		} else {
			w = append(w, "c.src IN ("+strings.TrimSuffix(strings.Repeat("?, ", len(q.Srcs)), ", ")+")")
			for _, a := range q.Srcs {
				args = append(args, a.Unmap().String())
			}
		}
	}
	if q.Net.IsValid() && q.Net.Addr().Is4() && q.Net.Bits()%8 == 0 && q.Net.Bits() > 0 {
		b := q.Net.Masked().Addr().As4()
		var parts []string
		for i := 0; i < q.Net.Bits()/8; i++ {
			parts = append(parts, strconv.Itoa(int(b[i])))
		}
		pre := strings.Join(parts, ".")
		if len(parts) < 4 {
			pre += "."
		}
		w = append(w, "starts_with(c.src, ?)")
		args = append(args, pre)
	}
	if q.ASN != 0 || q.Country != "" {
		cond := []string{"s.ingest_id = c.ingest_id", "s.day = c.day", "s.sensor = c.sensor", "s.src = c.src"}
		if q.ASN != 0 {
			cond = append(cond, "s.asn = ?")
			args = append(args, q.ASN)
		}
		if q.Country != "" {
			cond = append(cond, "s.country = ?")
			args = append(args, strings.ToUpper(q.Country))
		}
		w = append(w, "EXISTS (SELECT 1 FROM sources s WHERE "+strings.Join(cond, " AND ")+")")
	}
	if len(q.Used) > 0 {
		var or []string
		for _, k := range q.Used {
			or = append(or, "(u.proto = ? AND u.port = ?)")
			args = append(args, k.Proto, k.Port)
		}
		w = append(w, `EXISTS (SELECT 1 FROM srcport_counts u WHERE u.ingest_id = c.ingest_id AND u.day = c.day
			AND u.sensor = c.sensor AND u.src = c.src AND u.kind = 0 AND (`+strings.Join(or, " OR ")+`))`)
	}
	return " " + strings.Join(w, " AND "), args
}

// SrcPortObs implements store.SrcPortStore.
func (s *Store) SrcPortObs(ctx context.Context, q store.SrcPortQuery) ([]srcports.Obs, bool, error) {
	defer s.took("SrcPortObs", time.Now())
	limit := q.Limit
	if limit <= 0 || limit > store.MaxSrcPortObs {
		limit = store.MaxSrcPortObs
	}
	if q.Net.IsValid() {
		// The prefix is filtered in Go: every bin of q is read.
		return s.srcPortObs(ctx, q, limit, 0)
	}
	// The answer is ordered by day first, and a day has at most as many
	// bins as rows: only the first days whose rows reach limit+1 can hold
	// the first limit+1 bins. When bins of several ingests coincide those
	// days hold fewer, and the days are widened until they hold enough or
	// are all of q's.
	days, err := s.srcPortDayRows(ctx, q)
	if err != nil {
		return nil, false, err
	}
	need := int64(limit) + 1
	for {
		var upTo civil.Day
		var n int64
		all := true
		for i, d := range days {
			if n += d.rows; n >= need {
				upTo, all = d.day, i == len(days)-1
				break
			}
		}
		if all {
			return s.srcPortObs(ctx, q, limit, 0)
		}
		out, cut, err := s.srcPortObs(ctx, q, limit, upTo)
		if err != nil || cut {
			return out, cut, err
		}
		// Days through upTo hold len(out) bins; the others must come
		// from later days, each with at least as many rows as bins.
		need = n + int64(limit) + 1 - int64(len(out))
	}
}

// srcPortDay is the number of srcport_counts rows of one day.
type srcPortDay struct {
	day  civil.Day
	rows int64
}

// srcPortDayRows counts q's rows per day, in day order.
func (s *Store) srcPortDayRows(ctx context.Context, q store.SrcPortQuery) ([]srcPortDay, error) {
	w, args := srcPortWhere(q)
	rows, err := s.db.QueryContext(ctx, `SELECT c.day, count(*) FROM srcport_counts c WHERE`+w+` GROUP BY c.day ORDER BY c.day`, args...)
	if err != nil {
		return nil, fmt.Errorf("source ports: %w", err)
	}
	defer rows.Close()
	var out []srcPortDay
	for rows.Next() {
		var day time.Time
		var d srcPortDay
		if err := rows.Scan(&day, &d.rows); err != nil {
			return nil, fmt.Errorf("source ports: %w", err)
		}
		d.day = civil.Of(day)
		out = append(out, d)
	}
	return out, rows.Err()
}

// srcPortObs returns the first limit bins of q up to day upTo (0: every
// day of q), and whether there were more.
func (s *Store) srcPortObs(ctx context.Context, q store.SrcPortQuery, limit int, upTo civil.Day) ([]srcports.Obs, bool, error) {
	if upTo != 0 && (q.To == 0 || upTo < q.To) {
		q.To = upTo
	}
	w, args := srcPortWhere(q)
	// Without a prefix (filtered in Go) only the first limit+1 bins in
	// the answer's order can be returned: those bins' rows alone are
	// joined with their places (each bin is one answer row or more, so
	// the answer's first limit+1 rows are among theirs).
	cut := ""
	if !q.Net.IsValid() {
		cut = `, top AS (SELECT day, sensor, src, kind, proto, port FROM c0 GROUP BY ALL
			ORDER BY day, sensor, src, kind, proto, port LIMIT ?),
		c AS (SELECT c0.* FROM c0 SEMI JOIN top t ON t.day = c0.day AND t.sensor = c0.sensor AND t.src = c0.src
			AND t.kind = c0.kind AND t.proto = c0.proto AND t.port = c0.port)`
		args = append(args, limit+1)
	} else {
		cut = `, c AS (SELECT * FROM c0)`
	}
	// The places of the selected sources only, found by source key in
	// source_rows (an IPv4 address's key is its 32-bit value; an IPv6
	// row keeps its address as text): the sources view would build the
	// text address of every row of those days.
	sqlText := `WITH c0 AS (SELECT * FROM srcport_counts c WHERE` + w + `)` + cut + `,
		k AS (SELECT DISTINCT ingest_id, day, sensor, src FROM c),
		k4 AS (SELECT ingest_id, day, sensor, src, (CAST(split_part(src, '.', 1) AS UBIGINT) << 24)
				| (CAST(split_part(src, '.', 2) AS UBIGINT) << 16) | (CAST(split_part(src, '.', 3) AS UBIGINT) << 8)
				| CAST(split_part(src, '.', 4) AS UBIGINT) AS skey
			FROM k WHERE NOT contains(src, ':')),
		g AS (SELECT k4.ingest_id, k4.day, k4.sensor, k4.src, any_value(p.country) AS country, any_value(r.asn) AS asn
			FROM k4 JOIN source_rows r ON r.ingest_id = k4.ingest_id AND r.day = k4.day AND r.sensor = k4.sensor
				AND r.skey = k4.skey AND r.src6 IS NULL
			JOIN places p ON p.code = r.place GROUP BY ALL
			UNION ALL
			SELECT k.ingest_id, k.day, k.sensor, k.src, any_value(p.country) AS country, any_value(r.asn) AS asn
			FROM k JOIN source_rows r ON r.ingest_id = k.ingest_id AND r.day = k.day AND r.sensor = k.sensor AND r.src6 = k.src
			JOIN places p ON p.code = r.place WHERE contains(k.src, ':') GROUP BY ALL)
		SELECT CAST(c.day - DATE '1970-01-01' AS INTEGER), c.sensor, c.src, coalesce(g.country, ''), CAST(coalesce(g.asn, 0) AS UINTEGER),
			c.kind, c.proto, c.port, CAST(sum(c.packets) AS UBIGINT)
		FROM c LEFT JOIN g ON g.ingest_id = c.ingest_id AND g.day = c.day AND g.sensor = c.sensor AND g.src = c.src
		GROUP BY ALL ORDER BY 1, 2, 3, 6, 7, 8`
	// The rows are read from the driver directly (500,000 bins through
	// database/sql's conversions cost more than the query), and they come
	// by source: each address is parsed once.
	var out []srcports.Obs
	truncated, lastSrc := false, ""
	var a netip.Addr
	srcOK := false
	err := s.withConn(ctx, func(conn *duckdb.Conn) error {
		return connRunner{ctx, conn}.query(sqlText, args, func(v []driver.Value) error {
			day, ok0 := v[0].(int32)
			sensor, ok1 := v[1].(string)
			src, ok2 := v[2].(string)
			country, ok3 := v[3].(string)
			asn, ok4 := v[4].(uint32)
			kind, ok5 := v[5].(uint8)
			proto, ok6 := v[6].(uint8)
			port, ok7 := v[7].(uint16)
			packets, ok8 := v[8].(uint64)
			if !(ok0 && ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8) {
				return fmt.Errorf("unexpected row %T %T %T %T %T %T %T %T %T", v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8])
			}
			if src != lastSrc || lastSrc == "" {
				lastSrc = src
				var err error
				a, err = netip.ParseAddr(src)
				srcOK = err == nil
			}
			if !srcOK || q.Net.IsValid() && !q.Net.Contains(a) {
				return nil
			}
			if len(out) == limit {
				truncated = true
				return errEnough
			}
			out = append(out, srcports.Obs{Day: civil.Day(day), Sensor: sensor, Src: a, Country: country, ASN: asn,
				Kind: kind, Proto: proto, Port: port, Packets: packets})
			return nil
		})
	})
	if err != nil && !errors.Is(err, errEnough) {
		return nil, false, fmt.Errorf("source ports: %w", err)
	}
	return out, truncated, nil
}

// errEnough stops reading rows once enough are read.
var errEnough = errors.New("enough rows")

// SrcPortDays implements store.SrcPortStore.
func (s *Store) SrcPortDays(ctx context.Context, from, to civil.Day, sensors []string) (map[civil.Day]int, error) {
	defer s.took("SrcPortDays", time.Now())
	w, args := srcPortWhere(store.SrcPortQuery{From: from, To: to, Sensors: sensors})
	rows, err := s.db.QueryContext(ctx, `SELECT day, count(*) FROM (SELECT DISTINCT c.day, c.sensor, c.src
		FROM srcport_counts c WHERE`+w+`) GROUP BY day`, args...)
	if err != nil {
		return nil, fmt.Errorf("source ports: %w", err)
	}
	defer rows.Close()
	out := map[civil.Day]int{}
	for rows.Next() {
		var day time.Time
		var n int64
		if err := rows.Scan(&day, &n); err != nil {
			return nil, fmt.Errorf("source ports: %w", err)
		}
		out[civil.Of(day)] = int(n)
	}
	return out, rows.Err()
}

// srcPortCandidates is how many sources by packets SrcPortTop first
// counts the days of: enough, in the stores measured, for the first of
// minDays days to be among them (BENCHMARKS.md, "Source-port study
// ranked in the store").
var srcPortCandidates = 256

// SrcPortTop implements store.SrcPortRanker. The packets of every source
// are summed in one grouping; the days (a distinct count per source, which
// costs three times the sum over a month of bins) only of the sources
// with at least the packets of the k-th, k = max(n, srcPortCandidates),
// ties included. When none of them has minDays days and there are more
// sources, k grows eightfold: a source left out has fewer packets than
// every candidate, so the first candidate of minDays days is the first
// of all.
func (s *Store) SrcPortTop(ctx context.Context, q store.SrcPortQuery, n, minDays int) (store.SrcPortRanking, error) {
	defer s.took("SrcPortTop", time.Now())
	if q.Net.IsValid() {
		return store.SrcPortRanking{}, errors.New("source ports: a ranking of a prefix is not kept (use SrcPortObs)")
	}
	n = max(n, 1)
	w, wargs := srcPortWhere(q)
	sqlText := `WITH t AS MATERIALIZED (SELECT c.src, CAST(sum(CASE WHEN c.kind = ` + strconv.Itoa(int(srcports.KindSrc)) + `
			THEN c.packets ELSE 0 END) AS UBIGINT) AS p FROM srcport_counts c WHERE` + w + ` GROUP BY c.src),
		cand AS MATERIALIZED (SELECT src, p FROM t WHERE p >= coalesce((SELECT p FROM t ORDER BY p DESC LIMIT 1 OFFSET ?), 0)),
		d AS (SELECT c.src, count(DISTINCT c.day) AS d FROM srcport_counts c SEMI JOIN cand ON cand.src = c.src WHERE` + w + ` GROUP BY c.src)
		SELECT (SELECT count(*) FROM t), cand.src, cand.p, coalesce(d.d, 0) FROM cand LEFT JOIN d ON d.src = cand.src`
	for k := max(n, srcPortCandidates); ; k *= 8 {
		args := append(append(append([]any{}, wargs...), k-1), wargs...)
		rows, err := s.db.QueryContext(ctx, sqlText, args...)
		if err != nil {
			return store.SrcPortRanking{}, fmt.Errorf("source ports: %w", err)
		}
		var rk store.SrcPortRanking
		var cands []store.SrcPortTotal
		read := 0
		for rows.Next() {
			read++
			var src string
			var t store.SrcPortTotal
			var total, days int64
			if err := rows.Scan(&total, &src, &t.Packets, &days); err != nil {
				rows.Close()
				return store.SrcPortRanking{}, fmt.Errorf("source ports: %w", err)
			}
			a, err := netip.ParseAddr(src)
			if err != nil {
				continue // SrcPortObs leaves out what does not parse too
			}
			t.Src, t.Days, rk.Sources = a, int(days), int(total)
			cands = append(cands, t)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return store.SrcPortRanking{}, fmt.Errorf("source ports: %w", err)
		}
		long := read >= rk.Sources
		for _, t := range cands {
			long = long || t.Days >= minDays
		}
		if long {
			store.SortSrcPortTotals(cands)
			rk.Top = store.CutSrcPortTotals(cands, n, minDays)
			return rk, nil
		}
	}
}
