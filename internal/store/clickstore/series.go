package clickstore

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// keyCols are a dimension's key columns as SQL: strings for country and
// sensor, Int64 for the rest.
func keyCols(dim string) ([]string, error) {
	switch dim {
	case store.DimCountry:
		return []string{"country"}, nil
	case store.DimPort:
		return []string{"toInt64(proto)", "toInt64(port)"}, nil
	case store.DimASN:
		return []string{"toInt64(asn)"}, nil
	case store.DimSensor:
		return []string{"sensor"}, nil
	}
	return nil, fmt.Errorf("unknown dimension %q (country, port, asn or sensor)", dim)
}

// dimNeeds is the columns a dimension's keys are in.
func dimNeeds(dim string) uint8 {
	switch dim {
	case store.DimPort:
		return needPort
	case store.DimCountry, store.DimASN:
		return needGeo
	}
	return 0
}

// seriesNeeds is the columns a series question reads: its keys, the
// sources of a count of sources, and its country and narrowing.
func seriesNeeds(dim string, unit store.Unit, country string, nw store.Narrow) uint8 {
	need := dimNeeds(dim)
	if unit == store.UnitSources {
		need |= needSrc
	}
	if country != "" || nw.HasASN {
		need |= needGeo
	}
	if nw.HasPort {
		need |= needPort
	}
	return need
}

// seriesCond is the selection, country and narrowing of a series question.
func (s *Store) seriesCond(sel store.Selection, classes []string, country string, nw store.Narrow) (*cond, []string, error) {
	if sel.To < sel.From {
		return nil, nil, fmt.Errorf("days end (%s) before they start (%s)", sel.To, sel.From)
	}
	for _, c := range classes {
		if _, err := classBit(c); err != nil {
			return nil, nil, err
		}
	}
	if len(classes) == 0 {
		classes = classify.Names()
	}
	c := s.visibleCond()
	c.days("day", sel.From, sel.To)
	in(c, "sensor", sel.Sensors)
	if country != "" {
		c.add("country = ?", country)
	}
	if nw.HasPort {
		c.add("proto = ? AND port = ?", nw.Proto, nw.Port)
	}
	if nw.HasASN {
		c.add("asn = ?", nw.ASN)
	}
	return c, classes, nil
}

// measures are one filtered aggregate per class.
func measures(classes []string, unit store.Unit) []string {
	var out []string
	for _, c := range classes {
		b, _ := classBit(c)
		if unit == store.UnitSources {
			out = append(out, fmt.Sprintf("toFloat64(uniqExactIf(src, bitAnd(classes, %d) != 0))", b))
		} else {
			out = append(out, fmt.Sprintf("toFloat64(sumIf(packets, bitAnd(classes, %d) != 0))", b))
		}
	}
	return out
}

// keyValues scans a row's key columns.
type keyValues struct {
	text  string
	proto int64
	num   int64
}

func (k *keyValues) ptrs(dim string) []any {
	switch dim {
	case store.DimCountry, store.DimSensor:
		return []any{&k.text}
	case store.DimPort:
		return []any{&k.proto, &k.num}
	}
	return []any{&k.num}
}

func (k *keyValues) key(dim string, fold uint8) store.Key {
	var out store.Key
	switch dim {
	case store.DimCountry:
		out.Country = k.text
	case store.DimSensor:
		out.Sensor = k.text
	case store.DimPort:
		out.Proto, out.Port = uint8(k.proto), uint16(k.num)
	case store.DimASN:
		out.ASN = uint32(k.num)
	}
	if fold != 0 {
		out = store.Key{Fold: store.Fold(fold)}
		if dim == store.DimPort {
			out.Proto = uint8(k.proto)
		}
	}
	return out
}

// keepLiteral is the key tuple of k as SQL literals.
func keepLiteral(dim string, k store.Key) string {
	switch dim {
	case store.DimCountry:
		return quote(k.Country)
	case store.DimSensor:
		return quote(k.Sensor)
	case store.DimPort:
		return fmt.Sprintf("(%d, %d)", k.Proto, k.Port)
	}
	return strconv.FormatUint(uint64(k.ASN), 10)
}

// Series returns the daily series of q, ordered by class (display order),
// sensor and key. Folded keys are counted in the database, so distinct
// sources of a folded series are exact over its keys.
func (s *Store) Series(ctx context.Context, q store.SeriesQuery) ([]store.Series, error) {
	if q.Unit != store.UnitPackets && q.Unit != store.UnitSources && q.Unit != "" {
		return nil, fmt.Errorf("series: unknown unit %q (packets or sources)", q.Unit)
	}
	kc, err := keyCols(q.Dim)
	if err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	c, classes, err := s.seriesCond(q.Selection, q.Classes, q.Country, q.Narrow)
	if err != nil {
		return nil, fmt.Errorf("series: %w", err)
	}
	keys := slices.Clone(kc)
	foldExpr := "toUInt8(0)"
	if q.Fold {
		// fold: 0 a kept key, 1 FoldOther, 2 FoldHigh; the folded key
		// column reads 0 / ''.
		var kept string
		if len(q.Keep) == 0 {
			kept = "0"
		} else {
			lits := make([]string, len(q.Keep))
			for i, k := range q.Keep {
				lits[i] = keepLiteral(q.Dim, k)
			}
			tuple := kc[0]
			if len(kc) > 1 {
				tuple = "(" + strings.Join(kc, ", ") + ")"
			}
			kept = tuple + " IN (" + strings.Join(lits, ", ") + ")"
		}
		other := "toUInt8(1)"
		if q.Dim == store.DimPort && q.FoldFrom > 0 {
			other = "if(port >= " + strconv.Itoa(q.FoldFrom) + ", toUInt8(2), toUInt8(1))"
		}
		foldExpr = "if(" + kept + ", toUInt8(0), " + other + ")"
		last := len(keys) - 1
		zero := "toInt64(0)"
		if q.Dim == store.DimCountry || q.Dim == store.DimSensor {
			zero = "''"
		}
		keys[last] = "if(" + kept + ", " + keys[last] + ", " + zero + ")"
	}
	sensorCol := "''"
	if q.BySensor {
		sensorCol = "sensor"
	}
	var names []string
	for i := range keys {
		names = append(names, fmt.Sprintf("k%d", i))
		keys[i] += fmt.Sprintf(" AS k%d", i)
	}
	sqlText := `SELECT toString(day) AS d, ` + sensorCol + ` AS sn, ` + strings.Join(keys, ", ") + `, ` + foldExpr + ` AS f, ` +
		strings.Join(measures(classes, q.Unit), ", ") + ` FROM ` + s.factTable(seriesNeeds(q.Dim, q.Unit, q.Country, q.Narrow)) + c.where() +
		` GROUP BY d, sn, ` + strings.Join(names, ", ") + `, f`
	rows, err := s.conn.Query(ctx, sqlText, c.args...)
	if err != nil {
		return nil, fmt.Errorf("series by %s: %w", q.Dim, err)
	}
	defer rows.Close()
	type id struct {
		class, sensor string
		key           store.Key
	}
	n := q.Days()
	idx := map[id]int{}
	var out []store.Series
	for rows.Next() {
		var day, sensor string
		var kv keyValues
		var fold uint8
		vals := make([]float64, len(classes))
		dest := append([]any{&day, &sensor}, kv.ptrs(q.Dim)...)
		dest = append(dest, &fold)
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("series by %s: %w", q.Dim, err)
		}
		dd, err := civil.Parse(day)
		if err != nil {
			return nil, fmt.Errorf("series by %s: %w", q.Dim, err)
		}
		d := dd.Sub(q.From)
		if d < 0 || d >= n {
			continue
		}
		k := kv.key(q.Dim, fold)
		for i, cl := range classes {
			if vals[i] == 0 {
				continue
			}
			j, ok := idx[id{cl, sensor, k}]
			if !ok {
				j = len(out)
				idx[id{cl, sensor, k}] = j
				out = append(out, store.Series{Class: cl, Sensor: sensor, Key: k, Values: make([]float64, n)})
			}
			out[j].Values[d] += vals[i]
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("series by %s: %w", q.Dim, err)
	}
	slices.SortFunc(out, func(a, b store.Series) int {
		return cmp.Or(cmp.Compare(classOrder(a.Class), classOrder(b.Class)), cmp.Compare(a.Class, b.Class),
			cmp.Compare(a.Sensor, b.Sensor), compareKeys(a.Key, b.Key))
	})
	return out, nil
}

func compareKeys(a, b store.Key) int {
	return cmp.Or(cmp.Compare(a.Fold, b.Fold), cmp.Compare(a.Country, b.Country), cmp.Compare(a.Sensor, b.Sensor),
		cmp.Compare(a.Proto, b.Proto), cmp.Compare(a.Port, b.Port), cmp.Compare(a.ASN, b.ASN), a.Prefix.Addr().Compare(b.Prefix.Addr()))
}

// TopKeys returns the keys among the q.N of some class with most packets
// over the days, or with most packets on one day, in key order. The
// server sums each key's days and sends every key's totals and peaks as
// one row of arrays (columns decode in bulk); the ranking (ties in key
// order) keeps the best N of each class and measure in one pass.
func (s *Store) TopKeys(ctx context.Context, q store.TopKeysQuery) ([]store.Key, error) {
	kc, err := keyCols(q.Dim)
	if err != nil {
		return nil, fmt.Errorf("top keys: %w", err)
	}
	c, classes, err := s.seriesCond(q.Selection, q.Classes, q.Country, q.Narrow)
	if err != nil {
		return nil, fmt.Errorf("top keys: %w", err)
	}
	if q.N <= 0 {
		return nil, nil
	}
	// Grouped by the raw columns (fixed-width keys hash fastest), cast
	// when collected.
	raw := map[string][]string{store.DimCountry: {"country"}, store.DimPort: {"proto", "port"},
		store.DimASN: {"asn"}, store.DimSensor: {"sensor"}}[q.Dim]
	var arrays []string
	for i := range raw {
		arrays = append(arrays, "groupArray("+kc[i]+")") // kc: the raw column, cast
	}
	// Each key's total and peak day per class.
	var inner, outer []string
	for i, cl := range classes {
		b, _ := classBit(cl)
		inner = append(inner, fmt.Sprintf("sumIf(packets, bitAnd(classes, %d) != 0) AS m%d", b, i))
		outer = append(outer, fmt.Sprintf("sum(m%d) AS t%d, max(m%d) AS p%d", i, i, i, i))
		arrays = append(arrays, fmt.Sprintf("groupArray(toFloat64(t%d)), groupArray(toFloat64(p%d))", i, i))
	}
	keys := strings.Join(raw, ", ")
	sqlText := `SELECT ` + strings.Join(arrays, ", ") + ` FROM (
		SELECT ` + keys + `, ` + strings.Join(outer, ", ") + ` FROM (
			SELECT day, ` + keys + `, ` + strings.Join(inner, ", ") + ` FROM ` +
		s.factTable(seriesNeeds(q.Dim, store.UnitPackets, q.Country, q.Narrow)) + c.where() + ` GROUP BY day, ` + keys + `)
		GROUP BY ` + keys + `)`
	var texts []string
	var nums [2][]int64
	vals := make([][]float64, 2*len(classes))
	var dest []any
	switch q.Dim {
	case store.DimCountry, store.DimSensor:
		dest = append(dest, &texts)
	case store.DimPort:
		dest = append(dest, &nums[0], &nums[1])
	default:
		dest = append(dest, &nums[0])
	}
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	if err := s.conn.QueryRow(ctx, sqlText, c.args...).Scan(dest...); err != nil {
		return nil, fmt.Errorf("top keys: %w", err)
	}
	n := max(len(texts), len(nums[0]))
	all := make([]store.Key, n)
	for i := range all {
		var kv keyValues
		switch q.Dim {
		case store.DimCountry, store.DimSensor:
			kv.text = texts[i]
		case store.DimPort:
			kv.proto, kv.num = nums[0][i], nums[1][i]
		default:
			kv.num = nums[0][i]
		}
		all[i] = kv.key(q.Dim, 0)
	}
	for _, v := range vals {
		if len(v) != n {
			return nil, fmt.Errorf("top keys: %d values for %d keys", len(v), n)
		}
	}
	chosen := map[store.Key]bool{}
	for i := range classes {
		total := vals[2*i]
		for _, v := range [][]float64{total, vals[2*i+1]} {
			for _, j := range bestN(all, v, total, q.N) {
				chosen[all[j]] = true
			}
		}
	}
	out := make([]store.Key, 0, len(chosen))
	for k := range chosen {
		out = append(out, k)
	}
	slices.SortFunc(out, compareKeys)
	return out, nil
}

// bestN returns the indexes of the n keys with the highest v among those
// with a positive total, ties in key order: one pass keeping the best n in
// order.
func bestN(keys []store.Key, v, total []float64, n int) []int {
	better := func(a, b int) bool { // a ranks before b
		return v[a] > v[b] || v[a] == v[b] && compareKeys(keys[a], keys[b]) < 0
	}
	best := make([]int, 0, n+1)
	for j := range keys {
		if total[j] <= 0 || len(best) == n && !better(j, best[n-1]) {
			continue
		}
		at := len(best)
		for at > 0 && better(j, best[at-1]) {
			at--
		}
		best = slices.Insert(best, at, j)
		if len(best) > n {
			best = best[:n]
		}
	}
	return best
}

// keyCond adds the condition that rows are of key k of dim.
func keyCond(c *cond, dim string, k store.Key) error {
	switch dim {
	case store.DimCountry:
		c.add("country = ?", k.Country)
	case store.DimPort:
		c.add("proto = ? AND port = ?", k.Proto, k.Port)
	case store.DimASN:
		c.add("asn = ?", k.ASN)
	default:
		return fmt.Errorf("unknown dimension %q (country, port or asn)", dim)
	}
	return nil
}

// distinctChunk is how many questions go into one query.
const distinctChunk = 64

// DistinctSources returns the distinct sources of each of qs, in order:
// one uniqExact per question, several questions per query.
func (s *Store) DistinctSources(ctx context.Context, sensors []string, qs []store.KeyDays) ([]float64, error) {
	out := make([]float64, len(qs))
	var parts []string
	var args []any
	flush := func() error {
		if len(parts) == 0 {
			return nil
		}
		rows, err := s.conn.Query(ctx, strings.Join(parts, " UNION ALL "), args...)
		parts, args = nil, nil
		if err != nil {
			return fmt.Errorf("distinct sources: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var i int64
			var v float64
			if err := rows.Scan(&i, &v); err != nil {
				return fmt.Errorf("distinct sources: %w", err)
			}
			if i >= 0 && int(i) < len(out) {
				out[i] = v
			}
		}
		return rows.Err()
	}
	for i, q := range qs {
		b, err := classBit(q.Class)
		if err != nil || q.To < q.From {
			continue
		}
		c := s.visibleCond()
		c.days("day", q.From, q.To)
		in(c, "sensor", sensors)
		if q.Sensor != "" {
			c.add("sensor = ?", q.Sensor)
		}
		c.add(fmt.Sprintf("bitAnd(classes, %d) != 0", b))
		if err := keyCond(c, q.Dim, q.Key); err != nil {
			continue
		}
		parts = append(parts, fmt.Sprintf("SELECT toInt64(%d) AS i, toFloat64(uniqExact(src)) AS v FROM %s%s", i, s.factTable(needSrc|dimNeeds(q.Dim)), c.where()))
		args = append(args, c.args...)
		if len(parts) == distinctChunk {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// breakdownCond checks q and returns its condition.
func (s *Store) breakdownCond(q store.BreakdownQuery) (*cond, error) {
	b, err := classBit(q.Class)
	if err != nil {
		return nil, err
	}
	if q.To < q.From {
		return nil, fmt.Errorf("days end (%s) before they start (%s)", q.To, q.From)
	}
	c := s.visibleCond()
	c.add(fmt.Sprintf("bitAnd(classes, %d) != 0", b))
	c.days("day", q.From, q.To)
	in(c, "sensor", q.Sensors)
	return c, keyCond(c, q.Dim, q.Key)
}

// TopSources returns the n sources with most packets in q's series over
// its days, most first (ties by address text).
func (s *Store) TopSources(ctx context.Context, q store.BreakdownQuery, n int) ([]store.SourcePackets, error) {
	c, err := s.breakdownCond(q)
	if err != nil {
		return nil, fmt.Errorf("top sources: %w", err)
	}
	if n <= 0 {
		return nil, nil
	}
	rows, err := s.conn.Query(ctx, `SELECT src, toFloat64(sum(packets)) AS p FROM `+s.factTable(needSrc|dimNeeds(q.Dim))+c.where()+
		` GROUP BY src ORDER BY p DESC, src LIMIT `+strconv.Itoa(n), c.args...)
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
	return out, rows.Err()
}

// Breakdown returns one series' values per day by AS, destination port
// and IPv4 /24 of the source.
func (s *Store) Breakdown(ctx context.Context, q store.BreakdownQuery) ([]store.BreakdownRow, error) {
	meas := "toFloat64(sum(packets))"
	switch q.Unit {
	case store.UnitPackets, "":
	case store.UnitSources:
		meas = "toFloat64(uniqExact(src))"
	default:
		return nil, fmt.Errorf("breakdown: unknown unit %q (packets or sources)", q.Unit)
	}
	c, err := s.breakdownCond(q)
	if err != nil {
		return nil, fmt.Errorf("breakdown: %w", err)
	}
	var out []store.BreakdownRow
	need := dimNeeds(q.Dim)
	if q.Unit == store.UnitSources {
		need |= needSrc
	}
	for _, g := range []struct {
		dim, keys, where string
		need             uint8
	}{
		{store.DimASN, "toInt64(0), toInt64(asn)", "", needGeo},
		{store.DimPort, "toInt64(proto), toInt64(port)", "", needPort},
		{store.DimPrefix, "toInt64(0), toInt64(intDiv(IPv4StringToNum(src), 256))", " AND position(src, ':') = 0", needSrc},
	} {
		rows, err := s.conn.Query(ctx, `SELECT toString(day) AS d, `+g.keys+`, `+meas+` FROM `+s.factTable(need|g.need)+c.where()+g.where+
			` GROUP BY d, `+g.keys, c.args...)
		if err != nil {
			return nil, fmt.Errorf("breakdown of %s/%s: %w", q.Class, q.Dim, err)
		}
		for rows.Next() {
			var day string
			var a, b int64
			var v float64
			if err := rows.Scan(&day, &a, &b, &v); err != nil {
				rows.Close()
				return nil, fmt.Errorf("breakdown: %w", err)
			}
			d, err := civil.Parse(day)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("breakdown: %w", err)
			}
			r := store.BreakdownRow{Day: d, Dim: g.dim, Value: v}
			switch g.dim {
			case store.DimASN:
				r.Key.ASN = uint32(b)
			case store.DimPort:
				r.Key.Proto, r.Key.Port = uint8(a), uint16(b)
			default:
				p := uint32(b) << 8
				r.Key.Prefix = netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(p >> 24), byte(p >> 16), byte(p >> 8), 0}), 24)
			}
			out = append(out, r)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("breakdown: %w", err)
		}
	}
	return out, nil
}
