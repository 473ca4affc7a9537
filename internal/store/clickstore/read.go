package clickstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Stats groups the stored hits as q asks, ordered as the DuckDB store
// orders them. Distinct sources are uniqExact over the source addresses.
// Grouped by pattern it counts the exploit matches (class exploit, no
// source port); grouped by src_port, the hits with their source's one
// source port in the capture (null when it used several or sent no
// TCP/UDP), over the capture's parts together.
func (s *Store) Stats(ctx context.Context, q store.StatsQuery) ([]store.StatsRow, error) {
	q.By = q.Dims()
	var sel, group []string
	classDim, hasASN := false, false
	table := s.factTable(statsNeeds(q))
	if slices.Contains(q.By, "pattern") {
		table = s.patternTable()
	} else if slices.Contains(q.By, "src_port") {
		table = s.srcPortTable()
	}
	for _, d := range q.By {
		switch d {
		case "day":
			sel, group = append(sel, "toString(day) AS k_day"), append(group, "k_day")
		case "sensor", "country", "src":
			sel, group = append(sel, d+" AS k_"+d), append(group, "k_"+d)
		case "port", "asn":
			sel, group = append(sel, "toInt64("+d+") AS k_"+d), append(group, "k_"+d)
			hasASN = hasASN || d == "asn"
		case "proto":
			sel, group = append(sel, protoSQL+" AS k_proto"), append(group, "k_proto")
		case "class":
			sel, group = append(sel, classJoin()+" AS k_class"), append(group, "k_class")
			classDim = true
		case "pattern":
			sel, group = append(sel, "pattern AS k_pattern"), append(group, "k_pattern")
		case "src_port":
			sel, group = append(sel, "sp AS k_src_port"), append(group, "k_src_port")
		default:
			return nil, fmt.Errorf("unknown --by dimension %q (one of %s)", d, strings.Join(store.Dimensions, ", "))
		}
	}
	c := s.visibleCond()
	if q.RuleSet != 0 {
		// Under a rule set: its exploit matches (evidence.go), all visible.
		for _, cl := range q.Classes {
			if cl != classify.Exploit.String() {
				return nil, fmt.Errorf("under a rule set only the exploit class can be asked, not %q", cl)
			}
		}
		table, c = s.ruleSetTable(q.RuleSet), &cond{}
	}
	if len(q.Classes) > 0 {
		mask := 0
		for _, cl := range q.Classes {
			b, err := classBit(cl)
			if err != nil {
				return nil, err
			}
			mask |= b
		}
		if classDim {
			in(c, "k_class", q.Classes)
		} else {
			c.add(fmt.Sprintf("bitAnd(classes, %d) != 0", mask))
		}
	}
	in(c, "sensor", q.Sensors)
	countries := make([]string, len(q.Countries))
	for i, x := range q.Countries {
		countries[i] = strings.ToUpper(x)
	}
	in(c, "country", countries)
	for _, p := range q.Ports {
		if p < 0 || p > 65535 {
			return nil, fmt.Errorf("port %d out of range 0-65535", p)
		}
	}
	in(c, "port", q.Ports)
	var protos []int
	for _, p := range q.Protos {
		n, err := store.ProtoNumber(p)
		if err != nil {
			return nil, err
		}
		protos = append(protos, int(n))
	}
	in(c, "proto", protos)
	in(c, "asn", q.ASNs)
	var srcs []string
	for _, a := range q.Srcs {
		srcs = append(srcs, a.Unmap().String())
	}
	in(c, "src", srcs)
	for _, b := range []struct{ op, v string }{{">=", q.From}, {"<=", q.To}} {
		if b.v == "" {
			continue
		}
		if _, err := store.ParseDay(b.v); err != nil {
			return nil, err
		}
		c.add("day "+b.op+" toDate(?)", b.v)
	}
	var sb strings.Builder
	sb.WriteString("SELECT ")
	for _, x := range sel {
		sb.WriteString(x + ", ")
	}
	sb.WriteString("toUInt64(sum(packets)) AS packets, ")
	if q.NoSources {
		sb.WriteString("toUInt64(0) AS sources")
	} else {
		sb.WriteString("toUInt64(uniqExact(src)) AS sources")
	}
	sb.WriteString(" FROM " + table + c.where())
	if len(group) > 0 {
		sb.WriteString(" GROUP BY " + strings.Join(group, ", "))
	}
	switch q.OrderBy {
	case "", "packets":
		sb.WriteString(" ORDER BY packets DESC, sources DESC")
	case "sources":
		if q.NoSources {
			return nil, fmt.Errorf("order by sources of a query without distinct sources")
		}
		sb.WriteString(" ORDER BY sources DESC, packets DESC")
	case "key":
		if len(group) > 0 {
			sb.WriteString(" ORDER BY " + strings.Join(group, ", "))
		}
	case "day":
		if !slices.Contains(q.By, "day") {
			return nil, fmt.Errorf("order by day needs day among the dimensions")
		}
		sb.WriteString(" ORDER BY k_day, packets DESC, sources DESC")
	default:
		return nil, fmt.Errorf("unknown order %q (packets, sources, key, day)", q.OrderBy)
	}
	if len(group) > 0 && q.OrderBy != "key" {
		sb.WriteString(", " + strings.Join(group, ", "))
	}
	if q.Top > 0 {
		fmt.Fprintf(&sb, " LIMIT %d", q.Top)
	}
	rows, err := s.conn.Query(ctx, sb.String(), c.args...)
	if err != nil {
		return nil, fmt.Errorf("stats query: %w", err)
	}
	defer rows.Close()
	var out []store.StatsRow
	for rows.Next() {
		ptrs := make([]any, 0, len(q.By)+2)
		strs := make([]string, len(q.By))
		nums := make([]int64, len(q.By))
		nulls := make([]*int64, len(q.By))
		for i, d := range q.By {
			if d == "src_port" {
				ptrs = append(ptrs, &nulls[i])
			} else if d == "port" || d == "asn" {
				ptrs = append(ptrs, &nums[i])
			} else {
				ptrs = append(ptrs, &strs[i])
			}
		}
		var r store.StatsRow
		ptrs = append(ptrs, &r.Packets, &r.Sources)
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("stats query: %w", err)
		}
		r.Keys = make([]any, len(q.By))
		for i, d := range q.By {
			if d == "src_port" {
				if nulls[i] != nil {
					r.Keys[i] = *nulls[i]
				}
			} else if d == "port" || d == "asn" {
				r.Keys[i] = nums[i]
			} else {
				r.Keys[i] = strs[i]
			}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("stats query: %w", err)
	}
	if hasASN && len(out) > 0 {
		orgs, err := s.orgs(ctx, nil)
		if err != nil {
			return nil, err
		}
		i := slices.Index(q.By, "asn")
		for j := range out {
			out[j].Org = orgs[uint32(out[j].Keys[i].(int64))]
		}
	}
	return out, nil
}

// statsNeeds is the columns a stats query reads beyond day, sensor and
// class: ports, addresses (always, for distinct sources) and geography.
func statsNeeds(q store.StatsQuery) uint8 {
	var need uint8
	if !q.NoSources || len(q.Srcs) > 0 {
		need |= needSrc
	}
	if len(q.Ports) > 0 || len(q.Protos) > 0 {
		need |= needPort
	}
	if len(q.Countries) > 0 || len(q.ASNs) > 0 {
		need |= needGeo
	}
	for _, d := range q.By {
		switch d {
		case "port", "proto":
			need |= needPort
		case "src":
			need |= needSrc
		case "country", "asn":
			need |= needGeo
		}
	}
	return need
}

// patternTable is the exploit matches in the columns a stats query reads.
func (s *Store) patternTable() string {
	return fmt.Sprintf(`(SELECT ingest_id, day, sensor, src, country, asn, proto, port, pattern, packets,
		toUInt8(%d) AS classes, CAST(NULL, 'Nullable(Int64)') AS sp FROM %s.exploits)`, classify.Exploit.Bit(), s.db)
}

// srcPortTable is the hits with their source's one source port in the
// capture as sp: the source-days of one ingest's parts taken together,
// null unless every part with TCP/UDP packets saw the same one port.
func (s *Store) srcPortTable() string {
	return `(SELECT ingest_id, day, sensor, src, country, asn, proto, port, classes, packets, sp FROM ` + s.db + `.hits
		ANY LEFT JOIN (SELECT ingest_id, day, src,
			if(countIf(tcpudp = 1) > 0 AND minIf(src_port, tcpudp = 1) >= 0 AND minIf(src_port, tcpudp = 1) = maxIf(src_port, tcpudp = 1),
				toInt64(minIf(src_port, tcpudp = 1)), NULL) AS sp
			FROM ` + s.db + `.sources WHERE ingest_id IN ` + s.visible() + ` GROUP BY ingest_id, day, src) USING (ingest_id, day, src))`
}

// orgs returns any organisation name of each AS, over the committed
// sources c selects (nil: all).
func (s *Store) orgs(ctx context.Context, c *cond) (map[uint32]string, error) {
	if c == nil {
		c = s.visibleCond()
	}
	c.add("as_org != ''")
	rows, err := s.conn.Query(ctx, `SELECT asn, any(as_org) FROM `+s.db+`.sources`+c.where()+` GROUP BY asn`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("AS names: %w", err)
	}
	defer rows.Close()
	out := map[uint32]string{}
	for rows.Next() {
		var asn uint32
		var org string
		if err := rows.Scan(&asn, &org); err != nil {
			return nil, fmt.Errorf("AS names: %w", err)
		}
		out[asn] = org
	}
	return out, rows.Err()
}

// ASOrgs returns the organisation of each AS seen over sel.
func (s *Store) ASOrgs(ctx context.Context, sel store.Selection) (map[uint32]string, error) {
	c := s.visibleCond()
	c.days("day", sel.From, sel.To)
	c.add("asn != 0")
	in(c, "sensor", sel.Sensors)
	return s.orgs(ctx, c)
}

// Sensors lists the sensors with at least one committed ingest, by name.
func (s *Store) Sensors(ctx context.Context) ([]store.Sensor, error) {
	rows, err := s.conn.Query(ctx, `SELECT i.sensor, n.nets, n.addresses FROM
		(SELECT DISTINCT sensor FROM `+s.db+`.ingests WHERE id IN `+s.visible()+`) i
		ANY LEFT JOIN (SELECT name AS sensor, argMax(nets, at) AS nets, argMax(addresses, at) AS addresses
			FROM `+s.db+`.sensors GROUP BY name) n USING sensor
		ORDER BY i.sensor`)
	if err != nil {
		return nil, fmt.Errorf("list sensors: %w", err)
	}
	defer rows.Close()
	var out []store.Sensor
	for rows.Next() {
		var x store.Sensor
		if err := rows.Scan(&x.Name, &x.Nets, &x.Addresses); err != nil {
			return nil, fmt.Errorf("list sensors: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// DataRange returns the first and last day holding data of the sensors.
func (s *Store) DataRange(ctx context.Context, sensors []string) (first, last civil.Day, ok bool, err error) {
	c := s.visibleCond()
	in(c, "sensor", sensors)
	var n uint64
	var lo, hi string
	if err := s.conn.QueryRow(ctx, `SELECT count(), toString(min(day)), toString(max(day)) FROM `+s.db+`.sources`+c.where(), c.args...).Scan(&n, &lo, &hi); err != nil {
		return 0, 0, false, fmt.Errorf("data range: %w", err)
	}
	if n == 0 {
		return 0, 0, false, nil
	}
	if first, err = civil.Parse(lo); err == nil {
		last, err = civil.Parse(hi)
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("data range: %w", err)
	}
	return first, last, true, nil
}

// Captures returns the first and last packet time of each committed
// ingest of the sensors.
func (s *Store) Captures(ctx context.Context, sensors []string) ([]store.Capture, error) {
	c := &cond{parts: []string{"id IN " + s.visible(), "first_ns != 0", "last_ns != 0"}}
	in(c, "sensor", sensors)
	rows, err := s.conn.Query(ctx, `SELECT sensor, first_ns, last_ns, kernel_drops, queue_drops FROM `+s.db+`.ingests`+
		c.where()+` ORDER BY sensor, first_ns, last_ns`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("captures: %w", err)
	}
	defer rows.Close()
	var out []store.Capture
	for rows.Next() {
		var x store.Capture
		var a, b int64
		if err := rows.Scan(&x.Sensor, &a, &b, &x.KernelDrops, &x.QueueDrops); err != nil {
			return nil, fmt.Errorf("captures: %w", err)
		}
		if b < a {
			a, b = b, a
		}
		x.First, x.Last = time.Unix(0, a).UTC(), time.Unix(0, b).UTC()
		out = append(out, x)
	}
	return out, rows.Err()
}

// ClassTotals returns packets and distinct sources per class on each side
// of q.Split, and distinct sources per class and day.
func (s *Store) ClassTotals(ctx context.Context, q store.TotalsQuery) (store.ClassTotals, error) {
	out := store.ClassTotals{Before: map[string]store.Total{}, After: map[string]store.Total{}, DailySources: map[string][]float64{}}
	n := q.Days()
	if n <= 0 {
		return out, nil
	}
	c := s.visibleCond()
	c.days("day", q.From, q.To)
	in(c, "sensor", q.Sensors)
	args := append([]any{q.Split.String()}, c.args...)
	rows, err := s.conn.Query(ctx, `SELECT `+classJoin()+` AS class, toUInt8(day >= toDate(?)) AS after,
		toFloat64(sum(packets)), toFloat64(uniqExact(src)) FROM `+s.factTable(needSrc)+c.where()+` GROUP BY class, after`, args...)
	if err != nil {
		return out, fmt.Errorf("totals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var class string
		var after uint8
		var t store.Total
		if err := rows.Scan(&class, &after, &t.Packets, &t.Sources); err != nil {
			return out, fmt.Errorf("totals: %w", err)
		}
		if after == 1 {
			out.After[class] = t
		} else {
			out.Before[class] = t
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("totals: %w", err)
	}
	rows2, err := s.conn.Query(ctx, `SELECT `+classJoin()+` AS class, toString(day) AS d, toFloat64(uniqExact(src))
		FROM `+s.factTable(needSrc)+c.where()+` GROUP BY class, d`, c.args...)
	if err != nil {
		return out, fmt.Errorf("totals: %w", err)
	}
	defer rows2.Close()
	for rows2.Next() {
		var class, day string
		var v float64
		if err := rows2.Scan(&class, &day, &v); err != nil {
			return out, fmt.Errorf("totals: %w", err)
		}
		d, err := civil.Parse(day)
		if err != nil {
			return out, fmt.Errorf("totals: %w", err)
		}
		i := d.Sub(q.From)
		if i < 0 || i >= n {
			continue
		}
		if out.DailySources[class] == nil {
			out.DailySources[class] = make([]float64, n)
		}
		out.DailySources[class][i] = v
	}
	return out, rows2.Err()
}

// HighPorts counts, per class and protocol, the distinct destination ports
// from `from` up hit over sel.
func (s *Store) HighPorts(ctx context.Context, sel store.Selection, from int) ([]store.HighPorts, error) {
	c := s.visibleCond()
	c.days("day", sel.From, sel.To)
	c.add("port >= ?", from)
	in(c, "sensor", sel.Sensors)
	rows, err := s.conn.Query(ctx, `SELECT `+classJoin()+` AS class, proto, toInt64(uniqExact(port)) FROM `+s.factTable(needPort)+
		c.where()+` GROUP BY class, proto ORDER BY class, proto`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("high ports: %w", err)
	}
	defer rows.Close()
	var out []store.HighPorts
	for rows.Next() {
		var h store.HighPorts
		var n int64
		if err := rows.Scan(&h.Class, &h.Proto, &n); err != nil {
			return nil, fmt.Errorf("high ports: %w", err)
		}
		h.Ports = int(n)
		out = append(out, h)
	}
	return out, rows.Err()
}
