package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroupRoot is where cgroup file systems are mounted (a variable for tests).
var cgroupRoot = "/sys/fs/cgroup"

// cgroupParent is the directory, under each hierarchy, runs' cgroups are made in.
const cgroupParent = "honeyscope-sandbox"

// cgroups is one run's cgroups: a v1 memory and pids cgroup when the
// machine has them, a v2 one when it has v2 (with memory.max and pids.max
// set when those controllers are enabled there, and cgroup.kill).
//
// The memory limit is the sample's alone: it sits on a child cgroup
// ("sample") that init enters just to fork the emulator and leaves again,
// so that an OOM kill under the limit can only take the sample's
// processes, never init, which still has the results to write. The pids
// limit is on the run's cgroup and counts init too.
type cgroups struct {
	v1 []string // memory, pids directories
	v2 string
	// v2Init is where init is born under v2 when the memory limit is on a
	// child (v2's no-internal-processes rule keeps it out of v2 itself).
	v2Init string
	// sampleDirs are the child cgroups holding the memory limit.
	sampleDirs []string
	// sampleProcs and homeProcs are the cgroup.procs files init writes
	// itself into to fork the sample, and to return to afterwards.
	sampleProcs, homeProcs string
	// limited says whether memory and pids limits were applied (v1 or v2).
	memLimited, pidsLimited bool
}

// newCgroups makes the run's cgroups and applies the limits.
func newCgroups(id string, mem int64, pids int) (*cgroups, error) {
	cg := &cgroups{}
	// cgroup v2: unified at the root, or beside v1 at unified/.
	for _, d := range []string{cgroupRoot, filepath.Join(cgroupRoot, "unified")} {
		if _, err := os.Stat(filepath.Join(d, "cgroup.procs")); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "cgroup.controllers")); err != nil {
			continue
		}
		dir := filepath.Join(d, cgroupParent, id)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			break
		}
		cg.v2 = dir
		if writeFile(filepath.Join(dir, "pids.max"), strconv.Itoa(pids)) == nil {
			cg.pidsLimited = true
		}
		// The memory limit on a child: id/sample, with init in id/init.
		if writeFile(filepath.Join(dir, "cgroup.subtree_control"), "+memory") == nil {
			in, sd := filepath.Join(dir, "init"), filepath.Join(dir, "sample")
			if os.Mkdir(in, 0o755) == nil && os.Mkdir(sd, 0o755) == nil &&
				writeFile(filepath.Join(sd, "memory.max"), strconv.FormatInt(mem, 10)) == nil {
				_ = writeFile(filepath.Join(sd, "memory.swap.max"), "0")
				cg.v2Init, cg.sampleDirs = in, []string{sd}
				cg.sampleProcs, cg.homeProcs = filepath.Join(sd, "cgroup.procs"), filepath.Join(in, "cgroup.procs")
				cg.memLimited = true
			} else {
				os.Remove(sd)
				os.Remove(in)
			}
		}
		if !cg.memLimited && writeFile(filepath.Join(dir, "memory.max"), strconv.FormatInt(mem, 10)) == nil {
			// No child possible: init shares the limit (and is
			// protected only by the sample's higher OOM score).
			_ = writeFile(filepath.Join(dir, "memory.swap.max"), "0")
			cg.memLimited = true
		}
		break
	}
	if !cg.memLimited {
		if d, ok := v1Dir("memory", id); ok {
			sd := filepath.Join(d, "sample")
			if err := os.Mkdir(sd, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
				cg.v1 = append(cg.v1, d)
				cg.remove()
				return nil, fmt.Errorf("cgroup memory limit: %w", err)
			}
			cg.v1 = append(cg.v1, d)
			cg.sampleDirs = append(cg.sampleDirs, sd)
			if err := writeFile(filepath.Join(sd, "memory.limit_in_bytes"), strconv.FormatInt(mem, 10)); err != nil {
				cg.remove()
				return nil, fmt.Errorf("cgroup memory limit: %w", err)
			}
			_ = writeFile(filepath.Join(sd, "memory.memsw.limit_in_bytes"), strconv.FormatInt(mem, 10))
			cg.sampleProcs, cg.homeProcs = filepath.Join(sd, "cgroup.procs"), filepath.Join(d, "cgroup.procs")
			cg.memLimited = true
		}
	}
	if !cg.pidsLimited {
		if d, ok := v1Dir("pids", id); ok {
			if err := writeFile(filepath.Join(d, "pids.max"), strconv.Itoa(pids)); err != nil {
				cg.remove()
				return nil, fmt.Errorf("cgroup pids limit: %w", err)
			}
			cg.v1 = append(cg.v1, d)
			cg.pidsLimited = true
		}
	}
	return cg, nil
}

// moveFiles opens the cgroup.procs files init moves itself with, for
// writing (nil when the memory limit is not on a child). They are opened
// here, by the host, because the kernel checks a cgroup.procs write
// against the credentials and cgroup namespace of the file's opener: init,
// in its own user and cgroup namespaces, could not open them itself.
func (cg *cgroups) moveFiles() (sample, home *os.File, err error) {
	if cg.sampleProcs == "" {
		return nil, nil, nil
	}
	if sample, err = os.OpenFile(cg.sampleProcs, os.O_WRONLY, 0); err != nil {
		return nil, nil, err
	}
	if home, err = os.OpenFile(cg.homeProcs, os.O_WRONLY, 0); err != nil {
		sample.Close()
		return nil, nil, err
	}
	return sample, home, nil
}

func v1Dir(controller, id string) (string, bool) {
	base := filepath.Join(cgroupRoot, controller)
	if _, err := os.Stat(filepath.Join(base, "tasks")); err != nil {
		return "", false
	}
	d := filepath.Join(base, cgroupParent, id)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", false
	}
	return d, true
}

func writeFile(path, s string) error {
	return os.WriteFile(path, []byte(s), 0o644)
}

// v2FD opens the v2 cgroup init is born in, for clone3's
// CLONE_INTO_CGROUP (-1: none).
func (cg *cgroups) v2FD() int {
	if cg.v2 == "" {
		return -1
	}
	dir := cg.v2
	if cg.v2Init != "" {
		dir = cg.v2Init
	}
	fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return fd
}

// attach moves pid into the v1 cgroups (the v2 one it was born in).
func (cg *cgroups) attach(pid int) error {
	for _, d := range cg.v1 {
		if err := writeFile(filepath.Join(d, "cgroup.procs"), strconv.Itoa(pid)); err != nil {
			return fmt.Errorf("cgroup %s: %w", d, err)
		}
	}
	return nil
}

// procs lists the processes still in any of the run's cgroups.
func (cg *cgroups) procs() []int {
	seen := map[int]bool{}
	var out []int
	for _, d := range cg.dirs() {
		b, err := os.ReadFile(filepath.Join(d, "cgroup.procs"))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if p, err := strconv.Atoi(f); err == nil && !seen[p] {
				seen[p] = true
				out = append(out, p)
			}
		}
	}
	return out
}

// kill kills every process in the cgroups: cgroup.kill where v2 has it,
// then SIGKILL to each listed process until none is left (a v1 cgroup can
// gain processes while it is read: forks in flight), for at most a few
// seconds. It returns the processes left.
func (cg *cgroups) kill() []int {
	if cg.v2 != "" {
		_ = writeFile(filepath.Join(cg.v2, "cgroup.kill"), "1")
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ps := cg.procs()
		if len(ps) == 0 || time.Now().After(deadline) {
			return ps
		}
		for _, p := range ps {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dirs lists every cgroup directory of the run, children first.
func (cg *cgroups) dirs() []string {
	out := append([]string(nil), cg.sampleDirs...)
	if cg.v2Init != "" {
		out = append(out, cg.v2Init)
	}
	out = append(out, cg.v1...)
	if cg.v2 != "" {
		out = append(out, cg.v2)
	}
	return out
}

// remove deletes the cgroups (they must be empty).
func (cg *cgroups) remove() error {
	var errs []error
	for _, d := range cg.dirs() {
		var err error
		for range 50 {
			if err = os.Remove(d); err == nil || errors.Is(err, os.ErrNotExist) {
				err = nil
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
