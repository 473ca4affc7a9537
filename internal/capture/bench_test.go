package capture

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

const benchPackets = 100_000

// benchFiles returns an in-memory pcap and pcapng file, each holding
// benchPackets 60-byte packets, written by gopacket's writers.
func benchFiles(b *testing.B) (pcapFile, ngFile []byte) {
	b.Helper()
	data := make([]byte, 60)
	for i := range data {
		data[i] = byte(i)
	}
	var pb, nb bytes.Buffer
	pw := pcapgo.NewWriterNanos(&pb)
	if err := pw.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		b.Fatal(err)
	}
	nw, err := pcapgo.NewNgWriter(&nb, layers.LinkTypeEthernet)
	if err != nil {
		b.Fatal(err)
	}
	ts := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range benchPackets {
		ci := gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(i) * time.Microsecond), CaptureLength: 60, Length: 60}
		if err := pw.WritePacket(ci, data); err != nil {
			b.Fatal(err)
		}
		if err := nw.WritePacket(ci, data); err != nil {
			b.Fatal(err)
		}
	}
	if err := nw.Flush(); err != nil {
		b.Fatal(err)
	}
	return pb.Bytes(), nb.Bytes()
}

// report adds packets/s and ns/packet; each iteration reads one whole file.
func report(b *testing.B, n int) {
	el := b.Elapsed().Seconds()
	b.ReportMetric(float64(n)/el, "pkts/s")
	b.ReportMetric(el*1e9/float64(n), "ns/pkt")
}

func benchNext(b *testing.B, file []byte) {
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r, err := NewReader(bytes.NewReader(file), "bench")
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, _, _, _, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	report(b, n)
}

// BenchmarkNextPcap measures Reader.Next over a pcap file.
func BenchmarkNextPcap(b *testing.B) {
	p, _ := benchFiles(b)
	benchNext(b, p)
}

// BenchmarkNextPcapng measures Reader.Next over a pcapng file.
func BenchmarkNextPcapng(b *testing.B) {
	_, ng := benchFiles(b)
	benchNext(b, ng)
}

// BenchmarkNextPcapGzip measures Reader.Next over a gzip-compressed pcap.
func BenchmarkNextPcapGzip(b *testing.B) {
	p, _ := benchFiles(b)
	benchNext(b, gz(b, p))
}

// BenchmarkPcapgoReadPacketData is the reference: gopacket's pcap reader.
func BenchmarkPcapgoReadPacketData(b *testing.B) {
	p, _ := benchFiles(b)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r, err := pcapgo.NewReader(bytes.NewReader(p))
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, _, err := r.ReadPacketData()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	report(b, n)
}

// BenchmarkPcapgoZeroCopy is gopacket's pcap reader on its zero-copy path.
func BenchmarkPcapgoZeroCopy(b *testing.B) {
	p, _ := benchFiles(b)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r, err := pcapgo.NewReader(bytes.NewReader(p))
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, _, err := r.ZeroCopyReadPacketData()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	report(b, n)
}

// BenchmarkPcapgoNgReadPacketData is the reference: gopacket's pcapng reader.
func BenchmarkPcapgoNgReadPacketData(b *testing.B) {
	_, ng := benchFiles(b)
	b.SetBytes(int64(len(ng)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		r, err := pcapgo.NewNgReader(bytes.NewReader(ng), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, _, err := r.ReadPacketData()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	}
	report(b, n)
}
