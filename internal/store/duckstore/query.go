package duckstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"

	"github.com/honeyscope/honeyscope/internal/classify"
)

const protoSQL = `CASE proto WHEN 1 THEN 'icmp' WHEN 6 THEN 'tcp' WHEN 17 THEN 'udp' WHEN 58 THEN 'icmpv6' WHEN 47 THEN 'gre' ELSE CAST(proto AS VARCHAR) END`

// Stats runs q and returns its rows, ordered by packets (descending). Row
// keys follow q.Dims(), not q.By.
//
// Each query is answered from the smallest table that gives exactly the
// rows the source-level tables would (planStats, docs/store.md).
func (s *Store) Stats(ctx context.Context, q store.StatsQuery) ([]store.StatsRow, error) {
	defer s.took("Stats", time.Now())
	return s.stats(ctx, q, s.rawReads)
}

// stats runs q; raw forces the source-level tables (for tests comparing
// the two).
func (s *Store) stats(ctx context.Context, q store.StatsQuery, raw bool) ([]store.StatsRow, error) {
	q.By = q.Dims()
	if !raw {
		if lp, ok := linksPlan(q); ok {
			// The links, when up to date for the days asked (else
			// the plan below counts distinct keys).
			var out []store.StatsRow
			used, err := s.withLinks(ctx, linksTo(q.To), func(tx *sql.Tx) error {
				if len(q.Ports) > 0 {
					if ok, err := portsLinked(ctx, tx, q); err != nil || !ok {
						return cmp.Or(err, errNotLinked)
					}
				}
				names, err := asNames(ctx, tx)
				if err != nil {
					return err
				}
				out, err = statsIn(ctx, tx, q, lp, names)
				return err
			})
			if used || err != nil {
				return out, err
			}
		}
	}
	if !raw && slices.Contains(q.By, "asn") {
		// The names of ASes from the links' table of them when it is
		// up to date (the whole store: names are not of some days).
		var out []store.StatsRow
		used, err := s.withLinks(ctx, civil.Day(math.MaxInt32), func(tx *sql.Tx) (err error) {
			out, err = statsIn(ctx, tx, q, planOf(q), "links_as_names")
			return err
		})
		if used || err != nil {
			return out, err
		}
	}
	if !raw && topPortsQuestion(q) {
		var out []store.StatsRow
		used, err := s.withLinks(ctx, linksTo(q.To), func(tx *sql.Tx) (err error) {
			out, err = topPorts(ctx, tx, q)
			return err
		})
		if used || err != nil {
			return out, err
		}
	}
	if !raw && topSourcesQuestion(q) {
		return s.topSources(ctx, q)
	}
	sqlText, args, err := statsSQL(q, raw)
	if err != nil {
		return nil, err
	}
	return scanStats(q, func() (*sql.Rows, error) { return s.db.QueryContext(ctx, sqlText, args...) })
}

// statsIn answers q from plan in tx, names of ASes from names (see
// statsSQLPlan).
func statsIn(ctx context.Context, tx *sql.Tx, q store.StatsQuery, plan statsPlan, names string) ([]store.StatsRow, error) {
	sqlText, args, err := statsSQLPlan(q, plan, names)
	if err != nil {
		return nil, err
	}
	return scanStats(q, func() (*sql.Rows, error) { return tx.QueryContext(ctx, sqlText, args...) })
}

// scanStats runs a stats query (q.By already its Dims) and reads its rows.
func scanStats(q store.StatsQuery, run func() (*sql.Rows, error)) ([]store.StatsRow, error) {
	rows, err := run()
	if err != nil {
		return nil, fmt.Errorf("stats query: %w", err)
	}
	defer rows.Close()
	var out []store.StatsRow
	hasASN := false
	for _, d := range q.By {
		if d == "asn" {
			hasASN = true
		}
	}
	for rows.Next() {
		keys := make([]any, len(q.By))
		dest := make([]any, 0, len(q.By)+3)
		ptrs := make([]any, len(q.By))
		for i := range keys {
			ptrs[i] = &keys[i]
		}
		dest = append(dest, ptrs...)
		var r store.StatsRow
		var org any
		if hasASN {
			dest = append(dest, &org)
		}
		dest = append(dest, &r.Packets, &r.Sources)
		if err := rows.Scan(dest...); err != nil {
			return nil, fmt.Errorf("stats query: %w", err)
		}
		for i, d := range q.By {
			switch d {
			case "day":
				if t, ok := keys[i].(time.Time); ok {
					keys[i] = t.Format("2006-01-02")
				}
			case "port", "asn", "src_port":
				keys[i] = toInt(keys[i])
			}
		}
		if s, ok := org.(string); ok {
			r.Org = s
		}
		r.Keys = keys
		out = append(out, r)
	}
	return out, rows.Err()
}

func toInt(v any) any {
	switch x := v.(type) {
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint8:
		return int64(x)
	case int32:
		return int64(x)
	}
	return v
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func statsSQL(q store.StatsQuery, raw bool) (string, []any, error) {
	plan := rawPlan
	if !raw {
		plan = planOf(q)
	} else if p, ok := viewPlan(q); ok {
		plan = p
	}
	return statsSQLPlan(q, plan, "")
}

// planOf is the plan of q without the links: a view's (never from a
// rollup, read_views.go) or planStats's.
func planOf(q store.StatsQuery) statsPlan {
	if p, ok := viewPlan(q); ok {
		return p
	}
	return planStats(q)
}

// statsSQLPlan is the SQL of q over the table of plan; a question by AS
// looks the names up in the table names (asn, org), or in the sources
// when "".
func statsSQLPlan(q store.StatsQuery, plan statsPlan, names string) (string, []any, error) {
	var sel, group []string
	var args []any
	classDim := false
	hasASN := false
	for _, d := range q.By {
		switch d {
		case "day", "sensor", "country", "port", "src":
			sel = append(sel, d)
			group = append(group, d)
		case "asn":
			sel = append(sel, "asn")
			group = append(group, "asn")
			hasASN = true
		case "proto":
			sel = append(sel, protoSQL+" AS proto_name")
			group = append(group, "proto_name")
		case "class":
			sel = append(sel, "class")
			group = append(group, "class")
			classDim = true
		case "pattern", "src_port":
			sel = append(sel, d)
			group = append(group, d)
		default:
			return "", nil, fmt.Errorf("unknown --by dimension %q (one of %s)", d, strings.Join(store.Dimensions, ", "))
		}
	}
	if q.RuleSet != 0 {
		for _, c := range q.Classes {
			if c != classify.Exploit.String() {
				return "", nil, fmt.Errorf("under a rule set only the exploit class can be asked, not %q", c)
			}
		}
	}
	var where []string
	table := plan.table
	if classDim && !plan.perClass {
		table = plan.classTable
	}
	if plan.perClass && !classDim && len(q.Classes) == 0 {
		// Every hit is in exactly one of these classes' rows: a packet
		// carries access, a honeypot's intrusion hit only intrusion.
		where = append(where, "class IN ("+placeholders(len(allHitClasses))+")")
		for _, c := range allHitClasses {
			args = append(args, c.String())
		}
	}
	if len(q.Classes) > 0 {
		var mask uint8
		var names []any
		for _, c := range q.Classes {
			cl, ok := classify.ParseClass(c)
			if !ok {
				return "", nil, fmt.Errorf("unknown class %q (one of %s)", c, strings.Join(classify.Names(), ", "))
			}
			mask |= uint8(cl.Bit())
			names = append(names, c)
		}
		if classDim || plan.perClass {
			where = append(where, "class IN ("+placeholders(len(names))+")")
			args = append(args, names...)
		} else {
			where = append(where, fmt.Sprintf("(classes & %d) <> 0", mask))
		}
	}
	if len(q.Sensors) > 0 {
		where = append(where, "sensor IN ("+placeholders(len(q.Sensors))+")")
		for _, s := range q.Sensors {
			args = append(args, s)
		}
	}
	if len(q.Countries) > 0 {
		where = append(where, "country IN ("+placeholders(len(q.Countries))+")")
		for _, c := range q.Countries {
			args = append(args, strings.ToUpper(c))
		}
	}
	if len(q.Ports) > 0 {
		where = append(where, "port IN ("+placeholders(len(q.Ports))+")")
		for _, p := range q.Ports {
			if p < 0 || p > 65535 {
				return "", nil, fmt.Errorf("port %d out of range 0-65535", p)
			}
			args = append(args, p)
		}
	}
	if len(q.Protos) > 0 {
		where = append(where, "proto IN ("+placeholders(len(q.Protos))+")")
		for _, p := range q.Protos {
			n, err := store.ProtoNumber(p)
			if err != nil {
				return "", nil, err
			}
			args = append(args, n)
		}
	}
	if len(q.ASNs) > 0 {
		where = append(where, "asn IN ("+placeholders(len(q.ASNs))+")")
		for _, a := range q.ASNs {
			args = append(args, a)
		}
	}
	switch {
	case len(q.Srcs) > 0 && plan.srcKeys:
		where = append(where, "skey IN ("+placeholders(len(q.Srcs))+")")
		for _, a := range q.Srcs {
			args = append(args, SourceKey(a))
		}
	case len(q.Srcs) > 0:
		where = append(where, "src IN ("+placeholders(len(q.Srcs))+")")
		for _, a := range q.Srcs {
			args = append(args, a.Unmap().String())
		}
	}
	if q.From != "" {
		t, err := store.ParseDay(q.From)
		if err != nil {
			return "", nil, err
		}
		where = append(where, "day >= ?")
		args = append(args, t)
	}
	if q.To != "" {
		t, err := store.ParseDay(q.To)
		if err != nil {
			return "", nil, err
		}
		where = append(where, "day <= ?")
		args = append(args, t)
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	for _, s := range sel {
		b.WriteString(s)
		b.WriteString(", ")
	}
	b.WriteString("CAST(coalesce(sum(packets), 0) AS UBIGINT) AS packets, ")
	if q.NoSources {
		b.WriteString("CAST(0 AS UBIGINT) AS sources FROM ")
	} else if plan.summed {
		b.WriteString("CAST(coalesce(sum(sources), 0) AS UBIGINT) AS sources FROM ")
	} else {
		b.WriteString("CAST(count(DISTINCT skey) AS UBIGINT) AS sources FROM ")
	}
	b.WriteString(table)
	b.WriteString(" t")
	if len(where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(where, " AND "))
	}
	if len(group) > 0 {
		b.WriteString(" GROUP BY ")
		b.WriteString(strings.Join(group, ", "))
	}
	var order strings.Builder
	switch q.OrderBy {
	case "", "packets":
		order.WriteString(" ORDER BY packets DESC, sources DESC")
	case "sources":
		if q.NoSources {
			return "", nil, fmt.Errorf("order by sources of a query without distinct sources")
		}
		order.WriteString(" ORDER BY sources DESC, packets DESC")
	case "key":
		if len(group) == 0 {
			break
		}
		order.WriteString(" ORDER BY " + strings.Join(group, ", "))
	case "day":
		if !slices.Contains(q.By, "day") {
			return "", nil, fmt.Errorf("order by day needs day among the dimensions")
		}
		order.WriteString(" ORDER BY day, packets DESC, sources DESC")
	default:
		return "", nil, fmt.Errorf("unknown order %q (packets, sources, key, day)", q.OrderBy)
	}
	if len(group) > 0 && q.OrderBy != "key" {
		order.WriteString(", " + strings.Join(group, ", "))
	}
	b.WriteString(order.String())
	if q.Top > 0 {
		fmt.Fprintf(&b, " LIMIT %d", q.Top)
	}
	if !hasASN {
		return b.String(), args, nil
	}
	// The AS names of the rows' ASNs only, looked up once the rows are
	// counted (and cut to Top): the name of an AS is the largest name
	// any source of it has, whatever the filters.
	keys := make([]string, len(group))
	for i, g := range group {
		keys[i] = "a." + g
	}
	nameRows := `SELECT asn AS oasn, max(as_org) AS org FROM sources WHERE as_org <> '' AND asn IN (SELECT asn FROM a) GROUP BY asn`
	if names != "" {
		nameRows = `SELECT asn AS oasn, org FROM ` + names + ` WHERE asn IN (SELECT asn FROM a)`
	}
	return `WITH a AS MATERIALIZED (` + b.String() + `)
		SELECT ` + strings.Join(keys, ", ") + `, o.org, a.packets, a.sources FROM a
		LEFT JOIN (` + nameRows + `) o
		ON o.oasn = a.asn` + order.String(), args, nil
}
