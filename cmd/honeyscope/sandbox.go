package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/honeyscope/honeyscope/internal/ingest"
	"github.com/honeyscope/honeyscope/internal/samplestore"
	"github.com/honeyscope/honeyscope/internal/sandbox"
	"github.com/honeyscope/honeyscope/internal/sandbox/fakenet"
	"github.com/honeyscope/honeyscope/internal/sandboxrun"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// sandboxSensor is the sensor sandbox captures are ingested as.
const sandboxSensor = sandboxrun.Sensor

func newSandboxCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run samples cut off from the network and record what they do",
		Long: `Run an ELF sample of any architecture qemu's user-mode emulators know
(arm, aarch64, mips, mipsel, i386, x86_64, powerpc, sh4, ...) in new user,
mount, network, PID, UTS, IPC and cgroup namespaces: a throwaway read-only
root holding only the sample and the emulator, an unprivileged uid, no route
to anywhere, memory and process limits and a hard time limit that kills
every process of the run. A fake world answers it: every name resolves (to
an address of its own in 198.18.0.0/15), every connection is accepted and
recorded. Its packets are captured and ingested as sensor "sandbox", so its
scans are counted and classified like any traffic; the emulator's syscall
log gives the files and processes it made. Needs root, qemu-user-static,
iproute2 and nftables.`,
	}
	cmd.AddCommand(newSandboxRunCmd(g), newSandboxListCmd(g), newSandboxShowCmd(g))
	return cmd
}

func newSandboxRunCmd(g *globals) *cobra.Command {
	var (
		arch, format, scriptPath, sampleDir, keep string
		limit                                     time.Duration
		noIngest, noStore                         bool
		memory                                    int64
		pids                                      int
	)
	cmd := &cobra.Command{
		Use:   "run SHA256|FILE",
		Short: "Run one sample (a file, or a SHA-256 of the sample store) and store its indicators",
		Example: `  honeyscope sandbox run ./mirai.arm7 --time 60s
  honeyscope sandbox run 5d41402abc4b2a76b9719d911017c592ae2a1f07b3f2b6a1e8c8a5d2c3e4f5a6 --format json
  honeyscope sandbox run ./bot --arch mipsel --script c2.txt`,
		Args: cobra.ExactArgs(1),
		PreRunE: func(cmd *cobra.Command, args []string) error {
			if limit <= 0 || limit > sandbox.MaxTime {
				return fmt.Errorf("--time %v: want more than 0 and at most %v", limit, sandbox.MaxTime)
			}
			if arch != "" {
				if _, err := sandbox.ArchByName(arch); err != nil {
					return fmt.Errorf("--arch: %w", err)
				}
			}
			return checkFormat(format)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			content, err := loadSample(g, args[0], sampleDir)
			if err != nil {
				return err
			}
			if !noStore {
				// Before the run: the store must take it.
				_, done, err := sandboxStore(ctx, g, true)
				if err != nil {
					return err
				}
				done()
			}
			opt := sandbox.Options{Sample: content, Arch: arch, Time: limit, Memory: memory, Pids: pids}
			if scriptPath != "" {
				f, err := os.Open(scriptPath)
				if err != nil {
					return err
				}
				opt.Script, err = fakenet.ParseScript(io.LimitReader(f, 4<<20))
				f.Close()
				if err != nil {
					return fmt.Errorf("--script %s: %w", scriptPath, err)
				}
			}
			if keep == "" {
				keep = filepath.Join(filepath.Dir(g.dbPath()), "sandbox")
			}
			sha := sandboxDigest(content)
			opt.Dir = filepath.Join(keep, sha[:16]+"-"+time.Now().UTC().Format("20060102T150405"))
			if err := os.MkdirAll(opt.Dir, 0o700); err != nil {
				return err
			}
			res, err := sandbox.Run(ctx, opt)
			if err != nil {
				if res != nil {
					return fmt.Errorf("%w (files in %s)", err, res.Dir)
				}
				os.Remove(opt.Dir)
				return err
			}
			var ingester sandboxrun.Ingester
			if !noIngest {
				ingester = func(ctx context.Context, pcap string) error { return ingestSandbox(ctx, g, pcap) }
			}
			run, err := sandboxrun.Record(ctx, res, ingester)
			if err != nil {
				return err
			}
			if !noStore {
				if run, err = addSandboxRun(ctx, g, run); err != nil {
					return err
				}
			}
			if format == "json" {
				return writeJSON(cmd.OutOrStdout(), struct {
					Run    store.SandboxRun `json:"run"`
					Result *sandbox.Result  `json:"result"`
				}{run, res})
			}
			writeSandboxRun(cmd.OutOrStdout(), run)
			fmt.Fprintf(cmd.OutOrStdout(), "files: %s\n", escapeText(res.Dir))
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&arch, "arch", "", "architecture (default: from the ELF header): "+strings.Join(sandbox.ArchNames(), ", "))
	f.DurationVar(&limit, "time", sandbox.DefaultTime, "time limit: every process of the run is killed then")
	f.StringVar(&format, "format", "table", "output format: table or json")
	f.StringVar(&scriptPath, "script", "", "`FILE` of scripted C2 answers: lines PORT \"ANSWER\" (a Go quoted string), sent on each connection to PORT")
	f.StringVar(&sampleDir, "sample-dir", "", "`DIR` of the sample store a SHA-256 is looked up in (default: samples beside the store)")
	f.StringVar(&keep, "dir", "", "`DIR` the run's capture and syscall log are kept in, one directory per run (default: sandbox beside the store)")
	f.BoolVar(&noIngest, "no-ingest", false, "do not ingest the capture (as sensor \"sandbox\")")
	f.BoolVar(&noStore, "no-store", false, "do not store the run and its indicators")
	f.Int64Var(&memory, "memory", sandbox.DefaultMemory, "memory limit of the run in bytes")
	f.IntVar(&pids, "pids", sandbox.DefaultPids, "process limit of the run")
	return cmd
}

// loadSample reads a sample: a file, or a SHA-256 in the sample store.
func loadSample(g *globals, arg, dir string) ([]byte, error) {
	if samplestore.ValidDigest(arg) {
		if _, err := os.Stat(arg); err != nil {
			ss, err := samplestore.Open(sampleDirFor(dir, g.dbPath()), samplestore.Options{})
			if err != nil {
				return nil, err
			}
			return ss.Read(arg, sandbox.MaxSample)
		}
	}
	fi, err := os.Stat(arg)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > sandbox.MaxSample {
		return nil, fmt.Errorf("%s: not a regular file of at most %d bytes", arg, sandbox.MaxSample)
	}
	return os.ReadFile(arg)
}

// ingestSandbox ingests a run's capture as sensor "sandbox".
func ingestSandbox(ctx context.Context, g *globals, pcap string) error {
	db := g.dbPath()
	cfg := ingest.Config{DBPath: db, Sensor: sandboxSensor, Version: version, Log: g.log, Workers: 1,
		Open: func(ctx context.Context, tz string) (store.Store, error) {
			return openStoreOpts(ctx, db, duckstore.Options{TimeZone: tz})
		}}
	return runSandboxIngest(ctx, cfg, pcap)
}

// runSandboxIngest ingests one capture with cfg; a capture ingested
// before is not an error.
func runSandboxIngest(ctx context.Context, cfg ingest.Config, pcap string) error {
	results, err := ingest.Run(ctx, cfg, []string{pcap})
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.Err != nil && !errors.Is(r.Err, store.ErrDuplicate) {
			return r.Err
		}
	}
	return nil
}

func sandboxStore(ctx context.Context, g *globals, write bool) (store.SandboxStore, func(), error) {
	st, err := openStore(ctx, g.dbPath(), write)
	if err != nil {
		return nil, nil, err
	}
	ss, err := store.SandboxOf(st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return ss, func() { st.Close() }, nil
}

func addSandboxRun(ctx context.Context, g *globals, run store.SandboxRun) (store.SandboxRun, error) {
	ss, done, err := sandboxStore(ctx, g, true)
	if err != nil {
		return run, err
	}
	defer done()
	return ss.AddSandboxRun(ctx, run)
}

func newSandboxListCmd(g *globals) *cobra.Command {
	var format, sha string
	var limit int
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the sandbox runs, most recent first",
		Args:    cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, args []string) error { return checkFormat(format) },
		RunE: func(cmd *cobra.Command, args []string) error {
			ss, done, err := sandboxStore(cmd.Context(), g, false)
			if err != nil {
				return err
			}
			defer done()
			runs, err := ss.SandboxRuns(cmd.Context(), store.SandboxRunQuery{SHA256: sha, Limit: limit})
			if err != nil {
				return err
			}
			if format == "json" {
				if runs == nil {
					runs = []store.SandboxRun{}
				}
				return writeJSON(cmd.OutOrStdout(), runs)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%-6s %-20s %-8s %-9s %-6s %8s  %s\n", "RUN", "STARTED", "ARCH", "DURATION", "EXIT", "PACKETS", "SHA256")
			for _, r := range runs {
				exit := strconv.Itoa(r.Exit)
				if r.TimedOut {
					exit = "limit"
				}
				fmt.Fprintf(w, "%-6d %-20s %-8s %-9s %-6s %8d  %s\n", r.ID, r.Started.Format("2006-01-02 15:04:05"), escapeText(r.Arch),
					r.Duration.Round(100*time.Millisecond), exit, r.Packets, r.SHA256)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	cmd.Flags().StringVar(&sha, "sample", "", "only runs of the samples whose SHA-256 starts with this")
	cmd.Flags().IntVar(&limit, "limit", 100, "at most N runs (at most 10000)")
	return cmd
}

func newSandboxShowCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "show RUN",
		Short:   "One sandbox run and its indicators",
		Args:    cobra.ExactArgs(1),
		PreRunE: func(cmd *cobra.Command, args []string) error { return checkFormat(format) },
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("run %q: want a run number (sandbox list)", escapeText(args[0]))
			}
			ss, done, err := sandboxStore(cmd.Context(), g, false)
			if err != nil {
				return err
			}
			defer done()
			run, err := ss.SandboxRun(cmd.Context(), id)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(cmd.OutOrStdout(), run)
			}
			writeSandboxRun(cmd.OutOrStdout(), run)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}

// sandboxKindLabels name the indicator kinds in the order shown.
var sandboxKindLabels = []struct{ kind, label string }{
	{store.IndicatorDomain, "domains resolved"},
	{store.IndicatorContacted, "contacted"},
	{store.IndicatorScanned, "ports scanned (addresses)"},
	{store.IndicatorSourcePort, "source ports (SYNs)"},
	{store.IndicatorMirai, "SYNs with seq = destination"},
	{store.IndicatorFile, "files created"},
	{store.IndicatorDeleted, "files deleted"},
	{store.IndicatorExec, "programs executed"},
	{store.IndicatorProcesses, "processes created"},
	{store.IndicatorSocket, "sockets"},
	{store.IndicatorOpened, "files opened"},
}

// writeSandboxRun prints a run and its indicators (at most 20 of each kind).
func writeSandboxRun(w io.Writer, r store.SandboxRun) {
	if r.ID != 0 {
		fmt.Fprintf(w, "run %d\n", r.ID)
	}
	exit := strconv.Itoa(r.Exit)
	if r.TimedOut {
		exit += " (killed at the time limit)"
	}
	fmt.Fprintf(w, "sample %s (%s)\nstarted %s, %v, exit %s, %d packets",
		r.SHA256, escapeText(r.Arch), r.Started.Format(time.RFC3339), r.Duration.Round(100*time.Millisecond), exit, r.Packets)
	if r.Sensor != "" {
		fmt.Fprintf(w, " (ingested as sensor %s)", escapeText(r.Sensor))
	}
	fmt.Fprintln(w)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", escapeText(n))
	}
	by := map[string][]store.SandboxIndicator{}
	for _, ind := range r.Indicators {
		by[ind.Kind] = append(by[ind.Kind], ind)
	}
	for _, k := range sandboxKindLabels {
		list := by[k.kind]
		if len(list) == 0 {
			continue
		}
		fmt.Fprintf(w, "%s (%d):\n", k.label, len(list))
		for i, ind := range list {
			if i == 20 {
				fmt.Fprintf(w, "  ... %d more\n", len(list)-20)
				break
			}
			fmt.Fprintf(w, "  %-50s %d\n", escapeText(ind.Value), ind.Count)
		}
	}
}

func sandboxDigest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
