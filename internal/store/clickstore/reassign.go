package clickstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/store"
)

// Reassign geolocates the stored sources of days [from, to] (either ""
// for open) again with locate. ClickHouse updates rows only by slow
// mutations, so each committed ingest with sources on those days is
// written again as a new ingest replacing it (its rows copied with the new
// places on those days, the same way a --force replacement works): one
// ingest's change appears at once, and the rollups follow through their
// views. Ingests whose every day was re-geolocated name the new databases.
// With asnDB "" the stored ASNs and organisations are kept. The run is
// recorded in geo_history. Different ingests change one after another: a
// read during the run may see some re-geolocated and others not.
func (s *Store) Reassign(ctx context.Context, from, to string, locate func(netip.Addr) store.Place, countryDB, asnDB string) (store.ReassignResult, error) {
	var res store.ReassignResult
	if s.readOnly {
		return res, errors.New("store opened read-only")
	}
	// The days as a literal condition (checked days: no quoting needed
	// beyond quote), used inside the copies too.
	inRange := "1"
	var days []string
	for _, b := range []struct{ op, v string }{{">=", from}, {"<=", to}} {
		if b.v == "" {
			continue
		}
		if _, err := store.ParseDay(b.v); err != nil {
			return res, err
		}
		days = append(days, "day "+b.op+" toDate("+quote(b.v)+")")
	}
	if len(days) > 0 {
		inRange = "(" + strings.Join(days, " AND ") + ")"
	}
	c := s.visibleCond()
	c.add(inRange)
	srcs, err := s.column(ctx, `SELECT DISTINCT src FROM `+s.db+`.sources`+c.where(), c.args...)
	if err != nil {
		return res, fmt.Errorf("reassign: %w", err)
	}
	res.Sources = len(srcs)
	if len(srcs) == 0 {
		return res, s.recordReassign(ctx, from, to, countryDB, asnDB, res)
	}
	var tok [8]byte
	rand.Read(tok[:])
	places := s.db + ".regeo_" + hex.EncodeToString(tok[:])
	if err := s.conn.Exec(ctx, `CREATE TABLE `+places+` (src String, g_country String, g_asn UInt32, g_org String, g_special String) ENGINE = Memory`); err != nil {
		return res, fmt.Errorf("reassign: %w", err)
	}
	defer s.conn.Exec(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS `+places)
	err = s.insert(ctx, `INSERT INTO `+places+` (src, g_country, g_asn, g_org, g_special)`, len(srcs), func(i int) []any {
		p := store.Place{Country: "??"}
		if a, err := netip.ParseAddr(srcs[i]); err == nil {
			p = locate(a)
		}
		return []any{srcs[i], p.Country, p.ASN, p.Org, p.Special}
	})
	if err != nil {
		return res, fmt.Errorf("reassign: %w", err)
	}
	diff := "country != g_country"
	if asnDB != "" {
		diff += " OR asn != g_asn"
	}
	var rows, changed uint64
	if err := s.conn.QueryRow(ctx, `SELECT count(), countIf(`+diff+`) FROM `+s.db+`.sources ANY LEFT JOIN `+places+` USING src`+c.where(),
		c.args...).Scan(&rows, &changed); err != nil {
		return res, fmt.Errorf("reassign: %w", err)
	}
	res.Rows, res.Changed = int64(rows), int64(changed)
	// Every ingest with rows on the days, and whether all its days are.
	ids, err := s.conn.Query(ctx, `SELECT ingest_id, toUInt8(min(`+inRange+`)) FROM `+s.db+`.sources WHERE ingest_id IN (
		SELECT DISTINCT ingest_id FROM `+s.db+`.sources`+c.where()+`) GROUP BY ingest_id ORDER BY ingest_id`)
	if err != nil {
		return res, fmt.Errorf("reassign: %w", err)
	}
	type ing struct {
		id  int32
		all uint8
	}
	var todo []ing
	for ids.Next() {
		var x ing
		if err := ids.Scan(&x.id, &x.all); err != nil {
			ids.Close()
			return res, fmt.Errorf("reassign: %w", err)
		}
		todo = append(todo, x)
	}
	ids.Close()
	if err := ids.Err(); err != nil {
		return res, fmt.Errorf("reassign: %w", err)
	}
	for _, x := range todo {
		if err := s.regeoIngest(ctx, x.id, x.all == 1, inRange, places, countryDB, asnDB); err != nil {
			return res, fmt.Errorf("reassign: ingest %d: %w", x.id, err)
		}
	}
	return res, s.recordReassign(ctx, from, to, countryDB, asnDB, res)
}

// regeoIngest writes ingest old again under a new id with the places of
// its sources on the days inRange selects.
func (s *Store) regeoIngest(ctx context.Context, old int32, all bool, inRange, places, countryDB, asnDB string) error {
	tx, err := s.Begin(ctx)
	if err != nil {
		return err
	}
	t := tx.(*Tx)
	fail := func(err error) error {
		t.Abort()
		return err
	}
	asn, org := "asn", "as_org"
	if asnDB != "" {
		asn, org = "if(r, g_asn, asn)", "if(r, g_org, as_org)"
	}
	id := fmt.Sprint(t.id)
	join := ` ANY LEFT JOIN ` + places + ` USING src WHERE ingest_id = ` + fmt.Sprint(old)
	copies := []string{
		`INSERT INTO ` + s.db + `.sources (ingest_id, day, sensor, src, country, asn, as_org, special, packets, bytes, classes, first_ns, last_ns, src_port, tcpudp)
		SELECT ` + id + `, day, sensor, src, if(r, g_country, country), ` + asn + `, ` + org + `, if(r, g_special, special),
			packets, bytes, classes, first_ns, last_ns, src_port, tcpudp
		FROM (SELECT *, ` + inRange + ` AS r FROM ` + s.db + `.sources WHERE ingest_id = ` + fmt.Sprint(old) + `)` + join,
		`INSERT INTO ` + s.db + `.hits (ingest_id, day, sensor, src, country, asn, proto, port, classes, packets)
		SELECT ` + id + `, day, sensor, src, if(r, g_country, country), ` + asn + `, proto, port, classes, packets
		FROM (SELECT *, ` + inRange + ` AS r FROM ` + s.db + `.hits WHERE ingest_id = ` + fmt.Sprint(old) + `)` + join,
		`INSERT INTO ` + s.db + `.exploits (ingest_id, day, sensor, src, country, asn, proto, port, pattern, packets)
		SELECT ` + id + `, day, sensor, src, if(r, g_country, country), ` + asn + `, proto, port, pattern, packets
		FROM (SELECT *, ` + inRange + ` AS r FROM ` + s.db + `.exploits WHERE ingest_id = ` + fmt.Sprint(old) + `)` + join,
	}
	for _, q := range append(copies, s.evidenceCopies(old, id)...) {
		if err := s.conn.Exec(ctx, q); err != nil {
			return fail(err)
		}
	}
	if err := s.conn.Exec(ctx, `INSERT INTO `+s.db+`.hourly (ingest_id, hour, sensor, proto, classes, packets, bytes)
		SELECT `+id+`, hour, sensor, proto, classes, packets, bytes FROM `+s.db+`.hourly WHERE ingest_id = `+fmt.Sprint(old)); err != nil {
		return fail(err)
	}
	cdb, adb := "country_db", "asn_db"
	if all {
		cdb = quote(countryDB)
		if asnDB != "" {
			adb = quote(asnDB)
		}
	}
	// The ingest's one row, retiring the old: the copy appears at once.
	// (t is this function's own: no other caller holds it.)
	err = s.conn.Exec(ctx, `INSERT INTO `+s.db+`.ingests (id, replaces, path, hash, size, sensor, format,
		frames, packets, outbound, undecodable, first_ns, last_ns, error, error_offset, ingested_at, duration_ms,
		country_db, asn_db, version, detection, rule_set, kernel_drops, queue_drops)
		SELECT `+id+`, [toInt32(`+fmt.Sprint(old)+`)], path, hash, size, sensor, format,
		frames, packets, outbound, undecodable, first_ns, last_ns, error, error_offset, ingested_at, duration_ms,
		`+cdb+`, `+adb+`, version, detection, rule_set, kernel_drops, queue_drops FROM `+s.db+`.ingests WHERE id = `+fmt.Sprint(old)+` LIMIT 1`)
	if err != nil {
		return fail(err)
	}
	t.done = true
	return nil
}

// recordReassign adds the run's row to geo_history.
func (s *Store) recordReassign(ctx context.Context, from, to, countryDB, asnDB string, res store.ReassignResult) error {
	return s.insertRows(ctx, `INSERT INTO `+s.db+`.geo_history (done_at, day_from, day_to, country_db, asn_db, sources, rows, changed)`,
		[]any{time.Now().UTC(), from, to, countryDB, asnDB, int64(res.Sources), res.Rows, res.Changed})
}

// column runs a query of one String column.
func (s *Store) column(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.conn.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
