package livecap

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/backfill"
	"github.com/honeyscope/honeyscope/internal/classify/exploitcases"
	"github.com/honeyscope/honeyscope/internal/daemon"
	"github.com/honeyscope/honeyscope/internal/ruleset"
	"github.com/honeyscope/honeyscope/internal/store"
	"github.com/honeyscope/honeyscope/internal/store/duckstore"
)

// payloadFrame is synFrame carrying payload, flags PSH|ACK (IPv4 only).
func payloadFrame(src, dst netip.Addr, dport uint16, payload []byte) []byte {
	f := append(synFrame(src, dst, dport, 1, 1), payload...)
	ip := f[14:34]
	binary.BigEndian.PutUint16(ip[2:], uint16(40+len(payload)))
	ip[10], ip[11] = 0, 0
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	f[14+20+13] = 0x18
	return f
}

// TestIntervalsKeepEvidence: live capture into a store file, with two
// workers sharing the traffic, keeps the payloads it classified as
// evidence: every payload packet is in it, and the built-in rules
// backfilled over it give exactly the exploit counts the capture
// classified.
func TestIntervalsKeepEvidence(t *testing.T) {
	ctx := context.Background()
	st, err := duckstore.Open(ctx, filepath.Join(t.TempDir(), "live.duckdb"), duckstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rulesB, err := ruleset.Builtin() // as serve classifies without rules given
	if err != nil {
		t.Fatal(err)
	}
	src := newFakeSource()
	clk := &clock{t: time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)}
	c, err := New(daemon.NewReporter(nil), Configuration{
		Interfaces:     []Interface{{Name: "veth0", Sensor: "s", SensorNets: []string{"192.0.2.10"}}},
		CommitInterval: 7 * time.Second, Workers: 2,
	}, Dependencies{Store: st, Now: clk.now, Exploits: rulesB, Open: func(Interface, int, int, Configuration) (Source, error) { return src, nil }})
	if err != nil {
		t.Fatal(err)
	}
	c.tick = make(chan struct{})
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	dst := netip.MustParseAddr("192.0.2.10")
	var frames [][]byte
	payloads := 0
	for i, k := range exploitcases.Cases() {
		if len(k.Payload) == 0 {
			continue
		}
		payloads++
		for r := 0; r < 1+i%3; r++ {
			s := netip.AddrFrom4([4]byte{198, 51, 100, byte(1 + (i+r)%5)})
			frames = append(frames, payloadFrame(s, dst, uint16(80+i%2), k.Payload))
		}
	}
	half := len(frames) / 2
	src.feed(t, clk.now(), frames[:half]...)
	clk.set(clk.now().Add(3 * time.Second))
	c.tick <- struct{}{}
	src.feed(t, clk.now(), frames[half:]...)
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}

	days, err := st.EvidenceDays(ctx, store.EvidenceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 1 || days[0].Packets != uint64(len(frames)) || days[0].Payloads != payloads {
		t.Fatalf("evidence %+v: want %d packets of %d payloads", days, len(frames), payloads)
	}
	res, err := backfill.Run(ctx, st, store.RuleSet{ID: store.BuiltinRuleSet, Name: "builtin"}, store.EvidenceQuery{}, nil)
	if err != nil || res.Uncovered != 0 || res.Dropped != 0 {
		t.Fatalf("backfill: %+v %v", res, err)
	}
	count := func(id int32) map[string]uint64 {
		rows, err := st.Stats(ctx, store.StatsQuery{By: []string{"day", "src", "port", "pattern"}, Classes: []string{"exploit"}, RuleSet: id})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]uint64{}
		for _, r := range rows {
			out[fmt.Sprint(r.Keys...)] += r.Packets
		}
		return out
	}
	live, filled := count(0), count(store.BuiltinRuleSet)
	if len(live) == 0 || !reflect.DeepEqual(live, filled) {
		t.Fatalf("exploit counts of the live capture\n%v\nbackfilled from its evidence\n%v", live, filled)
	}
}
