package pcaparchive

import (
	"testing"
	"time"
)

// TestNoAllocs: once a file is open, writing a packet allocates nothing.
func TestNoAllocs(t *testing.T) {
	w := newWriter(t, Config{})
	defer w.Close()
	ps := packets(12, 64, t0, time.Microsecond, 0)
	write(t, w, ps)
	i := 0
	if n := testing.AllocsPerRun(2000, func() {
		p := ps[i%len(ps)]
		w.WritePacket(t0.Add(time.Duration(i)*time.Microsecond), p.data, p.origLen)
		i++
	}); n != 0 {
		t.Errorf("%v allocations per packet", n)
	}
	if s := w.Stats(); s.Failed != 0 || s.Packets < 2000 {
		t.Errorf("stats %+v", s)
	}
}

// BenchmarkWritePacket is the per-packet cost of archiving a 54..80-byte
// SYN (random sources, ports and sequence numbers, as a darknet sees
// them), gzip level 1, files rotated at the default 256 MiB.
func BenchmarkWritePacket(b *testing.B) {
	w := newWriter(b, Config{})
	defer w.Close()
	ps := benchPackets()
	var bytes int64
	for _, p := range ps {
		bytes += int64(len(p.data))
	}
	b.ReportAllocs()
	b.ResetTimer()
	ts := t0
	cpu0, n := cpuTime(), 0
	for i := 0; b.Loop(); i++ {
		n++
		p := ps[i&4095]
		ts = ts.Add(time.Microsecond)
		if err := w.WritePacket(ts, p.data, p.origLen); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0, n)
	s := w.Stats()
	b.ReportMetric(float64(s.Bytes)/float64(s.Packets), "gz-bytes/pkt")
	b.ReportMetric(float64(bytes)/float64(len(ps)), "raw-bytes/pkt")
}

// reportCPU reports the CPU time per operation since start: on a shared
// machine it varies less than the elapsed time per operation.
func reportCPU(b *testing.B, start time.Duration, n int) {
	b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
}
