// Package sandbox runs a sample (an ELF file of any architecture qemu's
// user-mode emulators know) cut off from the network and from the host,
// and records what it does: the names it resolves, the addresses and ports
// it contacts, every packet it sends (a pcap, for the ordinary ingest),
// and the files, processes and sockets it asks the kernel for (qemu's
// -strace log).
//
// A run is a process tree in new user, mount, network, PID, UTS, IPC and
// cgroup namespaces:
//
//   - user: namespace uid and gid 0-65535 are host ids HostID to
//     HostID+65535 (unprivileged: no account has them). The sandbox's init
//     is namespace root (host uid HostID), with capabilities over the
//     namespaces only; the sample runs as namespace uid 1000 (host uid
//     HostID+1000) with one capability, CAP_NET_RAW over its own network
//     namespace (raw-socket scanners work; nothing else is allowed), so it
//     can neither signal init nor change the network or the mounts.
//   - mount: a throwaway root, a tmpfs holding only the sample, the
//     emulator (bind-mounted read-only), /dev/null, zero, random and
//     urandom, a /proc of the run's PID namespace and a small writable
//     /tmp; the root is remounted read-only, every mount nosuid and nodev
//     and, but for the emulator, noexec.
//   - network: only lo. Every address is local to it (a local route for
//     0.0.0.0/0 and ::/0), so nothing can leave; a TPROXY rule hands every
//     TCP connection and UDP datagram to the fake world's sinks, which
//     record the original destination; a DNS server on port 53 of every
//     address answers each name with an address of its own from
//     198.18.0.0/15 (2001:db8::/96 for AAAA). Frames leaving lo are
//     captured (AF_PACKET) to the pcap.
//   - PID: the sandbox's init is PID 1; the sample sees only the run's
//     processes. When the time limit passes init kills every process of the
//     namespace; the host side then kills init (which kills whatever is
//     left in the namespace: no double fork or setsid escapes it), kills
//     the run's cgroups (cgroup.kill on v2) and checks they are empty.
//   - cgroups: pids and memory limits (v1 or v2, whichever the machine has).
//
// The init is the calling program itself, started again with an
// environment variable the package's init function recognises: a program
// that runs samples must import this package (it does, to call Run) and
// must not use the variable for anything else.
package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"time"

	"github.com/honeyscope/honeyscope/internal/sandbox/fakenet"
)

// Defaults of Options.
const (
	DefaultTime   = 60 * time.Second
	DefaultMemory = 512 << 20
	DefaultPids   = 128
	DefaultHostID = 1 << 20 // host uid and gid of namespace root (the sample's: +1000)
	// MaxSample is the largest sample Run accepts.
	MaxSample = 64 << 20
	// MaxStrace bounds the syscall log kept of a run.
	MaxStrace = 32 << 20
	// MaxOutput bounds the sample's standard output and error kept.
	MaxOutput = 64 << 10
	// MaxTime is the longest time limit Run accepts.
	MaxTime = 1 * time.Hour
)

// The addresses of the sandbox's network.
var (
	// SampleAddr4 and SampleAddr6 are the sample's own addresses: its
	// packets' sources.
	SampleAddr4 = netip.MustParseAddr("10.200.0.2")
	SampleAddr6 = netip.MustParseAddr("fd00:200::2")
	// ResolverAddr is the name server the sample's /etc/resolv.conf names
	// (any address works: the DNS server answers on all of them).
	ResolverAddr = netip.MustParseAddr("10.200.0.53")
)

// Options configure a run.
type Options struct {
	// Sample is the file's content.
	Sample []byte
	// Arch is the architecture ("" : read from the ELF header).
	Arch string
	// Time is the time limit (0: DefaultTime).
	Time time.Duration
	// Memory bounds the run's memory in bytes and Pids its processes
	// (0: DefaultMemory, DefaultPids).
	Memory int64
	Pids   int
	// HostID is the first host uid and gid of the user namespace's
	// mapping (0: DefaultHostID).
	HostID uint32
	// QemuDir is the directory holding the qemu-*-static emulators
	// ("": found in PATH, else /usr/bin).
	QemuDir string
	// Script holds scripted C2 answers (nil: none).
	Script fakenet.Script
	// Dir is the directory the run's files are written in: the pcap and
	// the syscall log ("": a temporary directory the caller removes:
	// Result.Dir).
	Dir string
	// NoStrace runs the emulator without -strace.
	NoStrace bool
}

// Result is what a run recorded.
type Result struct {
	SHA256   string        `json:"sha256"`
	Arch     string        `json:"arch"`
	Started  time.Time     `json:"started"`
	Duration time.Duration `json:"duration"`
	// Exit is the main process's exit status (-1 when it was killed), and
	// TimedOut says the time limit ended the run (processes were left).
	Exit     int  `json:"exit"`
	TimedOut bool `json:"timed_out"`
	// Events are what the fake world saw, EventsDropped those over its bound.
	Events        []fakenet.Event `json:"events"`
	EventsDropped int             `json:"events_dropped,omitempty"`
	// Packets captured to PCAP (PacketsDropped: over MaxPcapBytes).
	Packets        int64  `json:"packets"`
	PacketsDropped int64  `json:"packets_dropped,omitempty"`
	PCAP           string `json:"pcap"`
	// Strace is the file of the emulator's syscall log ("" without one).
	Strace string `json:"strace,omitempty"`
	// Output is the head of the sample's standard output and error.
	Output []byte `json:"output,omitempty"`
	// Indicators are drawn from Events, the syscall log and the packets.
	Indicators Indicators `json:"indicators"`
	// Dir holds the run's files.
	Dir string `json:"dir"`
	// Limits applied: whether the memory and pids limits and cgroup.kill
	// were available.
	MemLimited, PidsLimited, CgroupKill bool `json:"-"`
	// Leftover lists host pids of the run found alive after it (always
	// empty unless containment failed; Run then returns an error too).
	Leftover []int `json:"leftover,omitempty"`
	// Notes are problems that did not stop the run.
	Notes []string `json:"notes,omitempty"`
}

// Errors of Run.
var (
	// ErrUnsupported is returned when the machine lacks what the sandbox
	// needs (namespaces, root, the emulator, nft, ip).
	ErrUnsupported = errors.New("sandbox unsupported here")
)

// QemuPath returns the emulator for arch in dir ("": PATH, else /usr/bin),
// or an error wrapping ErrUnsupported when it is absent.
func QemuPath(dir string, a Arch) (string, error) {
	if dir != "" {
		p := dir + "/" + a.Qemu
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
		return "", errUnsupported("no %s in %s (install qemu-user-static)", a.Qemu, dir)
	}
	if p, err := exec.LookPath(a.Qemu); err == nil {
		return p, nil
	}
	if fi, err := os.Stat("/usr/bin/" + a.Qemu); err == nil && fi.Mode().IsRegular() {
		return "/usr/bin/" + a.Qemu, nil
	}
	return "", errUnsupported("no %s (install qemu-user-static)", a.Qemu)
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
