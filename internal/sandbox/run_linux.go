package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

func errUnsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}

// Check reports whether runs are possible here: root, and the ip and nft
// commands (the emulator is checked per architecture by QemuPath).
func Check() error {
	if os.Geteuid() != 0 {
		return errUnsupported("needs root (to make the user namespace's mapping and the cgroups)")
	}
	for _, c := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(c); err != nil {
			return errUnsupported("no %s command (install iproute2 and nftables)", c)
		}
	}
	return nil
}

// Run runs a sample and returns what it did. It returns an error wrapping
// ErrUnsupported when the machine cannot run it (see Check, QemuPath), and
// an error (with the Result) when containment failed: a process of the run
// outlived it.
func Run(ctx context.Context, opt Options) (*Result, error) {
	if len(opt.Sample) == 0 || len(opt.Sample) > MaxSample {
		return nil, fmt.Errorf("sample of %d bytes: want 1 to %d", len(opt.Sample), MaxSample)
	}
	if err := Check(); err != nil {
		return nil, err
	}
	var arch Arch
	var err error
	if opt.Arch != "" {
		arch, err = ArchByName(opt.Arch)
	} else {
		arch, err = DetectArch(opt.Sample)
	}
	if err != nil {
		return nil, err
	}
	qemu, err := QemuPath(opt.QemuDir, arch)
	if err != nil {
		return nil, err
	}
	if opt.Time <= 0 {
		opt.Time = DefaultTime
	}
	if opt.Time > MaxTime {
		return nil, fmt.Errorf("time limit %v: at most %v", opt.Time, MaxTime)
	}
	if opt.Memory <= 0 {
		opt.Memory = DefaultMemory
	}
	if opt.Pids <= 0 {
		opt.Pids = DefaultPids
	}
	if opt.HostID == 0 {
		opt.HostID = DefaultHostID
	}
	res := &Result{SHA256: digest(opt.Sample), Arch: arch.Name, Exit: -1}
	dir := opt.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "honeyscope-sandbox-"); err != nil {
			return nil, err
		}
	}
	res.Dir = dir
	res.PCAP = filepath.Join(dir, "capture.pcap")
	create := func(name string) (*os.File, error) {
		return os.OpenFile(filepath.Join(dir, name), os.O_CREATE|os.O_TRUNC|os.O_RDWR, 0o600)
	}
	pcap, err := create("capture.pcap")
	if err != nil {
		return nil, err
	}
	defer pcap.Close()
	straceF, err := create("strace.log")
	if err != nil {
		return nil, err
	}
	defer straceF.Close()
	if !opt.NoStrace {
		res.Strace = straceF.Name()
	}
	resultF, err := create("init.json")
	if err != nil {
		return nil, err
	}
	defer resultF.Close()
	sampleF, err := create("sample")
	if err != nil {
		return nil, err
	}
	defer sampleF.Close()
	if _, err := sampleF.Write(opt.Sample); err != nil {
		return nil, err
	}
	if _, err := sampleF.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	// The init reads it from the descriptor: no copy of the sample is left.
	os.Remove(sampleF.Name())
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer cfgR.Close()
	defer cfgW.Close()

	id := strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	cg, err := newCgroups(id, opt.Memory, opt.Pids)
	if err != nil {
		return nil, err
	}
	res.MemLimited, res.PidsLimited, res.CgroupKill = cg.memLimited, cg.pidsLimited, cg.v2 != ""
	if !cg.memLimited || !cg.pidsLimited {
		res.Notes = append(res.Notes, "no cgroup memory or pids limit available")
	}
	cgSample, cgHome, err := cg.moveFiles()
	if err != nil {
		cg.remove()
		return nil, fmt.Errorf("sandbox cgroup: %w", err)
	}
	cmd := exec.Command("/proc/self/exe")
	cmd.Args = []string{"honeyscope-sandbox-init"}
	cmd.Env = []string{initEnv + "=" + initMagic}
	cmd.Dir = "/"
	cmd.ExtraFiles = []*os.File{cfgR, sampleF, pcap, straceF, resultF}
	if cgSample != nil {
		defer cgSample.Close()
		defer cgHome.Close()
		cmd.ExtraFiles = append(cmd.ExtraFiles, cgSample, cgHome)
	}
	errBuf := &limitedBuffer{max: 16 << 10}
	cmd.Stdout, cmd.Stderr = errBuf, errBuf
	n := 65536
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS | syscall.CLONE_NEWNET | syscall.CLONE_NEWPID |
			syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC | syscall.CLONE_NEWCGROUP,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(opt.HostID), Size: n}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: int(opt.HostID), Size: n}},
		// setgroups allowed, so that init drops the host's supplementary
		// groups (setgroups([]) below): only mapped ids are left.
		GidMappingsEnableSetgroups: true,
		// Namespace root: host uid HostID, not host root.
		Credential: &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{}},
		Pdeathsig:  syscall.SIGKILL,
		Setsid:     true,
	}
	if fd := cg.v2FD(); fd >= 0 {
		defer syscall.Close(fd)
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, fd
	}
	res.Started = time.Now().UTC()
	if err := cmd.Start(); err != nil {
		cg.remove()
		return nil, fmt.Errorf("start the sandbox: %w", err)
	}
	cfgR.Close()
	failed := func(err error) (*Result, error) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		res.Leftover = cg.kill()
		cg.remove()
		return nil, err
	}
	if err := cg.attach(cmd.Process.Pid); err != nil {
		return failed(err)
	}
	if cgSample != nil {
		cgSample.Close()
		cgHome.Close()
	}
	ipPath, _ := exec.LookPath("ip")
	nftPath, _ := exec.LookPath("nft")
	ic := initConfig{Time: opt.Time, Qemu: qemu, Strace: !opt.NoStrace, Script: opt.Script, TmpSize: 32 << 20, Hostname: "router",
		IP: ipPath, NFT: nftPath, CgroupMove: cgSample != nil}
	if err := json.NewEncoder(cfgW).Encode(ic); err != nil {
		return failed(fmt.Errorf("configure the sandbox: %w", err))
	}
	cfgW.Close()

	// The hard limit: the run's time and a grace for init to write its
	// results, then init (and with it the PID namespace) is killed.
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	hard := time.NewTimer(opt.Time + 15*time.Second)
	defer hard.Stop()
	select {
	case <-waited:
	case <-hard.C:
		res.Notes = append(res.Notes, "the sandbox's init did not finish in time: killed")
		_ = cmd.Process.Kill()
		<-waited
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-waited
	}
	res.Duration = time.Since(res.Started)
	left := cg.kill()
	res.Leftover = left
	rmErr := cg.remove()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	var ir initResult
	if _, err := resultF.Seek(0, io.SeekStart); err == nil {
		if err := json.NewDecoder(io.LimitReader(resultF, 256<<20)).Decode(&ir); err != nil {
			return nil, fmt.Errorf("the sandbox's init wrote no result (%v): %s", err, errBuf.String())
		}
	}
	if ir.Err != "" {
		return nil, fmt.Errorf("sandbox: %s", ir.Err)
	}
	res.Exit, res.TimedOut = ir.Exit, ir.TimedOut
	res.Events, res.EventsDropped = ir.Events, ir.EventsDropped
	res.Packets, res.PacketsDropped = ir.Packets, ir.PacketsDropped
	res.Output = ir.Output
	res.Notes = append(res.Notes, ir.Notes...)
	var trace []byte
	if res.Strace != "" {
		if _, err := straceF.Seek(0, io.SeekStart); err == nil {
			trace, _ = io.ReadAll(io.LimitReader(straceF, MaxStrace))
		}
	}
	res.Indicators = BuildIndicators(res.Events, ParseStrace(trace), res.PCAP)
	if len(left) > 0 {
		return res, fmt.Errorf("containment: %d processes of the run still alive after it: %v", len(left), left)
	}
	if rmErr != nil {
		res.Notes = append(res.Notes, "cgroup removal: "+rmErr.Error())
	}
	return res, nil
}

// limitedBuffer keeps the first max bytes written to it.
type limitedBuffer struct {
	max int
	b   []byte
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }
