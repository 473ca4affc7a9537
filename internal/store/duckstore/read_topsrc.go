package duckstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/honeyscope/honeyscope/internal/store"
)

// topSourcesQuestion reports whether q asks for sources (By src alone)
// over dimensions rollup_source_day keeps (day, sensor, class, country,
// AS), which topSourcesSQL answers from their keys.
func topSourcesQuestion(q store.StatsQuery) bool {
	return slices.Equal(q.By, []string{"src"}) && q.RuleSet == 0 && len(q.Ports) == 0 && len(q.Protos) == 0 &&
		len(q.Srcs) == 0 && !q.NoSources && (q.OrderBy == "" || q.OrderBy == "packets" || q.OrderBy == "sources")
}

// topSourcesSQL is the SQL of a topSourcesQuestion: the packets of each
// source key from rollup_source_day (no join with the sources' texts for
// every key), the keys that can make the top (those tied with the Top-th
// included, as a key's text orders ties), and only their addresses looked
// up in the sources. Two IPv6 sources sharing a key (docs/store.md) would
// show with their packets together.
func topSourcesSQL(q store.StatsQuery) (string, []any, error) {
	inner := q
	inner.Top, inner.OrderBy = 0, "key"
	plan := statsPlan{
		table:      "(SELECT x.*, x.skey AS src FROM rollup_source_day x)",
		classTable: "(SELECT x.*, x.skey AS src, c.name AS class FROM rollup_source_day x JOIN classes c ON (x.classes & c.bit) <> 0)",
	}
	sqlText, args, err := statsSQLPlan(inner, plan, "")
	if err != nil {
		return "", nil, err
	}
	const order = " ORDER BY src"
	if !strings.HasSuffix(sqlText, order) {
		return "", nil, fmt.Errorf("top sources: unexpected query %q", sqlText)
	}
	sqlText = strings.TrimSuffix(sqlText, order)
	// A group of one source key has one source: no distinct count of
	// each (a third of the time over a month).
	const distinctKeys = "CAST(count(DISTINCT skey) AS UBIGINT) AS sources"
	if strings.Count(sqlText, distinctKeys) != 1 {
		return "", nil, fmt.Errorf("top sources: unexpected query %q", sqlText)
	}
	sqlText = strings.Replace(sqlText, distinctKeys, "CAST(1 AS UBIGINT) AS sources", 1)
	first, second := "packets", "sources"
	if q.OrderBy == "sources" {
		first, second = "sources", "packets"
	}
	keep := "(SELECT * FROM a)"
	if q.Top > 0 {
		// The Top-th row's numbers; every row at or above them can be
		// in the top once ties are ordered by the addresses' text.
		keep = `(SELECT a.* FROM a WHERE NOT EXISTS (SELECT 1 FROM th) OR (a.` + first + `, a.` + second + `) >= (SELECT (th.` + first + `, th.` + second + `) FROM th))`
		sqlText = `WITH a AS MATERIALIZED (` + sqlText + `),
		th AS (SELECT packets, sources FROM a ORDER BY ` + first + ` DESC, ` + second + ` DESC LIMIT 1 OFFSET ` + strconv.Itoa(q.Top-1) + `),`
	} else {
		sqlText = `WITH a AS MATERIALIZED (` + sqlText + `),`
	}
	sqlText += `
		t AS MATERIALIZED ` + keep + `,
		n AS (SELECT src AS skey, ` + ipv4Text("src") + ` AS src FROM t WHERE src < ` + ipv6Keys + `
			UNION ALL SELECT DISTINCT skey, src6 FROM source_rows WHERE skey IN (SELECT src FROM t WHERE src >= ` + ipv6Keys + `))
		SELECT n.src, t.packets, t.sources FROM t JOIN n ON n.skey = t.src
		ORDER BY t.` + first + ` DESC, t.` + second + ` DESC, n.src`
	if q.Top > 0 {
		sqlText += " LIMIT " + strconv.Itoa(q.Top)
	}
	return sqlText, args, nil
}

// ipv6Keys is the smallest source key of an IPv6 source (SourceKey): a
// smaller key is an IPv4 address's value, whose text needs no lookup in
// source_rows (a scan of every row of it, 35-50 ms on the bench store).
const ipv6Keys = "CAST(9223372036854775808 AS UBIGINT)"

// topSources answers a topSourcesQuestion.
func (s *Store) topSources(ctx context.Context, q store.StatsQuery) ([]store.StatsRow, error) {
	sqlText, args, err := topSourcesSQL(q)
	if err != nil {
		return nil, err
	}
	return scanStats(q, func() (*sql.Rows, error) { return s.db.QueryContext(ctx, sqlText, args...) })
}
