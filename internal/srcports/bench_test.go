package srcports

import (
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/decode"
)

// packets returns n scan packets from srcs sources, each with a few fixed
// source ports.
func packets(n, srcs int) []decode.Packet {
	out := make([]decode.Packet, n)
	for i := range out {
		s := i % srcs
		out[i] = decode.Packet{Src: netip.AddrFrom4([4]byte{10, byte(s >> 16), byte(s >> 8), byte(s)}), Proto: 6,
			HasTransport: true, TCPFlags: 0x02, SrcPort: uint16(40000 + i%3), DstPort: uint16(23 + 2300*(i%2))}
	}
	return out
}

func BenchmarkCollectorAdd(b *testing.B) {
	ps := packets(1<<16, 5000)
	c := NewCollector(time.UTC, Options{})
	ts := time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC).UnixNano()
	for i := range ps {
		c.Add(ts, &ps[i]) // warm up: every source tracked
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	n := 0
	for i := 0; b.Loop(); i++ {
		c.Add(ts, &ps[i&(len(ps)-1)])
		n++
	}
	b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(n), "cpu-ns/packet")
}

// cpuTime is the process's user and system CPU time: on a shared machine
// it measures the work, where wall time measures the neighbours too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestCollectorAllocationFree(t *testing.T) {
	ps := packets(4096, 500)
	c := NewCollector(time.UTC, Options{})
	ts := time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC).UnixNano()
	for i := range ps {
		c.Add(ts, &ps[i])
	}
	i := 0
	if n := testing.AllocsPerRun(1000, func() { c.Add(ts, &ps[i%len(ps)]); i++ }); n != 0 {
		t.Fatalf("%v allocations per packet after warm-up", n)
	}
}
