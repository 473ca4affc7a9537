package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/store"
)

func newSpikesCmd(g *globals) *cobra.Command {
	var (
		from, to string
		classes  []string
		sensors  []string
		dims     []string
		unit     string
		lang     string
		format   string
		limit    int
		all      bool
		minSig   float64
		minRatio float64
		minZ     float64
		minValue float64
	)
	cmd := &cobra.Command{
		Use:   "spikes",
		Short: "List days that rose far above their baseline, with what drove them",
		Long: `Scan the daily series of every class by country, destination port and AS for
spikes (one day far above the median of the preceding 7-28 days with data) and
sustained rises (several days above twice that baseline), and list them with
value, baseline, ratio, robust z-score, the drivers (top ASes, ports, /24
prefixes and sources within the series that day) and one sentence in English
or Japanese. Days without data are skipped, never counted as zero.

When several sensors are selected (or none, and the store has several),
detection runs on each sensor's own series, so a spike at one sensor is not
diluted by the others; the same event at several sensors is listed once, with
the other sensors under also_at. ratio is value / baseline (the median);
test_ratio is the ratio the thresholds test (value / max(baseline, floor)).

Findings are ranked by significance (the detection score weighted by the
robust z and by the finding's share of its class's traffic; see
docs/analysis.md) and only those of significance at least 1 are listed, with
the number left out; --all lists them all, --min-significance moves the
threshold. A country, its AS, its /24 and its port are often one event: a
finding whose key is a driver of a more significant one (carrying at least
half of its excess) is folded into it and named under "same event".
--min-ratio, --min-z and --min-value tune the detection thresholds (defaults
3, 5 and 50 packets or 10 sources). The period defaults to the last 7 days
with data.`,
		Example: `  honeyscope spikes
  honeyscope spikes --from 2026-05-01 --to 2026-05-31 --class mirai --lang ja
  honeyscope spikes --unit sources --format json
  honeyscope spikes --all --min-z 4`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opt := period.SpikeOptions{Classes: splitList(classes), Dims: splitList(dims)}
			var err error
			if opt.Unit, err = parseUnit(unit); err != nil {
				return err
			}
			for _, d := range opt.Dims {
				if d != analysis.DimCountry && d != analysis.DimPort && d != analysis.DimASN {
					return fmt.Errorf("--dim %q: want country, port or asn", d)
				}
			}
			switch format {
			case "table", "csv", "json":
			default:
				return fmt.Errorf("--format %q: want table, csv or json", format)
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
			src := period.New(st, st.Location(), splitList(sensors))
			if opt.Range, err = src.Resolve(cmd.Context(), spec); err != nil {
				if errors.Is(err, period.ErrNoData) {
					return fmt.Errorf("no data in the store for the selected sensors")
				}
				return err
			}
			opt.DriverTopN = limit
			opt.All = all
			cfg := analysis.DefaultSpikeConfigFor(opt.Unit)
			fl := cmd.Flags()
			if fl.Changed("min-ratio") {
				cfg.MinRatio = minRatio
			}
			if fl.Changed("min-z") {
				cfg.MinZ = minZ
			}
			if fl.Changed("min-value") {
				cfg.MinValue = minValue
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			opt.Config = cfg
			opt.Rank = analysis.DefaultRankConfig()
			if fl.Changed("min-significance") {
				if math.IsNaN(minSig) {
					return fmt.Errorf("--min-significance: want a number")
				}
				opt.Rank.MinSignificance = minSig
			}
			res, err := src.FindSpikesResult(cmd.Context(), opt)
			if err != nil {
				return err
			}
			found := res.Findings
			if limit > 0 && len(found) > limit {
				found = found[:limit]
			}
			if err := writeSpikes(cmd.OutOrStdout(), format, lang, found); err != nil {
				return err
			}
			if format == "table" && (res.Hidden > 0 || len(found) < len(res.Findings)) {
				fmt.Fprintf(cmd.OutOrStdout(), "\n(%d listed; %d more above the threshold beyond --limit; %d below significance %s left out: --all lists them)\n",
					len(found), len(res.Findings)-len(found), res.Hidden, strconv.FormatFloat(opt.Rank.MinSignificance, 'f', -1, 64))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&from, "from", "", "first day, YYYY-MM-DD")
	f.StringVar(&to, "to", "", "last day, YYYY-MM-DD")
	f.StringSliceVar(&classes, "class", nil, "only these classes")
	f.StringSliceVar(&sensors, "sensor", nil, "only these sensors")
	f.StringSliceVar(&dims, "dim", nil, "only these dimensions: country, port, asn")
	f.StringVar(&unit, "unit", "packets", "count packets or distinct sources (sources)")
	f.StringVar(&lang, "lang", "en", "language of the sentences and names: en or ja")
	f.StringVar(&format, "format", "table", "output format: table, csv or json")
	f.BoolVar(&all, "all", false, "list every finding, also those below the significance threshold")
	f.Float64Var(&minSig, "min-significance", analysis.DefaultRankConfig().MinSignificance, "least significance of a finding listed without --all")
	f.Float64Var(&minRatio, "min-ratio", analysis.DefaultSpikeConfig().MinRatio, "least value / max(baseline, floor) of a spike")
	f.Float64Var(&minZ, "min-z", analysis.DefaultSpikeConfig().MinZ, "least robust z-score of a spike")
	f.Float64Var(&minValue, "min-value", analysis.DefaultSpikeConfig().MinValue, "least count on a flagged day, the floor (default 10 with --unit sources)")
	f.IntVar(&limit, "limit", 20, "list at most this many findings, each with drivers (0 = all, drivers for the first 20)")
	return cmd
}

// spikeNamer names countries for sentences.
func spikeNamer(dim, key, lang string) string { return period.Names(dim, key, lang) }

func driverText(ds []analysis.Driver) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, fmt.Sprintf("%s %s (%s, base %s)", d.Dim, d.Key, thousands(uint64(math.Round(d.Value))), thousands(uint64(math.Round(d.Baseline)))))
	}
	return strings.Join(parts, "; ")
}

func writeSpikes(w io.Writer, format, lang string, found []analysis.Finding) error {
	switch format {
	case "json":
		type jsonDriver struct {
			Dim      string  `json:"dim"`
			Key      string  `json:"key"`
			Value    float64 `json:"value"`
			Baseline float64 `json:"baseline"`
		}
		type jsonFinding struct {
			Kind     string       `json:"kind"`
			Sensor   string       `json:"sensor"`
			AlsoAt   []string     `json:"also_at"`
			Class    string       `json:"class"`
			Dim      string       `json:"dim"`
			Key      string       `json:"key"`
			Day      string       `json:"day"`
			LastDay  string       `json:"last_day"`
			Ongoing  bool         `json:"ongoing"`
			Unit     string       `json:"unit"`
			Value    float64      `json:"value"`
			Baseline float64      `json:"baseline"`
			Ratio    *float64     `json:"ratio"` // null when the baseline is 0
			TestRat  float64      `json:"test_ratio"`
			Z        float64      `json:"z"`
			BaseDays int          `json:"baseline_days"`
			Sources  float64      `json:"sources,omitempty"`
			Drivers  []jsonDriver `json:"drivers"`
			Sentence string       `json:"sentence"`
			Share    float64      `json:"share"`
			Signif   float64      `json:"significance"`
			Same     []jsonDriver `json:"same_event"`
		}
		out := make([]jsonFinding, len(found))
		for i, f := range found {
			j := jsonFinding{Kind: f.Kind, Sensor: f.Sensor, AlsoAt: append([]string{}, f.AlsoAt...), Class: f.Class, Dim: f.Dim, Key: f.Key, Day: f.Day.Format(time.DateOnly),
				LastDay: f.LastDay.Format(time.DateOnly), Ongoing: f.Ongoing, Unit: string(f.Unit), Value: f.Value,
				Baseline: f.Baseline, TestRat: finite(f.Ratio), Z: finite(f.Z), BaseDays: f.BaselineDays, Sources: f.Sources,
				Drivers: []jsonDriver{}, Sentence: analysis.Sentence(f, lang, spikeNamer), Share: f.Share, Signif: f.Significance,
				Same: []jsonDriver{}}
			for _, d := range f.SameEvent {
				j.Same = append(j.Same, jsonDriver{d.Dim, d.Key, d.Value, d.Baseline})
			}
			if r := f.BaselineRatio(); !math.IsInf(r, 0) && !math.IsNaN(r) {
				j.Ratio = &r
			}
			for _, d := range f.Drivers {
				j.Drivers = append(j.Drivers, jsonDriver{d.Dim, d.Key, d.Value, d.Baseline})
			}
			out[i] = j
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "csv":
		cw := csv.NewWriter(w)
		cw.Write([]string{"kind", "sensor", "also_at", "class", "dim", "key", "day", "last_day", "ongoing", "unit", "value", "baseline", "baseline_days", "ratio", "test_ratio", "z", "drivers", "sentence", "share", "significance", "same_event"})
		for _, f := range found {
			cw.Write([]string{f.Kind, f.Sensor, strings.Join(f.AlsoAt, " "), f.Class, f.Dim, f.Key, f.Day.Format(time.DateOnly), f.LastDay.Format(time.DateOnly),
				strconv.FormatBool(f.Ongoing), string(f.Unit), strconv.FormatFloat(f.Value, 'f', -1, 64),
				strconv.FormatFloat(f.Baseline, 'f', -1, 64), strconv.Itoa(f.BaselineDays), analysis.FormatRatio(f.BaselineRatio()),
				strconv.FormatFloat(f.Ratio, 'f', 2, 64), strconv.FormatFloat(f.Z, 'f', 2, 64), driverText(f.Drivers),
				analysis.Sentence(f, lang, spikeNamer), strconv.FormatFloat(f.Share, 'f', 4, 64),
				strconv.FormatFloat(f.Significance, 'f', 3, 64), driverText(f.SameEvent)})
		}
		cw.Flush()
		return cw.Error()
	}
	if len(found) == 0 {
		_, err := fmt.Fprintln(w, spikeText(lang, "none"))
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, spikeText(lang, "head"))
	for _, f := range found {
		day := f.Day.Format(time.DateOnly)
		if f.Kind == analysis.KindRise {
			day += ".." + f.LastDay.Format("01-02")
		}
		sensor := f.Sensor
		if sensor == "" {
			sensor = spikeText(lang, "all")
		}
		if len(f.AlsoAt) > 0 {
			sensor += "+" + strings.Join(f.AlsoAt, "+")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t%.2f\t\n", day, spikeText(lang, f.Kind), sensor, f.Class, spikeText(lang, f.Dim), f.Key,
			thousands(uint64(math.Round(f.Value))), thousands(uint64(math.Round(f.Baseline))), "×"+analysis.FormatRatio(f.BaselineRatio()), f.Z, f.Significance)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, f := range found {
		fmt.Fprintln(w, "- "+analysis.Sentence(f, lang, spikeNamer))
		if len(f.Drivers) > 0 {
			fmt.Fprintln(w, "  "+spikeText(lang, "drivers")+": "+driverTextLang(lang, f.Drivers[:min(6, len(f.Drivers))]))
		}
		if len(f.SameEvent) > 0 {
			fmt.Fprintln(w, "  "+spikeText(lang, "same event")+": "+driverTextLang(lang, f.SameEvent))
		}
	}
	return nil
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
