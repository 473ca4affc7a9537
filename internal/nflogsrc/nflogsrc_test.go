//go:build linux

package nflogsrc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/decode"
	"golang.org/x/sys/unix"
)

// childEnv marks the re-executed test binary running inside a new network
// namespace; skipMark starts the line by which it reports a skip.
const (
	childEnv = "HONEYSCOPE_NFLOGSRC_NETNS"
	skipMark = "NFLOGSRC-SKIP: "
	group    = 7
	// floodGroup logs the SYNs to floodBase and above, for the overrun
	// check.
	floodGroup = 8
	floodBase  = 30000
)

// TestLiveNamespace runs testLive in a fresh network namespace: the test
// binary re-executes itself with CLONE_NEWNET, so the namespace, its
// nftables rules and its loopback go away when the child exits.
func TestLiveNamespace(t *testing.T) {
	if os.Getenv(childEnv) == "1" {
		testLive(t)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace and nftables rules")
	}
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed (apt-get install nftables)")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestLiveNamespace$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNET}
	out, err := cmd.CombinedOutput()
	if i := bytes.Index(out, []byte(skipMark)); i >= 0 {
		line, _, _ := strings.Cut(string(out[i+len(skipMark):]), "\n")
		t.Skip(line)
	}
	if err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Skipf("cannot start a process in a new network namespace: %v", err)
		}
		t.Fatalf("in the namespace: %v\n%s", err, out)
	}
	t.Logf("in the namespace:\n%s", out)
}

// skipChild reports a skip to the parent and skips.
func skipChild(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	fmt.Println(skipMark + msg)
	t.Skip(msg)
}

// loopbackUp sets the namespace's loopback interface up.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

type seen struct {
	family uint8
	dst    string
	port   uint16
	syn    bool
}

func testLive(t *testing.T) {
	if err := loopbackUp(); err != nil {
		skipChild(t, "cannot set lo up in the namespace: %v", err)
	}
	rules := fmt.Sprintf(`table inet honeyscope_test {
	chain input {
		type filter hook input priority 0; policy accept;
		iifname "lo" tcp flags & (syn | ack) == syn tcp dport < %d log group %d
		iifname "lo" tcp flags & (syn | ack) == syn tcp dport >= %d log group %d
	}
}
`, floodBase, group, floodBase, floodGroup)
	nft := exec.Command("nft", "-f", "-")
	nft.Stdin = strings.NewReader(rules)
	if out, err := nft.CombinedOutput(); err != nil {
		skipChild(t, "nft cannot add the log rule: %v: %s", err, bytes.TrimSpace(out))
	}

	src, err := OpenOptions(group, Options{RcvBuf: 1 << 20, Flush: 10 * time.Millisecond})
	if err != nil {
		skipChild(t, "NFLOG not available here: %v", err)
	}
	if src.Group() != group {
		t.Errorf("Group() = %d", src.Group())
	}
	// A second socket cannot bind the same group.
	if s2, err := Open(group, 0); err == nil {
		s2.Close()
		t.Error("a second Open of the same group succeeded")
	} else if !errors.Is(err, unix.EPERM) {
		t.Errorf("second Open: %v, want EPERM", err)
	}

	var (
		mu  sync.Mutex
		got []seen
	)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- src.Run(ctx, func(ts int64, fam uint8, pkt []byte) {
			link := decode.LinkIPv4
			if fam == unix.AF_INET6 {
				link = decode.LinkIPv6
			}
			var p decode.Packet
			if err := decode.Decode(link, pkt, &p); err != nil {
				t.Errorf("logged packet does not decode: %v", err)
				return
			}
			if d := time.Since(time.Unix(0, ts)); d < -time.Minute || d > time.Minute {
				t.Errorf("timestamp %v is not about now", time.Unix(0, ts))
			}
			mu.Lock()
			got = append(got, seen{fam, p.Dst.String(), p.DstPort, p.TCPFlags&(decode.TCPSyn|decode.TCPAck) == decode.TCPSyn})
			mu.Unlock()
		})
	}()

	// Connections to closed ports: one SYN each, answered by a RST that
	// the rule does not log. Everything stays on the namespace's loopback.
	var want []seen
	dial := func(fam uint8, host string, port uint16) bool {
		c, err := net.DialTimeout("tcp", net.JoinHostPort(host, fmt.Sprint(port)), 5*time.Second)
		if err == nil {
			c.Close()
			t.Fatalf("port %d is open in a fresh namespace", port)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Logf("dial %s:%d: %v", host, port, err)
			return false
		}
		want = append(want, seen{fam, host, port, true})
		return true
	}
	for _, port := range []uint16{20001, 20002, 2323} {
		if !dial(unix.AF_INET, "127.0.0.1", port) {
			t.Fatal("IPv4 loopback unusable")
		}
	}
	if !dial(unix.AF_INET6, "::1", 20006) {
		t.Log("no IPv6 loopback: IPv6 not checked")
	}

	// Wait (bounded) for the kernel to flush its batch.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	cmp := func(a, b seen) int {
		if a.port != b.port {
			return int(a.port) - int(b.port)
		}
		return strings.Compare(a.dst, b.dst)
	}
	slices.SortFunc(got, cmp)
	slices.SortFunc(want, cmp)
	if !slices.Equal(got, want) {
		t.Errorf("received %v, want %v", got, want)
	}
	st := src.Stats()
	t.Logf("stats %+v", st)
	if st.Delivered != uint64(len(want)) || st.Messages != st.Delivered || st.Lost != 0 || st.Overruns != 0 || st.Errors != 0 {
		t.Errorf("stats %+v, want %d delivered and no loss", st, len(want))
	}
	if err := src.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := src.Run(context.Background(), func(int64, uint8, []byte) {}); err != nil {
		t.Errorf("Run after Close: %v", err)
	}
	testOverrun(t)
}

// refused connects to a closed loopback port, so that exactly one SYN is
// logged.
func refused(t *testing.T, port int) {
	t.Helper()
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 5*time.Second)
	if err == nil {
		c.Close()
		t.Fatalf("port %d is open in a fresh namespace", port)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial port %d: %v", port, err)
	}
}

// testOverrun logs SYNs to a source with the smallest receive buffer that
// nobody reads, so that the kernel drops messages, then checks that the
// drops are counted: every SYN sent is either delivered or counted lost.
func testOverrun(t *testing.T) {
	src, err := OpenOptions(floodGroup, Options{RcvBuf: 1, QThreshold: 1, Flush: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	const flood = 300
	for i := range flood {
		refused(t, floodBase+i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, func(int64, uint8, []byte) {}) }()
	// Once the backlog is read, one more SYN reveals by its sequence
	// number the gap left by the messages dropped at the end of the flood.
	waitFor := func(what string, ok func(Stats) bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(src.Stats()); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: stats %+v", what, src.Stats())
			}
		}
	}
	waitFor("no overrun seen", func(s Stats) bool { return s.Overruns > 0 && s.Delivered > 0 })
	// A probe may itself be dropped while the backlog drains: then the
	// next probe's sequence number counts it lost.
	probes := 0
	for probes < 5 {
		before := src.Stats().Delivered
		refused(t, floodBase+flood+probes)
		probes++
		deadline := time.Now().Add(2 * time.Second)
		for src.Stats().Delivered == before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if src.Stats().Delivered > before {
			break
		}
	}
	waitFor("probes not accounted", func(s Stats) bool { return s.Delivered+s.Lost >= uint64(flood+probes) })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	st := src.Stats()
	t.Logf("flood stats %+v", st)
	if st.Delivered+st.Lost != uint64(flood+probes) || st.Lost == 0 || st.Errors != 0 || st.Messages != st.Delivered {
		t.Errorf("stats %+v: want %d delivered or lost, some lost", st, flood+probes)
	}
}

// packetMsg builds one NFULNL_MSG_PACKET netlink message.
func packetMsg(fam uint8, seq uint32, attrs ...[]byte) []byte {
	ne := binary.NativeEndian
	b := make([]byte, unix.SizeofNlMsghdr)
	b = append(b, fam, 0, 0, group)
	for _, a := range attrs {
		b = append(b, a...)
	}
	ne.PutUint32(b[0:], uint32(len(b)))
	ne.PutUint16(b[4:], msgPacket)
	ne.PutUint32(b[8:], seq)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func nla(typ uint16, v []byte) []byte {
	ne := binary.NativeEndian
	b := ne.AppendUint16(nil, uint16(4+len(v)))
	b = ne.AppendUint16(b, typ)
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// TestParse feeds hand-built messages to the parser: payload delivery,
// kernel timestamps, sequence gaps counted as lost, skipped and malformed
// messages.
func TestParse(t *testing.T) {
	ip4 := []byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}
	ip6 := append([]byte{0x60}, make([]byte, 39)...)
	tsAttr := nla(attrTimestamp, append(binary.BigEndian.AppendUint64(nil, 1_700_000_000), binary.BigEndian.AppendUint64(nil, 250_000)...))
	batch := slices.Concat(
		packetMsg(unix.AF_INET, 0, nla(attrPacketHdr, []byte{8, 0, 1, 0}), tsAttr, nla(attrSeq, be32(10)), nla(attrPayload, ip4)),
		packetMsg(unix.AF_INET6, 0, nla(attrSeq, be32(11)), nla(attrPayload, ip6)),
		packetMsg(7, 0, nla(attrPacketHdr, []byte{0x86, 0xdd, 1, 0}), nla(attrSeq, be32(15)), nla(attrPayload, ip6)), // bridge: 3 lost
		packetMsg(unix.AF_INET, 0, nla(attrSeq, be32(16))),                                                           // no payload
		packetMsg(unix.AF_INET, 0, nla(attrSeq, be32(17)), []byte{2, 0, 9, 0}),                                       // attribute length 2
	)
	var s Source
	type call struct {
		ts  int64
		fam uint8
		pkt string
	}
	var calls []call
	before := time.Now().UnixNano()
	s.parse(batch, func(ts int64, fam uint8, pkt []byte) { calls = append(calls, call{ts, fam, string(pkt)}) })
	if len(calls) != 3 {
		t.Fatalf("%d packets delivered, want 3: %+v", len(calls), calls)
	}
	if calls[0] != (call{1_700_000_000_250_000_000, unix.AF_INET, string(ip4)}) {
		t.Errorf("first packet %+v", calls[0])
	}
	if calls[1].fam != unix.AF_INET6 || calls[1].pkt != string(ip6) || calls[1].ts < before {
		t.Errorf("second packet %+v (read time %d)", calls[1], before)
	}
	if calls[2].fam != unix.AF_INET6 {
		t.Errorf("bridge packet family %d", calls[2].fam)
	}
	want := Stats{Messages: 5, Delivered: 3, Skipped: 2, Lost: 3, Errors: 1}
	if st := s.Stats(); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}

	// A message whose length runs past the datagram stops the walk.
	bad := packetMsg(unix.AF_INET, 0, nla(attrPayload, ip4))
	binary.NativeEndian.PutUint32(bad[0:], uint32(len(bad)+4))
	var s2 Source
	s2.parse(bad, func(int64, uint8, []byte) { t.Error("delivered from a bad message") })
	if st := s2.Stats(); st.Errors != 1 || st.Messages != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestParseAllocs checks that parsing a batch allocates nothing.
func TestParseAllocs(t *testing.T) {
	ip4 := []byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}
	batch := slices.Concat(
		packetMsg(unix.AF_INET, 0, nla(attrSeq, be32(1)), nla(attrPayload, ip4)),
		packetMsg(unix.AF_INET, 0, nla(attrSeq, be32(2)), nla(attrPayload, ip4)),
	)
	var s Source
	n := 0
	h := Handler(func(int64, uint8, []byte) { n++ })
	if a := testing.AllocsPerRun(100, func() { s.parse(batch, h) }); a != 0 {
		t.Errorf("%v allocations per batch", a)
	}
	if n == 0 {
		t.Error("nothing delivered")
	}
}

// FuzzParse checks that arbitrary datagrams never panic the parser and
// that delivered packets lie inside the datagram.
func FuzzParse(f *testing.F) {
	ip4 := []byte{0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}
	f.Add(packetMsg(unix.AF_INET, 0, nla(attrSeq, be32(1)), nla(attrPayload, ip4)))
	f.Add(packetMsg(7, 0, nla(attrPacketHdr, []byte{8, 0, 1, 0}), nla(attrTimestamp, make([]byte, 16)), nla(attrPayload, ip4)))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s Source
		s.parse(b, func(ts int64, fam uint8, pkt []byte) {
			if fam != unix.AF_INET && fam != unix.AF_INET6 {
				t.Fatalf("family %d delivered", fam)
			}
			if len(pkt) == 0 || len(pkt) > len(b) {
				t.Fatalf("packet of %d bytes from a %d-byte datagram", len(pkt), len(b))
			}
		})
		st := s.Stats()
		if st.Delivered+st.Skipped != st.Messages {
			t.Fatalf("stats %+v do not add up", st)
		}
	})
}

// BenchmarkParse parses a batch of 64 SYN messages as the kernel sends
// them; ns/op is per batch.
func BenchmarkParse(b *testing.B) {
	syn := make([]byte, 40)
	syn[0], syn[9] = 0x45, 6
	var batch []byte
	for i := range 64 {
		batch = append(batch, packetMsg(unix.AF_INET, 0, nla(attrPacketHdr, []byte{8, 0, 1, 0}),
			nla(attrTimestamp, make([]byte, 16)), nla(attrSeq, be32(uint32(i))), nla(attrPayload, syn))...)
	}
	var s Source
	n := 0
	h := Handler(func(int64, uint8, []byte) { n++ })
	b.ReportAllocs()
	b.SetBytes(int64(len(batch)))
	for b.Loop() {
		s.seqSeen = false
		s.parse(batch, h)
	}
	if n == 0 {
		b.Fatal("nothing delivered")
	}
}
