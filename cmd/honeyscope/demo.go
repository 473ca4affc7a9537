package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/analysis"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/period"
	"github.com/honeyscope/honeyscope/internal/report"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
	"github.com/honeyscope/honeyscope/internal/store/remote"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// demoListen is where the demo serves unless --listen says otherwise; when
// the port is taken, a free one is used.
const demoListen = "127.0.0.1:8080"

// demoSensor is one of the demo's two sensors.
type demoSensor struct {
	name     string
	capture  string // DIR/radiation.pcap, DIR/radiation-domestic.pcap
	sessions string // DIR/sessions-NAME.cowrie.json
	packets  int
	seed     uint64
	net      netip.Prefix
	allow    []string // domestic-only honeypot: countries answered
}

type demoOptions struct {
	dir      string
	packets  int
	days     int
	sessions int
	lang     string
	report   string
	listen   string
	noServe  bool
	hostile  bool
}

func newDemoCmd(g *globals) *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Synthesize two sensors' traffic and honeypot sessions, ingest them and serve the dashboard (no set-up needed)",
		Long: `Run the whole observatory on built-in defaults. The demo synthesizes three
weeks of Internet background radiation at two sensors, "open" (DIR/radiation.pcap,
--packets packets) and "domestic" (DIR/radiation-domestic.pcap, half as many),
with a planted spike from Mexico three days before the end, and --sessions
honeypot sessions a day at each (Cowrie JSON logs DIR/sessions-open.cowrie.json
and DIR/sessions-domestic.cowrie.json: telnet bots guessing passwords and
running loaders, SSH guessers, HTTP exploit requests; the domestic sensor answers
sources in Japan only and records the rest). A few sessions and payloads carry
markup and control characters, as attackers' often do (--hostile=false: none).
It ingests everything into DIR/honeyscope.duckdb with the built-in GeoIP data,
prints what arrived per day and class, the top Mirai source countries and the
top destination ports, then serves the store on 127.0.0.1 (port 8080, or a free
port when it is taken; --listen) and prints the URL; Ctrl-C stops it.

--report DIR2 also writes an observation report of the last week to DIR2.
--no-serve stops after the summary and writes the report (to DIR/report unless
--report says otherwise) instead of serving. The store in DIR is replaced on
every run (--db is not used: the demo never touches another store).`,
		Example: `  honeyscope demo
  honeyscope demo --report demo-report --lang ja
  honeyscope demo --no-serve --packets 200000 --days 8`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if f := cmd.Flag("db"); f != nil && f.Changed {
				return fmt.Errorf("demo writes its own store, DIR/honeyscope.duckdb (--dir); --db is not used by demo")
			}
			if o.packets < 0 || o.days < 1 || o.days > 3660 {
				return fmt.Errorf("--packets %d --days %d: want 0 or more packets and 1 to 3660 days", o.packets, o.days)
			}
			if o.sessions < 0 || o.sessions > 100000 {
				return fmt.Errorf("--sessions %d: want 0 to 100000 a day", o.sessions)
			}
			if o.lang != "en" && o.lang != "ja" {
				return fmt.Errorf("--lang %q: want en or ja", o.lang)
			}
			if !o.noServe {
				l, err := demoListenAddr(o.listen, cmd.Flags().Changed("listen"))
				if err != nil {
					return err
				}
				o.listen = l
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDemo(cmd.Context(), g, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", "honeyscope-demo", "folder for the demo's captures, logs and store")
	f.IntVar(&o.packets, "packets", 2000000, "packets to synthesize for the open sensor (the domestic one gets half)")
	f.IntVar(&o.days, "days", 21, "days to synthesize")
	f.IntVar(&o.sessions, "sessions", 40, "honeypot sessions a day at each sensor")
	f.StringVar(&o.lang, "lang", "en", "language of the report: en or ja")
	f.StringVar(&o.report, "report", "", "also write the report of the last week to this `DIR` (with --no-serve: default DIR/report)")
	f.StringVar(&o.listen, "listen", demoListen, "`HOST:PORT` to serve on, a loopback address (default: port 8080, or a free port when it is taken)")
	f.BoolVar(&o.noServe, "no-serve", false, "stop after the summary and the report instead of serving")
	f.BoolVar(&o.hostile, "hostile", true, "let some sessions and payloads carry markup and control characters, as attackers' do")
	return cmd
}

// demoListenAddr checks --listen (loopback only: the demo has no
// authentication) and, when it was not given and port 8080 is taken,
// returns a free-port address instead.
func demoListenAddr(listen string, given bool) (string, error) {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("--listen %q: want HOST:PORT", listen)
	}
	if ip, err := netip.ParseAddr(host); (err != nil || !ip.IsLoopback()) && host != "localhost" {
		return "", fmt.Errorf("--listen %s: the demo serves on a loopback address only (127.0.0.1:PORT); run serve with authentication to listen beyond it", listen)
	}
	if given {
		return listen, nil
	}
	l, err := net.Listen("tcp", listen)
	if err != nil {
		return net.JoinHostPort(host, "0"), nil
	}
	l.Close()
	return listen, nil
}

// demoSensors are the demo's sensors, their files in dir.
func demoSensors(dir string, packets int) []demoSensor {
	return []demoSensor{
		{name: "open", capture: filepath.Join(dir, "radiation.pcap"), sessions: filepath.Join(dir, "sessions-open.cowrie.json"),
			packets: packets, seed: 1, net: synth.DefaultSensorNet},
		{name: "domestic", capture: filepath.Join(dir, "radiation-domestic.pcap"), sessions: filepath.Join(dir, "sessions-domestic.cowrie.json"),
			packets: packets / 2, seed: 2, net: synth.DefaultSensorNet2, allow: []string{"JP"}},
	}
}

func runDemo(ctx context.Context, g *globals, o demoOptions, w, errw io.Writer) error {
	db := filepath.Join(o.dir, "honeyscope.duckdb")
	if pid, err := remote.OwnerPID(ctx, db); err == nil {
		return fmt.Errorf("a honeyscope serve (pid %d) holds the demo's store %s: stop it first, or give another --dir", pid, db)
	}
	if err := os.RemoveAll(db); err != nil {
		return err
	}
	os.Remove(db + ".wal")
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	sensors := demoSensors(o.dir, o.packets)
	steps := 5
	if o.noServe || o.report != "" {
		steps++
	}
	step := 0
	say := func(format string, a ...any) {
		step++
		fmt.Fprintf(errw, "%d/%d "+format+"\n", append([]any{step, steps}, a...)...)
	}

	say("synthesizing %d days at sensors open (%d packets) and domestic (%d packets)", o.days, sensors[0].packets, sensors[1].packets)
	sp, err := synth.ParseSpike(fmt.Sprintf("MX:%d:10", max(0, o.days-3)))
	if err != nil {
		return err
	}
	for _, s := range sensors {
		prog := newProgress(errw, int64(s.packets), false, unitPackets)
		_, err := synth.WriteFile(s.capture, synth.Config{Packets: s.packets, Days: o.days, Seed: s.seed, Pool: geoPool{},
			SensorNet: s.net, Spikes: []synth.Spike{sp}, Hostile: o.hostile, Progress: func(n int) { prog.set(int64(n)) }})
		prog.finish()
		if err != nil {
			return err
		}
		fmt.Fprintf(errw, "    %s -> %s\n", s.name, s.capture)
	}

	say("synthesizing %d honeypot sessions a day at each sensor", o.sessions)
	if err := writeDemoSessions(o, sensors, errw); err != nil {
		return err
	}

	say("ingesting -> %s", db)
	if err := ingestDemo(ctx, o, sensors, db, w, errw); err != nil {
		return err
	}

	say("summary")
	if err := demoSummary(ctx, db, w); err != nil {
		return err
	}

	reportDir := o.report
	if reportDir == "" && o.noServe {
		reportDir = filepath.Join(o.dir, "report")
	}
	if reportDir != "" {
		say("report -> %s", reportDir)
		if err := demoReport(ctx, g, db, reportDir, o.lang, w, errw); err != nil {
			return err
		}
	}
	self := selfCommand()
	if o.noServe {
		fmt.Fprintf(w, "\nExplore further:\n  %s serve --db %s     (then open http://%s/)\n", self, db, demoListen)
		fmt.Fprintf(w, "  %s stats --db %s --by country --class mirai --top 20\n", self, db)
		fmt.Fprintf(w, "  %s sessions --db %s --intrusions\n", self, db)
		fmt.Fprintf(w, "\n%s\n", demoLeftovers(o.dir, sensors, db, reportDir))
		return nil
	}

	say("serving %s on %s (Ctrl-C to stop)", db, o.listen)
	fmt.Fprintf(w, "\n%s\n", demoLeftovers(o.dir, sensors, db, reportDir))
	sg := &globals{db: db, verbose: g.verbose, log: g.log}
	so := serveOptions{listen: o.listen, shutdown: 10 * time.Second, logFormat: "text", warmEvery: time.Minute,
		ready: func(addr string) {
			fmt.Fprintf(w, "\nThe demo is serving its store: open http://%s/ (API: http://%s/api/v1/totals); Ctrl-C stops it.\n", addr, addr)
		}}
	return runServe(ctx, sg, so, errw)
}

// writeDemoSessions writes each sensor's honeypot sessions as a Cowrie log.
func writeDemoSessions(o demoOptions, sensors []demoSensor, errw io.Writer) error {
	if o.sessions == 0 {
		return nil
	}
	for _, s := range sensors {
		ss, t, err := synth.Sessions(synth.SessionOptions{Seed: s.seed, Days: o.days, PerDay: o.sessions, Pool: geoPool{}, Hostile: o.hostile,
			Sensors: []synth.SessionSensor{{Name: s.name, Net: s.net, AllowCountries: s.allow}}})
		if err != nil {
			return err
		}
		if err := synth.WriteCowrieFile(s.sessions, ss); err != nil {
			return err
		}
		note := ""
		if len(s.allow) > 0 {
			note = fmt.Sprintf(", %d refused (outside %s)", t.Filtered, strings.Join(s.allow, ","))
		}
		fmt.Fprintf(errw, "    %s -> %s: %s, %s, %s%s\n", s.name, s.sessions, plural(t.Sessions, "session", "sessions"),
			plural(t.Intrusions, "intrusion", "intrusions"), plural(t.Samples, "sample", "samples"), note)
	}
	return nil
}

// ingestDemo ingests each sensor's capture and Cowrie log under its name.
func ingestDemo(ctx context.Context, o demoOptions, sensors []demoSensor, db string, w, errw io.Writer) error {
	var geoOpt geoOptions
	loc, err := geoOpt.open()
	if err != nil {
		return err
	}
	defer loc.close()
	var results []ingest.FileResult
	for _, s := range sensors {
		paths := []string{s.capture}
		if o.sessions > 0 {
			paths = append(paths, s.sessions)
		}
		var size int64
		for _, p := range paths {
			if fi, err := os.Stat(p); err == nil {
				size += fi.Size()
			}
		}
		iprog := newProgress(errw, size, false, unitBytes)
		res, err := ingest.Run(ctx, ingest.Config{
			DBPath: db, Sensor: s.name, Locate: loc.place,
			CountryDB: loc.countryDB, ASNDB: loc.asnDB, Version: version, Progress: iprog.add,
		}, paths)
		iprog.finish()
		if err != nil {
			return err
		}
		results = append(results, res...)
	}
	return reportIngest(w, errw, results, 0)
}

// demoSummary prints the demo's tables.
func demoSummary(ctx context.Context, db string, w io.Writer) error {
	st, err := duckstore.Open(ctx, db, duckstore.Options{ReadOnly: true})
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
		{"Honeypot intrusions per sensor", store.StatsQuery{By: []string{"sensor"}, Classes: []string{"intrusion"}, OrderBy: "key"}},
	}
	for _, s := range sections {
		rows, err := st.Stats(ctx, s.q)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n%s\n", s.title)
		if err := writeStats(w, "table", "en", s.q.By, rows); err != nil {
			return err
		}
	}
	return nil
}

// demoReport writes the report of the last week to dir and prints its
// three largest findings.
func demoReport(ctx context.Context, g *globals, db, dir, lang string, w, errw io.Writer) error {
	rst, err := duckstore.Open(ctx, db, duckstore.Options{ReadOnly: true})
	if err != nil {
		return err
	}
	defer rst.Close()
	rep, err := report.Build(ctx, rst, report.Options{Lang: lang, Out: dir, Log: g.log, PatternName: patternLabel(ctx, rst)})
	if err != nil {
		return err
	}
	for _, wn := range rep.Warnings {
		fmt.Fprintln(errw, "warning:", wn)
	}
	// The three findings the report tells that added the most packets or
	// sources.
	top := period.Highlights(rep.Shown, period.HighlightCount)
	slices.SortStableFunc(top, func(a, b analysis.Finding) int {
		return cmp.Compare((b.Value-b.Baseline)*float64(b.Days), (a.Value-a.Baseline)*float64(a.Days))
	})
	for _, f := range top[:min(3, len(top))] {
		fmt.Fprintf(w, "  %s\n", analysis.Sentence(f, lang, spikeNamer))
	}
	fmt.Fprintf(w, "wrote %s (%d spikes and rises shown, %d below the significance threshold)\n",
		filepath.Join(rep.Dir, "index.html"), len(rep.Shown), rep.Hidden)
	return nil
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
// captures are, so that nobody is surprised by them later.
func demoLeftovers(dir string, sensors []demoSensor, db, reportDir string) string {
	var caps []string
	for _, s := range sensors {
		size := ""
		if fi, err := os.Stat(s.capture); err == nil {
			size = fmt.Sprintf(" (%s)", humanBytes(fi.Size()))
		}
		caps = append(caps, s.capture+size)
	}
	rep := ""
	if reportDir != "" {
		rep = ", the report in " + reportDir
	}
	return fmt.Sprintf("The demo left its captures in %s, the honeypot logs beside them, the store in %s%s;\nremove the folder %s when done (rm -r %s).",
		strings.Join(caps, " and "), db, rep, dir, dir)
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
