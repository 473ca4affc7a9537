package duckstore

import (
	"context"
	"database/sql"
	"fmt"
	"net/netip"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Breakdown returns, per day of q, the packets or distinct sources of q's
// series by AS, by destination port and by IPv4 /24 of the source, in one
// scan. IPv6 sources have no /24 row.
func (s *Store) Breakdown(ctx context.Context, q store.BreakdownQuery) ([]store.BreakdownRow, error) {
	defer s.took("Breakdown", time.Now())
	var meas string
	switch q.Unit {
	case store.UnitPackets, "":
		meas = "CAST(sum(h.packets) AS DOUBLE)"
	case store.UnitSources:
		meas = "CAST(count(DISTINCT h.skey) AS DOUBLE)"
	default:
		return nil, fmt.Errorf("breakdown: unknown unit %q (packets or sources)", q.Unit)
	}
	where, args, err := readSeriesFilter(q)
	if err != nil {
		return nil, fmt.Errorf("breakdown: %w", err)
	}
	// The /24 of an IPv4 source is its source key (its 32-bit value) / 256.
	const prefixSQL = `CASE WHEN h.skey < 4294967296 THEN h.skey // 256 END`
	queries := []string{`SELECT GROUPING(h.asn) = 0, GROUPING(h.proto, h.port) = 0, GROUPING(h.pfx) = 0,
		h.day, h.asn, h.proto, h.port, h.pfx, ` + meas + `
		FROM (SELECT h.day, h.asn, h.proto, h.port, h.skey, h.packets, ` + prefixSQL + ` AS pfx` + readClassJoin + where + `) h
		GROUP BY GROUPING SETS ((h.day, h.asn), (h.day, h.proto, h.port), (h.day, h.pfx))`}
	if !s.rawReads && q.Dim != store.DimPort {
		// A country's or AS's series: by AS and /24 from
		// rollup_source_day (source keys with their country and AS); only
		// the ports need the hits.
		queries = []string{`SELECT GROUPING(h.asn) = 0, false, GROUPING(h.pfx) = 0,
		h.day, h.asn, NULL, NULL, h.pfx, ` + meas + `
		FROM (SELECT h.day, h.asn, h.skey, h.packets, ` + prefixSQL + ` AS pfx FROM rollup_source_day h JOIN classes c ON (h.classes & c.bit) <> 0` + where + `) h
		GROUP BY GROUPING SETS ((h.day, h.asn), (h.day, h.pfx))`,
			`SELECT false, true, false, h.day, NULL, h.proto, h.port, NULL, ` + meas + readClassJoin + where + ` GROUP BY h.day, h.proto, h.port`}
	}
	var out []store.BreakdownRow
	for _, sqlText := range queries {
		var err error
		if out, err = s.breakdownRows(ctx, sqlText, args, out); err != nil {
			return nil, fmt.Errorf("breakdown of %s/%s: %w", q.Class, q.Dim, err)
		}
	}
	return out, nil
}

// breakdownRows appends the rows of one breakdown query to out.
func (s *Store) breakdownRows(ctx context.Context, sqlText string, args []any, out []store.BreakdownRow) ([]store.BreakdownRow, error) {
	rows, err := s.db.QueryContext(ctx, sqlText, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			isASN, isPort, isPfx bool
			day                  time.Time
			asn, proto, port     sql.NullInt64
			pfx                  sql.NullInt64
			v                    float64
		)
		if err := rows.Scan(&isASN, &isPort, &isPfx, &day, &asn, &proto, &port, &pfx, &v); err != nil {
			return nil, err
		}
		r := store.BreakdownRow{Day: civil.Of(day), Value: v}
		switch {
		case isASN:
			r.Dim, r.Key.ASN = store.DimASN, uint32(asn.Int64)
		case isPort:
			r.Dim, r.Key.Proto, r.Key.Port = store.DimPort, uint8(proto.Int64), uint16(port.Int64)
		case isPfx:
			if !pfx.Valid {
				continue
			}
			p := uint32(pfx.Int64) << 8
			r.Dim = store.DimPrefix
			r.Key.Prefix = netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(p >> 24), byte(p >> 16), byte(p >> 8), 0}), 24)
		default:
			continue
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
