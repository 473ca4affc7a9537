package livecap

import (
	"net/netip"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/daemon"
)

// pipelineWorker returns a worker counting into a fresh aggregator, as a
// capture socket's goroutine does, and frames to feed it.
func pipelineWorker(tb testing.TB) (*worker, [][]byte) {
	c, err := New(daemon.NewReporter(nil), Configuration{
		Interfaces: []Interface{{Name: "eth0", SensorNets: []string{"192.0.2.0/24", "2001:db8::/64"}}},
	}, Dependencies{Store: &fakeStore{loc: time.UTC}})
	if err != nil {
		tb.Fatal(err)
	}
	m := trafficTo(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("2001:db8::1"), 64)
	return newWorker(c, c.ifcs[0], newFakeSource(), time.UTC), m.frames
}

// TestNoAllocs: counting a packet allocates nothing once its source is known.
func TestNoAllocs(t *testing.T) {
	w, frames := pipelineWorker(t)
	ts := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	for _, f := range frames {
		w.add(f, ts)
	}
	i := 0
	if n := testing.AllocsPerRun(1000, func() {
		w.add(frames[i%len(frames)], ts+int64(i))
		i++
	}); n != 0 {
		t.Errorf("%v allocations per packet", n)
	}
	if w.cnt.inbound == 0 || w.cnt.undecodable != 0 {
		t.Errorf("counted %+v", w.cnt)
	}
}

// BenchmarkPipeline is the per-packet work of the live path: decode, the
// sensor's address check, classify, aggregate.
func BenchmarkPipeline(b *testing.B) {
	w, frames := pipelineWorker(b)
	ts := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		w.add(frames[i%len(frames)], ts+int64(i))
	}
}
