package sandboxrun

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/sandbox"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Configuration of the component; zero values take the defaults.
type Configuration struct {
	Parallel int           // runs at once (default 1)
	Time     time.Duration // a run's time limit (default sandbox.DefaultTime)
	Memory   int64         // a run's memory limit (default sandbox.DefaultMemory)
	Pids     int           // a run's process limit (default sandbox.DefaultPids)
	Queue    int           // samples waiting, at most (default 1000)
	QemuDir  string        // the emulators' directory ("": PATH, else /usr/bin)
	// Dir keeps the runs' files, one directory per run (required).
	Dir string
	// Interval is how often the store is looked at for samples not yet
	// run (default 5m); Kick starts a pass sooner.
	Interval time.Duration
	// Keep bounds the run directories kept under Dir; a zero field takes
	// its default (DefaultKeepRuns, DefaultKeepAge, DefaultKeepSize).
	Keep Retention
	// Attempts is the runs a sample gets before the component gives up on
	// it (default DefaultAttempts; 1: no retry). RetryAfter is the wait
	// after its first failure, doubled after each further one up to
	// MaxRetryAfter (default DefaultRetryAfter).
	Attempts   int
	RetryAfter time.Duration
}

func (c Configuration) withDefaults() Configuration {
	if c.Parallel <= 0 {
		c.Parallel = 1
	}
	if c.Time <= 0 {
		c.Time = sandbox.DefaultTime
	}
	if c.Memory <= 0 {
		c.Memory = sandbox.DefaultMemory
	}
	if c.Pids <= 0 {
		c.Pids = sandbox.DefaultPids
	}
	if c.Queue <= 0 {
		c.Queue = 1000
	}
	if c.Interval <= 0 {
		c.Interval = 5 * time.Minute
	}
	if c.Keep.Runs <= 0 {
		c.Keep.Runs = DefaultKeepRuns
	}
	if c.Keep.Age <= 0 {
		c.Keep.Age = DefaultKeepAge
	}
	if c.Keep.Size <= 0 {
		c.Keep.Size = DefaultKeepSize
	}
	if c.Attempts <= 0 {
		c.Attempts = DefaultAttempts
	}
	if c.RetryAfter <= 0 {
		c.RetryAfter = DefaultRetryAfter
	}
	return c
}

// SampleReader reads a sample's content by SHA-256, at most max bytes
// (samplestore.Store).
type SampleReader interface {
	Read(sha string, max int64) ([]byte, error)
}

// Dependencies of the component.
type Dependencies struct {
	Triage  store.TriageStore  // which samples are ELF, of which architecture
	Runs    store.SandboxStore // where runs are stored, and which samples ran
	Samples SampleReader
	// Ingest ingests a run's capture as Sensor (nil: captures are not ingested).
	Ingest Ingester
	// Run runs a sample (nil: sandbox.Run); Check says whether the machine
	// can (nil: sandbox.Check). Tests replace them.
	Run   func(context.Context, sandbox.Options) (*sandbox.Result, error)
	Check func() error
}

// Stats are the component's counters.
type Stats struct {
	Runs, Failed, TimedOut uint64 // runs stored, failed, ended by the time limit
	Queued, Running        int
	// Retrying is the samples whose run failed and that wait for a retry;
	// GaveUp those not run again.
	Retrying, GaveUp int
	// PrunedDirs and PrunedBytes are the run directories removed by the
	// retention and their size.
	PrunedDirs  uint64
	PrunedBytes int64
}

// maxSeen bounds the samples the component remembers as run or not to run;
// past it the memory is cleared and the store asked again.
const maxSeen = 1 << 20

// Component is serve's sandbox: a pass over the store (at start, every
// Interval, and when kicked) queues the triaged samples whose architecture
// the sandbox emulates and that have no stored run, newest first; workers
// run them one at a time each and store the runs. The queue holds digests,
// not contents: a sample is read from the sample store when its run starts.
//
// A sample whose run failed is queued again after a backoff, up to
// Attempts runs in all (failures.json in Dir keeps the count across
// restarts); the run directories are pruned to Keep after every run and
// every pass.
type Component struct {
	cfg  Configuration
	deps Dependencies
	log  *slog.Logger
	m    metrics

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	jobs   chan string
	wake   chan struct{}

	mu       sync.Mutex
	seen     map[string]bool // queued, run, or not to run
	noQemu   map[string]bool // architectures without an emulator (logged once)
	stats    Stats
	passDone chan struct{} // closed and replaced after each pass (tests)
	failures map[string]Failure
	busy     map[string]bool // run directories in use
	retry    *time.Timer     // kicks a pass when the next retry is due
	retryAt  time.Time
	now      func() time.Time // time.Now; tests replace it
	pruneMu  sync.Mutex
}

// New returns the component; nothing runs before Start.
func New(r *daemon.Reporter, cfg Configuration, deps Dependencies) (*Component, error) {
	if deps.Triage == nil || deps.Runs == nil || deps.Samples == nil {
		return nil, errors.New("sandbox: a triage store, a sandbox run store and a sample store are needed")
	}
	if cfg.Dir == "" {
		return nil, errors.New("sandbox: no directory for the runs' files")
	}
	if deps.Run == nil {
		deps.Run = sandbox.Run
	}
	if deps.Check == nil {
		deps.Check = sandbox.Check
	}
	if r == nil {
		r = daemon.NewReporter(nil)
	}
	cfg = cfg.withDefaults()
	c := &Component{cfg: cfg, deps: deps, log: r.Logger("sandbox"), jobs: make(chan string, cfg.Queue),
		wake: make(chan struct{}, 1), seen: map[string]bool{}, noQemu: map[string]bool{}, passDone: make(chan struct{}),
		failures: map[string]Failure{}, busy: map[string]bool{}, now: time.Now}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := c.initMetrics(r); err != nil {
		return nil, fmt.Errorf("sandbox metrics: %w", err)
	}
	return c, nil
}

// Start checks that the machine can run samples (an error says what it
// lacks: the section enables the sandbox, so serve should not start
// without one), then starts the workers and the passes.
func (c *Component) Start(ctx context.Context) error {
	if err := c.deps.Check(); err != nil {
		return fmt.Errorf("sandbox: %w (or turn sandbox.enabled off)", err)
	}
	if err := os.MkdirAll(c.cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	c.loadFailures()
	c.prune()
	for range c.cfg.Parallel {
		c.wg.Add(1)
		go c.worker()
	}
	c.wg.Add(1)
	go c.passes()
	c.log.Info("sandbox started", "parallel", c.cfg.Parallel, "time", c.cfg.Time, "memory", c.cfg.Memory, "pids", c.cfg.Pids)
	return nil
}

// Stop stops the runs in progress (their processes are killed; the
// samples run again at the next start) and waits for the workers.
func (c *Component) Stop(ctx context.Context) error {
	c.cancel()
	c.mu.Lock()
	if c.retry != nil {
		c.retry.Stop()
	}
	c.mu.Unlock()
	done := make(chan struct{})
	go func() { c.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("sandbox: %w", ctx.Err())
	}
}

// Kick starts a pass soon (new samples were triaged). It never blocks.
func (c *Component) Kick() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Stats returns the counters.
func (c *Component) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Queued = len(c.jobs)
	for _, f := range c.failures {
		if f.GaveUp {
			s.GaveUp++
		} else {
			s.Retrying++
		}
	}
	return s
}

// passed returns a channel closed when the next pass ends (tests).
func (c *Component) passed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.passDone
}

func (c *Component) passes() {
	defer c.wg.Done()
	tick := time.NewTicker(c.cfg.Interval)
	defer tick.Stop()
	for {
		n, err := c.pass(c.ctx)
		switch {
		case err != nil && c.ctx.Err() == nil:
			c.log.Warn("sandbox pass", "err", err)
		case n > 0:
			c.log.Info("samples queued for the sandbox", "samples", n)
		}
		c.prune()
		c.armRetry()
		c.mu.Lock()
		close(c.passDone)
		c.passDone = make(chan struct{})
		c.mu.Unlock()
		select {
		case <-c.ctx.Done():
			return
		case <-c.wake:
		case <-tick.C:
		}
	}
}

// pass queues the samples to run, newest first, until the queue is full.
func (c *Component) pass(ctx context.Context) (int, error) {
	items, err := c.deps.Triage.TriageItems(ctx)
	if err != nil {
		return 0, err
	}
	slices.SortFunc(items, func(a, b store.TriageItem) int {
		return cmp.Or(b.First.Compare(a.First), cmp.Compare(a.SHA256, b.SHA256))
	})
	c.mu.Lock()
	if len(c.seen) > maxSeen {
		c.seen = map[string]bool{}
	}
	c.mu.Unlock()
	queued := 0
	for _, it := range items {
		if ctx.Err() != nil {
			return queued, ctx.Err()
		}
		if len(c.jobs) == cap(c.jobs) {
			break
		}
		c.mu.Lock()
		seen := c.seen[it.SHA256]
		f, failed := c.failures[it.SHA256]
		c.mu.Unlock()
		if seen || failed && (f.GaveUp || c.now().Before(f.Next)) || !c.runnable(it.Arch) {
			continue
		}
		runs, err := c.deps.Runs.SandboxRuns(ctx, store.SandboxRunQuery{SHA256: it.SHA256, Limit: 1})
		if err != nil {
			return queued, err
		}
		c.mu.Lock()
		c.seen[it.SHA256] = true
		c.mu.Unlock()
		if len(runs) > 0 {
			continue
		}
		select {
		case c.jobs <- it.SHA256:
			queued++
		default:
			c.forget(it.SHA256)
			return queued, nil
		}
	}
	return queued, nil
}

// runnable says whether the sandbox emulates arch here; an architecture
// without an emulator is logged once.
func (c *Component) runnable(arch string) bool {
	a, err := sandbox.ArchByName(arch)
	if err != nil {
		return false
	}
	if _, err := sandbox.QemuPath(c.cfg.QemuDir, a); err != nil {
		c.mu.Lock()
		first := !c.noQemu[a.Name]
		c.noQemu[a.Name] = true
		c.mu.Unlock()
		if first {
			c.log.Warn("sandbox: samples of this architecture wait", "arch", a.Name, "err", err)
		}
		return false
	}
	return true
}

func (c *Component) forget(sha string) {
	c.mu.Lock()
	delete(c.seen, sha)
	c.mu.Unlock()
}

func (c *Component) worker() {
	defer c.wg.Done()
	for {
		select {
		case <-c.ctx.Done():
			return
		case sha := <-c.jobs:
			c.runOne(sha)
		}
	}
}

// runOne runs a sample and stores its run.
func (c *Component) runOne(sha string) {
	ctx := c.ctx
	c.add(func(s *Stats) { s.Running++ })
	defer c.add(func(s *Stats) { s.Running-- })
	fail := func(msg string, err error, args ...any) {
		c.add(func(s *Stats) { s.Failed++ })
		c.m.runs.WithLabelValues("error").Inc()
		f := c.failed(sha, err, false)
		args = append([]any{"sha256", sha, "err", err, "attempts", f.Attempts}, args...)
		if f.GaveUp {
			args = append(args, "gave_up", true)
		} else {
			args = append(args, "retry_at", f.Next)
		}
		c.log.Warn(msg, args...)
	}
	content, err := c.deps.Samples.Read(sha, sandbox.MaxSample)
	if err != nil {
		fail("sandbox: sample not read", err)
		return
	}
	name := sha[:16] + "-" + c.now().UTC().Format("20060102T150405")
	dir := filepath.Join(c.cfg.Dir, name)
	c.mu.Lock()
	c.busy[name] = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.busy, name)
		c.mu.Unlock()
		c.prune()
	}()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		fail("sandbox: run directory", err)
		return
	}
	opt := sandbox.Options{Sample: content, Time: c.cfg.Time, Memory: c.cfg.Memory, Pids: c.cfg.Pids, QemuDir: c.cfg.QemuDir, Dir: dir}
	res, err := c.deps.Run(ctx, opt)
	if err != nil {
		if ctx.Err() != nil {
			c.forget(sha) // stopped: run again at the next start
			os.RemoveAll(dir)
			return
		}
		if res != nil {
			// Containment failed: the files stay for the analyst, and
			// the sample is not run again.
			os.WriteFile(filepath.Join(dir, keptMarker), []byte(err.Error()+"\n"), 0o600)
			c.failed(sha, err, true)
			c.log.Error("sandbox: containment failed", "sha256", sha, "err", err, "dir", dir)
			c.add(func(s *Stats) { s.Failed++ })
			c.m.runs.WithLabelValues("error").Inc()
			return
		}
		os.RemoveAll(dir)
		fail("sandbox: run failed", err)
		return
	}
	run, err := Save(ctx, c.deps.Runs, res, c.deps.Ingest)
	if err != nil {
		if ctx.Err() != nil {
			c.forget(sha)
			return
		}
		fail("sandbox: run not stored", err, "dir", dir)
		return
	}
	c.succeeded(sha)
	outcome := "ok"
	if run.TimedOut {
		outcome = "timeout"
	}
	c.m.runs.WithLabelValues(outcome).Inc()
	c.m.duration.Observe(run.Duration.Seconds())
	c.add(func(s *Stats) {
		s.Runs++
		if run.TimedOut {
			s.TimedOut++
		}
	})
	c.log.Info("sandbox run", "sha256", sha, "id", run.ID, "arch", run.Arch, "duration", run.Duration,
		"timed_out", run.TimedOut, "packets", run.Packets, "indicators", len(run.Indicators))
}

func (c *Component) add(f func(*Stats)) {
	c.mu.Lock()
	f(&c.stats)
	c.mu.Unlock()
}

type metrics struct {
	runs     *prometheus.CounterVec // by outcome
	duration prometheus.Histogram
	pruned   prometheus.Counter
}

func (c *Component) initMetrics(r *daemon.Reporter) error {
	c.m = metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "honeyscope_sandbox_runs_total",
			Help: "Sandbox runs, by outcome: ok (stored), timeout (stored; the time limit ended it), error (not stored).",
		}, []string{"outcome"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "honeyscope_sandbox_run_seconds",
			Help:    "Duration of the sandbox runs stored.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 900, 3600},
		}),
		pruned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "honeyscope_sandbox_pruned_total",
			Help: "Run directories removed by the retention (keep_runs, keep_age, keep_size).",
		}),
	}
	cs := []prometheus.Collector{c.m.runs, c.m.duration, c.m.pruned,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "honeyscope_sandbox_retrying",
			Help: "Samples whose run failed, waiting for a retry.",
		}, func() float64 { return float64(c.Stats().Retrying) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "honeyscope_sandbox_gave_up",
			Help: "Samples whose runs failed as often as sandbox.attempts allows (or whose containment failed): not run again.",
		}, func() float64 { return float64(c.Stats().GaveUp) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "honeyscope_sandbox_queue",
			Help: "Samples waiting for a sandbox run.",
		}, func() float64 { return float64(c.Stats().Queued) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "honeyscope_sandbox_running",
			Help: "Sandbox runs in progress.",
		}, func() float64 { return float64(c.Stats().Running) }),
	}
	for _, x := range cs {
		if err := r.Registry.Register(x); err != nil {
			return err
		}
	}
	return nil
}
