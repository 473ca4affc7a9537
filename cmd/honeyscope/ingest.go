package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/honeyscope/honeyscope/internal/capture"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/ingest"
)

func newIngestCmd(g *globals) *cobra.Command {
	var (
		sensor   string
		nets     []string
		tz       string
		force    bool
		workers  int
		quiet    bool
		parts    int
		geoFlags geoOptions
	)
	cmd := &cobra.Command{
		Use:   "ingest [flags] PATH...",
		Short: "Read pcap/pcapng captures into the store",
		Long: `Read captures (pcap with µs or ns timestamps in either byte order, pcapng with
several interfaces and sections; plain or gzip-compressed) into the store.
PATH may be a file, a directory (read recursively) or a glob.

Each packet addressed to the sensor is decoded (Ethernet with VLAN/QinQ tags,
Linux cooked SLL/SLL2, raw IP, BSD loopback; GRE and ERSPAN decapsulated),
classified (access, mirai, zmap, masscan, backscatter, exploit), geolocated
and counted per day (in the store's time zone), sensor, source, protocol and
destination port.

Files are read in parallel, one core each, and each file is committed in one
transaction: an interrupted ingest leaves the store as it was before that file.
A file whose content was ingested before is skipped (--force replaces it).
A damaged capture is reported with the byte offset of the damage; the packets
read before it are kept (the ingest log records the error) and the exit status
is 1.`,
		Example: `  honeyscope ingest --sensor tokyo-open --sensor-net 192.0.2.0/24 captures/
  honeyscope ingest --tz Asia/Tokyo 'captures/*.pcap.gz'`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			files, err := capture.Expand(args)
			if err != nil {
				return err
			}
			if len(files) == 0 {
				return fmt.Errorf("no capture files found in %v", args)
			}
			prefixes, err := ingest.ParseNets(nets)
			if err != nil {
				return err
			}
			if tz != "" {
				if _, err := time.LoadLocation(tz); err != nil {
					return fmt.Errorf("--tz %q: %w", tz, err)
				}
			}
			geoFlags.applyConfig(g)
			if tz == "" && g.cfg != nil {
				tz = g.cfg.TZ
			}
			loc, err := geoFlags.open()
			if err != nil {
				return err
			}
			defer loc.close()
			cfg := ingest.Config{
				DBPath: g.dbPath(), Sensor: sensor, SensorNets: prefixes, TimeZone: tz,
				Force: force, Workers: workers, Locate: loc.place, CountryDB: loc.countryDB,
				ASNDB: loc.asnDB, Version: version, Log: g.log, PartSources: parts,
			}
			var total int64
			for _, f := range files {
				if fi, err := os.Stat(f); err == nil {
					total += fi.Size()
				}
			}
			prog := newProgress(os.Stderr, total, quiet)
			cfg.Progress = prog.add
			cfg.Status = prog.status
			results, err := ingest.Run(cmd.Context(), cfg, files)
			prog.finish()
			if err != nil {
				return err
			}
			return reportIngest(cmd.OutOrStdout(), os.Stderr, results)
		},
	}
	f := cmd.Flags()
	f.StringVar(&sensor, "sensor", "", `sensor name (default: the part of the file name before a date, else "default")`)
	f.StringSliceVar(&nets, "sensor-net", nil, "the sensor's addresses as CIDRs; only packets to them count (default: every packet)")
	f.StringVar(&tz, "tz", "", "time zone of days for a new store, e.g. Asia/Tokyo (default UTC; fixed per store)")
	f.BoolVar(&force, "force", false, "re-ingest files already in the store, replacing their earlier contribution")
	f.IntVar(&workers, "workers", 0, "files read at once (default: number of CPUs)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	f.IntVar(&parts, "part-sources", 0, "write a file in parts of this many source-days per shard (default 1M; bounds memory)")
	f.MarkHidden("part-sources")
	geoFlags.register(f)
	return cmd
}

func reportIngest(out, errw io.Writer, results []ingest.FileResult) error {
	failed := 0
	var pk, fr uint64
	var cls [classify.NumClasses]uint64
	for _, r := range results {
		switch {
		case r.Skipped:
			dup := r.Duplicate
			if dup == "" {
				dup = "an earlier ingest"
			}
			fmt.Fprintf(errw, "skipped %s: same content already ingested (%s); use --force to replace it\n", r.Path, dup)
			continue
		case r.Err != nil:
			failed++
			kept := ""
			if r.Committed {
				kept = fmt.Sprintf(" (kept the %d packets read before it; the ingest log records the error)", r.Packets)
			}
			fmt.Fprintf(errw, "error: %v%s\n", r.Err, kept)
		}
		if r.Committed {
			pk += r.Packets
			fr += r.Frames
			for i := range cls {
				cls[i] += r.Classes[i]
			}
		}
	}
	fmt.Fprintf(out, "ingested %d of %d files: %d frames, %d packets counted", countCommitted(results), len(results), fr, pk)
	for c := classify.Class(1); c < classify.NumClasses; c++ {
		fmt.Fprintf(out, ", %s %d", c, cls[c])
	}
	fmt.Fprintln(out)
	if failed > 0 {
		fmt.Fprintf(errw, "%d file(s) failed\n", failed)
		return exitError{1}
	}
	return nil
}

func countCommitted(rs []ingest.FileResult) int {
	n := 0
	for _, r := range rs {
		if r.Committed {
			n++
		}
	}
	return n
}

// progress shows a bar on a terminal and nothing otherwise.
type progress struct {
	mu     sync.Mutex
	bar    *progressbar.ProgressBar
	frames atomic.Int64
	w      io.Writer
	start  time.Time
	last   time.Time
}

func newProgress(w *os.File, total int64, quiet bool) *progress {
	p := &progress{start: time.Now(), w: w}
	if quiet || !term.IsTerminal(int(w.Fd())) {
		return p
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetDescription("ingest"),
		progressbar.OptionClearOnFinish(),
	)
	return p
}

func (p *progress) add(bytes, frames int64) {
	n := p.frames.Add(frames)
	if p.bar == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bar.Add64(bytes)
	if now := time.Now(); now.Sub(p.last) > 250*time.Millisecond {
		p.last = now
		rate := float64(n) / now.Sub(p.start).Seconds()
		p.bar.Describe(fmt.Sprintf("%s packets, %s/s", human(float64(n)), human(rate)))
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

func human(v float64) string {
	switch {
	case v >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case v >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

// set moves the bar to an absolute position (for counters that are not bytes).
func (p *progress) set(n int64) {
	if p.bar == nil {
		return
	}
	p.mu.Lock()
	p.bar.Set64(n)
	p.mu.Unlock()
}

// status prints a message line above the bar.
func (p *progress) status(msg string) {
	if p.bar == nil {
		return
	}
	p.mu.Lock()
	p.bar.Clear()
	fmt.Fprintln(p.w, msg+"…")
	p.mu.Unlock()
}
