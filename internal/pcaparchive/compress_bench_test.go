package pcaparchive

import (
	stdgzip "compress/gzip"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	kgzip "github.com/klauspost/compress/gzip"
)

// countBytes counts what the compressor writes, and discards it.
type countBytes struct{ n int64 }

func (c *countBytes) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// benchPackets are the packets of the archive benchmarks: SYNs of 54 and
// 80 bytes from random sources, ports and sequence numbers.
func benchPackets() []pkt {
	ps := packets(13, 4096, t0, time.Microsecond, 0)
	for i := range ps {
		if i%3 == 0 {
			ps[i] = packets(uint64(i), 1, t0, 0, 26)[0]
		}
	}
	return ps
}

// benchCompressor writes pcapng packet blocks through z (counting into c).
func benchCompressor(b *testing.B, z io.Writer, c *countBytes) {
	ps := benchPackets()
	ng, err := pcapgo.NewNgWriter(z, layers.LinkTypeEthernet)
	if err != nil {
		b.Fatal(err)
	}
	var ci gopacket.CaptureInfo
	ts := t0
	b.ReportAllocs()
	n := 0
	cpu0 := cpuTime()
	for i := 0; b.Loop(); i++ {
		p := ps[i&4095]
		ts = ts.Add(time.Microsecond)
		ci.Timestamp, ci.CaptureLength, ci.Length = ts, len(p.data), len(p.data)
		if err := ng.WritePacket(ci, p.data); err != nil {
			b.Fatal(err)
		}
		n++
	}
	ng.Flush()
	reportCPU(b, cpu0, n)
	b.ReportMetric(float64(c.n)/float64(n), "gz-bytes/pkt")
}

// BenchmarkCompressor compares the gzip implementations and levels the
// archive could use, without file I/O.
func BenchmarkCompressor(b *testing.B) {
	for _, c := range []struct {
		name string
		new  func(io.Writer) io.Writer
	}{
		{"none", func(w io.Writer) io.Writer { return w }},
		{"stdlib-1", func(w io.Writer) io.Writer { z, _ := stdgzip.NewWriterLevel(w, 1); return z }},
		{"stdlib-huffman", func(w io.Writer) io.Writer { z, _ := stdgzip.NewWriterLevel(w, stdgzip.HuffmanOnly); return z }},
		{"klauspost-1", func(w io.Writer) io.Writer { z, _ := kgzip.NewWriterLevel(w, 1); return z }},
		{"klauspost-2", func(w io.Writer) io.Writer { z, _ := kgzip.NewWriterLevel(w, 2); return z }},
		{"klauspost-huffman", func(w io.Writer) io.Writer { z, _ := kgzip.NewWriterLevel(w, kgzip.HuffmanOnly); return z }},
	} {
		b.Run(c.name, func(b *testing.B) {
			cnt := &countBytes{}
			benchCompressor(b, c.new(cnt), cnt)
		})
	}
}
