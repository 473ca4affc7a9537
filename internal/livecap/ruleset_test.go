package livecap

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/daemon"
)

// TestIntervalsRecordRuleSet: every committed interval names the rule set
// of Dependencies.RuleSet in its ingest log (0 without one).
func TestIntervalsRecordRuleSet(t *testing.T) {
	for _, id := range []int32{0, 42} {
		src := newFakeSource()
		st := &fakeStore{loc: time.UTC, done: make(chan error, 10)}
		clk := &clock{t: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
		c, err := New(daemon.NewReporter(nil), Configuration{
			Interfaces:     []Interface{{Name: "veth0", Sensor: "s", SensorNets: []string{"192.0.2.10"}}},
			CommitInterval: 7 * time.Second,
		}, Dependencies{Store: st, Now: clk.now, RuleSet: id, Open: func(Interface, int, int, Configuration) (Source, error) { return src, nil }})
		if err != nil {
			t.Fatal(err)
		}
		c.tick = make(chan struct{})
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		m := trafficTo(netip.MustParseAddr("192.0.2.10"), netip.MustParseAddr("2001:db8::10"), 1)
		src.feed(t, clk.now(), m.frames...)
		c.tick <- struct{}{}
		<-st.done
		clk.set(clk.now().Add(3 * time.Second))
		src.feed(t, clk.now(), m.frames[:1]...)
		if err := c.Stop(context.Background()); err != nil {
			t.Fatal(err)
		}
		<-st.done
		if len(st.batches) != 2 {
			t.Fatalf("rule set %d: %d intervals committed, want 2", id, len(st.batches))
		}
		for i, b := range st.batches {
			if b.Ingest.RuleSet != id || b.Ingest.Packets == 0 {
				t.Errorf("interval %d: rule set %d (%d packets), want %d", i, b.Ingest.RuleSet, b.Ingest.Packets, id)
			}
		}
	}
}
