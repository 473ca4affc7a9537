package clickstore

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// fixedPort is the condition, over the sources rows of one group, that
// every row with TCP/UDP packets saw one and the same source port (the
// DuckDB store's single_src_port), and fixedPortValue that port.
const (
	fixedPort      = `countIf(tcpudp = 1) > 0 AND minIf(src_port, tcpudp = 1) >= 0 AND minIf(src_port, tcpudp = 1) = maxIf(src_port, tcpudp = 1)`
	fixedPortValue = `toInt64(minIf(src_port, tcpudp = 1))`
)

// maxSourceExploits bounds the exploit matches of one source's day.
const maxSourceExploits = 100

// SourceDays returns what the store holds of addr per day over sel.
func (s *Store) SourceDays(ctx context.Context, addr netip.Addr, sel store.Selection) ([]store.SourceDay, error) {
	if !addr.IsValid() {
		return nil, fmt.Errorf("source days: no address")
	}
	src := addr.Unmap().String()
	c := s.visibleCond()
	c.add("src = ?", src)
	c.days("day", sel.From, sel.To)
	in(c, "sensor", sel.Sensors)
	rows, err := s.conn.Query(ctx, `SELECT toString(day) AS d, groupUniqArray(sensor), any(country), any(asn), max(as_org),
		toUInt64(sum(packets)), toUInt64(sum(bytes)), toUInt8(groupBitOr(classes)), min(first_ns), max(last_ns),
		toUInt8(`+fixedPort+`), `+fixedPortValue+`
		FROM `+s.db+`.sources`+c.where()+` GROUP BY d ORDER BY d`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("source days of %s: %w", src, err)
	}
	defer rows.Close()
	var out []store.SourceDay
	byDay := map[string]int{}
	for rows.Next() {
		var (
			d        store.SourceDay
			day      string
			classes  uint8
			fst, lst int64
			fixed    uint8
			port     int64
		)
		if err := rows.Scan(&day, &d.Sensors, &d.Country, &d.ASN, &d.Org, &d.Packets, &d.Bytes, &classes, &fst, &lst, &fixed, &port); err != nil {
			return nil, fmt.Errorf("source days of %s: %w", src, err)
		}
		if d.Day, err = civil.Parse(day); err != nil {
			return nil, fmt.Errorf("source days of %s: %w", src, err)
		}
		slices.Sort(d.Sensors)
		for c := classify.Class(0); c < classify.NumClasses; c++ {
			if classify.Tags(classes).Has(c) {
				d.Classes = append(d.Classes, c.String())
			}
		}
		// The DuckDB store keeps these as TIMESTAMP, to the microsecond.
		d.First = time.Unix(0, fst).UTC().Truncate(time.Microsecond)
		d.Last = time.Unix(0, lst).UTC().Truncate(time.Microsecond)
		if fixed == 1 && port >= 0 && port <= 65535 {
			d.FixedSrcPort, d.SrcPort = true, uint16(port)
		}
		byDay[day] = len(out)
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("source days of %s: %w", src, err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	prows, err := s.conn.Query(ctx, `SELECT toString(day) AS d, proto, port, toUInt64(sum(packets)) AS p FROM `+s.db+`.hits`+
		c.where()+` GROUP BY d, proto, port ORDER BY d, p DESC, proto, port`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("ports of %s: %w", src, err)
	}
	defer prows.Close()
	for prows.Next() {
		var day string
		var pp store.PortPackets
		if err := prows.Scan(&day, &pp.Proto, &pp.Port, &pp.Packets); err != nil {
			return nil, fmt.Errorf("ports of %s: %w", src, err)
		}
		if i, ok := byDay[day]; ok {
			out[i].Ports = append(out[i].Ports, pp)
		}
	}
	if err := prows.Err(); err != nil {
		return nil, fmt.Errorf("ports of %s: %w", src, err)
	}
	erows, err := s.conn.Query(ctx, `SELECT toString(day) AS d, pattern, proto, port, toUInt64(sum(packets)) AS p FROM `+s.db+`.exploits`+
		c.where()+` GROUP BY d, pattern, proto, port ORDER BY d, p DESC, pattern, proto, port`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("exploits of %s: %w", src, err)
	}
	defer erows.Close()
	for erows.Next() {
		var day string
		var e store.PatternPackets
		if err := erows.Scan(&day, &e.Pattern, &e.Proto, &e.Port, &e.Packets); err != nil {
			return nil, fmt.Errorf("exploits of %s: %w", src, err)
		}
		if i, ok := byDay[day]; ok && len(out[i].Exploits) < maxSourceExploits {
			out[i].Exploits = append(out[i].Exploits, e)
		}
	}
	if err := erows.Err(); err != nil {
		return nil, fmt.Errorf("exploits of %s: %w", src, err)
	}
	return out, nil
}

// GeoDatabases returns the GeoIP database pairs that the committed
// ingests of the sensors (nil: all) were geolocated with, most used first.
func (s *Store) GeoDatabases(ctx context.Context, sensors []string) ([]store.GeoDBUse, error) {
	c := &cond{parts: []string{"id IN " + s.visible(), "error = ''"}}
	in(c, "sensor", sensors)
	rows, err := s.conn.Query(ctx, `SELECT country_db, asn_db, toInt64(count()) AS n FROM `+s.db+`.ingests`+c.where()+
		` GROUP BY country_db, asn_db ORDER BY n DESC, country_db, asn_db`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("geo databases: %w", err)
	}
	defer rows.Close()
	var out []store.GeoDBUse
	for rows.Next() {
		var u store.GeoDBUse
		var n int64
		if err := rows.Scan(&u.CountryDB, &u.ASNDB, &n); err != nil {
			return nil, fmt.Errorf("geo databases: %w", err)
		}
		u.Ingests = int(n)
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("geo databases: %w", err)
	}
	return out, nil
}

// ExploitPatterns returns the exploit matches of sel by pattern.
func (s *Store) ExploitPatterns(ctx context.Context, sel store.Selection) (store.ExploitPatterns, error) {
	var out store.ExploitPatterns
	c := s.visibleCond()
	c.days("day", sel.From, sel.To)
	in(c, "sensor", sel.Sensors)
	// Each pattern's port: most packets, then the lowest protocol and port.
	type top struct {
		proto uint8
		port  uint16
		n     uint64
	}
	tops := map[string]top{}
	rows, err := s.conn.Query(ctx, `SELECT pattern, proto, port, toUInt64(sum(packets)) FROM `+s.db+`.exploits`+c.where()+
		` GROUP BY pattern, proto, port`, c.args...)
	if err != nil {
		return out, fmt.Errorf("exploit patterns: %w", err)
	}
	for rows.Next() {
		var p string
		var t top
		if err := rows.Scan(&p, &t.proto, &t.port, &t.n); err != nil {
			rows.Close()
			return out, fmt.Errorf("exploit patterns: %w", err)
		}
		if o, ok := tops[p]; !ok || cmp.Or(-cmp.Compare(t.n, o.n), cmp.Compare(t.proto, o.proto), cmp.Compare(t.port, o.port)) < 0 {
			tops[p] = t
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("exploit patterns: %w", err)
	}
	rows, err = s.conn.Query(ctx, `SELECT pattern, toFloat64(sum(packets)) AS n, toFloat64(uniqExact(src)), toInt64(uniqExact(day))
		FROM `+s.db+`.exploits`+c.where()+` GROUP BY pattern ORDER BY n DESC, pattern`, c.args...)
	if err != nil {
		return out, fmt.Errorf("exploit patterns: %w", err)
	}
	for rows.Next() {
		var t store.PatternTotal
		var days int64
		if err := rows.Scan(&t.Pattern, &t.Packets, &t.Sources, &days); err != nil {
			rows.Close()
			return out, fmt.Errorf("exploit patterns: %w", err)
		}
		t.Days = int(days)
		tp := tops[t.Pattern]
		t.Port, t.Proto = int(tp.port), store.ProtoName(tp.proto)
		out.Totals = append(out.Totals, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("exploit patterns: %w", err)
	}
	rows, err = s.conn.Query(ctx, `SELECT toString(day) AS d, pattern, toFloat64(sum(packets)), toFloat64(uniqExact(src))
		FROM `+s.db+`.exploits`+c.where()+` GROUP BY d, pattern ORDER BY d, pattern`, c.args...)
	if err != nil {
		return out, fmt.Errorf("exploit patterns by day: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d store.PatternDay
		var day string
		if err := rows.Scan(&day, &d.Pattern, &d.Packets, &d.Sources); err != nil {
			return out, fmt.Errorf("exploit patterns by day: %w", err)
		}
		if d.Day, err = civil.Parse(day); err != nil {
			return out, fmt.Errorf("exploit patterns by day: %w", err)
		}
		out.Daily = append(out.Daily, d)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("exploit patterns by day: %w", err)
	}
	return out, nil
}

// FixedSourcePorts returns the n source ports used as the one source port
// of most distinct sources over sel (a source-day at a sensor counts when
// all its TCP/UDP packets, over every capture, came from that port), most
// sources first.
func (s *Store) FixedSourcePorts(ctx context.Context, sel store.Selection, n int) ([]store.SourcePortRow, error) {
	c := s.visibleCond()
	c.days("day", sel.From, sel.To)
	in(c, "sensor", sel.Sensors)
	d := `(SELECT day, src, any(country) AS country, sum(packets) AS packets, ` + fixedPortValue + ` AS sport
		FROM ` + s.db + `.sources` + c.where() + ` GROUP BY day, sensor, src HAVING ` + fixedPort + `)`
	var all uint64
	if err := s.conn.QueryRow(ctx, `SELECT uniqExact(src) FROM `+d, c.args...).Scan(&all); err != nil {
		return nil, fmt.Errorf("fixed source ports: %w", err)
	}
	rows, err := s.conn.Query(ctx, `SELECT sport, toFloat64(uniqExact(src)) AS n, toFloat64(sum(packets)) AS p, toInt64(uniqExact(day))
		FROM `+d+` GROUP BY sport ORDER BY n DESC, p DESC, sport LIMIT `+fmt.Sprint(max(n, 1)), c.args...)
	if err != nil {
		return nil, fmt.Errorf("fixed source ports: %w", err)
	}
	var out []store.SourcePortRow
	at := map[int64]int{}
	for rows.Next() {
		var r store.SourcePortRow
		var port, days int64
		if err := rows.Scan(&port, &r.Sources, &r.Packets, &days); err != nil {
			rows.Close()
			return nil, fmt.Errorf("fixed source ports: %w", err)
		}
		r.Port, r.Days = int(port), int(days)
		r.Share = r.Sources / float64(max(all, 1))
		at[port] = len(out)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("fixed source ports: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	// Each port's country: the one of most of its sources, then by name.
	ports := make([]int64, 0, len(at))
	for p := range at {
		ports = append(ports, p)
	}
	pc := &cond{args: slices.Clone(c.args)}
	in(pc, "sport", ports)
	rows, err = s.conn.Query(ctx, `SELECT sport, country, uniqExact(src) FROM `+d+pc.where()+` GROUP BY sport, country`, pc.args...)
	if err != nil {
		return nil, fmt.Errorf("fixed source ports: %w", err)
	}
	defer rows.Close()
	best := map[int64]uint64{}
	for rows.Next() {
		var port int64
		var country string
		var k uint64
		if err := rows.Scan(&port, &country, &k); err != nil {
			return nil, fmt.Errorf("fixed source ports: %w", err)
		}
		i := at[port]
		if b, ok := best[port]; !ok || k > b || k == b && country < out[i].Country {
			best[port], out[i].Country = k, country
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("fixed source ports: %w", err)
	}
	return out, nil
}
