package synth

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/honeyscope/honeyscope/internal/classify"
)

func TestWriteFileAndTruthJSON(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "radiation.pcap")
	cfg := Config{Packets: 8000, Days: 2, Seed: 9, Pool: newPool(), Spikes: []Spike{{Country: "IT", Date: time.Date(2026, 5, 2, 0, 0, 0, 0, time.UTC), Factor: 3}}}
	tr, err := WriteFile(path, cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"seed", "packets", "start", "days", "sensor_net", "by_day_class", "by_day_class_country", "by_class_port", "spikes"} {
		if _, ok := m[k]; !ok {
			t.Errorf("truth JSON lacks %q", k)
		}
	}
	if m["start"] != "2026-05-01" || m["sensor_net"] != "192.0.2.0/24" || m["packets"] != float64(8000) {
		t.Errorf("truth header: start %v sensor_net %v packets %v", m["start"], m["sensor_net"], m["packets"])
	}
	back, err := ReadTruth(path + ".truth.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Spikes) != 1 || back.Spikes[0] != (SpikeTruth{"IT", "2026-05-02", 3}) {
		t.Errorf("spikes in truth: %+v", back.Spikes)
	}
	if len(back.ByDayClassCountry) != len(tr.ByDayClassCountry) || back.ByDayClassCountry[0] != tr.ByDayClassCountry[0] {
		t.Error("truth read back differs from the returned truth")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mem, _ := writeBuf(t, cfg)
	if !bytes.Equal(data, mem) {
		t.Error("WriteFile and Write wrote different bytes")
	}
}

func TestPcapng(t *testing.T) {
	cfg := Config{Packets: 5000, Days: 2, Seed: 11, Pool: newPool()}
	pcap, t1 := writeBuf(t, cfg)
	cfg.Format = "pcapng"
	ng, t2 := writeBuf(t, cfg)
	t2.Format = t1.Format
	if !equalJSON(t1, t2) {
		t.Error("pcap and pcapng truths differ")
	}
	pr, err := pcapgo.NewReader(bytes.NewReader(pcap))
	if err != nil {
		t.Fatal(err)
	}
	nr, err := pcapgo.NewNgReader(bytes.NewReader(ng), pcapgo.DefaultNgReaderOptions)
	if err != nil {
		t.Fatal(err)
	}
	if nr.LinkType() != 1 {
		t.Errorf("pcapng link type %v", nr.LinkType())
	}
	n := 0
	for {
		a, ca, err1 := pr.ReadPacketData()
		b, cb, err2 := nr.ReadPacketData()
		if err1 == io.EOF || err2 == io.EOF {
			if err1 != err2 {
				t.Fatalf("after %d packets: pcap %v, pcapng %v", n, err1, err2)
			}
			break
		}
		if err1 != nil || err2 != nil {
			t.Fatalf("packet %d: %v / %v", n, err1, err2)
		}
		if !bytes.Equal(a, b) || !ca.Timestamp.Equal(cb.Timestamp) || ca.Length != cb.Length {
			t.Fatalf("packet %d differs between pcap and pcapng", n)
		}
		n++
	}
	if n != cfg.Packets {
		t.Errorf("pcapng holds %d packets, want %d", n, cfg.Packets)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// countryDay returns packets and sources of class/country on day.
func countryDay(tr *Truth, day, class, cc string) (uint64, uint64) {
	for _, e := range tr.ByDayClassCountry {
		if e.Day == day && e.Class == class && e.Country == cc {
			return e.Packets, e.Sources
		}
	}
	return 0, 0
}

func TestSpikeVisible(t *testing.T) {
	tests := []struct {
		cc     string
		day    int
		factor float64
	}{
		{"IT", 3, 12}, // a tail country
		{"BR", 1, 4},  // a heavy country
		{"JP", 5, 0.2},
	}
	for _, tc := range tests {
		t.Run(tc.cc, func(t *testing.T) {
			base := Config{Packets: 100000, Days: 7, Seed: 21, Pool: newPool()}
			_, plain := writeBuf(t, base)
			base.Spikes = []Spike{{Country: tc.cc, Day: tc.day, Factor: tc.factor}}
			_, spiked := writeBuf(t, base)
			day := dayString(DefaultStart, tc.day)
			p0, s0 := countryDay(plain, day, "access", tc.cc)
			p1, s1 := countryDay(spiked, day, "access", tc.cc)
			ratio := float64(p1) / float64(p0)
			t.Logf("%s on %s: %d -> %d packets (x%.2f), %d -> %d sources", tc.cc, day, p0, p1, ratio, s0, s1)
			if p0 == 0 || ratio < tc.factor/2 || ratio > tc.factor*2 {
				t.Errorf("packets went from %d to %d (x%.2f), want about x%v", p0, p1, ratio, tc.factor)
			}
			if tc.factor > 1 && s1 <= s0 {
				t.Errorf("sources went from %d to %d, want more", s0, s1)
			}
			// Other days of the country barely move.
			other := dayString(DefaultStart, (tc.day+2)%7)
			q0, _ := countryDay(plain, other, "access", tc.cc)
			q1, _ := countryDay(spiked, other, "access", tc.cc)
			if r := float64(q1) / float64(q0); q0 == 0 || r < 0.5 || r > 1.5 {
				t.Errorf("%s on an unspiked day went from %d to %d", tc.cc, q0, q1)
			}
		})
	}
}

// TestRealism checks the shape of the traffic against the facts it imitates.
func TestRealism(t *testing.T) {
	pool := newPool()
	cfg := Config{Packets: 150000, Days: 7, Seed: 5, Pool: pool}
	data, tr := writeBuf(t, cfg)
	norm, _ := cfg.normalize()
	var (
		miraiPk, mirai23, mirai2323, v6 int
		miraiSport                      = map[netip.Addr]map[uint16]bool{}
		miraiTTLOK                      = true
		jp                              = map[netip.Addr]bool{}
		hours                           [24]int
		fpTags                          = map[netip.Addr]classify.Tags{} // fingerprint classes seen per source
		allTags                         = map[netip.Addr]classify.Tags{} // classes every packet of the source had
		overlap                         int
	)
	fp := classify.Mirai.Bit() | classify.ZMap.Bit() | classify.Masscan.Bit() | classify.Backscatter.Bit()
	rederive(t, data, norm, &pool.fakePool, func(p parsed) {
		if !p.src.Is4() {
			v6++
		}
		if x := p.tags & fp; x&(x-1) != 0 {
			overlap++
		}
		if prev, ok := allTags[p.src]; ok {
			allTags[p.src] = prev & p.tags
		} else {
			allTags[p.src] = p.tags
		}
		fpTags[p.src] |= p.tags & (classify.Mirai.Bit() | classify.ZMap.Bit() | classify.Masscan.Bit())
		if p.tags.Has(classify.Mirai) {
			miraiPk++
			switch p.port {
			case 23:
				mirai23++
			case 2323:
				mirai2323++
			}
			if miraiSport[p.src] == nil {
				miraiSport[p.src] = map[uint16]bool{}
			}
			miraiSport[p.src][p.sport] = true
			if p.ttl > 64 || p.ttl < 30 || p.sport < 1024 {
				miraiTTLOK = false
			}
			if pool.country(p.src) == "JP" {
				jp[p.src] = true
			}
		}
	})
	if overlap != 0 {
		t.Errorf("%d packets carry two fingerprint classes", overlap)
	}
	// A source with any Mirai/ZMap/masscan packet sends nothing else: no
	// other sender matches a fingerprint by accident.
	for a, fpt := range fpTags {
		if fpt != 0 && allTags[a]&fpt != fpt {
			t.Errorf("source %s has fingerprint classes %b on some packets only", a, fpt)
		}
	}
	// diurnal shape from the truth is not per hour; use a second pass on timestamps
	rr, _ := pcapgo.NewReader(bytes.NewReader(data))
	for {
		_, ci, err := rr.ReadPacketData()
		if err != nil {
			break
		}
		hours[ci.Timestamp.UTC().Hour()]++
	}
	share := func(x int) float64 { return float64(x) / float64(cfg.Packets) }
	if s := share(miraiPk); s < 0.3 || s > 0.55 {
		t.Errorf("mirai share %.3f, want the largest group (0.3..0.55)", s)
	}
	if f := float64(mirai23) / float64(mirai23+mirai2323); f < 0.85 || f > 0.95 {
		t.Errorf("23/TCP is %.3f of Mirai 23+2323, want ~0.9", f)
	}
	for a, ports := range miraiSport {
		if len(ports) != 1 {
			t.Errorf("mirai bot %s used %d source ports, want 1", a, len(ports))
			break
		}
	}
	if !miraiTTLOK {
		t.Error("mirai TTL above 64 or source port below 1024")
	}
	if len(jp) == 0 || len(jp) > len(miraiSport)/20 {
		t.Errorf("%d JP Mirai sources of %d, want a few", len(jp), len(miraiSport))
	}
	if s := share(v6); s < 0.005 || s > 0.02 {
		t.Errorf("IPv6 share %.4f, want ~0.01", s)
	}
	if hours[14] <= hours[2] {
		t.Errorf("no diurnal pattern: %d packets at 14h, %d at 2h", hours[14], hours[2])
	}
	// Every class is present; zmap/masscan have few sources, mirai many.
	sources := map[string]uint64{}
	for _, e := range tr.ByDayClass {
		sources[e.Class] += e.Sources
	}
	for _, c := range classify.Names() {
		if sources[c] == 0 && c != classify.Intrusion.String() { // honeypot sessions: never in a capture
			t.Errorf("class %s missing", c)
		}
	}
	if sources["zmap"]*10 > sources["mirai"] || sources["masscan"]*10 > sources["mirai"] {
		t.Errorf("scanner sources %d/%d not few next to %d Mirai", sources["zmap"], sources["masscan"], sources["mirai"])
	}
	// Countries: a long tail beyond the heavy ones.
	ccs := map[string]bool{}
	for _, e := range tr.ByDayClassCountry {
		ccs[e.Country] = true
	}
	if len(ccs) < len(testCountries)*3/4 {
		t.Errorf("only %d of %d countries appear", len(ccs), len(testCountries))
	}
}

func TestSmallAndEmpty(t *testing.T) {
	data, tr := writeBuf(t, Config{Packets: 0, Pool: newPool()})
	if len(data) != 24 || len(tr.ByDayClass) != 0 {
		t.Errorf("empty capture: %d bytes, %d truth rows", len(data), len(tr.ByDayClass))
	}
	data, _ = writeBuf(t, Config{Packets: 0, Pool: newPool(), Format: "pcapng"})
	if _, err := pcapgo.NewNgReader(bytes.NewReader(data), pcapgo.DefaultNgReaderOptions); err != nil {
		t.Errorf("empty pcapng unreadable: %v", err)
	}
	var calls, lastDone int
	_, _ = writeBuf(t, Config{Packets: 70000, Days: 1, Pool: newPool(), Progress: func(d int) { calls++; lastDone = d }})
	if calls < 2 || lastDone != 70000 {
		t.Errorf("progress called %d times, last %d", calls, lastDone)
	}
}

func TestConfigErrors(t *testing.T) {
	pool := newPool()
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no pool", Config{Packets: 1}, "Pool is required"},
		{"negative packets", Config{Packets: -1, Pool: pool}, "negative"},
		{"bad days", Config{Packets: 1, Days: -2, Pool: pool}, "days"},
		{"bad format", Config{Packets: 1, Format: "erf", Pool: pool}, "format"},
		{"v6 sensor net", Config{Packets: 1, SensorNet: netip.MustParsePrefix("2001:db8::/64"), Pool: pool}, "IPv4 prefix"},
		{"short sensor net", Config{Packets: 1, SensorNet: netip.MustParsePrefix("10.0.0.0/4"), Pool: pool}, "IPv4 prefix"},
		{"v4 sensor net6", Config{Packets: 1, SensorNet6: netip.MustParsePrefix("192.0.2.0/24"), Pool: pool}, "IPv6 prefix"},
		{"spike day", Config{Packets: 1, Days: 3, Spikes: []Spike{{Country: "IT", Day: 3, Factor: 2}}, Pool: pool}, "outside"},
		{"spike date", Config{Packets: 1, Days: 3, Spikes: []Spike{{Country: "IT", Date: time.Date(2026, 4, 30, 0, 0, 0, 0, time.UTC), Factor: 2}}, Pool: pool}, "outside"},
		{"spike factor", Config{Packets: 1, Spikes: []Spike{{Country: "IT", Factor: math.NaN()}}, Pool: pool}, "factor"},
		{"spike country", Config{Packets: 10, Spikes: []Spike{{Country: "XX", Factor: 2}}, Pool: pool}, "not in the address pool"},
		{"start before 1970", Config{Packets: 1, Start: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), Pool: pool}, "1970"},
		{"start after 2106", Config{Packets: 1, Start: time.Date(2106, 2, 1, 0, 0, 0, 0, time.UTC), Pool: pool}, "1970"},
		{"empty pool", Config{Packets: 10, Pool: &fakePool{}}, "no countries"},
		{"pool without addresses", Config{Packets: 10, Pool: nilPool{}}, "no usable source"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Write(io.Discard, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

type nilPool struct{}

func (nilPool) Countries() []string                    { return []string{"US"} }
func (nilPool) Addr(string, uint64) (netip.Addr, bool) { return netip.Addr{}, false }

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, os.ErrClosed
	}
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	_, err := Write(&failWriter{n: 3 << 20}, Config{Packets: 200000, Days: 1, Pool: newPool()})
	if err == nil {
		t.Fatal("no error from a failing writer")
	}
}

func TestPayloads(t *testing.T) {
	for _, hostile := range []bool{false, true} {
		testPayloads(t, buildPayloads(hostile))
	}
}

func testPayloads(t *testing.T, pl *payloadSet) {
	// Words an exploit rule might key on; benign payloads must hold none.
	risky := []string{"busybox", "wget", "curl", "tftp", "/tmp", "chmod", "jndi", "${", "() {", "/bin/", "cgi-bin",
		"shell", "GponForm", "ctrlt", "../", "cmd=", "setup.cgi", "HNAP1", "passwd", "/etc/"}
	buf := make([]byte, 4096)
	nExploit := 0
	for _, tm := range pl.all {
		n := tm.put(buf, 0xc0000263)
		p := buf[:n]
		if bytes.Contains(p, []byte("{HOST}")) {
			t.Errorf("unreplaced marker in %q", p)
		}
		if tm.exploit {
			nExploit++
			if !isExploit(p) {
				t.Errorf("exploit payload without a pattern: %q", p)
			}
			continue
		}
		for _, w := range risky {
			if bytes.Contains(bytes.ToLower(p), bytes.ToLower([]byte(w))) {
				t.Errorf("benign payload contains %q: %q", w, p)
			}
		}
	}
	if nExploit < numExploits {
		t.Errorf("%d exploit templates", nExploit)
	}
	if n := pl.http[exJAWS][0].put(buf, 0xc0000263); !bytes.Contains(buf[:n], []byte("Host: 192.0.2.99:80\r\n")) {
		t.Errorf("host not substituted: %q", buf[:n])
	}
}

func TestParseSpike(t *testing.T) {
	tests := []struct {
		in      string
		want    Spike
		wantErr bool
	}{
		{"IT:21:12", Spike{Country: "IT", Day: 21, Factor: 12}, false},
		{" it:0:1.5 ", Spike{Country: "IT", Day: 0, Factor: 1.5}, false},
		{"ID:2026-04-13:3", Spike{Country: "ID", Date: time.Date(2026, 4, 13, 0, 0, 0, 0, time.UTC), Factor: 3}, false},
		{"FR:4:0.5", Spike{Country: "FR", Day: 4, Factor: 0.5}, false},
		{"IT:21", Spike{}, true},
		{"IT:21:12:1", Spike{}, true},
		{"ITA:21:12", Spike{}, true},
		{"I1:21:12", Spike{}, true},
		{"IT:-1:12", Spike{}, true},
		{"IT:x:12", Spike{}, true},
		{"IT:2026-13-01:12", Spike{}, true},
		{"IT:21:0", Spike{}, true},
		{"IT:21:-3", Spike{}, true},
		{"IT:21:NaN", Spike{}, true},
		{"IT:21:Inf", Spike{}, true},
		{"", Spike{}, true},
	}
	for _, tc := range tests {
		got, err := ParseSpike(tc.in)
		if (err != nil) != tc.wantErr {
			t.Errorf("ParseSpike(%q) error %v, want error %v", tc.in, err, tc.wantErr)
			continue
		}
		if !tc.wantErr && (got.Country != tc.want.Country || got.Day != tc.want.Day || !got.Date.Equal(tc.want.Date) || got.Factor != tc.want.Factor) {
			t.Errorf("ParseSpike(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func FuzzParseSpike(f *testing.F) {
	for _, s := range []string{"IT:21:12", "ID:2026-04-13:3", "::", "a:b:c", "IT:99999999999999999999:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sp, err := ParseSpike(s)
		if err != nil {
			return
		}
		if !validCountry(sp.Country) || !(sp.Factor > 0) || math.IsInf(sp.Factor, 0) || sp.Day < 0 {
			t.Errorf("ParseSpike(%q) accepted %+v", s, sp)
		}
	})
}

func TestWriteAllocs(t *testing.T) {
	g, err := newGen(Config{Packets: 1000, Days: 1, Pool: newPool(), Format: "pcap", SensorNet: DefaultSensorNet, SensorNet6: DefaultSensorNet6, Start: DefaultStart})
	if err != nil {
		t.Fatal(err)
	}
	g.bw = bufioDiscard()
	g.cnt.keys = make([]uint64, 0, 1<<20)
	i := 0
	allocs := testing.AllocsPerRun(5000, func() {
		if err := g.emit(i % len(g.srcs)); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Errorf("%v allocations per packet", allocs)
	}
}

func BenchmarkWrite(b *testing.B) {
	for _, format := range []string{"pcap", "pcapng"} {
		b.Run(format, func(b *testing.B) {
			cfg := Config{Packets: 1000000, Days: 7, Pool: newPool(), Format: format}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				cfg.Seed = uint64(i)
				if _, err := Write(io.Discard, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cfg.Packets)*float64(b.N)/b.Elapsed().Seconds(), "packets/s")
		})
	}
}

func TestSortUnique(t *testing.T) {
	r := rng{s: 1}
	for _, n := range []int{0, 1, 5, 255, 256, 1000, 100000} {
		k := make([]uint64, n)
		for i := range k {
			switch i % 3 {
			case 0:
				k[i] = r.next()
			case 1:
				k[i] = uint64(r.intn(8))<<52 | uint64(r.intn(4))<<50 | uint64(r.intn(100))<<32 | uint64(r.intn(50))
			default:
				if i > 0 {
					k[i] = k[i-1] // duplicates
				}
			}
		}
		want := slices.Clone(k)
		slices.Sort(want)
		want = slices.Compact(want)
		got := sortUnique(k)
		if !slices.Equal(got, want) {
			t.Errorf("n=%d: radix sort differs from slices.Sort", n)
		}
	}
}
