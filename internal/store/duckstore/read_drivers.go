package duckstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
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
	if !s.rawReads && q.Dim != store.DimPort {
		// The ports of a country's or AS's series from the hits of its
		// source-days: exact when no source has two keys of the
		// dimension on a day (links_multi, with the links up to date),
		// and without joining every hit of the days with its sources row.
		var rows []store.BreakdownRow
		used, err := s.withLinks(ctx, q.To, func(tx *sql.Tx) (err error) {
			rows, err = breakdownPortsBySource(ctx, tx, q, meas)
			return err
		})
		if err != nil && !errors.Is(err, errNotLinked) {
			return nil, fmt.Errorf("breakdown of %s/%s: %w", q.Class, q.Dim, err)
		}
		if used && err == nil {
			out, queries = rows, queries[:1]
		}
	}
	for _, sqlText := range queries {
		var err error
		if out, err = s.breakdownRows(ctx, sqlText, args, out); err != nil {
			return nil, fmt.Errorf("breakdown of %s/%s: %w", q.Class, q.Dim, err)
		}
	}
	return out, nil
}

// breakdownPortsBySource is the ports part of a Breakdown of a country's
// or AS's series in tx: the hits of the source-days of that key
// (rollup_source_day), when links_multi shows that none of the days' sources
// has two keys of the dimension on one day; errNotLinked otherwise.
func breakdownPortsBySource(ctx context.Context, tx *sql.Tx, q store.BreakdownQuery, meas string) ([]store.BreakdownRow, error) {
	cl, ok := classify.ParseClass(q.Class)
	if !ok || q.To < q.From {
		return nil, errNotLinked
	}
	dr, dargs := readDays("day", q.From, q.To)
	var multi int64
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM links_multi WHERE dim = ? AND sensor IS NULL AND`+dr,
		append([]any{q.Dim}, dargs...)...).Scan(&multi); err != nil {
		return nil, err
	}
	if multi > 0 {
		return nil, errNotLinked
	}
	var key string
	var kargs []any
	switch q.Dim {
	case store.DimCountry:
		key, kargs = "country = ?", []any{q.Key.Country}
	case store.DimASN:
		key, kargs = "asn = ?", []any{int64(q.Key.ASN)}
	default:
		return nil, errNotLinked
	}
	hdr, hargs := readDays("h.day", q.From, q.To)
	sensors := ""
	var sargs []any
	if len(q.Sensors) > 0 {
		sensors = " AND h.ingest_id IN (SELECT id FROM ingests WHERE sensor IN (" + placeholders(len(q.Sensors)) + "))"
		for _, sn := range q.Sensors {
			sargs = append(sargs, sn)
		}
	}
	args := append(append(slices.Clone(hargs), sargs...), append(kargs, dargs...)...)
	rows, err := tx.QueryContext(ctx, `SELECT h.day, h.proto, h.port, `+meas+` FROM hit_counts h
		WHERE (h.classes & `+strconv.Itoa(int(cl.Bit()))+`) <> 0 AND`+hdr+sensors+`
		AND (h.day, h.skey) IN (SELECT day, skey FROM rollup_source_day WHERE `+key+` AND`+dr+`)
		GROUP BY h.day, h.proto, h.port`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.BreakdownRow
	for rows.Next() {
		var day time.Time
		var proto, port int64
		var v float64
		if err := rows.Scan(&day, &proto, &port, &v); err != nil {
			return nil, err
		}
		out = append(out, store.BreakdownRow{Day: civil.Of(day), Dim: store.DimPort, Key: store.Key{Proto: uint8(proto), Port: uint16(port)}, Value: v})
	}
	return out, rows.Err()
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
