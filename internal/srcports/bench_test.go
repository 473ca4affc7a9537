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

// scanPackets returns ps as the counting shards hand them over, and the
// index of each one's source (the shard's source-day).
func scanPackets(ps []decode.Packet, ts int64, srcs int) ([]Packet, []int) {
	out := make([]Packet, len(ps))
	at := make([]int, len(ps))
	for i := range ps {
		b := ps[i].Src.As16()
		out[i] = Packet{Seq: uint64(i + 1), TS: ts, Hi: be64(b[:8]), Lo: be64(b[8:]), Proto: ps[i].Proto,
			SrcPort: ps[i].SrcPort, DstPort: ps[i].DstPort}
		at[i] = i % srcs
	}
	return out, at
}

// BenchmarkCollectorAddScan: as BenchmarkCollectorAdd, the packets handed
// over as a counting shard does, with the memo of each source's entry the
// shard keeps beside its source-day.
func BenchmarkCollectorAddScan(b *testing.B) {
	const srcs = 5000
	ts := time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC).UnixNano()
	ps, at := scanPackets(packets(1<<16, srcs), ts, srcs)
	c := NewCollector(time.UTC, Options{})
	hints := make([]int32, srcs)
	for i := range ps {
		c.AddScan(&ps[i], &hints[at[i]])
	}
	b.ReportAllocs()
	b.ResetTimer()
	c0 := cpuTime()
	n := 0
	for i := 0; b.Loop(); i++ {
		j := i & (len(ps) - 1)
		c.AddScan(&ps[j], &hints[at[j]])
		n++
	}
	b.ReportMetric(float64((cpuTime()-c0).Nanoseconds())/float64(n), "cpu-ns/packet")
}

func TestCollectorAddScanAllocationFree(t *testing.T) {
	const srcs = 500
	ts := time.Date(2026, 4, 1, 1, 0, 0, 0, time.UTC).UnixNano()
	ps, at := scanPackets(packets(4096, srcs), ts, srcs)
	cs := NewShardCollectors(time.UTC, Options{MaxSources: 300}, 2)
	hints := make([]int32, srcs)
	for i := range ps {
		cs[at[i]%2].AddScan(&ps[i], &hints[at[i]])
	}
	i := 0
	if n := testing.AllocsPerRun(1000, func() { j := i % len(ps); cs[at[j]%2].AddScan(&ps[j], &hints[at[j]]); i++ }); n != 0 {
		t.Fatalf("%v allocations per packet after warm-up", n)
	}
}
