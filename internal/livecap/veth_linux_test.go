package livecap

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// vethPair creates a veth pair with one end (returned first) here and the
// other in a new network namespace (its name returned last), removed when
// the test ends. It skips the test where that is not permitted.
func vethPair(t *testing.T) (here, there, ns string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace and a veth pair")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs the ip command (iproute2)")
	}
	id := os.Getpid() % 100000
	here, there, ns = fmt.Sprintf("hsA%d", id), fmt.Sprintf("hsB%d", id), fmt.Sprintf("hs-test-%d", id)
	run := func(args ...string) error {
		out, err := exec.Command("ip", args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := run("netns", "add", ns); err != nil {
		t.Skip("cannot create a network namespace:", err)
	}
	t.Cleanup(func() {
		run("link", "del", here)
		run("netns", "del", ns)
	})
	for _, args := range [][]string{
		{"link", "add", here, "type", "veth", "peer", "name", there},
		{"link", "set", there, "netns", ns},
		{"addr", "add", "10.203.0.1/24", "dev", here},
		{"-6", "addr", "add", "fd00:203::1/64", "dev", here, "nodad"},
		{"link", "set", here, "up"},
		{"-n", ns, "link", "set", there, "up"},
	} {
		if err := run(args...); err != nil {
			t.Skip("cannot set up the veth pair:", err)
		}
	}
	return here, there, ns
}

// sendIn writes frames on an AF_PACKET socket bound to ifname inside the
// network namespace ns: nothing leaves the namespace but through the veth.
func sendIn(ns, ifname string, frames [][]byte) error {
	errc := make(chan error, 1)
	go func() {
		// The thread enters the namespace and is never returned to
		// the scheduler (the goroutine ends locked).
		runtime.LockOSThread()
		errc <- func() error {
			fd, err := unix.Open(filepath.Join("/run/netns", ns), unix.O_RDONLY|unix.O_CLOEXEC, 0)
			if err != nil {
				return err
			}
			defer unix.Close(fd)
			if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
				return err
			}
			ifc, err := net.InterfaceByName(ifname)
			if err != nil {
				return err
			}
			s, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0) // protocol 0: receives nothing
			if err != nil {
				return err
			}
			defer unix.Close(s)
			for _, f := range frames {
				sa := &unix.SockaddrLinklayer{Ifindex: ifc.Index, Halen: 6}
				copy(sa.Addr[:], f[:6])
				if err := unix.Sendto(s, f, 0, sa); err != nil {
					return err
				}
			}
			return nil
		}()
	}()
	return <-errc
}

// TestVeth captures on one end of a veth pair what is sent from the other
// end, in a namespace of its own, into a real store: per-class counts
// equal what was sent, IPv6 too, and the intervals' coverage is there.
func TestVeth(t *testing.T) {
	here, there, ns := vethPair(t)
	ctx := context.Background()
	st, err := duckstore.Open(ctx, filepath.Join(t.TempDir(), "live.duckdb"), duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := New(daemon.NewReporter(nil), Configuration{
		Interfaces:     []Interface{{Name: here, Sensor: "veth", SensorNets: []string{"10.203.0.1", "fd00:203::1"}}},
		CommitInterval: time.Second,
		Workers:        2,
		BlockSize:      1 << 16, NumBlocks: 16,
	}, Dependencies{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	ifc, err := net.InterfaceByName(here)
	if err != nil {
		t.Fatal(err)
	}
	m := trafficTo(netip.MustParseAddr("10.203.0.1"), netip.MustParseAddr("fd00:203::1"), 50)
	for _, f := range m.frames {
		copy(f[:6], ifc.HardwareAddr)
	}
	if err := sendIn(ns, there, m.frames); err != nil {
		c.Stop(ctx)
		t.Fatal("send:", err)
	}
	time.Sleep(1500 * time.Millisecond) // at least one interval ends on its own
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	rows, err := st.Stats(ctx, store.StatsQuery{By: []string{"class"}, Sensors: []string{"veth"}})
	if err != nil {
		t.Fatal(err)
	}
	var got [classify.NumClasses]uint64
	for _, r := range rows {
		if cl, ok := classify.ParseClass(r.Keys[0].(string)); ok {
			got[cl] = r.Packets
		}
	}
	if got != m.want {
		t.Errorf("stored per class %v, sent %v", got, m.want)
	}
	v6, err := st.Stats(ctx, store.StatsQuery{By: []string{"src"}, Sensors: []string{"veth"}})
	if err != nil {
		t.Fatal(err)
	}
	var src6 uint64
	for _, r := range v6 {
		if r.Keys[0].(string) == "2001:db8:bad::7" {
			src6 = r.Packets
		}
	}
	if src6 != 50 {
		t.Errorf("IPv6 source: %d packets stored, sent 50", src6)
	}
	caps, err := st.Captures(ctx, []string{"veth"})
	if err != nil {
		t.Fatal(err)
	}
	if len(caps) < 2 {
		t.Fatalf("%d intervals recorded, want at least 2 (one ended on its own, one at Stop)", len(caps))
	}
	for i, cp := range caps {
		if cp.KernelDrops != 0 || cp.QueueDrops != 0 {
			t.Errorf("interval %d lost packets: %d kernel, %d queue", i, cp.KernelDrops, cp.QueueDrops)
		}
		if i > 0 && cp.First.Before(caps[i-1].Last) {
			t.Errorf("intervals overlap: %v before %v", cp.First, caps[i-1].Last)
		}
	}
}

// TestVethFilter: a filter expression runs in the kernel: with "not ip6"
// only the IPv4 frames sent are counted.
func TestVethFilter(t *testing.T) {
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump not installed: filter expressions cannot be compiled")
	}
	here, there, ns := vethPair(t)
	ctx := context.Background()
	st, err := duckstore.Open(ctx, filepath.Join(t.TempDir(), "live.duckdb"), duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := New(daemon.NewReporter(nil), Configuration{
		Interfaces:     []Interface{{Name: here, Sensor: "veth", SensorNets: []string{"10.203.0.1", "fd00:203::1"}, Filter: "not ip6"}},
		CommitInterval: time.Second,
		BlockSize:      1 << 16, NumBlocks: 16,
	}, Dependencies{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	ifc, err := net.InterfaceByName(here)
	if err != nil {
		t.Fatal(err)
	}
	m := trafficTo(netip.MustParseAddr("10.203.0.1"), netip.MustParseAddr("fd00:203::1"), 10)
	var v4 uint64
	for _, f := range m.frames {
		copy(f[:6], ifc.HardwareAddr)
		if f[12] == 0x08 && f[13] == 0x00 {
			v4++
		}
	}
	if err := sendIn(ns, there, m.frames); err != nil {
		c.Stop(ctx)
		t.Fatal("send:", err)
	}
	time.Sleep(300 * time.Millisecond)
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Stats(ctx, store.StatsQuery{Sensors: []string{"veth"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Packets != v4 || v4 == 0 || v4 == uint64(len(m.frames)) {
		t.Fatalf("stored %+v, want the %d IPv4 frames of %d", rows, v4, len(m.frames))
	}
}
