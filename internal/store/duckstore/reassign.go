package duckstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"github.com/honeyscope/honeyscope/internal/store"
	"net/netip"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Reassign geolocates the stored sources of days [from, to] (either may be
// "" for open) again with locate, in one transaction, and records the
// databases used in the geo_history table. Captures are not read again.
// With asnDB "" (no ASN database given) the stored ASNs and organisations
// are kept and only countries and special ranges are replaced. The rollups
// of the re-geolocated days are rebuilt in the same transaction.
func (s *Store) Reassign(ctx context.Context, from, to string, locate func(netip.Addr) store.Place, countryDB, asnDB string) (store.ReassignResult, error) {
	// Sources may change country or AS: what commits carried is stale.
	defer s.carry.drop()
	var res store.ReassignResult
	if s.readOnly {
		return res, errors.New("store opened read-only")
	}
	if err := s.lockWrites(ctx); err != nil {
		return res, fmt.Errorf("reassign: %w", err)
	}
	defer s.unlockWrites()
	where, args, err := dayRange(from, to)
	if err != nil {
		return res, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT src FROM sources`+where, args...)
	if err != nil {
		return res, fmt.Errorf("reassign: %w", err)
	}
	var srcs []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return res, err
		}
		srcs = append(srcs, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return res, err
	}
	res.Sources = len(srcs)
	err = s.withConn(ctx, func(conn *duckdb.Conn) error {
		exec := func(q string, a ...any) (int64, error) {
			nv := make([]driver.NamedValue, len(a))
			for i, v := range a {
				nv[i] = driver.NamedValue{Ordinal: i + 1, Value: v}
			}
			r, err := conn.ExecContext(ctx, q, nv)
			if err != nil {
				return 0, err
			}
			return r.RowsAffected()
		}
		if _, err := exec(`CREATE TEMP TABLE IF NOT EXISTS regeo (src VARCHAR, country VARCHAR, asn UINTEGER, as_org VARCHAR, special VARCHAR)`); err != nil {
			return err
		}
		if _, err := exec(`DELETE FROM regeo`); err != nil {
			return err
		}
		err := appendRows(conn, "regeo", len(srcs), func(i int) []driver.Value {
			p := store.Place{Country: "??"}
			if a, err := netip.ParseAddr(srcs[i]); err == nil {
				p = locate(a)
			}
			return []driver.Value{srcs[i], p.Country, p.ASN, p.Org, p.Special}
		})
		if err != nil {
			return err
		}
		if _, err := exec("BEGIN TRANSACTION"); err != nil {
			return err
		}
		fail := func(err error) error {
			_, _ = exec("ROLLBACK")
			return err
		}
		w := where
		if w == "" {
			w = " WHERE true"
		}
		// Without an ASN database only countries (and special ranges) change.
		asnExploits, asnDiff := `, asn = g.asn`, ` OR sources.asn <> g.asn`
		if asnDB == "" {
			asnExploits, asnDiff = "", ""
		}
		changed, err := queryInt(ctx, conn, `SELECT count(*) FROM sources JOIN regeo g ON sources.src = g.src
			WHERE (sources.country <> g.country`+asnDiff+`)`+andDays(w), args...)
		if err != nil {
			return fail(err)
		}
		res.Changed = changed
		// source_rows name their places by code: the triples the sources
		// get that places lacks are added, then the rows point at them.
		org, asnRow := "o.as_org", ""
		if asnDB != "" {
			org, asnRow = "g.as_org", ", asn = g.asn"
		}
		srcOf := func(r string) string { return "coalesce(" + r + ".src6, " + ipv4Text(r+".skey") + ")" }
		if _, err := exec(`INSERT INTO places
			SELECT CAST((SELECT coalesce(max(code) + 1, 0) FROM places) + row_number() OVER (ORDER BY country, as_org, special) - 1 AS UINTEGER),
				country, as_org, special
			FROM (SELECT DISTINCT g.country, `+org+` AS as_org, g.special
				FROM source_rows r JOIN regeo g ON `+srcOf("r")+` = g.src JOIN places o ON o.code = r.place WHERE true`+andDays(w)+`
				EXCEPT SELECT country, as_org, special FROM places)`, args...); err != nil {
			return fail(err)
		}
		upd, err := exec(`UPDATE source_rows SET place = p.code`+asnRow+`
			FROM regeo g, places o, places p
			WHERE `+srcOf("source_rows")+` = g.src AND o.code = source_rows.place AND p.country IS NOT DISTINCT FROM g.country
				AND p.as_org IS NOT DISTINCT FROM `+org+` AND p.special IS NOT DISTINCT FROM g.special`+andDays(w), args...)
		if err != nil {
			return fail(err)
		}
		res.Rows = upd
		if _, err := exec(`UPDATE exploits SET country = g.country`+asnExploits+` FROM regeo g WHERE exploits.src = g.src`+andDays(w), args...); err != nil {
			return fail(err)
		}
		// The rollups that depend on countries and ASNs, for every
		// (sensor, day) whose sources were placed again.
		run := connRunner{ctx, conn}
		scope, err := scopeOf(run, where, args...)
		if err != nil {
			return fail(err)
		}
		if err := refreshRollups(run, scope, true); err != nil {
			return fail(err)
		}
		if err := markScope(run, scope); err != nil {
			return fail(err)
		}
		if _, err := exec(`INSERT INTO geo_history VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, time.Now().UTC(), from, to, countryDB, asnDB, int64(res.Sources), res.Rows, res.Changed); err != nil {
			return fail(err)
		}
		// Ingests whose every day was re-geolocated now carry the new databases.
		dbSet, dbArgs := `country_db = ?, asn_db = ?`, []any{countryDB, asnDB}
		if asnDB == "" {
			dbSet, dbArgs = `country_db = ?`, []any{countryDB}
		}
		if _, err := exec(`UPDATE ingests SET `+dbSet+` WHERE id NOT IN (SELECT DISTINCT ingest_id FROM sources WHERE NOT (true`+andDays(w)+`))`, append(dbArgs, args...)...); err != nil {
			return fail(err)
		}
		_, err = exec("COMMIT")
		return err
	})
	if err != nil {
		return res, fmt.Errorf("reassign: %w", err)
	}
	return res, nil
}

// andDays turns " WHERE cond" into " AND cond" ("" stays "").
func andDays(where string) string {
	if where == " WHERE true" || where == "" {
		return ""
	}
	return " AND " + where[len(" WHERE "):]
}

func dayRange(from, to string) (string, []any, error) {
	var conds []string
	var args []any
	if from != "" {
		t, err := store.ParseDay(from)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, "day >= ?")
		args = append(args, t)
	}
	if to != "" {
		t, err := store.ParseDay(to)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, "day <= ?")
		args = append(args, t)
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	w := " WHERE " + conds[0]
	for _, c := range conds[1:] {
		w += " AND " + c
	}
	return w, args, nil
}
