package infra

import (
	"fmt"
	"math"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/forcelayout"
)

// benchResolutions makes n names over 600 name servers (two per zone,
// zones of 1 to 20 names, popularity skewed as hosting is), a tenth of
// them served by a CDN.
func benchResolutions(n int) []Resolution {
	const servers = 600
	rs := make([]Resolution, 0, n)
	x := uint64(1)
	rnd := func() float64 {
		x = x*6364136223846793005 + 1442695040888963407
		return float64(x>>11) / (1 << 53)
	}
	for z := 0; len(rs) < n; z++ {
		s := int(math.Pow(rnd(), 3) * servers)
		ns := []string{fmt.Sprintf("ns%d.host%d.test", 1, s), fmt.Sprintf("ns%d.host%d.test", 2, s)}
		k := 1 + int(rnd()*20)
		for i := 0; i < k && len(rs) < n; i++ {
			r := Resolution{Name: fmt.Sprintf("h%d.zone%d.test", i, z), Zone: fmt.Sprintf("zone%d.test", z), NS: ns,
				Addrs: []Address{{Addr: netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})}}}
			if rnd() < 0.1 {
				r.CDN, r.CDNBy = []string{"Akamai", "Fastly", "Cloudflare", "Amazon CloudFront"}[i%4], "cname"
			}
			rs = append(rs, r)
		}
	}
	return rs
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkGraph10k times the graph of 10,000 names from resolutions to
// SVG and PNG, each stage reported in CPU seconds (the machine may be
// shared; wall time is ns/op).
func BenchmarkGraph10k(b *testing.B) {
	rs := benchResolutions(10000)
	var build, layout, svg, png time.Duration
	for range b.N {
		c0 := cpuTime()
		g := BuildGraph(rs)
		c1 := cpuTime()
		g.Layout(forcelayout.Options{Seed: 1})
		c2 := cpuTime()
		ch := g.Chart(ChartOptions{Width: 1400, Height: 1000})
		_ = ch.SVG()
		c3 := cpuTime()
		if _, err := ch.PNG(1); err != nil {
			b.Fatal(err)
		}
		c4 := cpuTime()
		build, layout, svg, png = build+c1-c0, layout+c2-c1, svg+c3-c2, png+c4-c3
	}
	n := float64(b.N)
	b.ReportMetric(build.Seconds()/n, "build-cpu-s")
	b.ReportMetric(layout.Seconds()/n, "layout-cpu-s")
	b.ReportMetric(svg.Seconds()/n, "svg-cpu-s")
	b.ReportMetric(png.Seconds()/n, "png-cpu-s")
}
