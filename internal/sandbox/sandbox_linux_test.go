package sandbox

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync/atomic"

	"golang.org/x/sys/unix"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// goArch maps the sandbox's architecture names to Go's GOARCH (and GOARM).
var goArch = map[string][2]string{
	"arm":     {"arm", "7"},
	"aarch64": {"arm64", ""},
	"mips":    {"mips", ""},
	"mipsel":  {"mipsle", ""},
	"i386":    {"386", ""},
	"x86_64":  {"amd64", ""},
}

var (
	buildMu  sync.Mutex
	buildDir string
	built    = map[string]string{}
)

// program cross-builds a test program of testdata for arch, once per test binary.
func program(t *testing.T, name, arch string) []byte { return programB(t, name, arch) }

func programB(t testing.TB, name, arch string) []byte {
	t.Helper()
	ga, ok := goArch[arch]
	if !ok {
		t.Fatalf("no GOARCH for %s", arch)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	key := name + "-" + arch
	if p, ok := built[key]; ok {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "sandbox-progs-")
		if err != nil {
			t.Fatal(err)
		}
		buildDir = d
	}
	out := filepath.Join(buildDir, key)
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, "./testdata/"+name)
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+ga[0], "CGO_ENABLED=0")
	if ga[1] != "" {
		cmd.Env = append(cmd.Env, "GOARM="+ga[1])
	}
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build %s for %s: %v\n%s", name, arch, err, b)
	}
	built[key] = out
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// needSandbox skips a test where runs are impossible: not root, no ip or
// nft, no emulator for arch, or no user namespaces.
func needSandbox(t *testing.T, arch string) { needSandboxB(t, arch) }

func needSandboxB(t testing.TB, arch string) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("the sandbox runs on Linux only")
	}
	if err := Check(); err != nil {
		t.Skip(err)
	}
	a, err := ArchByName(arch)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := QemuPath("", a); err != nil {
		t.Skipf("%v: tests on %s skipped", err, arch)
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to build the test programs")
	}
	if b, err := os.ReadFile("/proc/sys/user/max_user_namespaces"); err == nil && strings.TrimSpace(string(b)) == "0" {
		t.Skip("user namespaces disabled")
	}
}

func runProgram(t *testing.T, name, arch string, opt Options) *Result {
	t.Helper()
	opt.Sample = program(t, name, arch)
	if opt.Dir == "" {
		opt.Dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Every run is watched from the host side: none of its packets may
	// appear on the host's interfaces.
	hc := startHostCapture(t)
	res, err := Run(ctx, opt)
	suspect, markers := hc.finish(t)
	if err != nil {
		t.Fatalf("run %s on %s: %v", name, arch, err)
	}
	if markers == 0 {
		t.Fatal("the host-side capture did not see the marker packet: it sees nothing")
	}
	if suspect != 0 {
		t.Errorf("the host-side capture saw %d packets of the sandboxed program: %v", suspect, hc.seen)
	}
	return res
}

// hostCapture counts, on every host interface, the frames that look like
// the sandboxed programs' traffic (sandboxLike). Frames carrying marker
// are counted apart: the test sends one from the host to show the
// capture works.
type hostCapture struct {
	fd      int
	mu      sync.Mutex
	suspect int
	marker  int
	seen    []string
	done    chan struct{}
	stop    atomic.Bool
}

const marker = "host-side-marker"

func startHostCapture(t *testing.T) *hostCapture {
	t.Helper()
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ALL)))
	if err != nil {
		t.Skipf("no host-side capture: %v", err)
	}
	tv := unix.Timeval{Usec: 100000}
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	// A large buffer (root may exceed rmem_max): the socket sees every
	// packet of the machine, and a busy machine (other tests on
	// loopback) must not make it drop the marker.
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20)
	h := &hostCapture{fd: fd, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		buf := make([]byte, 65536)
		for !h.stop.Load() {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				continue
			}
			h.look(buf[:n])
		}
	}()
	return h
}

func (h *hostCapture) look(f []byte) {
	if len(f) < 14+20 || binary.BigEndian.Uint16(f[12:14]) != 0x0800 {
		return
	}
	ip := f[14:]
	hl := int(ip[0]&15) * 4
	if hl < 20 || len(ip) < hl+4 {
		return
	}
	src, dst := netip.AddrFrom4([4]byte(ip[12:16])), netip.AddrFrom4([4]byte(ip[16:20]))
	sport, dport := binary.BigEndian.Uint16(ip[hl:]), binary.BigEndian.Uint16(ip[hl+2:])
	if !sandboxLike(src, dst, ip[9], sport, dport, f) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if strings.Contains(string(f), marker) {
		h.marker++
	} else {
		h.suspect++
		if len(h.seen) < 5 {
			h.seen = append(h.seen, fmt.Sprintf("%v:%d > %v:%d proto %d", src, sport, dst, dport, ip[9]))
		}
	}
}

// sandboxLike reports whether a packet has the marks of the sandbox's
// network or of the test programs' traffic (narrowly: other tests on the
// machine use the documentation ranges too): an address of the sandbox's
// own 10.200.0.0/16, the SYN scan's fixed source port 41337 to
// 203.0.113.1-20, the datagram to 203.0.113.77:9999, the C2 connection to
// 198.18.0.0/24 port 6667, a DNS query for a fixture name; or the marker.
func sandboxLike(src, dst netip.Addr, proto byte, sport, dport uint16, f []byte) bool {
	own := netip.MustParsePrefix("10.200.0.0/16")
	scan := netip.MustParsePrefix("203.0.113.0/27")
	pool := netip.MustParsePrefix("198.18.0.0/24")
	switch {
	case own.Contains(src) || own.Contains(dst):
		return true
	case proto == 6 && sport == 41337 && scan.Contains(dst):
		return true
	case proto == 17 && dst == netip.MustParseAddr("203.0.113.77") && dport == 9999:
		return true
	case proto == 6 && pool.Contains(dst) && dport == 6667:
		return true
	case dport == 53 && strings.Contains(string(f), "fixture"):
		return true
	case proto == 17 && dport == 41337:
		return strings.Contains(string(f), marker)
	}
	return false
}

// finish sends the marker, reads until it has come through (the socket
// hands packets over in order, so every packet before it has been looked
// at; on a loaded machine that may take a while, and the marker is sent
// again in case the socket dropped it), stops and returns the counts.
func (h *hostCapture) finish(t *testing.T) (suspect, markers int) {
	t.Helper()
	c, err := net.Dial("udp4", "127.0.0.1:41337")
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); {
		c.Write([]byte(marker))
		h.mu.Lock()
		seen := h.marker > 0
		h.mu.Unlock()
		if seen {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	c.Close()
	h.stop.Store(true)
	<-h.done
	unix.Close(h.fd)
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.suspect, h.marker
}

func TestRunWorld(t *testing.T) {
	needSandbox(t, "arm")
	script := map[uint16][]byte{6667: []byte("PING :scripted-c2\r\n")}
	res := runProgram(t, "world", "arm", Options{Time: 30 * time.Second, Script: script})
	t.Logf("exit %d, %d packets, output:\n%s", res.Exit, res.Packets, res.Output)
	checkWorld(t, res)
	if !strings.Contains(string(res.Output), `c2 answered "PING :scripted-c2\r\n"`) {
		t.Errorf("the C2 connection did not get the scripted answer; output:\n%s", res.Output)
	}
	if !slices.Contains(res.Indicators.Syscalls.Created, "/tmp/dropped.bin") {
		t.Errorf("files created %v: no /tmp/dropped.bin", res.Indicators.Syscalls.Created)
	}
	if !slices.ContainsFunc(res.Indicators.Syscalls.Sockets, func(s string) bool { return strings.Contains(s, "SOCK_RAW") }) {
		t.Errorf("sockets %v: no raw socket", res.Indicators.Syscalls.Sockets)
	}
	if res.TimedOut || res.Exit != 0 {
		t.Errorf("exit %d, timed out %v: want a clean exit", res.Exit, res.TimedOut)
	}
}

// checkWorld checks what the world program does is in the indicators.
func checkWorld(t *testing.T, res *Result) {
	t.Helper()
	ind := res.Indicators
	for _, d := range []string{"fixture-one.example", "fixture-two.example.net", "c2.fixture.example"} {
		if !slices.Contains(ind.Domains, d) {
			t.Errorf("domains %v: no %s", ind.Domains, d)
		}
	}
	var c2, udp bool
	for _, e := range ind.Contacted {
		c2 = c2 || e.Proto == "tcp" && e.Addr.Port() == 6667 && e.Domain == "c2.fixture.example" && e.Bytes == len("HELLO bot\n")
		udp = udp || e.Proto == "udp" && e.Addr == netip.MustParseAddrPort("203.0.113.77:9999") && e.Bytes == 8
	}
	if !c2 || !udp {
		t.Errorf("contacted %+v: want the C2 (6667, c2.fixture.example, 10 bytes) %v and the datagram to 203.0.113.77:9999 %v", ind.Contacted, c2, udp)
	}
	ports := map[uint16]int{}
	for _, p := range ind.Scanned {
		ports[p.Port] = p.Count
	}
	if ports[23] != 20 || ports[2323] != 20 {
		t.Errorf("scanned %+v: want ports 23 and 2323 to 20 addresses each", ind.Scanned)
	}
	if len(ind.SourcePorts) == 0 || ind.SourcePorts[0] != (PortCount{41337, 40}) {
		t.Errorf("source ports %+v: want 41337 first, 40 SYNs", ind.SourcePorts)
	}
	if ind.SynSeqIsDst != 40 {
		t.Errorf("%d SYNs with seq == destination, want 40", ind.SynSeqIsDst)
	}
}

func TestContainment(t *testing.T) {
	needSandbox(t, "arm")
	res := runProgram(t, "probe", "arm", Options{Time: 30 * time.Second, HostID: DefaultHostID + 1<<17})
	out := string(res.Output)
	t.Logf("output:\n%s", out)
	field := func(name string) string {
		for _, l := range strings.Split(out, "\n") {
			if v, ok := strings.CutPrefix(l, name+" "); ok {
				return v
			}
		}
		t.Fatalf("no %q line in the output", name)
		return ""
	}
	// The host has many processes; the sample must see only the run's:
	// init (1) and the emulator.
	hostPids := 0
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if p, err := strconv.Atoi(e.Name()); err == nil && p < 65536 {
			hostPids++
		}
	}
	if hostPids < 10 {
		t.Logf("only %d host processes: the check below proves little", hostPids)
	}
	for _, name := range []string{"proc", "kill"} {
		pids := strings.Split(field(name), ",")
		if len(pids) > 3 || len(pids) == 0 || pids[0] != "1" {
			t.Errorf("%s: the sample sees pids %v (host has %d): want init (1) and its own", name, pids, hostPids)
		}
	}
	if v := field("uid"); v != strconv.Itoa(sampleUID) {
		t.Errorf("the sample runs as uid %s, want %d", v, sampleUID)
	}
	if v := field("write-root"); v != "false" {
		t.Errorf("the sample could write in / (%s)", v)
	}
	if v := field("kill-init"); v != "false" {
		t.Errorf("the sample could kill init (%s)", v)
	}
	if v := field("userns"); v != "false" {
		t.Errorf("the sample could make a user namespace (%s)", v)
	}
	if len(res.Notes) > 0 {
		t.Errorf("notes: %v", res.Notes)
	}
}

// hostProcsOf lists the host processes whose real uid is in [lo, lo+n).
func hostProcsOf(lo, n int) []int {
	var out []int
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "Uid:"); ok {
				f := strings.Fields(v)
				if len(f) > 0 {
					if u, err := strconv.Atoi(f[0]); err == nil && u >= lo && u < lo+n {
						out = append(out, p)
					}
				}
			}
		}
	}
	return out
}

func TestDaemonDies(t *testing.T) {
	needSandbox(t, "arm")
	hostID := DefaultHostID + 2<<17
	res := runProgram(t, "daemon", "arm", Options{Time: 4 * time.Second, HostID: uint32(hostID)})
	// The first process exits at once: the run lasting to its limit shows
	// the daemon outlived it (until the sandbox killed it).
	if !res.TimedOut {
		t.Errorf("the run ended before its time limit: the daemon did not run (exit %d, syscalls %+v)", res.Exit, res.Indicators.Syscalls)
	}
	if res.Indicators.Syscalls.Forks < 2 {
		t.Errorf("%d forks in the syscall log, want 2", res.Indicators.Syscalls.Forks)
		if b, err := os.ReadFile(res.Strace); err == nil {
			for l := range strings.Lines(string(b)) {
				if strings.Contains(l, "clone") || strings.Contains(l, "fork") {
					t.Logf("log: %q", l)
				}
			}
		}
	}
	if left := hostProcsOf(hostID, 65536); len(left) > 0 {
		t.Errorf("processes of the run alive after it: %v", left)
	}
	if len(res.Leftover) > 0 {
		t.Errorf("leftover %v", res.Leftover)
	}
}

// TestArches runs the world program on every other architecture Go
// builds for whose emulator is installed.
func TestArches(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, arch := range []string{"aarch64", "mips", "mipsel", "i386", "x86_64"} {
		t.Run(arch, func(t *testing.T) {
			if arch == "i386" {
				// qemu-i386 mishandles the signals Go's 386 runtime preempts
				// goroutines with ("bad g in signal handler"), and GODEBUG
				// cannot be built into a program: a C test program is needed.
				t.Skip("Go's 386 programs crash under qemu-i386 (asynchronous preemption): no i386 test program")
			}
			needSandbox(t, arch)
			res := runProgram(t, "world", arch, Options{Time: 30 * time.Second})
			if res.Arch != arch {
				t.Errorf("arch %s, want %s (from the ELF header)", res.Arch, arch)
			}
			checkWorld(t, res)
		})
	}
}

// TestLimits: the cgroup's process and memory limits hold.
func TestLimits(t *testing.T) {
	needSandbox(t, "arm")
	res := runProgram(t, "forks", "arm", Options{Time: 10 * time.Second, Pids: 24})
	// (qemu may complain about forks from a threaded guest on stdout too.)
	m := regexp.MustCompile(`(?m)^forked ([0-9]+)$`).FindStringSubmatch(string(res.Output))
	if m == nil {
		t.Fatalf("output %q: no count", res.Output)
	}
	n, _ := strconv.Atoi(m[1])
	// init, the emulator's threads and the children share the 24.
	if n == 0 || n >= 24 {
		t.Errorf("forked %d children under a limit of 24 processes", n)
	}
	// Unconfined, memhog prints "done" (512 MiB).
	res = runProgram(t, "memhog", "arm", Options{Time: 20 * time.Second, Memory: 128 << 20})
	t.Logf("memhog: exit %d, output %q", res.Exit, res.Output)
	if strings.Contains(string(res.Output), "done") || res.Exit == 0 {
		t.Errorf("512 MiB allocated under a 128 MiB limit (exit %d): %q", res.Exit, res.Output)
	}
}
