// Command honeyscope is an observatory for unsolicited Internet traffic: it
// ingests captures from honeypots and darknets, classifies and geolocates what
// arrived, stores daily facts in an embedded DuckDB file and answers questions
// about them. Run `honeyscope --help` for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
	// Time zone data inside the binary: --tz Asia/Tokyo works on machines
	// without /usr/share/zoneinfo (minimal containers).
	_ "time/tzdata"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

// exitError carries an exit status without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

type globals struct {
	db      string
	store   string // --store: a ClickHouse store's URL (flags.go)
	verbose bool
	cpuprof string
	cfgPath string
	cfg     *config
	log     *slog.Logger
}

func (g *globals) dbPath() string {
	if g.store != "" {
		return g.store
	}
	if g.db == "" && os.Getenv("HONEYSCOPE_DB") == "" && g.cfg != nil && g.cfg.DB != "" {
		return g.cfg.DB
	}
	return store.PathFromEnv(g.db)
}

// dbOrigin says where dbPath's value came from, for error messages.
func (g *globals) dbOrigin() string {
	switch {
	case g.db != "":
		return "--db"
	case os.Getenv("HONEYSCOPE_DB") != "":
		return "$HONEYSCOPE_DB"
	case g.cfg != nil && g.cfg.DB != "":
		return fmt.Sprintf("config %s: \"db\"", g.cfg.path)
	}
	return "the default store path"
}

// explainStorePath prefixes a refused store path (duckstore.PathError) with
// where the value came from: the flag, the environment or a config file
// (one picked up from the working directory is easily forgotten).
func (g *globals) explainStorePath(err error) error {
	var pe *duckstore.PathError
	if err == nil || !errors.As(err, &pe) || pe.Path != g.dbPath() {
		return err
	}
	return fmt.Errorf("%s: %w", g.dbOrigin(), err)
}

// wrapRunE makes every command's errors pass through explain.
func wrapRunE(c *cobra.Command, explain func(error) error) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error { return explain(run(cmd, args)) }
	}
	for _, sub := range c.Commands() {
		wrapRunE(sub, explain)
	}
}

func newRoot() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "honeyscope",
		Short: "An observatory for unsolicited Internet traffic",
		Long: `honeyscope turns captures of unsolicited Internet traffic (honeypots, darknets)
into answers: what arrived each day, from which countries and networks, to which
ports, how much of it was Mirai-family scanning or exploitation.

Start with:
  honeyscope demo                      synthesize traffic and honeypot sessions, ingest them, serve them
  honeyscope ingest CAPTURES...        read pcap/pcapng files into the store
  honeyscope stats --by day,class      ask the store

The store is a DuckDB file (--db, $HONEYSCOPE_DB, "db" in the config file,
default ./honeyscope.duckdb); open it with the duckdb CLI to query it directly
(schema: docs/store.md). A store path is a file name only: ":memory:", a "?"
(DuckDB settings) and URL-like names (md:, s3://) are refused, naming where
the value came from. DuckDB lets one process hold the file; while
` + "`honeyscope serve`" + ` runs on the store, it owns it and the other commands go
through it (its socket is the store's path plus .sock); otherwise they open
the file themselves.

GeoIP data built in: ip-location-db geo-whois-asn-country (CC0) with RIR data
from the NRO (CC BY 4.0); ` + "`honeyscope version --notice`" + ` prints the attribution.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			lvl := slog.LevelWarn
			if g.verbose {
				lvl = slog.LevelDebug
			}
			g.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
			if g.cpuprof != "" {
				f, err := os.Create(g.cpuprof)
				if err == nil {
					err = pprof.StartCPUProfile(f)
				}
				if err != nil {
					g.log.Error("cpu profile", "err", err)
				}
			}
			cfg, err := loadConfig(g.cfgPath)
			if err != nil {
				return err
			}
			g.cfg = cfg
			return applyLang(cmd, cfg)
		},
		PersistentPostRun: func(cmd *cobra.Command, args []string) {
			if g.cpuprof != "" {
				pprof.StopCPUProfile()
			}
		},
	}
	root.PersistentFlags().StringVar(&g.db, "db", "", "store `FILE` (default $HONEYSCOPE_DB or ./honeyscope.duckdb)")
	addStoreFlag(root, g)
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "log details to stderr")
	root.PersistentFlags().StringVar(&g.cfgPath, "config", "", "settings `FILE`: JSON (db, geoip, asn, tz, lang) or the YAML/TOML service configuration of serve (those keys and listen, honeypot: docs/honeypot.md); a regular file of at most 1 MiB; default ./honeyscope.json, ./honeyscope.yaml, ./honeyscope.toml or ~/.config/honeyscope/config.{json,yaml} when present")
	root.PersistentFlags().StringVar(&g.cpuprof, "cpuprofile", "", "write a CPU profile to this file")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.AddCommand(newIngestCmd(g), newStatsCmd(g), newSynthCmd(g), newDemoCmd(g), newVersionCmd(g), newGeoCmd(g), newSpikesCmd(g), newReportCmd(g), newDocsCmd(g), newServeCmd(g), newSessionsCmd(g), newSamplesCmd(g), newCoverageCmd(g), newRulesCmd(g))
	root.AddCommand(newSandboxCmd(g))
	root.AddCommand(newInfraCmd(g))
	root.AddCommand(newSrcPortsCmd(g))
	wrapRunE(root, g.explainStorePath)
	return root
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	root := newRoot()
	err := root.ExecuteContext(ctx)
	stop()
	if err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "honeyscope:", err)
		os.Exit(1)
	}
}
