package sandboxrun

import (
	"cmp"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"time"
)

// Defaults of the retention of run directories.
const (
	DefaultKeepRuns = 1000
	DefaultKeepAge  = 30 * 24 * time.Hour
	DefaultKeepSize = 10 << 30
)

// keptMarker is the file that keeps a run directory from being pruned: a
// run whose containment failed leaves its files for the analyst.
const keptMarker = "KEEP"

// runDirName is how run directories are named (the component's and
// `sandbox run`'s): the digest's first 16 hex digits and the start time,
// UTC. Nothing else in the directory is ever removed.
var runDirName = regexp.MustCompile(`^[0-9a-f]{16}-([0-9]{8}T[0-9]{6})$`)

// runDir is one run directory found by a prune.
type runDir struct {
	name  string
	start time.Time
	size  int64
}

// Retention bounds the run directories kept: at most Runs of them, none
// older than Age, at most Size bytes in all; the oldest go first.
type Retention struct {
	Runs int
	Age  time.Duration
	Size int64
}

// Pruned is what a prune removed.
type Pruned struct {
	Dirs  int
	Bytes int64
}

// prune removes from dir the run directories beyond r, oldest first,
// leaving out those in busy (runs in progress) and those holding
// keptMarker. It goes on past a directory it cannot remove and returns
// the first such error.
func prune(dir string, r Retention, now time.Time, busy map[string]bool) (Pruned, error) {
	var p Pruned
	ents, err := os.ReadDir(dir)
	if err != nil {
		return p, err
	}
	var runs []runDir
	var total int64
	for _, e := range ents {
		m := runDirName.FindStringSubmatch(e.Name())
		if m == nil || !e.IsDir() || busy[e.Name()] {
			continue
		}
		if _, err := os.Lstat(filepath.Join(dir, e.Name(), keptMarker)); err == nil {
			continue
		}
		start, err := time.Parse("20060102T150405", m[1])
		if err != nil {
			continue
		}
		d := runDir{name: e.Name(), start: start, size: dirSize(filepath.Join(dir, e.Name()))}
		runs = append(runs, d)
		total += d.size
	}
	slices.SortFunc(runs, func(a, b runDir) int { return cmp.Or(a.start.Compare(b.start), cmp.Compare(a.name, b.name)) })
	var first error
	for i, d := range runs {
		left := len(runs) - i
		if left <= r.Runs && total <= r.Size && now.Sub(d.start) <= r.Age {
			break
		}
		if err := os.RemoveAll(filepath.Join(dir, d.name)); err != nil {
			if first == nil {
				first = err
			}
			continue
		}
		p.Dirs++
		p.Bytes += d.size
		total -= d.size
	}
	return p, first
}

// dirSize is the bytes of the regular files under dir (what it can read).
func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// prune applies the retention to the component's directory.
func (c *Component) prune() {
	c.pruneMu.Lock()
	defer c.pruneMu.Unlock()
	c.mu.Lock()
	busy := maps.Clone(c.busy)
	c.mu.Unlock()
	p, err := prune(c.cfg.Dir, c.cfg.Keep, c.now(), busy)
	if p.Dirs > 0 {
		c.add(func(s *Stats) { s.PrunedDirs += uint64(p.Dirs); s.PrunedBytes += p.Bytes })
		c.m.pruned.Add(float64(p.Dirs))
		c.log.Info("sandbox: run directories pruned", "dirs", p.Dirs, "bytes", p.Bytes)
	}
	if err != nil {
		c.log.Warn("sandbox: pruning run directories", "err", err)
	}
}
