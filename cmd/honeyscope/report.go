package main

import (
	"errors"
	"fmt"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/chart"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/report"
	"github.com/honeyscope/honeyscope/internal/store"
)

func newReportCmd(g *globals) *cobra.Command {
	var (
		from, to  string
		sensors   []string
		lang      string
		unit      string
		top       int
		annotates []string
		out       string
		ruleSet   string
		compareRS string
	)
	cmd := &cobra.Command{
		Use:   "report --out DIR",
		Short: "Write an observation report (HTML, Markdown, SVG/PNG charts, CSV) for a period",
		Long: `Write a self-contained observation report of a period to DIR:

  index.html   the report (inline CSS and charts, no external resources)
  report.md    the same as Markdown, charts as links to the PNGs
  *.svg *.png  every chart (PNG for pasting into blog posts)
  *.csv        one file per table

Content: headline numbers against the previous period of the same length,
spikes and rises with one sentence each, days without data, and per class
(access, mirai, exploit, ... whichever have data) stacked daily bars by country
and by port, a port × day dot plot and top-10 countries, ports and ASes; a
comparison of the sensors when there are two or more; sources placed in Japan
by AS. Days are calendar days in the store's time zone; days no capture covered
are shown as "no data", never as zero.

--annotate DAY:TEXT draws a labelled line on every daily chart (for example the
day detection rules changed); repeat it for several days. The days the rule set
that classified a sensor's exploits changed (as its ingests record it; before
its first ingest, the rule set active by rules add --from) are marked on the
exploit charts without it, and the exploit section says how much of the change
across each the rules explain when counts under both rule sets exist (rules
backfill), or which backfill would give them.

--ruleset A adds the exploit matches by rule under the stored rule set A;
with --compare-ruleset B as well, the exploit section draws exploit under A
and under B over the same days and lists the rules only one of them fires on.`,
		Example: `  honeyscope report --out report/
  honeyscope report --from 2026-05-01 --to 2026-05-31 --lang ja --out may/
  honeyscope report --sensor tokyo-open,tokyo-jp --unit sources --out week/
  honeyscope report --annotate 2026-04-22:"rules v2" --out week/
  honeyscope report --ruleset et-open --compare-ruleset builtin --out week/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("--out DIR is required")
			}
			if compareRS != "" && ruleSet == "" {
				return errors.New("--compare-ruleset: give --ruleset too (the rule set compared with it)")
			}
			opt := report.Options{Sensors: splitList(sensors), Lang: lang, Out: out, TopN: top, Log: g.log,
				RuleSet: ruleSet, CompareRuleSet: compareRS}
			var err error
			if opt.Unit, err = parseUnit(unit); err != nil {
				return err
			}
			if err := checkLang(lang); err != nil {
				return err
			}
			spec, err := parsePeriod(from, to)
			if err != nil {
				return err
			}
			var st store.Store
			if st, err = openStore(cmd.Context(), g.dbPath(), false); err != nil {
				return err
			}
			defer st.Close()
			if ds, ok := st.(*duckstore.Store); ok && g.verbose {
				ds.SetLog(g.log)
			}
			loc := st.Location()
			if spec.HasFrom {
				opt.From = spec.From.Start(loc)
			}
			if spec.HasTo {
				opt.To = spec.To.Start(loc)
			}
			for _, a := range annotates {
				an, err := parseAnnotation(loc, a)
				if err != nil {
					return err
				}
				opt.Annotations = append(opt.Annotations, an)
			}
			start := time.Now()
			opt.PatternName = patternLabel(cmd.Context(), st)
			res, err := report.Build(cmd.Context(), st, opt)
			if err != nil {
				return err
			}
			for _, w := range res.Warnings {
				fmt.Fprintln(os.Stderr, "warning:", w)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%s – %s, %d files, %d findings) in %s\n",
				filepath.Join(res.Dir, "index.html"), res.From.Format(time.DateOnly), res.To.Format(time.DateOnly),
				len(res.Files), len(res.Findings), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "first day, YYYY-MM-DD (default: 6 days before --to)")
	f.StringVar(&to, "to", "", "last day, YYYY-MM-DD (default: the last day with data)")
	f.StringSliceVar(&sensors, "sensor", nil, "only these sensors, comma-separated (default: all)")
	f.StringVar(&lang, "lang", "en", "language: en or ja")
	f.StringVar(&unit, "unit", "packets", "count packets or distinct sources (sources)")
	f.IntVar(&top, "top", 8, "countries and ports stacked in the daily charts before \"other\"")
	f.StringArrayVar(&annotates, "annotate", nil, "mark a day on the charts: DAY:TEXT, DAY as YYYY-MM-DD (repeatable)")
	f.StringVar(&ruleSet, "ruleset", "", `the exploit matches by rule under this stored rule set (name or #ID; "builtin": the built-in rules alone)`)
	f.StringVar(&compareRS, "compare-ruleset", "", "with --ruleset: draw exploit under both rule sets over the same days and list the rules only one fires on")
	f.StringVar(&out, "out", "", "directory to write (required)")
	return cmd
}

// parsePeriod reads --from/--to; the period layer decides the missing
// ends (period.Resolve: a week from the given end, or the last week with
// data).
func parsePeriod(from, to string) (period.Spec, error) {
	var s period.Spec
	var err error
	if to != "" {
		if s.To, err = civil.Parse(to); err != nil {
			return s, fmt.Errorf("--to: %w", err)
		}
		s.HasTo = true
	}
	if from != "" {
		if s.From, err = civil.Parse(from); err != nil {
			return s, fmt.Errorf("--from: %w", err)
		}
		s.HasFrom = true
	}
	if s.HasFrom && s.HasTo && s.To < s.From {
		return s, fmt.Errorf("--to %s is before --from %s", to, from)
	}
	return s, nil
}

// parseAnnotation reads DAY:TEXT, the day in loc.
func parseAnnotation(loc *time.Location, s string) (chart.Annotation, error) {
	day, text, ok := strings.Cut(s, ":")
	if !ok || strings.TrimSpace(text) == "" {
		return chart.Annotation{}, fmt.Errorf("--annotate %q: want DAY:TEXT, e.g. 2026-04-22:rules v2", s)
	}
	d, err := civil.Parse(day)
	if err != nil {
		return chart.Annotation{}, fmt.Errorf("--annotate %q: %w", s, err)
	}
	return chart.Annotation{Day: d.Start(loc), Text: strings.TrimSpace(text)}, nil
}
