package sandbox

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
func program(t *testing.T, name, arch string) []byte {
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
func needSandbox(t *testing.T, arch string) {
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
	res, err := Run(ctx, opt)
	if err != nil {
		t.Fatalf("run %s on %s: %v", name, arch, err)
	}
	return res
}

func TestRunWorld(t *testing.T) {
	needSandbox(t, "arm")
	res := runProgram(t, "world", "arm", Options{Time: 30 * time.Second})
	t.Logf("result: exit %d timed out %v packets %d notes %v\noutput:\n%s", res.Exit, res.TimedOut, res.Packets, res.Notes, res.Output)
	t.Logf("indicators: %+v", res.Indicators)
}
