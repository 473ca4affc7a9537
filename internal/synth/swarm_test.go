package synth

import (
	"bytes"
	"crypto/sha256"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// Size makes the test pools usable with Config.Sources.
func (p *fakePool) Size(c string) uint64 {
	if _, ok := p.index(c); !ok {
		return 0
	}
	if p.size == 0 {
		return 1 << 24
	}
	return p.size
}

// TestSwarmTruth writes captures with a swarm and checks their truth
// against the packets read back, and the distinct sources against
// Config.Sources.
func TestSwarmTruth(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"one day", Config{Packets: 60000, Days: 1, Seed: 1, Sources: 20000, Pool: newPool()}},
		{"three days, three ports", Config{Packets: 80000, Days: 3, Seed: 2, Sources: 15000, PortsPerSource: 3, Pool: newPool()}},
		{"swarm only", Config{Packets: 30000, Days: 2, Seed: 3, Sources: 30000, Pool: newPool()}},
		{"all ports", Config{Packets: 40000, Days: 1, Seed: 4, Sources: 2000, PortsPerSource: MaxPortsPerSource, Pool: newPool()}},
		// Each country's third is 3333 addresses: the heavy countries fill
		// up and the rest goes elsewhere.
		{"small pool", Config{Packets: 60000, Days: 1, Seed: 5, Sources: 40000, Pool: &fakePool{cc: testCountries, size: 10000}}},
		// The sensor net inside a country's block: its addresses are
		// replaced by others of the country.
		{"sensor net in the pool", Config{Packets: 40000, Days: 1, Seed: 6, Sources: 30000, Pool: &fakePool{cc: testCountries[:3], size: 1 << 16},
			SensorNet: netip.MustParsePrefix("11.0.77.0/24")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, tr := writeBuf(t, tc.cfg)
			cfg, err := tc.cfg.normalize()
			if err != nil {
				t.Fatal(err)
			}
			var pool *fakePool
			switch p := tc.cfg.Pool.(type) {
			case *fakePool6:
				pool = &p.fakePool
			case *fakePool:
				pool = p
			}
			srcs := map[netip.Addr]bool{}
			ports := map[netip.Addr]map[uint16]bool{}
			got := rederive(t, data, cfg, pool, func(p parsed) {
				srcs[p.src] = true
				if cfg.SensorNet.Contains(p.src) {
					t.Fatalf("source %s in the sensor net", p.src)
				}
				if ports[p.src] == nil {
					ports[p.src] = map[uint16]bool{}
				}
				ports[p.src][p.port] = true
			})
			if got.Packets != tc.cfg.Packets || tr.Packets != tc.cfg.Packets {
				t.Errorf("file holds %d packets, truth %d, want %d", got.Packets, tr.Packets, tc.cfg.Packets)
			}
			diffSlices(t, "by_day_class", tr.ByDayClass, got.ByDayClass)
			diffSlices(t, "by_day_class_country", tr.ByDayClassCountry, got.ByDayClassCountry)
			diffSlices(t, "by_class_port", tr.ByClassPort, got.ByClassPort)
			if uint64(len(srcs)) != tr.Sources {
				t.Errorf("file holds %d distinct sources, truth %d", len(srcs), tr.Sources)
			}
			if tr.Sources != uint64(tc.cfg.Sources) {
				t.Errorf("truth has %d sources, asked for %d", tr.Sources, tc.cfg.Sources)
			}
			if tr.SwarmSources == 0 || tr.SwarmSources > tr.Sources || tr.PortsPerSource != cfg.PortsPerSource {
				t.Errorf("swarm sources %d of %d, ports %d", tr.SwarmSources, tr.Sources, tr.PortsPerSource)
			}
			// Exactly PortsPerSource ports for as many sources as the swarm has.
			k := 0
			for _, ps := range ports {
				if len(ps) == cfg.PortsPerSource {
					k++
				}
			}
			if uint64(k) < tr.SwarmSources {
				t.Errorf("%d sources probe %d ports, the swarm has %d", k, cfg.PortsPerSource, tr.SwarmSources)
			}
		})
	}
}

func TestSwarmDeterminism(t *testing.T) {
	base := Config{Packets: 30000, Days: 2, Seed: 7, Sources: 12000, PortsPerSource: 2, Pool: newPool()}
	a, ta := writeBuf(t, base)
	b, tb := writeBuf(t, base)
	if sha256.Sum256(a) != sha256.Sum256(b) || !reflect.DeepEqual(ta, tb) {
		t.Fatal("same seed gave different bytes or truth")
	}
	other := base
	other.Seed = 8
	if c, _ := writeBuf(t, other); bytes.Equal(a, c) {
		t.Fatal("different seeds gave identical bytes")
	}
}

func TestSwarmConfigErrors(t *testing.T) {
	sp, _ := ParseSpike("DE:0:3")
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Packets: 1000, Sources: 2000, Pool: newPool()}, "need at least 2000 packets"},
		{Config{Packets: 1000, Sources: 400, PortsPerSource: 3, Pool: newPool()}, "need at least 1200 packets"},
		{Config{Packets: 1000, Sources: 10, PortsPerSource: MaxPortsPerSource + 1, Pool: newPool()}, "out of range"},
		{Config{Packets: 1000, PortsPerSource: 2, Pool: newPool()}, "ports per source needs sources"},
		{Config{Packets: 1000, Sources: -1, Pool: newPool()}, "want a positive number"},
		{Config{Packets: 1000, Sources: 10, Pool: newPool(), Spikes: []Spike{sp}}, "cannot be combined"},
		{Config{Packets: 1000, Sources: 10, Pool: noSize{newPool()}}, "AddrPoolSize"},
		// Fewer sources than the other traffic has.
		{Config{Packets: 200000, Days: 1, Sources: 10, Pool: newPool()}, "ask for more sources"},
		// More than a third of the pool.
		{Config{Packets: 100000, Days: 1, Sources: 90000, Pool: &fakePool{cc: testCountries[:2], size: 100000}}, "room for fewer sources"},
	} {
		_, err := Write(bufioDiscard(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc.cfg, err, tc.want)
		}
		if tc.want != "ask for more sources" && tc.want != "room for fewer sources" {
			if err := tc.cfg.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check %+v: error %v, want %q", tc.cfg, err, tc.want)
			}
		}
	}
}

// noSize hides a pool's Size.
type noSize struct{ p *fakePool6 }

func (n noSize) Countries() []string                        { return n.p.Countries() }
func (n noSize) Addr(c string, k uint64) (netip.Addr, bool) { return n.p.Addr(c, k) }

func TestPerm(t *testing.T) {
	for _, n := range []uint64{1, 2, 3, 17, 1000, 1 << 12, 65537} {
		p := newPerm(n, n*3)
		seen := make([]bool, n)
		for x := range n {
			y := p.at(x)
			if y >= n || seen[y] {
				t.Fatalf("n %d: %d maps to %d, out of range or twice", n, x, y)
			}
			seen[y] = true
		}
	}
}
