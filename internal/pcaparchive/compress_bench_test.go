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

type cw struct{ n int64 }

func (c *cw) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func benchZ(b *testing.B, z io.Writer, c *cw) {
	ps := packets(13, 4096, t0, time.Microsecond, 0)
	for i := range ps {
		if i%3 == 0 {
			ps[i] = packets(uint64(i), 1, t0, 0, 26)[0]
		}
	}
	ng, _ := pcapgo.NewNgWriter(z, layers.LinkTypeEthernet)
	var ci gopacket.CaptureInfo
	ts := t0
	b.ReportAllocs()
	n := 0
	for i := 0; b.Loop(); i++ {
		p := ps[i&4095]
		ts = ts.Add(time.Microsecond)
		ci.Timestamp, ci.CaptureLength, ci.Length = ts, len(p.data), len(p.data)
		ng.WritePacket(ci, p.data)
		n++
	}
	ng.Flush()
	b.ReportMetric(float64(c.n)/float64(n), "gz-bytes/pkt")
}

func BenchmarkCmpStd1(b *testing.B) {
	c := &cw{}
	z, _ := stdgzip.NewWriterLevel(c, 1)
	benchZ(b, z, c)
}
func BenchmarkCmpStdHuff(b *testing.B) {
	c := &cw{}
	z, _ := stdgzip.NewWriterLevel(c, stdgzip.HuffmanOnly)
	benchZ(b, z, c)
}
func BenchmarkCmpK1(b *testing.B) {
	c := &cw{}
	z, _ := kgzip.NewWriterLevel(c, 1)
	benchZ(b, z, c)
}
func BenchmarkCmpK2(b *testing.B) {
	c := &cw{}
	z, _ := kgzip.NewWriterLevel(c, 2)
	benchZ(b, z, c)
}
func BenchmarkCmpKHuff(b *testing.B) {
	c := &cw{}
	z, _ := kgzip.NewWriterLevel(c, kgzip.HuffmanOnly)
	benchZ(b, z, c)
}
func BenchmarkCmpNone(b *testing.B) {
	c := &cw{}
	benchZ(b, c, c)
}
