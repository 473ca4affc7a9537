package main

import (
	"cmp"
	"fmt"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/report"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/synth"
)

func newDemoCmd(g *globals) *cobra.Command {
	var (
		dir     string
		packets int
		days    int
		lang    string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Synthesize a capture, ingest it and print a summary (no set-up needed)",
		Long: `Run the whole pipeline on built-in defaults: write a synthetic three weeks
of Internet background radiation to DIR/radiation.pcap (with a planted spike
from Mexico), ingest it into DIR/honeyscope.duckdb with the built-in GeoIP data,
print what arrived per day and class, the top Mirai source countries and the top
destination ports, and write an observation report of the last week to
DIR/report/index.html. The store in DIR is replaced on every run (--db is
not used: the demo never touches another store).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f := cmd.Flag("db"); f != nil && f.Changed {
				return fmt.Errorf("demo writes its own store, DIR/honeyscope.duckdb (--dir); --db is not used by demo")
			}
			w := cmd.OutOrStdout()
			if err := os.RemoveAll(filepath.Join(dir, "honeyscope.duckdb")); err != nil {
				return err
			}
			os.Remove(filepath.Join(dir, "honeyscope.duckdb.wal"))
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			capPath := filepath.Join(dir, "radiation.pcap")
			db := filepath.Join(dir, "honeyscope.duckdb")
			fmt.Fprintf(w, "1/4 synthesizing %d packets over %d days -> %s\n", packets, days, capPath)
			sp, _ := synth.ParseSpike(fmt.Sprintf("MX:%d:10", max(0, days-3)))
			prog := newProgress(cmd.ErrOrStderr(), int64(packets), false, unitPackets)
			_, err := synth.WriteFile(capPath, synth.Config{Packets: packets, Days: days, Seed: 1, Pool: geoPool{},
				Spikes: []synth.Spike{sp}, Progress: func(n int) { prog.set(int64(n)) }})
			prog.finish()
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "2/4 ingesting -> %s\n", db)
			var geoOpt geoOptions
			loc, err := geoOpt.open()
			if err != nil {
				return err
			}
			defer loc.close()
			fi, _ := os.Stat(capPath)
			iprog := newProgress(cmd.ErrOrStderr(), fi.Size(), false, unitBytes)
			res, err := ingest.Run(cmd.Context(), ingest.Config{
				DBPath: db, Sensor: "demo", SensorNets: nil, Locate: loc.place,
				CountryDB: loc.countryDB, ASNDB: loc.asnDB, Version: version, Progress: iprog.add,
			}, []string{capPath})
			iprog.finish()
			if err != nil {
				return err
			}
			if err := reportIngest(w, cmd.ErrOrStderr(), res, 0); err != nil {
				return err
			}
			fmt.Fprintln(w, "3/4 summary")
			st, err := duckstore.Open(cmd.Context(), db, duckstore.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			defer st.Close()
			sections := []struct {
				title string
				q     store.StatsQuery
			}{
				{"Packets and distinct sources per class", store.StatsQuery{By: []string{"class"}, OrderBy: "key"}},
				{"Mirai-like packets per day", store.StatsQuery{By: []string{"day"}, Classes: []string{"mirai"}, OrderBy: "key"}},
				{"Top Mirai source countries", store.StatsQuery{By: []string{"country"}, Classes: []string{"mirai"}, Top: 10}},
				{"Top destination ports", store.StatsQuery{By: []string{"proto", "port"}, Top: 10}},
				{"Exploit traffic by destination port", store.StatsQuery{By: []string{"port"}, Classes: []string{"exploit"}, Top: 5}},
			}
			for _, s := range sections {
				rows, err := st.Stats(cmd.Context(), s.q)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "\n%s\n", s.title)
				if err := writeStats(w, "table", "en", s.q.By, rows); err != nil {
					return err
				}
			}
			fmt.Fprintf(w, "\n4/4 report\n")
			st.Close()
			rst, err := duckstore.Open(cmd.Context(), db, duckstore.Options{ReadOnly: true})
			if err != nil {
				return err
			}
			defer rst.Close()
			rep, err := report.Build(cmd.Context(), rst, report.Options{Lang: lang, Out: filepath.Join(dir, "report"), Log: g.log})
			if err != nil {
				return err
			}
			for _, wn := range rep.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", wn)
			}
			// The three findings the report tells that added the most
			// packets or sources.
			top := period.Highlights(rep.Shown, period.HighlightCount)
			slices.SortStableFunc(top, func(a, b analysis.Finding) int {
				return cmp.Compare((b.Value-b.Baseline)*float64(b.Days), (a.Value-a.Baseline)*float64(a.Days))
			})
			for _, f := range top[:min(3, len(top))] {
				fmt.Fprintf(w, "  %s\n", analysis.Sentence(f, lang, spikeNamer))
			}
			fmt.Fprintf(w, "wrote %s (%d spikes and rises shown, %d below the significance threshold)\n",
				filepath.Join(rep.Dir, "index.html"), len(rep.Shown), rep.Hidden)
			self := selfCommand()
			fmt.Fprintf(w, "\nExplore further:\n  %s stats --db %s --by country --class mirai --top 20\n", self, db)
			fmt.Fprintf(w, "  %s spikes --db %s\n", self, db)
			fmt.Fprintf(w, "\n%s\n", demoLeftovers(dir, capPath, db))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&dir, "dir", "honeyscope-demo", "folder for the demo capture and store")
	f.IntVar(&packets, "packets", 2000000, "packets to synthesize")
	f.IntVar(&days, "days", 21, "days to synthesize")
	f.StringVar(&lang, "lang", "en", "language of the report: en or ja")
	return cmd
}

// selfCommand is how the user can run this program again: "go run
// ./cmd/honeyscope" under go run (whose binary lives in a temporary build
// directory), else the name it was started with.
func selfCommand() string {
	if strings.Contains(os.Args[0], "go-build") {
		return "go run ./cmd/honeyscope"
	}
	return os.Args[0]
}

// demoLeftovers tells where the demo left its files and how large the
// capture is, so that nobody is surprised by it later.
func demoLeftovers(dir, capPath, db string) string {
	size := ""
	if fi, err := os.Stat(capPath); err == nil {
		size = fmt.Sprintf(" (%s)", humanBytes(fi.Size()))
	}
	return fmt.Sprintf("The demo left its capture in %s%s, the store in %s and the report in %s;\nremove the folder %s when done (rm -r %s).",
		capPath, size, db, filepath.Join(dir, "report"), dir, dir)
}

// humanBytes formats n as "190 MB" (decimal units).
func humanBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.0f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d bytes", n)
}
