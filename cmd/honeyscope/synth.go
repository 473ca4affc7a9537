package main

import (
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/geo"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/synth"
)

// geoPool draws synthetic sources from the built-in GeoIP table's ranges.
type geoPool struct{}

func (geoPool) Countries() []string { return geo.DefaultCountries() }
func (geoPool) Addr(cc string, n uint64) (netip.Addr, bool) {
	return geo.DefaultAddr(cc, n)
}
func (geoPool) Addr6(cc string, n uint64) (netip.Addr, bool) { return geo.DefaultAddr6(cc, n) }
func (geoPool) Size(cc string) uint64                        { return geo.DefaultSize(cc) }

func newSynthCmd(g *globals) *cobra.Command {
	var (
		cfg    synth.Config
		out    string
		start  string
		spikes []string
		rises  []string
		scans  []string
		outs   []string
		net4   string
		nsess  int
		sensor string
	)
	cmd := &cobra.Command{
		Use:   "synth --out FILE",
		Short: "Write a realistic synthetic capture of Internet background radiation",
		Long: `Write a deterministic (per --seed) capture of unsolicited traffic to a /24
darknet: Mirai-family bots (one source port each, 23/TCP and 2323/TCP), ZMap and
masscan scanners, other SYN scanners, UDP probes, ICMP, backscatter, exploit
payloads and a little IPv6, with sources drawn from real country ranges of the
built-in GeoIP table (a few heavy countries, a long tail).

Beside FILE it writes FILE.truth.json: per day per class (and per country, and
per class and port) packets and distinct sources, exactly what ingest must find.
Days are UTC.

Planted events, each also written to the truth file: --spike multiplies a
country's traffic on one day; --rise COUNTRY:DAY:DAYS:FACTOR multiplies it on
DAYS consecutive days (0: to the end); --scanner COUNTRY:DAY:PACKETS adds a
new ZMap scanner of that country sending about PACKETS packets a day from DAY
on; --outage DAY:DAYS leaves DAYS days without capture, and the capture after
each outage goes to a file of its own (FILE, then NAME-part2.EXT, ...) so
that ingest sees the days as without data.

--sessions N also writes NAME.cowrie.json beside FILE: N honeypot sessions a
day (telnet bots guessing passwords and running loaders, SSH guessers, HTTP
exploit requests, other services' first bytes, with dropped files that are
built bytes, never programs) as a Cowrie JSON log, which ingest reads like a
capture. --hostile puts markup, script, NUL bytes and terminal escapes into
some exploit payloads and sessions, to test that every view escapes them.

--sources N makes the capture hold exactly N distinct source addresses, as a
large darknet sees them: the traffic above, sized for the packets left to it,
and a swarm of Mirai-like bots making up the rest, each sending on one day
only (so N is also the number of source-days) and probing --ports-per-source
ports (23 or 2323, then 80, 8080, 5555, ...). The swarm gets at least half
the packets, and at least N times the ports per source. It cannot be
combined with the planted events.`,
		Example: `  honeyscope synth --out radiation.pcap --packets 1000000 --days 7
  honeyscope synth --out spike.pcap --days 30 --spike IT:21:12
  honeyscope synth --out events.pcap --days 60 --rise BR:30:7:4 --scanner NL:40:3000 --outage 50:2
  honeyscope synth --out lab.pcap --days 14 --sessions 50 --hostile
  honeyscope synth --out darknet.pcap --packets 10000000 --days 1 --sources 4000000
  honeyscope ingest lab.pcap lab.cowrie.json`,
		Args: cobra.NoArgs,
		// Every flag is checked before FILE is created: a bad flag must not
		// truncate an existing capture.
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return fmt.Errorf("--out FILE is required")
			}
			switch cfg.Format {
			case "pcap", "pcapng":
			default:
				return fmt.Errorf("--format %q: want pcap or pcapng", cfg.Format)
			}
			if cfg.Packets < 0 {
				return fmt.Errorf("--packets %d: want 0 or more", cfg.Packets)
			}
			if cfg.Days < 1 {
				return fmt.Errorf("--days %d: want 1 or more", cfg.Days)
			}
			if start != "" {
				t, err := time.Parse("2006-01-02", start)
				if err != nil {
					return fmt.Errorf("--start %q: want YYYY-MM-DD", start)
				}
				cfg.Start = t
			}
			if net4 != "" {
				p, err := netip.ParsePrefix(net4)
				if err != nil {
					return fmt.Errorf("--sensor-net %q: %w", net4, err)
				}
				cfg.SensorNet = p
			}
			for _, s := range spikes {
				sp, err := synth.ParseSpike(s)
				if err != nil {
					return err
				}
				cfg.Spikes = append(cfg.Spikes, sp)
			}
			for _, s := range rises {
				r, err := synth.ParseRise(s)
				if err != nil {
					return err
				}
				cfg.Rises = append(cfg.Rises, r)
			}
			for _, s := range scans {
				sc, err := synth.ParseScanner(s)
				if err != nil {
					return err
				}
				cfg.Scanners = append(cfg.Scanners, sc)
			}
			for _, s := range outs {
				o, err := synth.ParseOutage(s)
				if err != nil {
					return err
				}
				cfg.Outages = append(cfg.Outages, o)
			}
			if nsess < 0 || nsess > 100000 {
				return fmt.Errorf("--sessions %d: want 0 to 100000 a day", nsess)
			}
			if sensor != "" {
				if err := ingest.CheckSensor(sensor); err != nil {
					return fmt.Errorf("--session-sensor: %w", err)
				}
			}
			cfg.Pool = geoPool{}
			return checkSynth(cfg)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			prog := newProgress(cmd.ErrOrStderr(), int64(cfg.Packets), false, unitPackets)
			cfg.Progress = func(done int) { prog.set(int64(done)) }
			t, err := synth.WriteFile(out, cfg)
			prog.finish()
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d packets, %d days from %s, sensor %s) and %s.truth.json\n",
				out, t.Packets, t.Days, t.Start, t.SensorNet, out)
			if len(t.Files) > 1 {
				fmt.Fprintf(cmd.OutOrStdout(), "the outages split the capture into %d files: %s (ingest them all)\n",
					len(t.Files), strings.Join(t.Files, " "))
			}
			if nsess == 0 {
				return nil
			}
			net := cfg.SensorNet
			if !net.IsValid() {
				net = synth.DefaultSensorNet
			}
			ss, st, err := synth.Sessions(synth.SessionOptions{Seed: cfg.Seed, Start: cfg.Start, Days: cfg.Days, PerDay: nsess,
				Sensors: []synth.SessionSensor{{Name: sensor, Net: net}}, Pool: cfg.Pool, Hostile: cfg.Hostile})
			if err != nil {
				return err
			}
			logPath := sessionLogPath(out)
			if err := synth.WriteCowrieFile(logPath, ss); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d honeypot sessions: %d with a login, %d intrusions, %d distinct samples, %d hostile)\n",
				logPath, st.Sessions, st.LoggedIn, st.Intrusions, st.Samples, st.Hostile)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "capture `FILE` to write (required)")
	f.IntVar(&cfg.Packets, "packets", 1000000, "number of packets")
	f.IntVar(&cfg.Days, "days", synth.DefaultDays, "number of days")
	f.Uint64Var(&cfg.Seed, "seed", 1, "random seed (same seed, same bytes)")
	f.StringVar(&cfg.Format, "format", "pcap", "pcap or pcapng")
	f.StringVar(&start, "start", "", "first day, YYYY-MM-DD (default "+synth.DefaultStart.Format("2006-01-02")+")")
	f.StringVar(&net4, "sensor-net", "", "destination /24 (default "+synth.DefaultSensorNet.String()+")")
	f.StringSliceVar(&spikes, "spike", nil, "plant a spike: COUNTRY:DAY:FACTOR, DAY a 0-based index or YYYY-MM-DD (repeatable)")
	f.StringSliceVar(&rises, "rise", nil, "plant a sustained rise: COUNTRY:DAY:DAYS:FACTOR, DAYS 0 to the end (repeatable)")
	f.StringSliceVar(&scans, "scanner", nil, "plant a new ZMap scanner: COUNTRY:DAY:PACKETS per day from DAY on (repeatable)")
	f.StringSliceVar(&outs, "outage", nil, "plant a sensor outage: DAY:DAYS without capture (repeatable)")
	f.IntVar(&nsess, "sessions", 0, "also write `N` honeypot sessions a day to NAME.cowrie.json beside FILE")
	f.StringVar(&sensor, "session-sensor", "", "sensor field of the sessions' Cowrie log (default none: ingest names it as it names the capture)")
	f.IntVar(&cfg.Sources, "sources", 0, "make the capture hold exactly `N` distinct sources (a swarm of one-day bots makes up the rest)")
	f.IntVar(&cfg.PortsPerSource, "ports-per-source", 0, fmt.Sprintf("with --sources: ports each swarm bot probes, 1 to %d (default 1)", synth.MaxPortsPerSource))
	f.BoolVar(&cfg.Hostile, "hostile", false, "put markup, script and control characters into some payloads and sessions")
	return cmd
}

// sessionLogPath is the Cowrie log synth --sessions writes beside the
// capture: "x.cowrie.json" for "x.pcap" (or "x.pcap.gz").
func sessionLogPath(capture string) string {
	base := strings.TrimSuffix(capture, ".gz")
	base = strings.TrimSuffix(base, filepath.Ext(base))
	return base + ".cowrie.json"
}

// checkSynth checks the whole configuration, limits the synthesizer finds
// only while setting up (days, start, sensor net, spike days and countries)
// included, by generating at most one packet into io.Discard: it costs
// milliseconds, and the rules stay in one place, the synth package.
func checkSynth(cfg synth.Config) error {
	if err := cfg.Check(); err != nil {
		return err
	}
	// The swarm's own limits (room in the pool, sources left to it) show
	// only when written.
	cfg.Sources, cfg.PortsPerSource = 0, 0
	cfg.Packets = min(cfg.Packets, 1)
	cfg.Progress = nil
	_, err := synth.Write(io.Discard, cfg)
	return err
}
