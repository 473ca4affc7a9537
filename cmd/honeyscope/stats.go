package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/backfill"
	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

func newStatsCmd(g *globals) *cobra.Command {
	var (
		q      store.StatsQuery
		by     []string
		ports  []string
		asns   []string
		format string
		lang   string
		patAs  string // "pattern", "rule" or "classtype": how the pattern dimension is shown
		rsName string // --ruleset
	)
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Packets and distinct sources, grouped and filtered",
		Long: `Count packets and distinct source addresses in the store, grouped by any of
` + strings.Join(statsDims(), ", ") + ` and filtered by class, sensor, country, port,
protocol, ASN and day range. Every row has "packets" and "sources" (distinct
source IPs of that row). Days are in the store's time zone.

Classes: access (every inbound packet), mirai, zmap, masscan, backscatter,
exploit, and intrusion: honeypot sessions with a successful login that ran at
least one command, whose "packets" count sessions (docs/classes.md has the
exact definitions). A packet can carry several classes, so with --by class the
rows add up to more than the access row.

--by pattern counts exploit matches by the IoT exploit / loader pattern that
matched (other traffic has no pattern); --by src_port groups by the source's
one source port in a capture ("several" when it used more than one, as most
scanners do; Mirai-style scanners keep one). --by rule gives the same rows
as the rule's gid:sid:rev and msg; --by classtype groups them by the rule's
classtype (from the stored rule sets and the built-in rules; "" for patterns
stored before rules classified exploits), its sources distinct over the
rules. Only one of pattern, rule and classtype can be given.

--ruleset NAME gives the exploit class under the stored rule set NAME ("#ID";
"builtin" for the built-in rules alone) instead of as each capture was
classified when ingested: the counts "rules backfill" wrote for it, and on
days it did not backfill, those of ingests classified with it. Only the
exploit class can be asked with it.`,
		Example: `  honeyscope stats --by day,class
  honeyscope stats --by country --class mirai --top 10
  honeyscope stats --country JP --by asn,day --class mirai
  honeyscope stats --by port --class exploit --format json
  honeyscope stats --by pattern --top 10
  honeyscope stats --by day,rule --class exploit --ruleset et-open
  honeyscope stats --by day,classtype
  honeyscope stats --by src_port --class mirai --top 10`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			// Every flag is checked here, before the store is opened.
			for _, b := range by {
				for _, d := range strings.Split(b, ",") {
					if d = strings.TrimSpace(d); d == "" {
						continue
					}
					if !slices.Contains(statsDims(), d) {
						return fmt.Errorf("--by %q: want one or more of %s", d, strings.Join(statsDims(), ", "))
					}
					if d == "pattern" || slices.Contains(ruleDims, d) {
						if patAs != "" {
							return fmt.Errorf("--by: %s and %s are the same dimension shown two ways: give one", patAs, d)
						}
						patAs, d = d, "pattern"
					}
					q.By = append(q.By, d)
				}
			}
			var err error
			if q.Ports, err = parsePorts(ports); err != nil {
				return err
			}
			if q.ASNs, err = parseASNs(asns); err != nil {
				return err
			}
			q.Classes = splitList(q.Classes)
			for _, c := range q.Classes {
				if _, ok := classify.ParseClass(c); !ok {
					return fmt.Errorf("--class %q: want one or more of %s", c, strings.Join(classify.Names(), ", "))
				}
			}
			if rsName != "" {
				for _, c := range q.Classes {
					if c != "exploit" {
						return fmt.Errorf("--ruleset: only the exploit class can be asked under a rule set, not %q", c)
					}
				}
			}
			q.Countries = splitList(q.Countries)
			if err := checkCountries(q.Countries); err != nil {
				return err
			}
			q.Sensors = splitList(q.Sensors)
			q.Protos = splitList(q.Protos)
			for _, p := range q.Protos {
				if _, err := store.ProtoNumber(p); err != nil {
					return fmt.Errorf("--proto: %w", err)
				}
			}
			if err := checkPeriod(q.From, q.To); err != nil {
				return err
			}
			if q.Top < 0 {
				return fmt.Errorf("--top %d: want 0 (all rows) or more", q.Top)
			}
			if !cmd.Flags().Changed("order") && q.Top == 0 && len(q.By) > 0 && q.By[0] == "day" {
				q.OrderBy = "day" // a daily table reads in day order
			}
			switch q.OrderBy {
			case "packets", "sources", "key":
			case "day":
				if !slices.Contains(q.By, "day") {
					return fmt.Errorf("--order day: add day to --by")
				}
			default:
				return fmt.Errorf("--order %q: want packets, sources, key or day", q.OrderBy)
			}
			switch format {
			case "table", "csv", "json":
			default:
				return fmt.Errorf("--format %q: want table, csv or json", format)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openStore(cmd.Context(), g.dbPath(), false)
			if err != nil {
				return err
			}
			defer st.Close()
			if rsName != "" {
				rs, err := backfill.Resolve(cmd.Context(), st, rsName)
				if err != nil {
					return fmt.Errorf("--ruleset: %w", err)
				}
				q.RuleSet = rs.ID
			}
			var rows []store.StatsRow
			if patAs == "classtype" {
				rows, err = classtypeStats(cmd.Context(), st, q, classtyper(cmd.Context(), st))
			} else {
				rows, err = st.Stats(cmd.Context(), q)
			}
			if err != nil {
				return err
			}
			dims := slices.Clone(q.Dims())
			if i := slices.Index(dims, "pattern"); i >= 0 {
				dims[i] = patAs
			}
			switch patAs {
			case "pattern", "rule":
				names := patternNamer(cmd.Context(), st)
				if err := writeStatsNamed(cmd.OutOrStdout(), format, lang, dims, rows, names); err != nil {
					return err
				}
				return warnDrops(cmd.Context(), cmd.ErrOrStderr(), st, q)
			}
			if err := writeStats(cmd.OutOrStdout(), format, lang, dims, rows); err != nil {
				return err
			}
			return warnDrops(cmd.Context(), cmd.ErrOrStderr(), st, q)
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&by, "by", nil, "group by these dimensions, comma-separated: "+strings.Join(statsDims(), ",")+" (port brings proto with it: port numbers of different protocols are different keys)")
	f.StringSliceVar(&q.Classes, "class", nil, "only packets of these classes")
	f.StringSliceVar(&q.Sensors, "sensor", nil, "only these sensors")
	f.StringSliceVar(&q.Countries, "country", nil, `only sources in these countries (ISO codes; "ZZ" special-purpose ranges, "??" unknown)`)
	f.StringSliceVar(&ports, "port", nil, "only these destination `PORTS`, comma-separated (ICMP: the ICMP type)")
	f.StringSliceVar(&q.Protos, "proto", nil, "only these protocols (tcp, udp, icmp, icmpv6, or a number)")
	f.StringSliceVar(&asns, "asn", nil, "only these AS `NUMBERS`, comma-separated, e.g. 2914,AS4713 (the ASNs stored at ingest or by geo reassign)")
	f.StringVar(&q.From, "from", "", "first day, YYYY-MM-DD (inclusive)")
	f.StringVar(&q.To, "to", "", "last day, YYYY-MM-DD (inclusive)")
	f.IntVar(&q.Top, "top", 0, "only the N largest rows (0 = all)")
	f.StringVar(&q.OrderBy, "order", "packets", "order rows by packets, sources, key or day (day, then packets); with --by day,... and no --top the default is day")
	f.StringVar(&format, "format", "table", "output format: table, csv or json")
	f.StringVar(&rsName, "ruleset", "", `the exploit class under this stored rule set (name or #ID; "builtin": the built-in rules alone), as "rules backfill" counted it`)
	f.StringVar(&lang, "lang", "en", "language of country names in tables: en or ja")
	return cmd
}

func splitList(in []string) []string {
	var out []string
	for _, s := range in {
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func writeStats(w io.Writer, format, lang string, by []string, rows []store.StatsRow) error {
	return writeStatsNamed(w, format, lang, by, rows, nil)
}

// writeStatsNamed is writeStats with, when names is set, a pattern
// dimension followed by the rule's sid and msg, and a rule dimension (the
// same key) followed by the msg (names gives them).
func writeStatsNamed(w io.Writer, format, lang string, by []string, rows []store.StatsRow, names func(string) (sid, msg string)) error {
	hasASN := false
	for _, d := range by {
		if d == "asn" {
			hasASN = true
		}
	}
	switch format {
	case "json":
		out := make([]map[string]any, len(rows))
		for i, r := range rows {
			m := make(map[string]any, len(by)+3)
			for j, d := range by {
				m[d] = r.Keys[j]
				if d == "pattern" && names != nil {
					m["sid"], m["msg"] = names(fmt.Sprint(r.Keys[j]))
				}
				if d == "rule" && names != nil {
					_, m["msg"] = names(fmt.Sprint(r.Keys[j]))
				}
			}
			if hasASN {
				m["as_org"] = r.Org
			}
			m["packets"] = r.Packets
			m["sources"] = r.Sources
			out[i] = m
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "csv":
		cw := csv.NewWriter(w)
		var head []string
		for _, d := range by {
			head = append(head, d)
			if d == "pattern" && names != nil {
				head = append(head, "sid", "msg")
			}
			if d == "rule" && names != nil {
				head = append(head, "msg")
			}
		}
		if hasASN {
			head = append(head, "as_org")
		}
		cw.Write(append(head, "packets", "sources"))
		for _, r := range rows {
			rec := make([]string, 0, len(head)+2)
			for j, k := range r.Keys {
				if k == nil {
					rec = append(rec, "") // src_port of a source that used several
					continue
				}
				rec = append(rec, fmt.Sprint(k))
				if by[j] == "pattern" && names != nil {
					sid, msg := names(fmt.Sprint(k))
					rec = append(rec, sid, msg)
				}
				if by[j] == "rule" && names != nil {
					_, msg := names(fmt.Sprint(k))
					rec = append(rec, msg)
				}
			}
			if hasASN {
				rec = append(rec, r.Org)
			}
			rec = append(rec, strconv.FormatUint(r.Packets, 10), strconv.FormatUint(r.Sources, 10))
			cw.Write(rec)
		}
		cw.Flush()
		return cw.Error()
	}
	var head []string
	right := map[int]bool{}
	for _, d := range by {
		if d == "port" || d == "asn" || d == "src_port" {
			right[len(head)] = true
		}
		head = append(head, d)
		if d == "country" {
			head = append(head, "name")
		}
		if d == "asn" {
			head = append(head, "organisation")
		}
		if d == "pattern" && names != nil {
			head = append(head, "sid", "msg")
		}
		if d == "rule" && names != nil {
			head = append(head, "msg")
		}
	}
	right[len(head)], right[len(head)+1] = true, true
	head = append(head, "packets", "sources")
	var table [][]string
	for _, r := range rows {
		var cells []string
		for j, d := range by {
			switch d {
			case "asn":
				asn := fmt.Sprintf("AS%v", r.Keys[j])
				if fmt.Sprint(r.Keys[j]) == "0" {
					asn = "unknown"
				}
				cells = append(cells, asn, chart.Shorten(r.Org, 40))
			case "country":
				cells = append(cells, fmt.Sprint(r.Keys[j]), countryName(fmt.Sprint(r.Keys[j]), lang))
			case "pattern":
				cells = append(cells, fmt.Sprint(r.Keys[j]))
				if names != nil {
					sid, msg := names(fmt.Sprint(r.Keys[j]))
					cells = append(cells, sid, chart.Shorten(msg, 72))
				}
			case "rule":
				cells = append(cells, fmt.Sprint(r.Keys[j]))
				if names != nil {
					_, msg := names(fmt.Sprint(r.Keys[j]))
					cells = append(cells, chart.Shorten(msg, 72))
				}
			case "src_port":
				if r.Keys[j] == nil {
					cells = append(cells, "several")
				} else {
					cells = append(cells, fmt.Sprint(r.Keys[j]))
				}
			default:
				cells = append(cells, fmt.Sprint(r.Keys[j]))
			}
		}
		cells = append(cells, thousands(r.Packets), thousands(r.Sources))
		table = append(table, cells)
	}
	if err := writeTable(w, head, table, right); err != nil {
		return err
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "(no rows)")
	}
	return nil
}

// thousands formats a count with thousands separators, as charts do.
func thousands(v uint64) string { return chart.FormatCount(float64(v)) }

// warnDrops says on stderr (so tables, CSV and JSON on stdout stay as
// they are) which selected sensors' live captures lost packets in the
// selected days: their counts are lower bounds.
func warnDrops(ctx context.Context, w io.Writer, st store.Store, q store.StatsQuery) error {
	caps, err := st.Captures(ctx, q.Sensors)
	if err != nil {
		return err
	}
	var from, to time.Time
	if q.From != "" {
		from, _ = store.ParseDay(q.From)
		from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, st.Location())
	}
	if q.To != "" {
		to, _ = store.ParseDay(q.To)
		to = time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, st.Location())
	}
	lost := store.DropsBySensor(caps, from, to)
	names := slices.Sorted(maps.Keys(lost))
	for _, n := range names {
		l := lost[n]
		fmt.Fprintf(w, "note: sensor %s: its live capture lost %d packets in these days (kernel %d, queue %d); its counts are lower bounds\n", n, l.Total(), l.Kernel, l.Queue)
	}
	return nil
}
