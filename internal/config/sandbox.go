package config

import (
	"strings"
	"time"
)

// Sandbox is the sandbox section: serve's opt-in runs of the ELF samples
// the honeypot keeps, the fetcher gets and `samples add` adds
// (internal/sandbox; docs/sandbox.md). Zero values take the defaults
// (DefaultSandbox).
type Sandbox struct {
	// Enabled turns the sandbox on (default off; needs root, qemu-user-static,
	// iproute2 and nftables).
	Enabled bool `yaml:"enabled" toml:"enabled"`
	// Parallel is the number of runs at once (default 1).
	Parallel int `yaml:"parallel" toml:"parallel"`
	// Time is a run's time limit (default 60s, at most 1h).
	Time time.Duration `yaml:"time" toml:"time"`
	// Memory bounds a run's memory (default 512 MiB).
	Memory int64 `yaml:"memory" toml:"memory" unit:"bytes"`
	// Pids bounds a run's processes (default 128).
	Pids int `yaml:"pids" toml:"pids"`
	// Queue bounds the samples waiting for a run (default 1000; more wait
	// for the next pass over the store).
	Queue int `yaml:"queue" toml:"queue"`
	// QemuDir is the directory of the qemu-*-static emulators ("": PATH,
	// else /usr/bin).
	QemuDir string `yaml:"qemu_dir" toml:"qemu_dir"`
	// Dir keeps each run's capture and syscall log ("": "sandbox" beside
	// the store).
	Dir string `yaml:"dir" toml:"dir"`
	// Interval is how often the store is looked at for samples not yet
	// run (default 5m).
	Interval time.Duration `yaml:"interval" toml:"interval"`
	// KeepRuns, KeepAge and KeepSize bound the run directories kept in
	// Dir (default 1000 directories, 30 days, 10 GiB): past any of them
	// the oldest are removed, after every run and every pass.
	KeepRuns int           `yaml:"keep_runs" toml:"keep_runs"`
	KeepAge  time.Duration `yaml:"keep_age" toml:"keep_age"`
	KeepSize int64         `yaml:"keep_size" toml:"keep_size" unit:"bytes"`
	// Attempts is the runs a sample gets when they fail (default 3; 1: no
	// retry); RetryAfter the wait after its first failure, doubled after
	// each further one up to a day (default 10m).
	Attempts   int           `yaml:"attempts" toml:"attempts"`
	RetryAfter time.Duration `yaml:"retry_after" toml:"retry_after"`
}

// DefaultSandbox returns the sandbox section's defaults (off).
func DefaultSandbox() Sandbox {
	return Sandbox{Parallel: 1, Time: 60 * time.Second, Memory: 512 << 20, Pids: 128, Queue: 1000, Interval: 5 * time.Minute,
		KeepRuns: 1000, KeepAge: 30 * 24 * time.Hour, KeepSize: 10 << 30, Attempts: 3, RetryAfter: 10 * time.Minute}
}

// Bounds of the sandbox section.
const (
	maxSandboxTime   = time.Hour
	minSandboxMemory = 16 << 20
	maxSandboxMemory = 64 << 30
	// minSandboxKeepSize is the least keep_size: one run's capture and
	// syscall log reach 288 MiB.
	minSandboxKeepSize = 512 << 20
)

func (v *validator) sandbox(c *Sandbox) {
	const sp = "sandbox"
	if c.Time < 0 || (c.Time > 0 && c.Time < time.Second) || c.Time > maxSandboxTime {
		v.fail(sp+".time", "%v: give 1s to %v", c.Time, maxSandboxTime)
	}
	if c.Interval < 0 || (c.Interval > 0 && c.Interval < time.Second) {
		v.fail(sp+".interval", "%v: give at least 1s", c.Interval)
	}
	if c.KeepAge < 0 || (c.KeepAge > 0 && c.KeepAge < time.Hour) {
		v.fail(sp+".keep_age", "%v: give at least 1h", c.KeepAge)
	}
	if c.KeepSize < 0 || (c.KeepSize > 0 && c.KeepSize < minSandboxKeepSize) {
		v.fail(sp+".keep_size", "%d: give at least %dMiB", c.KeepSize, minSandboxKeepSize>>20)
	}
	if c.RetryAfter < 0 || (c.RetryAfter > 0 && c.RetryAfter < time.Second) || c.RetryAfter > 24*time.Hour {
		v.fail(sp+".retry_after", "%v: give 1s to 24h", c.RetryAfter)
	}
	if c.Memory < 0 || (c.Memory > 0 && c.Memory < minSandboxMemory) || c.Memory > maxSandboxMemory {
		v.fail(sp+".memory", "%d: give %dMiB to %dGiB", c.Memory, minSandboxMemory>>20, maxSandboxMemory>>30)
	}
	for _, n := range []struct {
		key      string
		v        int
		min, max int
	}{{"parallel", c.Parallel, 0, 64}, {"pids", c.Pids, 0, 4096}, {"queue", c.Queue, 0, 1 << 20},
		{"keep_runs", c.KeepRuns, 0, 1 << 20}, {"attempts", c.Attempts, 0, 20}} {
		if n.v < n.min || n.v > n.max {
			v.fail(sp+"."+n.key, "%d: give %d to %d", n.v, n.min, n.max)
		}
	}
	if c.Pids > 0 && c.Pids < 8 {
		v.fail(sp+".pids", "%d: give at least 8 (the emulator and the sandbox's own processes count)", c.Pids)
	}
	for _, p := range []struct{ key, v string }{{"qemu_dir", c.QemuDir}, {"dir", c.Dir}} {
		if strings.ContainsRune(p.v, 0) || (p.v != "" && strings.TrimSpace(p.v) == "") {
			v.fail(sp+"."+p.key, "%q is not a directory path", p.v)
		}
	}
}
