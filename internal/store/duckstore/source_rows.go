package duckstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Source-day rows in numbers only (schema 17).
//
// A source-day row used to carry five texts (its address, country, AS
// organisation, special range and sensor): most of what inserting it cost
// DuckDB, which builds, checks and compresses every string. The table
// source_rows holds numbers instead: the address is the source key (an
// IPv4 address is its key; an IPv6 address, whose key is a hash, keeps its
// text in src6), and the country, organisation and special range are a
// code into places, a small table of the distinct triples every ingest
// shares. The view sources gives the rows their old shape, texts included,
// so that readers are unchanged; writers write source_rows (and places).

// sourceRowsSchema is migration 16: move the rows of sources into
// source_rows and places, and replace the table by a view of the same name
// and columns.
var sourceRowsSchema = []string{
	`CREATE TABLE places (code UINTEGER, country VARCHAR, as_org VARCHAR, special VARCHAR)`,
	`INSERT INTO places SELECT CAST(row_number() OVER (ORDER BY country, as_org, special) - 1 AS UINTEGER), country, as_org, special
		FROM (SELECT DISTINCT country, as_org, special FROM sources)`,
	`CREATE TABLE source_rows (
		ingest_id INTEGER, sid UINTEGER, day DATE, sensor VARCHAR, src6 VARCHAR, place UINTEGER, asn UINTEGER,
		packets UBIGINT, bytes UBIGINT, classes UTINYINT, first_seen TIMESTAMP, last_seen TIMESTAMP,
		src_port INTEGER, tcpudp BOOLEAN, skey UBIGINT)`,
	// src6 only where the text is not the one the view derives from the key.
	`INSERT INTO source_rows SELECT s.ingest_id, s.sid, s.day, s.sensor,
		CASE WHEN s.skey < 4294967296 AND s.src IS NOT DISTINCT FROM ` + ipv4Text("s.skey") + ` THEN NULL ELSE s.src END,
		p.code, s.asn, s.packets, s.bytes, s.classes, s.first_seen, s.last_seen, s.src_port, s.tcpudp, s.skey
		FROM sources s JOIN places p ON p.country IS NOT DISTINCT FROM s.country
			AND p.as_org IS NOT DISTINCT FROM s.as_org AND p.special IS NOT DISTINCT FROM s.special
		ORDER BY s.ingest_id, s.sid`,
	`DROP TABLE sources`,
	sourcesView,
}

// sourcesView is the view that gives source_rows the columns sources had.
var sourcesView = `CREATE OR REPLACE VIEW sources AS
	SELECT r.ingest_id, r.sid, r.day, r.sensor, coalesce(r.src6, ` + ipv4Text("r.skey") + `) AS src,
		p.country, r.asn, p.as_org, p.special, r.packets, r.bytes, r.classes, r.first_seen, r.last_seen,
		r.src_port, r.tcpudp, r.skey
	FROM source_rows r JOIN places p ON p.code = r.place`

// ipv4Text is the SQL expression of the dotted-quad text of an IPv4 source
// key (the address as a number).
func ipv4Text(key string) string {
	return `(CAST(` + key + ` >> 24 AS VARCHAR) || '.' || CAST((` + key + ` >> 16) & 255 AS VARCHAR) || '.' || CAST((` +
		key + ` >> 8) & 255 AS VARCHAR) || '.' || CAST(` + key + ` & 255 AS VARCHAR))`
}

// placeText is what places holds of a place.
type placeText struct {
	country, org, special string
}

// placeCodes is a Tx's copy of places: the code of each triple stored, and
// the next free code. It is read in the Tx's transaction before its first
// part, and new triples are added to places by the part that meets them.
type placeCodes struct {
	code map[placeText]uint32
	next uint32
	// byASN: the triples met so far by ASN, to look a source's up without
	// hashing its three texts (an AS has one organisation, and few
	// countries).
	byASN map[uint32][]placeCode
}

type placeCode struct {
	placeText
	code uint32
}

// loadPlaces reads places (inside the Tx's transaction).
func loadPlaces(ctx context.Context, conn *duckdb.Conn) (*placeCodes, error) {
	pc := &placeCodes{code: map[placeText]uint32{}}
	err := connRunner{ctx, conn}.query(`SELECT code, country, as_org, special FROM places`, nil, func(v []driver.Value) error {
		code, ok := v[0].(uint32)
		if !ok {
			return fmt.Errorf("places.code is %T", v[0])
		}
		pc.next = max(pc.next, code+1)
		c, ok1 := v[1].(string)
		o, ok2 := v[2].(string)
		s, ok3 := v[3].(string)
		if ok1 && ok2 && ok3 { // a triple with a NULL (from an old store) is never looked up
			pc.code[placeText{c, o, s}] = code
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read places: %w", err)
	}
	return pc, nil
}

// codes returns the place code of each source of a part, adding the
// triples not yet stored to places.
func (pc *placeCodes) codes(ctx context.Context, exec func(string, ...any) error, places []store.Place) ([]uint32, error) {
	codes := make([]uint32, len(places))
	var added []placeText
	if pc.byASN == nil {
		pc.byASN = map[uint32][]placeCode{}
	}
next:
	for i := range places {
		pl := &places[i]
		k := placeText{pl.Country, pl.Org, pl.Special}
		seen := pc.byASN[pl.ASN]
		for j := range seen {
			if seen[j].placeText == k {
				codes[i] = seen[j].code
				continue next
			}
		}
		c, ok := pc.code[k]
		if !ok {
			c = pc.next
			pc.next++
			pc.code[k] = c
			added = append(added, k)
		}
		if len(seen) < 8 { // (ASN 0, unknown, spans every country)
			pc.byASN[pl.ASN] = append(seen, placeCode{k, c})
		}
		codes[i] = c
	}
	if len(added) == 0 {
		return codes, nil
	}
	cols, err := colInfos("code", duckdb.TYPE_UINTEGER, "country", duckdb.TYPE_VARCHAR, "as_org", duckdb.TYPE_VARCHAR, "special", duckdb.TYPE_VARCHAR)
	if err != nil {
		return nil, err
	}
	first := pc.next - uint32(len(added))
	err = bulkInsert(ctx, exec, "places", cols, len(added), func(c duckdb.DataChunk, row, i int) error {
		t := &added[i]
		if err := duckdb.SetChunkValue(c, 0, row, first+uint32(i)); err != nil {
			return err
		}
		duckdb.SetChunkValue(c, 1, row, t.country)
		duckdb.SetChunkValue(c, 2, row, t.org)
		return duckdb.SetChunkValue(c, 3, row, t.special)
	})
	return codes, err
}

// insertSources inserts a part's source_rows: numbers only, filled value
// by value into DuckDB's vectors (no NULL, whose mark is a call into
// DuckDB of its own: the source port comes with its state, and SQL makes
// it NULL). IPv4 and IPv6 sources go in two statements, so that only the
// latter fill src6.
func insertSources(ctx context.Context, exec func(string, ...any) error, id int32, base uint32, r *aggregate.Result, codes []uint32, places []store.Place, keys []uint64, sensor string) error {
	if len(r.Sources) == 0 {
		return nil
	}
	var v6 []uint32
	for i := range keys {
		if keys[i] >= 1<<32 {
			v6 = append(v6, uint32(i))
		}
	}
	spec := []any{"sid", duckdb.TYPE_UINTEGER, "day", duckdb.TYPE_INTEGER, "place", duckdb.TYPE_UINTEGER,
		"asn", duckdb.TYPE_UINTEGER, "packets", duckdb.TYPE_UBIGINT, "bytes", duckdb.TYPE_UBIGINT, "classes", duckdb.TYPE_UTINYINT,
		"first_us", duckdb.TYPE_BIGINT, "last_us", duckdb.TYPE_BIGINT, "src_port", duckdb.TYPE_INTEGER,
		"port_state", duckdb.TYPE_UTINYINT, "skey", duckdb.TYPE_UBIGINT}
	fillRow := func(c duckdb.DataChunk, row, i int) error {
		sd := &r.Sources[i]
		if err := duckdb.SetChunkValue(c, 0, row, base+uint32(i)); err != nil {
			return err
		}
		duckdb.SetChunkValue(c, 1, row, int32(sd.Day))
		duckdb.SetChunkValue(c, 2, row, codes[i])
		duckdb.SetChunkValue(c, 3, row, places[i].ASN)
		duckdb.SetChunkValue(c, 4, row, sd.Packets)
		duckdb.SetChunkValue(c, 5, row, sd.Bytes)
		duckdb.SetChunkValue(c, 6, row, uint8(sd.Tags))
		// TIMESTAMP holds microseconds; duckdb-go would store UnixMicro.
		duckdb.SetChunkValue(c, 7, row, time.Unix(0, sd.First).UnixMicro())
		duckdb.SetChunkValue(c, 8, row, time.Unix(0, sd.Last).UnixMicro())
		duckdb.SetChunkValue(c, 9, row, int32(sd.SrcPort))
		duckdb.SetChunkValue(c, 10, row, sd.PortState)
		return duckdb.SetChunkValue(c, 11, row, keys[i])
	}
	sel := func(src6 string) string {
		return fmt.Sprintf(`%d, sid, DATE '1970-01-01' + day, %s, %s, place, asn, packets, bytes, classes,
			make_timestamp(first_us), make_timestamp(last_us), CASE WHEN port_state = 1 THEN src_port END, port_state <> 0, skey`,
			id, sqlString(sensor), src6)
	}
	if len(v6) == 0 {
		cols, err := colInfos(spec...)
		if err != nil {
			return err
		}
		return bulkInsertAs(ctx, exec, "source_rows", sel("NULL"), cols, len(r.Sources), fillRow)
	}
	// Mixed: the IPv4 rows, then the IPv6 ones with their text.
	v4 := make([]uint32, 0, len(keys)-len(v6))
	for i := range keys {
		if keys[i] < 1<<32 {
			v4 = append(v4, uint32(i))
		}
	}
	cols, err := colInfos(spec...)
	if err != nil {
		return err
	}
	if err := bulkInsertAs(ctx, exec, "source_rows", sel("NULL"), cols, len(v4), func(c duckdb.DataChunk, row, i int) error {
		return fillRow(c, row, int(v4[i]))
	}); err != nil {
		return err
	}
	cols6, err := colInfos(append(spec, "src6", duckdb.TYPE_VARCHAR)...)
	if err != nil {
		return err
	}
	return bulkInsertAs(ctx, exec, "source_rows", sel("src6"), cols6, len(v6), func(c duckdb.DataChunk, row, i int) error {
		s := int(v6[i])
		if err := fillRow(c, row, s); err != nil {
			return err
		}
		return duckdb.SetChunkValue(c, 12, row, r.Sources[s].Addr.String())
	})
}

// migrateSourceRows is migration 17 (sourceRowsSchema).
func migrateSourceRows(ctx context.Context, tx *sql.Tx) error {
	return execAll(sourceRowsSchema)(ctx, tx)
}
