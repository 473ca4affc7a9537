package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/honeyscope/honeyscope/internal/sandbox/fakenet"
)

// initEnv names the environment variable that makes a process the
// sandbox's init (its value must be initMagic, and it must be PID 1).
const (
	initEnv   = "HONEYSCOPE_SANDBOX_INIT"
	initMagic = "7f3a"
)

// The init's file descriptors, passed by Run.
const (
	fdConfig = 3 // the initConfig, as JSON; its end is the signal to start
	fdSample = 4
	fdPcap   = 5
	fdStrace = 6
	fdResult = 7
	// The cgroup.procs files of the sample's memory cgroup and of init's
	// own, when initConfig.CgroupMove says they are passed.
	fdCgSample = 8
	fdCgHome   = 9
)

// Ports of the fake world's sinks (on every address: TPROXY sends there).
const (
	tcpSinkPort = 61001
	udpSinkPort = 61002
)

// sampleUID is the namespace uid (and gid) the sample runs as.
const sampleUID = 1000

// initConfig is what Run tells the init.
type initConfig struct {
	Time     time.Duration     `json:"time"`
	Qemu     string            `json:"qemu"`
	Strace   bool              `json:"strace"`
	Script   map[uint16][]byte `json:"script"`
	TmpSize  int64             `json:"tmp_size"`
	Hostname string            `json:"hostname"`
	IP       string            `json:"ip"`  // the ip command's path
	NFT      string            `json:"nft"` // the nft command's path
	// CgroupMove: init forks the sample from inside the memory-limited
	// cgroup (fdCgSample) and returns to its own (fdCgHome).
	CgroupMove bool `json:"cgroup_move"`
}

// initResult is what the init tells Run.
type initResult struct {
	Exit           int             `json:"exit"`
	TimedOut       bool            `json:"timed_out"`
	Events         []fakenet.Event `json:"events"`
	EventsDropped  int             `json:"events_dropped"`
	Packets        int64           `json:"packets"`
	PacketsDropped int64           `json:"packets_dropped"`
	Output         []byte          `json:"output"`
	Notes          []string        `json:"notes"`
	Err            string          `json:"err,omitempty"`
}

func init() {
	if os.Getenv(initEnv) != initMagic || os.Getpid() != 1 {
		return
	}
	res := runInit()
	if f := os.NewFile(fdResult, "result"); f != nil {
		_ = json.NewEncoder(f).Encode(res)
		f.Close()
	}
	os.Exit(0)
}

func runInit() (res initResult) {
	res.Exit = -1
	// What Run passed stays init's: nothing of it is inherited by the
	// emulator (it has stdin, stdout and stderr only).
	for fd := fdConfig; fd <= fdCgHome; fd++ {
		unix.CloseOnExec(fd)
	}
	// The sample cannot signal init (another uid, no CAP_KILL); ignore
	// what a terminal or a parent might send anyway.
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGPIPE, syscall.SIGUSR1, syscall.SIGUSR2)
	cf := os.NewFile(fdConfig, "config")
	var cfg initConfig
	if err := json.NewDecoder(io.LimitReader(cf, 8<<20)).Decode(&cfg); err != nil {
		res.Err = "config: " + err.Error()
		return
	}
	cf.Close()
	tools = map[string]string{"ip": cfg.IP, "nft": cfg.NFT}
	rec := fakenet.NewRecorder(0)
	stopNet, err := fakeWorld(&cfg, rec, &res)
	if err != nil {
		res.Err = err.Error()
		return
	}
	capt, err := startCapture(os.NewFile(fdPcap, "pcap"), SampleAddr4, SampleAddr6)
	if err != nil {
		res.Err = "capture: " + err.Error()
		return
	}
	if err := makeRoot(&cfg); err != nil {
		res.Err = "root: " + err.Error()
		return
	}
	res.Notes = append(res.Notes, notes...)
	runSample(&cfg, &res)
	capt.stop()
	stopNet()
	res.Packets, res.PacketsDropped = capt.packets.Load(), capt.dropped.Load()
	res.Events, res.EventsDropped = rec.Events()
	return res
}

// tools are the setup commands' paths.
var tools map[string]string

// run runs a trusted setup command (ip, nft) with input on stdin.
func run(input string, name string, args ...string) error {
	c := exec.Command(tools[name], args...)
	c.Stdin = strings.NewReader(input)
	out, err := c.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// nftRules hand every TCP connection and UDP datagram not to the sample
// nor to port 53 to the sinks.
var nftRules = fmt.Sprintf(`table ip sandbox {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		ip daddr %[1]s return
		udp dport 53 return
		tcp dport 53 return
		meta l4proto tcp tproxy to :%[3]d
		meta l4proto udp tproxy to :%[4]d
	}
}
table ip6 sandbox {
	chain pre {
		type filter hook prerouting priority mangle; policy accept;
		ip6 daddr %[2]s return
		udp dport 53 return
		tcp dport 53 return
		meta l4proto tcp tproxy to :%[3]d
		meta l4proto udp tproxy to :%[4]d
	}
}
`, SampleAddr4, SampleAddr6, tcpSinkPort, udpSinkPort)

// fakeWorld sets up lo and starts the DNS server and the sinks.
func fakeWorld(cfg *initConfig, rec *fakenet.Recorder, res *initResult) (stop func(), err error) {
	if err := run("", "ip", "link", "set", "lo", "up"); err != nil {
		return nil, err
	}
	// Only the sample's address is configured: an address added to lo
	// would be the source of packets to it; every other one is local by
	// the route, whose source is the sample's.
	steps := [][]string{
		{"ip", "addr", "add", SampleAddr4.String() + "/32", "dev", "lo"},
		{"ip", "route", "add", "local", "0.0.0.0/0", "dev", "lo", "src", SampleAddr4.String()},
	}
	for _, s := range steps {
		if err := run("", s[0], s[1:]...); err != nil {
			return nil, err
		}
	}
	v6 := true
	for _, s := range [][]string{
		{"ip", "-6", "addr", "add", SampleAddr6.String() + "/128", "dev", "lo", "nodad"},
		{"ip", "-6", "route", "add", "local", "::/0", "dev", "lo", "src", SampleAddr6.String()},
	} {
		if err := run("", s[0], s[1:]...); err != nil {
			res.Notes = append(res.Notes, "IPv6: "+err.Error())
			v6 = false
			break
		}
	}
	if err := run(nftRules, "nft", "-f", "-"); err != nil {
		return nil, err
	}
	var closers []io.Closer
	stop = func() {
		for _, c := range closers {
			c.Close()
		}
	}
	d := &fakenet.DNS{Rec: rec, Pool: fakenet.NewPool()}
	fams := []string{"4"}
	if v6 {
		fams = append(fams, "6")
	}
	script := fakenet.Script(cfg.Script)
	for _, f := range fams {
		any := "0.0.0.0"
		if f == "6" {
			any = "[::]"
		}
		pc, err := net.ListenPacket("udp"+f, any+":53")
		if err != nil {
			stop()
			return nil, err
		}
		l, err := net.Listen("tcp"+f, any+":53")
		if err != nil {
			pc.Close()
			stop()
			return nil, err
		}
		closers = append(closers, pc, l)
		for _, s := range d.Serve(pc, l) {
			closers = append(closers, closerFunc(func() error { return s.Shutdown() }))
		}
		tl, err := fakenet.ListenTransparent("tcp"+f, fmt.Sprintf("%s:%d", any, tcpSinkPort))
		if err != nil {
			stop()
			return nil, err
		}
		closers = append(closers, tl)
		go (&fakenet.TCPSink{Rec: rec, Script: script}).Serve(tl)
		uc, err := fakenet.ListenTransparentUDP("udp"+f, fmt.Sprintf("%s:%d", any, udpSinkPort))
		if err != nil {
			stop()
			return nil, err
		}
		closers = append(closers, uc)
		go (&fakenet.UDPSink{Rec: rec}).Serve(uc)
	}
	return stop, nil
}

type closerFunc func() error

func (f closerFunc) Close() error { return f() }

// notes collects problems of the setup that do not stop the run.
var notes []string

// makeRoot builds the throwaway root and moves into it.
func makeRoot(cfg *initConfig) error {
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	root := "/tmp"
	if err := unix.Mount("sandbox", root, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "size=80m,mode=0755"); err != nil {
		return fmt.Errorf("tmpfs: %w", err)
	}
	for _, d := range []string{"proc", "dev", "tmp", "etc", ".old"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			return err
		}
	}
	// The sample, 0555 so the emulator (running as the sample's uid) reads it.
	src := os.NewFile(fdSample, "sample")
	dst, err := os.OpenFile(filepath.Join(root, "sample"), os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o555)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, io.LimitReader(src, MaxSample)); err != nil {
		return err
	}
	dst.Close()
	src.Close()
	files := map[string]string{
		"etc/resolv.conf": "nameserver " + ResolverAddr.String() + "\n",
		"etc/hosts":       "127.0.0.1 localhost\n",
		"etc/passwd":      "root:x:0:0:root:/root:/bin/sh\n",
		"etc/hostname":    cfg.Hostname + "\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o444); err != nil {
			return err
		}
	}
	// The emulator, bind-mounted read-only.
	q := filepath.Join(root, "qemu")
	if err := os.WriteFile(q, nil, 0o555); err != nil {
		return err
	}
	if err := bindRO(cfg.Qemu, q, 0); err != nil {
		return fmt.Errorf("emulator: %w", err)
	}
	for _, dev := range []string{"null", "zero", "random", "urandom"} {
		p := filepath.Join(root, "dev", dev)
		if err := os.WriteFile(p, nil, 0o666); err != nil {
			return err
		}
		if err := unix.Mount("/dev/"+dev, p, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("/dev/%s: %w", dev, err)
		}
	}
	tmp := filepath.Join(root, "tmp")
	if err := unix.Mount("tmp", tmp, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC,
		fmt.Sprintf("size=%d,mode=1777", cfg.TmpSize)); err != nil {
		return fmt.Errorf("/tmp: %w", err)
	}
	if err := unix.Mount("proc", filepath.Join(root, "proc"), "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("/proc: %w", err)
	}
	// No nested user namespaces: the sample cannot become root of one
	// (much of the kernel's attack surface is behind them).
	if err := os.WriteFile("/proc/sys/user/max_user_namespaces", []byte("0"), 0); err != nil {
		notes = append(notes, "could not forbid nested user namespaces: "+err.Error())
	}
	if err := unix.PivotRoot(root, filepath.Join(root, ".old")); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}
	if err := unix.Unmount("/.old", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach the old root: %w", err)
	}
	_ = os.Remove("/.old")
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("read-only root: %w", err)
	}
	_ = unix.Sethostname([]byte(cfg.Hostname))
	return nil
}

func bindRO(src, dst string, extra uintptr) error {
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		return err
	}
	// Keep the flags the source mount has (a user namespace may not drop them).
	var st unix.Statfs_t
	flags := uintptr(unix.MS_REMOUNT | unix.MS_BIND | unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV)
	if unix.Statfs(dst, &st) == nil && st.Flags&unix.ST_NOEXEC != 0 {
		flags |= unix.MS_NOEXEC
	}
	return unix.Mount("", dst, "", flags|extra, "")
}

// runSample starts the emulator as the sample's uid, reaps every process
// of the namespace until none is left or the time limit passes, then
// kills them all.
func runSample(cfg *initConfig, res *initResult) {
	args := []string{"/qemu"}
	if cfg.Strace {
		args = append(args, "-strace")
	}
	args = append(args, "/sample")
	outR, outW, err := os.Pipe()
	if err != nil {
		res.Err = err.Error()
		return
	}
	var errR, errW *os.File
	errR, errW, err = os.Pipe()
	if err != nil {
		res.Err = err.Error()
		return
	}
	devnull, _ := os.Open("/dev/null")
	attr := &syscall.ProcAttr{
		Dir:   "/tmp",
		Env:   []string{"PATH=/bin:/usr/bin:/sbin:/usr/sbin", "HOME=/tmp", "TERM=vt100", "SHELL=/bin/sh"},
		Files: []uintptr{devnull.Fd(), outW.Fd(), errW.Fd()},
		Sys: &syscall.SysProcAttr{
			Credential:  &syscall.Credential{Uid: sampleUID, Gid: sampleUID, NoSetGroups: false, Groups: []uint32{}},
			AmbientCaps: []uintptr{unix.CAP_NET_RAW},
			Setsid:      true,
			Pdeathsig:   syscall.SIGKILL,
		},
	}
	var cgHome *os.File
	if cfg.CgroupMove {
		// Into the sample's memory cgroup to fork it, and back: the OOM
		// killer of its limit then cannot choose init.
		cgSample := os.NewFile(fdCgSample, "cgroup-sample")
		cgHome = os.NewFile(fdCgHome, "cgroup-home")
		defer cgHome.Close()
		_, err := cgSample.WriteString("0")
		cgSample.Close()
		if err != nil {
			res.Err = "enter the sample's cgroup: " + err.Error()
			return
		}
	}
	start := time.Now()
	pid, err := syscall.ForkExec("/qemu", args, attr)
	if cgHome != nil {
		if _, err := cgHome.WriteString("0"); err != nil {
			res.Notes = append(res.Notes, "init could not leave the sample's cgroup: "+err.Error())
		}
	}
	outW.Close()
	errW.Close()
	devnull.Close()
	if err != nil {
		res.Err = "start the emulator: " + err.Error()
		return
	}
	// The memory limit's OOM kill must take the sample, not init (which
	// then could not write the result): the sample's tree is the first
	// candidate (its children inherit the score). Raising a score needs no
	// privilege.
	if err := os.WriteFile("/proc/"+strconv.Itoa(pid)+"/oom_score_adj", []byte("1000"), 0); err != nil {
		res.Notes = append(res.Notes, "oom_score_adj of the sample: "+err.Error())
	}
	outDone := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(outR, MaxOutput))
		_, _ = io.Copy(io.Discard, outR)
		outDone <- b
	}()
	straceDone := make(chan struct{})
	go func() {
		defer close(straceDone)
		f := os.NewFile(fdStrace, "strace")
		_, _ = io.Copy(f, io.LimitReader(errR, MaxStrace))
		_, _ = io.Copy(io.Discard, errR)
		f.Close()
	}()
	reaped := make(chan struct{})
	go func() {
		defer close(reaped)
		for {
			var ws unix.WaitStatus
			p, err := unix.Wait4(-1, &ws, 0, nil)
			if err == unix.ECHILD {
				return
			}
			if err == nil && p == pid {
				if ws.Exited() {
					res.Exit = ws.ExitStatus()
				}
			}
		}
	}()
	select {
	case <-reaped:
	case <-time.After(cfg.Time - time.Since(start)):
		res.TimedOut = true
		_ = unix.Kill(-1, unix.SIGKILL)
		select {
		case <-reaped:
		case <-time.After(5 * time.Second):
			res.Notes = append(res.Notes, "processes left after SIGKILL to all")
		}
	}
	// The pipes' writers are dead; a writer fd passed to a process that
	// escaped would keep them open, so do not wait long.
	select {
	case res.Output = <-outDone:
	case <-time.After(2 * time.Second):
	}
	select {
	case <-straceDone:
	case <-time.After(2 * time.Second):
	}
}
