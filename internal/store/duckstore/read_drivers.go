package duckstore

import (
	"context"
	"database/sql/driver"
	"fmt"
	"net/netip"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

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

// breakdownRows appends the rows of one breakdown query to out. A
// breakdown has up to some hundred thousand rows (a country's /24s by
// day): they are read from the driver directly, without database/sql's
// conversions.
func (s *Store) breakdownRows(ctx context.Context, sqlText string, args []any, out []store.BreakdownRow) ([]store.BreakdownRow, error) {
	err := s.withConn(ctx, func(conn *duckdb.Conn) error {
		return connRunner{ctx, conn}.query(sqlText, args, func(v []driver.Value) error {
			isASN, ok0 := v[0].(bool)
			isPort, ok1 := v[1].(bool)
			isPfx, ok2 := v[2].(bool)
			day, ok3 := v[3].(time.Time)
			val, ok8 := v[8].(float64)
			if !(ok0 && ok1 && ok2 && ok3 && ok8) {
				return fmt.Errorf("unexpected breakdown row %T %T %T %T %T", v[0], v[1], v[2], v[3], v[8])
			}
			r := store.BreakdownRow{Day: civil.Of(day), Value: val}
			switch {
			case isASN:
				asn, _ := driverInt(v[4])
				r.Dim, r.Key.ASN = store.DimASN, uint32(asn)
			case isPort:
				proto, _ := driverInt(v[5])
				port, _ := driverInt(v[6])
				r.Dim, r.Key.Proto, r.Key.Port = store.DimPort, uint8(proto), uint16(port)
			case isPfx:
				pfx, ok := driverInt(v[7])
				if !ok {
					return nil
				}
				p := uint32(pfx) << 8
				r.Dim = store.DimPrefix
				r.Key.Prefix = netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(p >> 24), byte(p >> 16), byte(p >> 8), 0}), 24)
			default:
				return nil
			}
			out = append(out, r)
			return nil
		})
	})
	return out, err
}

// driverInt is an integer value the driver returned (false for NULL).
func driverInt(v driver.Value) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		return int64(x), true
	}
	return 0, false
}
