package sandbox

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Bounds of what a syscall log yields.
const (
	// MaxListed bounds each list of indicators.
	MaxListed = 1000
	// maxLine bounds one line of the log read.
	maxLine = 8 << 10
)

// Syscalls is what a qemu -strace log says the sample asked for. The log
// is the sample's own process's output (the emulator writes it, but the
// guest could write lines that look like it): indicators, not proof.
type Syscalls struct {
	Opened    []string `json:"opened,omitempty"`    // paths opened for reading
	Created   []string `json:"created,omitempty"`   // paths opened for writing or created (O_CREAT, O_WRONLY, O_RDWR, creat, mkdir, rename targets)
	Deleted   []string `json:"deleted,omitempty"`   // paths unlinked or renamed away
	Executed  []string `json:"executed,omitempty"`  // execve paths
	Forks     int      `json:"forks"`               // processes created (fork, vfork, clone without CLONE_THREAD; at least the processes seen but the first)
	Sockets   []string `json:"sockets,omitempty"`   // socket(domain,type,protocol) kinds, e.g. "PF_INET,SOCK_RAW,IPPROTO_TCP"
	Killed    []string `json:"killed,omitempty"`    // kill(pid,signal) targets
	Processes []int    `json:"processes,omitempty"` // the emulator's pids that made calls (namespace pids)
	Calls     int      `json:"calls"`               // syscalls read
}

// callRE finds "PID name(" where a call's entry begins. The emulator writes
// the pid and the call in separate writes, so another process's output can
// come between them: the digits are not anchored to a word boundary
// (another write may end in digits just before: a time's nanoseconds, a
// result), and callPID decides which of them are the pid; a line may also
// begin with a call whose pid went to the line before ("name(" at the
// start, the pid unknown). The call counts either way.
var callRE = regexp.MustCompile(`(?:([0-9]{1,24}) |^)([a-z_][a-z_0-9]{1,23})\(`)

// callPID picks the pid out of the digits before a call's name: the run
// itself when it names a process already seen or is short enough to be a
// pid, else its longest tail that names a process already seen (the rest
// being another process's output glued to it). ok is false when no pid can
// be told apart.
func callPID(run string, pids map[int]bool) (pid int, ok bool) {
	if n, err := strconv.Atoi(run); err == nil && len(run) <= 7 && pids[n] {
		return n, true
	}
	for k := min(len(run)-1, 7); k >= 1; k-- {
		tail := run[len(run)-k:]
		if n, err := strconv.Atoi(tail); err == nil && tail[0] != '0' && pids[n] {
			return n, true
		}
	}
	if len(run) <= 7 {
		n, err := strconv.Atoi(run)
		return n, err == nil
	}
	return 0, false
}

// ParseStrace reads a qemu -strace log. It never fails: lines it does not
// understand are skipped, and each list is bounded by MaxListed.
func ParseStrace(log []byte) Syscalls {
	var s Syscalls
	seen := map[string]bool{}
	pids := map[int]bool{}
	add := func(list *[]string, kind, v string) {
		if v == "" || seen[kind+"\x00"+v] || len(*list) >= MaxListed {
			return
		}
		seen[kind+"\x00"+v] = true
		*list = append(*list, v)
	}
	for b := range bytes.Lines(log) {
		if len(b) > maxLine {
			continue
		}
		line := string(b)
		ms := callRE.FindAllStringSubmatchIndex(line, 4)
		for i, m := range ms {
			pid, known := 0, false
			if m[2] >= 0 {
				pid, known = callPID(line[m[2]:m[3]], pids)
			}
			name := line[m[4]:m[5]]
			// Processes write the log at once, so one call's entry may be
			// followed on its line by another's (with its result): a call's
			// text ends where the next one's begins.
			args := line[m[1]:]
			if i+1 < len(ms) {
				args = line[m[1]:ms[i+1][0]]
			}
			s.Calls++
			if known && len(pids) < MaxListed && !pids[pid] {
				pids[pid] = true
				s.Processes = append(s.Processes, pid)
			}
			failed := strings.Contains(args, ") = -1 errno=")
			switch name {
			case "open", "openat", "creat":
				p := firstString(args)
				if failed || p == "" {
					continue
				}
				if name == "creat" || strings.Contains(args, "O_CREAT") || strings.Contains(args, "O_WRONLY") || strings.Contains(args, "O_RDWR") {
					add(&s.Created, "c", p)
				} else {
					add(&s.Opened, "o", p)
				}
			case "mkdir", "mkdirat":
				if p := firstString(args); p != "" && !failed {
					add(&s.Created, "c", p)
				}
			case "unlink", "unlinkat", "rmdir":
				if p := firstString(args); p != "" && !failed {
					add(&s.Deleted, "d", p)
				}
			case "rename", "renameat", "renameat2":
				ss := allStrings(args, 2)
				if len(ss) == 2 && !failed {
					add(&s.Deleted, "d", ss[0])
					add(&s.Created, "c", ss[1])
				}
			case "execve", "execveat":
				if p := firstString(args); p != "" {
					add(&s.Executed, "x", p)
				}
			case "fork", "vfork":
				if !failed {
					s.Forks++
				}
			case "clone", "clone3":
				if !failed && !strings.Contains(args, "CLONE_THREAD") {
					s.Forks++
				}
			case "socket":
				if i := strings.IndexByte(args, ')'); i > 0 && !failed {
					add(&s.Sockets, "s", sanitize(args[:i]))
				}
			case "kill", "tkill", "tgkill":
				if i := strings.IndexByte(args, ')'); i > 0 && name == "kill" {
					add(&s.Killed, "k", sanitize(args[:i]))
				}
			}
		}
	}
	slices.Sort(s.Processes)
	// Processes' writes interleave (the emulator writes a call's pid, its
	// arguments and its result apart), so a fork's entry may be torn
	// beyond reading; every process of the log but the first was forked.
	s.Forks = max(s.Forks, len(s.Processes)-1)
	return s
}

// firstString returns the first double-quoted string of a call's
// arguments, unescaped as far as qemu escapes ("" when there is none).
func firstString(args string) string {
	ss := allStrings(args, 1)
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}

// allStrings returns up to n double-quoted strings before the call's end.
func allStrings(args string, n int) []string {
	var out []string
	for len(out) < n {
		i := strings.IndexByte(args, '"')
		if i < 0 {
			break
		}
		if j := strings.Index(args, ") = "); j >= 0 && j < i {
			break
		}
		rest := args[i+1:]
		j := strings.IndexByte(rest, '"')
		if j < 0 {
			break
		}
		out = append(out, sanitize(rest[:j]))
		args = rest[j+1:]
	}
	return out
}

// sanitize bounds a string from the log and replaces control characters
// and invalid UTF-8.
func sanitize(s string) string {
	if len(s) > 512 {
		s = s[:512]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '\uFFFD'
		}
		return r
	}, s)
}
