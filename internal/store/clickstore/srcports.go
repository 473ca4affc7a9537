package clickstore

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Source-port histograms of confined sources (docs/srcports.md): the
// DuckDB store's srcport_counts and srcport_ingests, rows tagged with the
// ingest id and read for committed ingests only.

var (
	_ store.SrcPortTx    = (*Tx)(nil)
	_ store.SrcPortStore = (*Store)(nil)
)

// AppendSrcPorts implements store.SrcPortTx.
func (t *Tx) AppendSrcPorts(ctx context.Context, p *srcports.Part, sensor string) error {
	if p == nil || !t.s.has(6) {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.done {
		return errors.New("transaction already finished")
	}
	db := t.s.db
	if err := t.s.insertRows(ctx, `INSERT INTO `+db+`.srcport_ingests (ingest_id, sensor, k, packets, dropped, confined, many, few)`,
		[]any{t.id, sensor, uint16(p.K), p.Packets, p.Dropped, int32(p.Confined), int32(p.Many), int32(p.Few)}); err != nil {
		return fmt.Errorf("source ports: %w", err)
	}
	var last netip.Addr
	var text string
	err := t.s.insert(ctx, `INSERT INTO `+db+`.srcport_counts (ingest_id, day, sensor, src, kind, proto, port, packets)`,
		len(p.Rows), func(i int) []any {
			r := &p.Rows[i]
			if r.Src != last || text == "" {
				last, text = r.Src, r.Src.String() // as the DuckDB store keeps it
			}
			return []any{t.id, r.Day.Time(), sensor, text, r.Kind, r.Proto, r.Port, r.Packets}
		})
	if err != nil {
		return fmt.Errorf("source ports: %w", err)
	}
	return nil
}

// srcPortCond is the condition on srcport_counts of q (without Net beyond
// an octet-aligned IPv4 prefix of the address text, filtered in Go).
func (s *Store) srcPortCond(ctx context.Context, q store.SrcPortQuery) (*cond, error) {
	c := s.visibleCond()
	if q.Run != 0 {
		w, args, err := s.runWindow(ctx, q.Run)
		if err != nil {
			return nil, fmt.Errorf("source ports of sandbox run %d: %w", q.Run, err)
		}
		c.add(w, args...)
	}
	if q.From != 0 {
		c.add("day >= toDate(?)", q.From.String())
	}
	if q.To != 0 {
		c.add("day <= toDate(?)", q.To.String())
	}
	in(c, "sensor", q.Sensors)
	if len(q.Exclude) > 0 {
		a := make([]any, len(q.Exclude))
		for i, v := range q.Exclude {
			a[i] = v
		}
		c.add("sensor NOT IN ("+placeholders(len(a))+")", a...)
	}
	if q.Src.IsValid() {
		c.add("src = ?", q.Src.Unmap().String())
	}
	if q.Srcs != nil {
		if len(q.Srcs) == 0 {
			c.add("0")
		} else {
			a := make([]any, len(q.Srcs))
			for i, v := range q.Srcs {
				a[i] = v.Unmap().String()
			}
			c.add("src IN ("+placeholders(len(a))+")", a...)
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
		c.add("substring(src, 1, ?) = ?", len(pre), pre)
	}
	if q.ASN != 0 || q.Country != "" {
		g := s.visibleCond()
		if q.ASN != 0 {
			g.add("asn = ?", q.ASN)
		}
		if q.Country != "" {
			g.add("country = ?", strings.ToUpper(q.Country))
		}
		c.add("(ingest_id, day, sensor, src) IN (SELECT ingest_id, day, sensor, src FROM "+s.db+".sources"+g.where()+")", g.args...)
	}
	if len(q.Used) > 0 {
		var or []string
		var args []any
		for _, k := range q.Used {
			or = append(or, "(proto = ? AND port = ?)")
			args = append(args, k.Proto, k.Port)
		}
		c.add("(ingest_id, day, sensor, src) IN (SELECT ingest_id, day, sensor, src FROM "+s.db+".srcport_counts WHERE kind = 0 AND ("+
			strings.Join(or, " OR ")+"))", args...)
	}
	return c, nil
}

// SrcPortObs implements store.SrcPortStore.
func (s *Store) SrcPortObs(ctx context.Context, q store.SrcPortQuery) ([]srcports.Obs, bool, error) {
	limit := q.Limit
	if limit <= 0 || limit > store.MaxSrcPortObs {
		limit = store.MaxSrcPortObs
	}
	c, err := s.srcPortCond(ctx, q)
	if err != nil {
		return nil, false, err
	}
	// The places of the selected sources only: sources is large.
	where := c.where()
	args := append(append([]any{}, c.args...), c.args...)
	rows, err := s.conn.Query(ctx, `SELECT toString(day) AS d, sensor, src, g_country, g_asn, kind, proto, port, toUInt64(sum(packets))
		FROM (SELECT ingest_id, day, sensor, src, kind, proto, port, packets FROM `+s.db+`.srcport_counts`+where+`)
		ANY LEFT JOIN (SELECT ingest_id, day, sensor, src, any(country) AS g_country, any(asn) AS g_asn FROM `+s.db+`.sources
			WHERE (ingest_id, day, sensor, src) IN (SELECT ingest_id, day, sensor, src FROM `+s.db+`.srcport_counts`+where+`)
			GROUP BY ingest_id, day, sensor, src) USING (ingest_id, day, sensor, src)
		GROUP BY d, sensor, src, g_country, g_asn, kind, proto, port
		ORDER BY d, sensor, src, kind, proto, port`, args...)
	if err != nil {
		return nil, false, fmt.Errorf("source ports: %w", err)
	}
	defer rows.Close()
	var out []srcports.Obs
	for rows.Next() {
		var o srcports.Obs
		var day, src string
		if err := rows.Scan(&day, &o.Sensor, &src, &o.Country, &o.ASN, &o.Kind, &o.Proto, &o.Port, &o.Packets); err != nil {
			return nil, false, fmt.Errorf("source ports: %w", err)
		}
		a, err := netip.ParseAddr(src)
		if err != nil {
			continue
		}
		if q.Net.IsValid() && !q.Net.Contains(a) {
			continue
		}
		if len(out) == limit {
			return out, true, nil
		}
		if o.Day, err = civil.Parse(day); err != nil {
			return nil, false, fmt.Errorf("source ports: %w", err)
		}
		o.Src = a
		out = append(out, o)
	}
	return out, false, rows.Err()
}

// SrcPortDays implements store.SrcPortStore.
func (s *Store) SrcPortDays(ctx context.Context, from, to civil.Day, sensors []string) (map[civil.Day]int, error) {
	c, err := s.srcPortCond(ctx, store.SrcPortQuery{From: from, To: to, Sensors: sensors})
	if err != nil {
		return nil, err
	}
	rows, err := s.conn.Query(ctx, `SELECT toString(day) AS d, count() FROM (SELECT DISTINCT day, sensor, src
		FROM `+s.db+`.srcport_counts`+c.where()+`) GROUP BY d`, c.args...)
	if err != nil {
		return nil, fmt.Errorf("source ports: %w", err)
	}
	defer rows.Close()
	out := map[civil.Day]int{}
	for rows.Next() {
		var day string
		var n uint64
		if err := rows.Scan(&day, &n); err != nil {
			return nil, fmt.Errorf("source ports: %w", err)
		}
		d, err := civil.Parse(day)
		if err != nil {
			return nil, fmt.Errorf("source ports: %w", err)
		}
		out[d] = int(n)
	}
	return out, rows.Err()
}
