package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestSandboxSection: the sandbox section reads the same from YAML and
// TOML, and bad values are refused with their key and line.
func TestSandboxSection(t *testing.T) {
	want := Sandbox{Enabled: true, Parallel: 2, Time: 30 * time.Second, Memory: 256 << 20, Pids: 64, Queue: 50, QemuDir: "/opt/qemu", Dir: "/var/lib/hs/sandbox", Interval: time.Minute,
		KeepRuns: 20, KeepAge: 48 * time.Hour, KeepSize: 1 << 30, Attempts: 5, RetryAfter: time.Minute}
	y := "sandbox:\n  enabled: true\n  parallel: 2\n  time: 30s\n  memory: 256MiB\n  pids: 64\n  queue: 50\n  qemu_dir: /opt/qemu\n  dir: /var/lib/hs/sandbox\n  interval: 1m\n  keep_runs: 20\n  keep_age: 48h\n  keep_size: 1GiB\n  attempts: 5\n  retry_after: 1m\n"
	tm := "[sandbox]\nenabled = true\nparallel = 2\ntime = \"30s\"\nmemory = \"256MiB\"\npids = 64\nqueue = 50\nqemu_dir = \"/opt/qemu\"\ndir = \"/var/lib/hs/sandbox\"\ninterval = \"1m\"\nkeep_runs = 20\nkeep_age = \"48h\"\nkeep_size = \"1GiB\"\nattempts = 5\nretry_after = \"1m\"\n"
	for _, c := range []struct {
		name, text string
		format     Format
	}{{"s.yaml", y, YAML}, {"s.toml", tm, TOML}} {
		f, err := Parse(c.name, []byte(c.text), c.format)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if err := f.Validate(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(f.Sandbox, want) {
			t.Errorf("%s: %+v, want %+v", c.name, f.Sandbox, want)
		}
	}
	for _, bad := range []struct{ text, key, line, msg string }{
		{"sandbox:\n  time: 2h\n", "sandbox.time", "line 2", "1s to 1h"},
		{"sandbox:\n  enabled: true\n  time: 10ms\n", "sandbox.time", "line 3", "1s to 1h"},
		{"sandbox:\n  memory: 1MiB\n", "sandbox.memory", "line 2", "16MiB to 64GiB"},
		{"sandbox:\n  parallel: 100\n", "sandbox.parallel", "line 2", "0 to 64"},
		{"sandbox:\n  pids: 3\n", "sandbox.pids", "line 2", "at least 8"},
		{"sandbox:\n  queue: -1\n", "sandbox.queue", "line 2", "0 to"},
		{"sandbox:\n  interval: 1ms\n", "sandbox.interval", "line 2", "at least 1s"},
		{"sandbox:\n  qemu_dir: \"  \"\n", "sandbox.qemu_dir", "line 2", "not a directory"},
		{"sandbox:\n  paralel: 2\n", "sandbox.paralel", "line 2", "parallel"},
		{"sandbox:\n  keep_age: 10m\n", "sandbox.keep_age", "line 2", "at least 1h"},
		{"sandbox:\n  keep_size: 1MiB\n", "sandbox.keep_size", "line 2", "at least 512MiB"},
		{"sandbox:\n  keep_runs: -1\n", "sandbox.keep_runs", "line 2", "0 to"},
		{"sandbox:\n  attempts: 50\n", "sandbox.attempts", "line 2", "0 to 20"},
		{"sandbox:\n  retry_after: 10ms\n", "sandbox.retry_after", "line 2", "1s to 24h"},
		{"sandbox:\n  retry_after: 48h\n", "sandbox.retry_after", "line 2", "1s to 24h"},
	} {
		f, err := Parse("b.yaml", []byte(bad.text), YAML)
		if err == nil {
			err = f.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), bad.key) || !strings.Contains(err.Error(), bad.line) || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("%q: %v, want a problem with %s at %s (%s)", bad.text, err, bad.key, bad.line, bad.msg)
		}
	}
}
