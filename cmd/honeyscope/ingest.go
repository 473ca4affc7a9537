package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/honeyscope/honeyscope/internal/capture"
	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/evidence"
	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

func newIngestCmd(g *globals) *cobra.Command {
	var (
		sensor   string
		nets     []string
		tz       string
		force    bool
		recount  bool
		noVerify bool
		workers  int
		quiet    bool
		parts    int
		ruleArgs []string
		evLen    int
		noEv     bool
		noSP     bool
		geoFlags geoOptions
		prefixes []netip.Prefix
		busFlags busOptions
	)
	cmd := &cobra.Command{
		Use:   "ingest [flags] PATH...",
		Short: "Read pcap/pcapng captures and Cowrie JSON logs into the store",
		Long: `Read captures (pcap with µs or ns timestamps in either byte order, pcapng with
several interfaces and sections; plain or gzip-compressed) into the store.

A Cowrie JSON log (one event per line, plain or gzip-compressed, recognised
by its first line: a JSON object whose "eventid" starts with "cowrie.") is
read as honeypot sessions instead: logins, commands, downloads (URL and
SHA-256), client version and HASSH, and one intrusion counted per session
with a successful login that ran a command, per day, source and port. Its
sensor is --sensor, else the log's "sensor" field, else derived from the
file name. Lines that are not events are reported as file:line and
skipped; the rest is kept (docs/ingest.md).
PATH may be a file, a directory (read recursively) or a glob. A PATH that
names nothing (no such file, a glob without a match) is reported and counted
as failed; the other PATHs are still read.

Each packet addressed to the sensor is decoded (Ethernet with VLAN/QinQ tags,
Linux cooked SLL/SLL2, raw IP, BSD loopback; GRE and ERSPAN decapsulated),
classified (access, mirai, zmap, masscan, backscatter, exploit), geolocated
and counted per day (in the store's time zone), sensor, source, protocol and
destination port.

A sensor name (--sensor, or derived from the file name) holds letters, digits
and - _ . : @ + only, at most 64 characters: a comma could never be selected
by --sensor a,b. A file-name part that is not a valid name is made into one
(each other character becomes "-"), with a note. With --sensor-net, a file of
which no packet went to those networks, or whose IPv6 (IPv4) packets all went
elsewhere because the list names no IPv6 (IPv4) network, gets a warning with
the counts.

Before anything is written, every block of an existing store is read back
(DuckDB checks each block's checksum only when it reads it): a damaged store
is refused, unchanged, instead of being added to (--no-verify skips the
check, one scan of the store).

Files are read in parallel, one core each, and each file is committed in one
transaction: an interrupted ingest leaves the store as it was before that file.
Interrupted (Ctrl-C), each file is reported as interrupted before or while it
was read (nothing kept) or while it was written: then whether its commit had
completed is asked of the store afterwards and said.
A file whose content was ingested before is skipped (--force replaces it).
While ` + "`honeyscope serve`" + ` owns the store, files are read here and committed
through it, with the same guarantees.
A damaged capture is reported with the byte offset of the damage; the packets
read before it are kept (the ingest log records the error); for a gzip file the
offset counts decompressed bytes. The exit status is 1 when any PATH or file
had an error.`,
		Example: `  honeyscope ingest --sensor tokyo-open --sensor-net 192.0.2.0/24 captures/
  honeyscope ingest --tz Asia/Tokyo 'captures/*.pcap.gz'`,
		Args: cobra.MinimumNArgs(1),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if prefixes, err = ingest.ParseNets(nets); err != nil {
				return err
			}
			if cmd.Flags().Changed("sensor") {
				if err := ingest.CheckSensor(sensor); err != nil {
					return fmt.Errorf("--sensor: %w", err)
				}
			}
			if tz != "" {
				z, err := civil.ZoneName(tz)
				if err != nil {
					return fmt.Errorf("--tz: %w", err)
				}
				tz = z // JST is recorded as Asia/Tokyo
			}
			if evLen < 1 || evLen > evidence.MaxMaxLen {
				return fmt.Errorf("--evidence-bytes %d: want 1 to %d", evLen, evidence.MaxMaxLen)
			}
			if workers < 0 {
				return fmt.Errorf("--workers %d: want 0 (one per CPU) or more", workers)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			limitIngestMemory()
			errw := cmd.ErrOrStderr()
			// Each argument is expanded on its own: one that names nothing
			// is reported and counted as failed, and the others are still
			// ingested.
			files, bad := expandArgs(args)
			files = append(files, cowrieLogsUnder(args)...)
			slices.Sort(files)
			files = slices.Compact(files)
			for _, b := range bad {
				fmt.Fprintf(errw, "error: %v\n", b.Err)
			}
			if len(files) == 0 {
				if len(bad) == 0 {
					return fmt.Errorf("no capture files found in %v", args)
				}
				return reportIngest(cmd.OutOrStdout(), errw, nil, len(bad))
			}
			geoFlags.applyConfig(g)
			if tz == "" && g.cfg != nil && g.cfg.TZ != "" {
				z, err := civil.ZoneName(g.cfg.TZ)
				if err != nil {
					return fmt.Errorf("config \"tz\": %w", err)
				}
				tz = z
			}
			loc, err := geoFlags.open()
			if err != nil {
				return err
			}
			defer loc.close()
			cfg := ingest.Config{
				DBPath: g.dbPath(), Sensor: sensor, SensorNets: prefixes, TimeZone: tz,
				Force: force, RecountArchives: recount, Workers: workers, Locate: loc.place, CountryDB: loc.countryDB,
				ASNDB: loc.asnDB, Version: version, Log: g.log, PartSources: parts,
				SkipVerify: noVerify, NoEvidence: noEv, NoSrcPorts: noSP,
			}
			cfg.Evidence.MaxLen = evLen
			m, rsID, err := pipelineRules(cmd.Context(), g, ruleArgs, sensor, tz, errw)
			if err != nil {
				return err
			}
			if m != nil {
				cfg.Exploits, cfg.RuleSet = m, rsID
			}
			// Through the owner when `honeyscope serve` runs, else the file.
			db := cfg.DBPath
			cfg.Open = func(ctx context.Context, tz string) (store.Store, error) {
				return openStoreOpts(ctx, db, duckstore.Options{TimeZone: tz, WriteThreads: 1, WriteMemory: ingestDuckMemory})
			}
			if busFlags.publish != "" {
				done, err := busFlags.ingestOpen(cmd.Context(), &cfg, ruleArgs, errw)
				if err != nil {
					return err
				}
				defer done()
			}
			var total int64
			for _, f := range files {
				if fi, err := os.Stat(f); err == nil {
					total += fi.Size()
				}
			}
			prog := newProgress(errw, total, quiet, unitBytes)
			cfg.Progress = prog.add
			cfg.Status = prog.status
			results, err := ingest.Run(cmd.Context(), cfg, files)
			prog.finish()
			switch {
			case errors.Is(err, context.Canceled):
				return errors.New("interrupted before any file was read: nothing kept")
			case errors.Is(err, ingest.ErrDamaged):
				return fmt.Errorf("%w\n(restore the store from a backup, or ingest the captures into a new store (--db); "+
					"commands that read this one fail where they reach the damage; --no-verify writes anyway)", err)
			case err != nil:
				return err
			}
			warnSensorNets(errw, results, prefixes)
			return reportIngest(cmd.OutOrStdout(), errw, results, len(bad))
		},
	}
	f := cmd.Flags()
	f.StringVar(&sensor, "sensor", "", `sensor name: letters, digits, - _ . : @ +, at most 64 (default: the part of the file name before a date, else "default")`)
	f.StringSliceVar(&nets, "sensor-net", nil, "the sensor's addresses as CIDRs; only packets to them count (default: every packet)")
	f.StringVar(&tz, "tz", "", "time zone of days for a new store, an IANA name such as Asia/Tokyo (JST, KST, HKT, SGT, PST accepted; default UTC; fixed per store)")
	f.BoolVar(&noVerify, "no-verify", false, "do not check before writing that every block of the store reads back (saves one scan of the store per run)")
	f.BoolVar(&recount, "recount-archives", false, "count live capture archives (which ingest skips: live capture counted them) as the capture of the --sensor given, which must differ from the archive's")
	f.BoolVar(&force, "force", false, "re-ingest files already in the store, replacing their earlier contribution (the same content, or a file's own earlier, shorter version)")
	f.IntVar(&workers, "workers", 0, "files read at once (default: number of CPUs)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress bar")
	busFlags.registerPublish(f, true)
	f.StringSliceVar(&ruleArgs, "rules", nil, "classify exploits with these rule files or directories (Suricata syntax, docs/rules.md) and the built-in rules (default: the built-in rules alone)")
	f.IntVar(&evLen, "evidence-bytes", evidence.DefaultMaxLen, "keep this many bytes of each distinct payload as evidence for rules backfill (docs/rules.md)")
	f.BoolVar(&noEv, "no-evidence", false, "keep no evidence (payloads) for rules backfill")
	f.BoolVar(&noSP, "no-srcports", false, "keep no source-port histograms for honeyscope srcports")
	f.IntVar(&parts, "part-sources", 0, "write a file in parts of this many source-days per shard (default 1M; bounds memory)")
	f.MarkHidden("part-sources")
	geoFlags.register(f)
	return cmd
}

// expandArgs expands each command-line argument on its own (capture.Expand
// stops at the first bad one). It returns the files, sorted and without
// duplicates, and a failed result for every argument that names nothing: a
// path that does not exist, a glob that matches nothing, an unreadable
// directory.
func expandArgs(args []string) ([]string, []ingest.FileResult) {
	var files []string
	var bad []ingest.FileResult
	for _, arg := range args {
		if _, err := os.Lstat(arg); errors.Is(err, iofs.ErrNotExist) && strings.ContainsAny(arg, `*?[\`) {
			// A glob, as capture.Expand takes it; said here without its
			// "expand" prefix.
			if m, err := filepath.Glob(arg); err == nil && len(m) == 0 {
				bad = append(bad, ingest.FileResult{Path: arg, Err: fmt.Errorf("%s: no file matches the pattern", arg)})
				continue
			}
		}
		fs, err := capture.Expand([]string{arg})
		if err != nil {
			var pe *iofs.PathError
			if errors.As(err, &pe) {
				// "expand: stat x.pcap: no such file..." -> "x.pcap: no such file..."
				err = fmt.Errorf("%s: %w", pe.Path, pe.Err)
			}
			bad = append(bad, ingest.FileResult{Path: arg, Err: err})
			continue
		}
		files = append(files, fs...)
	}
	slices.Sort(files)
	return slices.Compact(files), bad
}

// reportIngest prints an error line per file that had one and the summary,
// and returns exitError{1} when any input failed. inputErrs counts the
// arguments that named no file (already reported by the caller).
//
// A damaged file whose packets before the damage were committed is counted
// once, as ingested with errors, never also as failed.
func reportIngest(out, errw io.Writer, results []ingest.FileResult, inputErrs int) error {
	var complete, partial, skipped, interrupted int
	failed := inputErrs
	var pk, fr uint64
	var cls [classify.NumClasses]uint64
	var sessions int
	for _, r := range results {
		reportCowrie(out, errw, r)
		if e := r.Evidence; e.Dropped > 0 && r.Committed {
			fmt.Fprintf(errw, "note: %s: evidence for rules backfill kept %d of %d payload packets (%d distinct payloads); %d beyond its bounds were not kept\n",
				r.Path, e.Kept, e.Packets, e.Payloads, e.Dropped)
		}
		if r.SensorNote != "" {
			fmt.Fprintf(errw, "note: %s: %s\n", r.Path, r.SensorNote)
		}
		switch {
		case r.Interrupted != ingest.NotInterrupted && !r.Committed:
			interrupted++
			fmt.Fprintln(errw, interruptedLine(r))
			continue
		case r.Interrupted != ingest.NotInterrupted && r.Err == nil:
			complete++
			fmt.Fprintf(errw, "interrupted while writing %s to the store, but its commit had completed: the file is in the store\n", r.Path)
		case r.Skipped && r.Archive != nil:
			fmt.Fprintf(errw, "skipped %s: %s (to count it as another sensor's capture: --recount-archives --sensor OTHER)\n", r.Path, r.Archive.SkipReason())
			skipped++
			continue
		case r.Skipped:
			dup := r.Duplicate
			if dup == "" {
				dup = "an earlier ingest"
			}
			fmt.Fprintf(errw, "skipped %s: same content already ingested (%s); use --force to replace it\n", r.Path, dup)
			skipped++
			continue
		case r.Committed && r.Err == nil:
			complete++
		case r.Committed:
			partial++
			fmt.Fprintf(errw, "error: %v (%skept the %d packets read before it; the ingest log records the error)\n",
				r.Err, gzipNote(r.Err), r.Packets)
		default:
			failed++
			if r.Err != nil {
				fmt.Fprintf(errw, "error: %v (%snothing kept from this file)\n", r.Err, gzipNote(r.Err))
			} else {
				fmt.Fprintf(errw, "error: %s: not ingested\n", r.Path)
			}
		}
		switch {
		case r.Committed && r.Grown && r.Replaced:
			fmt.Fprintf(errw, "note: %s has grown since it was ingested (it was still being written); the earlier, shorter ingest was replaced (--force)\n", r.Path)
		case r.Committed && r.Grown:
			fmt.Fprintf(errw, "note: %s has grown since it was ingested (it was still being written); both versions now count: run again with --force to replace the earlier one\n", r.Path)
		}
		if r.Committed && r.Rewritten {
			fmt.Fprintf(errw, "note: %s was ingested before with other content (another capture under the same name?); both are counted\n", r.Path)
		}
		if r.Committed && r.Cowrie == nil {
			reportUndecoded(errw, r)
		}
		if r.Committed && r.Cowrie != nil {
			sessions += r.Cowrie.Sessions
		}
		if r.Committed {
			if r.Cowrie == nil {
				pk += r.Packets
				fr += r.Frames
			}
			for i := range cls {
				cls[i] += r.Classes[i]
			}
		}
	}
	fmt.Fprintf(out, "ingested %s", plural(complete+partial, "file", "files"))
	if partial > 0 {
		fmt.Fprintf(out, " (%d complete, %d with errors: the packets before the damage were kept)", complete, partial)
	}
	if skipped > 0 {
		fmt.Fprintf(out, ", skipped %d (already in the store)", skipped)
	}
	if failed > 0 {
		fmt.Fprintf(out, ", failed %d (nothing kept)", failed)
	}
	if interrupted > 0 {
		fmt.Fprintf(out, ", interrupted %d", interrupted)
	}
	fmt.Fprintf(out, ": %d frames, %d packets counted", fr, pk)
	if sessions > 0 {
		fmt.Fprintf(out, ", %s from Cowrie logs", plural(sessions, "session", "sessions"))
	}
	for c := classify.Class(1); c < classify.NumClasses; c++ {
		if c == classify.Intrusion && cls[c] == 0 {
			continue // honeypot sessions: captures have none
		}
		fmt.Fprintf(out, ", %s %d", c, cls[c])
	}
	fmt.Fprintln(out)
	if partial+failed+interrupted > 0 {
		return exitError{1}
	}
	return nil
}

// reportUndecoded says which frames of a committed capture were not
// counted for want of a decoder or of a time: a file of a link type ingest
// does not read shows as such, not as a silent "0 packets counted".
func reportUndecoded(errw io.Writer, r ingest.FileResult) {
	named := r.Undated
	for _, l := range r.NotDecoded {
		fmt.Fprintf(errw, "note: %s: %s\n", r.Path, l)
		named += l.Frames
	}
	if r.Undated > 0 {
		fmt.Fprintf(errw, "note: %s: %s with no usable time (undated) not counted\n", r.Path, plural(int(r.Undated), "packet", "packets"))
	}
	if r.Packets == 0 && r.Undecodable > named {
		fmt.Fprintf(errw, "note: %s: no packet counted: %s without a valid IPv4 or IPv6 packet\n", r.Path, plural(int(r.Undecodable-named), "frame", "frames"))
	}
}

// interruptedLine says what became of a file the run was interrupted on
// and that was not committed, from what ingest found out (never guessed
// from the error text).
func interruptedLine(r ingest.FileResult) string {
	switch {
	case r.Interrupted == ingest.InterruptedQueued:
		return fmt.Sprintf("interrupted before %s was read: nothing kept from it", r.Path)
	case r.Interrupted == ingest.InterruptedReading:
		return fmt.Sprintf("interrupted while reading %s: nothing kept from this file", r.Path)
	case r.CommitUnknown:
		why := ""
		if r.Err != nil && !errors.Is(r.Err, context.Canceled) {
			why = " (" + r.Err.Error() + ")"
		}
		return fmt.Sprintf("interrupted while writing %s to the store; whether its commit completed could not be told%s: "+
			"run the ingest again (a file already in the store is skipped)", r.Path, why)
	}
	return fmt.Sprintf("interrupted while writing %s to the store: the commit did not complete, nothing kept from this file", r.Path)
}

// warnSensorNets warns about each file whose packets --sensor-net (nets)
// did not count as the user probably meant: a list matching no packet of
// the file, and a list without any network of an IP version the file has
// packets of (an IPv4-only list drops every IPv6 packet).
func warnSensorNets(errw io.Writer, results []ingest.FileResult, nets []netip.Prefix) {
	if len(nets) == 0 {
		return
	}
	var has4, has6 bool
	for _, n := range nets {
		has4 = has4 || n.Addr().Is4()
		has6 = has6 || !n.Addr().Is4()
	}
	for _, r := range results {
		if !r.Committed || r.NotToSensor.Total() == 0 {
			continue
		}
		if r.ToSensor.Total() == 0 {
			fmt.Fprintf(errw, "warning: %s: --sensor-net matches no packet of this file: %s went to other addresses, nothing was counted (check the sensor's addresses)\n",
				r.Path, familyText(r.NotToSensor))
			continue
		}
		if !has6 && r.NotToSensor.IPv6 > 0 {
			fmt.Fprintf(errw, "warning: %s: %s not counted: --sensor-net lists no IPv6 network\n", r.Path, plural(int(r.NotToSensor.IPv6), "IPv6 packet", "IPv6 packets"))
		}
		if !has4 && r.NotToSensor.IPv4 > 0 {
			fmt.Fprintf(errw, "warning: %s: %s not counted: --sensor-net lists no IPv4 network\n", r.Path, plural(int(r.NotToSensor.IPv4), "IPv4 packet", "IPv4 packets"))
		}
	}
}

// familyText is "3 IPv4 and 2 IPv6 packets", without a zero part.
func familyText(c ingest.FamilyCounts) string {
	switch {
	case c.IPv6 == 0:
		return plural(int(c.IPv4), "IPv4 packet", "IPv4 packets")
	case c.IPv4 == 0:
		return plural(int(c.IPv6), "IPv6 packet", "IPv6 packets")
	}
	return fmt.Sprintf("%d IPv4 and %s", c.IPv4, plural(int(c.IPv6), "IPv6 packet", "IPv6 packets"))
}

// plural formats n with the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// gzipNote explains, for damage found in a gzip-compressed capture, that
// the offset in the message (written by internal/capture) counts bytes of
// the decompressed stream, not of the file.
func gzipNote(err error) string {
	var fe *capture.FormatError
	if !errors.As(err, &fe) || fe.Offset == 0 || !isGzip(fe.Path) {
		return ""
	}
	return "the offset counts decompressed bytes; "
}

// isGzip reports whether the file starts with the gzip magic number.
func isGzip(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [2]byte
	_, err = io.ReadFull(f, b[:])
	return err == nil && b[0] == 0x1f && b[1] == 0x8b
}

// progress shows a bar on a terminal and nothing otherwise.
//
// The bar computes its rates from the time of its first update, so the
// first frames after a fast read showed absurd rates ("1.5 TB/s"). It is
// therefore started blank when made, and gets no counts, and so shows no
// rate, until rateDelay has passed.
type progress struct {
	mu      sync.Mutex
	bar     *progressbar.ProgressBar
	frames  atomic.Int64
	w       io.Writer
	start   time.Time
	last    time.Time
	unit    string
	pending int64 // counts held back during the first rateDelay
}

// rateDelay is how long the bar collects counts before it shows a rate.
const rateDelay = 500 * time.Millisecond

// Units of a progress bar's counts.
const (
	unitBytes   = "bytes"
	unitPackets = "packets"
)

// newProgress returns a progress bar on w when w is a terminal and quiet is
// false, and a silent one otherwise. unit is unitBytes or unitPackets.
func newProgress(w io.Writer, total int64, quiet bool, unit string) *progress {
	f, ok := w.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return &progress{start: time.Now(), w: w, unit: unit}
	}
	return newProgressBar(w, total, unit)
}

// newProgressBar returns a progress bar on w whatever w is.
func newProgressBar(w io.Writer, total int64, unit string) *progress {
	p := &progress{start: time.Now(), w: w, unit: unit}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200 * time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetDescription("synth"),
		progressbar.OptionClearOnFinish(),
		// Drawn at once, which also starts the bar's elapsed-time clock.
		progressbar.OptionSetRenderBlankState(true),
	}
	if unit == unitBytes {
		// The bar shows the byte rate; the description the packet rate.
		opts = append(opts, progressbar.OptionShowBytes(true), progressbar.OptionSetDescription("ingest"))
	}
	p.bar = progressbar.NewOptions64(total, opts...)
	// Starts the bar's rate sampling now, at 0.
	p.bar.Add64(0)
	return p
}

// held reports whether counts are still being held back, and if not returns
// the held-back amount to hand to the bar. It must be called with p.mu held.
func (p *progress) held(now time.Time, n int64) (int64, bool) {
	if now.Sub(p.start) < rateDelay {
		p.pending += n
		return 0, true
	}
	n += p.pending
	p.pending = 0
	return n, false
}

func (p *progress) add(bytes, frames int64) {
	n := p.frames.Add(frames)
	if p.bar == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	bytes, wait := p.held(now, bytes)
	if wait {
		return
	}
	if now.Sub(p.last) > 250*time.Millisecond {
		p.last = now
		rate := float64(n) / now.Sub(p.start).Seconds()
		p.bar.Describe(fmt.Sprintf("%s packets, %s/s", human(float64(n)), human(rate)))
	}
	p.bar.Add64(bytes)
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

// set moves the bar to an absolute position (for counters that are not
// bytes), with the rate shown in the description as add does.
func (p *progress) set(n int64) {
	if p.bar == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if now.Sub(p.start) < rateDelay {
		return
	}
	if now.Sub(p.last) > 250*time.Millisecond {
		p.last = now
		rate := float64(n) / now.Sub(p.start).Seconds()
		p.bar.Describe(fmt.Sprintf("%s %s, %s/s", human(float64(n)), p.unit, human(rate)))
	}
	p.bar.Set64(n)
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
