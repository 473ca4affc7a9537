package synth

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
	"github.com/honeyscope/honeyscope/internal/classify"
)

// fakePool gives country k the IPv4 block (11+k).0.0.0/8 and the IPv6
// block 2400:k::/32, so a test can map an address back to its country.
type fakePool struct {
	cc   []string
	no6  bool
	size uint64 // addresses per country (0: 1<<24)
}

var testCountries = strings.Fields("AR BD BG BR CA CN CO DE EG FR GB HK ID IN IR IT JP KR MX MY NL PH PK RO RU SG TH TR TW UA US VN CL PE ZA NG KE MA PL CZ")

func (p *fakePool) Countries() []string { return p.cc }

func (p *fakePool) index(c string) (int, bool) {
	i := slices.Index(p.cc, c)
	return i, i >= 0
}

func (p *fakePool) Addr(c string, n uint64) (netip.Addr, bool) {
	k, ok := p.index(c)
	if !ok {
		return netip.Addr{}, false
	}
	size := p.size
	if size == 0 {
		size = 1 << 24
	}
	n %= size
	return netip.AddrFrom4([4]byte{byte(11 + k), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

type fakePool6 struct{ fakePool }

func (p *fakePool6) Addr6(c string, n uint64) (netip.Addr, bool) {
	k, ok := p.index(c)
	if !ok {
		return netip.Addr{}, false
	}
	var a [16]byte
	a[0], a[1], a[3] = 0x24, 0x00, byte(k)
	binary.BigEndian.PutUint64(a[8:], n)
	return netip.AddrFrom16(a), true
}

func (p *fakePool) country(a netip.Addr) string {
	if a.Is4() {
		return p.cc[a.As4()[0]-11]
	}
	return p.cc[a.As16()[3]]
}

func newPool() *fakePool6 { return &fakePool6{fakePool{cc: testCountries}} }

func writeBuf(t testing.TB, cfg Config) ([]byte, *Truth) {
	t.Helper()
	var b bytes.Buffer
	tr, err := Write(&b, cfg)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return b.Bytes(), tr
}

func TestDeterminism(t *testing.T) {
	pool := newPool()
	base := Config{Packets: 30000, Days: 3, Seed: 7, Pool: pool, Spikes: []Spike{{Country: "IT", Day: 1, Factor: 5}}}
	a, ta := writeBuf(t, base)
	b, tb := writeBuf(t, base)
	if sha256.Sum256(a) != sha256.Sum256(b) {
		t.Fatal("same seed gave different bytes")
	}
	if !reflect.DeepEqual(ta, tb) {
		t.Fatal("same seed gave different truth")
	}
	other := base
	other.Seed = 8
	c, tc := writeBuf(t, other)
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave identical bytes")
	}
	if reflect.DeepEqual(ta.ByDayClassCountry, tc.ByDayClassCountry) {
		t.Fatal("different seeds gave identical truth")
	}
}

// parsed is what the test reads back from one frame, by hand.
type parsed struct {
	day      int
	src      netip.Addr
	proto    string
	port     uint16
	tags     classify.Tags
	ttl      uint8
	sport    uint16
	tcpFlags uint8
}

var exploitPatterns = [][]byte{
	[]byte("/bin/busybox"),
	[]byte("GET /shell?cd+/tmp;wget+http://"),
	[]byte("POST /GponForm/diag_Form?images/"),
	[]byte("/ctrlt/DeviceUpgrade_1"),
	[]byte("${jndi:ldap://"),
	[]byte("() { :;};"),
}

func isExploit(p []byte) bool {
	for _, pat := range exploitPatterns {
		if bytes.Contains(p, pat) {
			return true
		}
	}
	return false
}

func csumOK(b []byte, s uint32) bool {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return s == 0xffff
}

// parseFrame decodes an Ethernet frame by the class definitions; it is
// written independently of the generator.
func parseFrame(t *testing.T, data []byte, sensor, sensor6 netip.Prefix) parsed {
	t.Helper()
	var p parsed
	if len(data) < 60 {
		t.Fatalf("frame of %d bytes, want >= 60", len(data))
	}
	et := binary.BigEndian.Uint16(data[12:])
	ip := data[14:]
	var l4 []byte
	var proto uint8
	v4 := false
	var pseudo uint32
	switch et {
	case 0x0800:
		v4 = true
		ihl := int(ip[0]&15) * 4
		tot := int(binary.BigEndian.Uint16(ip[2:]))
		if ip[0]>>4 != 4 || ihl != 20 || tot > len(ip) {
			t.Fatalf("bad IPv4 header % x", ip[:20])
		}
		if !csumOK(ip[:20], 0) {
			t.Fatal("bad IPv4 checksum")
		}
		p.src = netip.AddrFrom4([4]byte(ip[12:16]))
		dst := netip.AddrFrom4([4]byte(ip[16:20]))
		if !sensor.Contains(dst) {
			t.Fatalf("destination %s outside %s", dst, sensor)
		}
		proto, p.ttl = ip[9], ip[8]
		l4 = ip[20:tot]
		pseudo = uint32(binary.BigEndian.Uint16(ip[12:])) + uint32(binary.BigEndian.Uint16(ip[14:])) +
			uint32(binary.BigEndian.Uint16(ip[16:])) + uint32(binary.BigEndian.Uint16(ip[18:])) + uint32(proto) + uint32(len(l4))
	case 0x86dd:
		plen := int(binary.BigEndian.Uint16(ip[4:]))
		p.src = netip.AddrFrom16([16]byte(ip[8:24]))
		dst := netip.AddrFrom16([16]byte(ip[24:40]))
		if !sensor6.Contains(dst) {
			t.Fatalf("destination %s outside %s", dst, sensor6)
		}
		proto, p.ttl = ip[6], ip[7]
		l4 = ip[40 : 40+plen]
		pseudo = uint32(proto) + uint32(plen)
		for i := 8; i < 40; i += 2 {
			pseudo += uint32(binary.BigEndian.Uint16(ip[i:]))
		}
	default:
		t.Fatalf("ethertype %#x", et)
	}
	p.tags = classify.Access.Bit()
	switch proto {
	case 6:
		p.proto = "tcp"
		if !csumOK(l4, pseudo) {
			t.Fatal("bad TCP checksum")
		}
		p.sport = binary.BigEndian.Uint16(l4[0:])
		p.port = binary.BigEndian.Uint16(l4[2:])
		seq := binary.BigEndian.Uint32(l4[4:])
		flags := l4[13]
		p.tcpFlags = flags
		payload := l4[int(l4[12]>>4)*4:]
		if v4 && flags&0x12 == 0x02 {
			dst := binary.BigEndian.Uint32(ip[16:])
			id := binary.BigEndian.Uint16(ip[4:])
			if seq == dst {
				p.tags |= classify.Mirai.Bit()
			}
			if id == 54321 {
				p.tags |= classify.ZMap.Bit()
			}
			if uint32(id) == (dst^uint32(p.port)^seq)&0xffff {
				p.tags |= classify.Masscan.Bit()
			}
		}
		if flags&0x12 == 0x12 || flags&0x04 != 0 {
			p.tags |= classify.Backscatter.Bit()
		}
		if isExploit(payload) {
			p.tags |= classify.Exploit.Bit()
		}
	case 17:
		p.proto = "udp"
		if !csumOK(l4, pseudo) {
			t.Fatal("bad UDP checksum")
		}
		p.port = binary.BigEndian.Uint16(l4[2:])
	case 1:
		p.proto = "icmp"
		if !csumOK(l4, 0) {
			t.Fatal("bad ICMP checksum")
		}
		p.port = uint16(l4[0])
		if l4[0] == 0 || l4[0] == 3 || l4[0] == 11 {
			p.tags |= classify.Backscatter.Bit()
		}
	case 58:
		p.proto = "icmpv6"
		if !csumOK(l4, pseudo) {
			t.Fatal("bad ICMPv6 checksum")
		}
		p.port = uint16(l4[0])
		if l4[0] == 129 || l4[0] == 1 || l4[0] == 3 {
			p.tags |= classify.Backscatter.Bit()
		}
	default:
		t.Fatalf("protocol %d", proto)
	}
	return p
}

// rederive reads a pcap back and recomputes the truth from the packets.
func rederive(t *testing.T, data []byte, cfg Config, pool *fakePool, visit func(parsed)) *Truth {
	t.Helper()
	r, err := pcapgo.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	type dc struct {
		day   int
		class classify.Class
	}
	type dcc struct {
		dc
		cc string
	}
	type cp struct {
		class classify.Class
		proto int
		port  uint16
	}
	type cnt struct {
		pk  uint64
		src map[netip.Addr]bool
	}
	bump := func(m map[any]*cnt, k any, src netip.Addr) {
		c := m[k]
		if c == nil {
			c = &cnt{src: map[netip.Addr]bool{}}
			m[k] = c
		}
		c.pk++
		c.src[src] = true
	}
	mDC, mDCC, mCP := map[any]*cnt{}, map[any]*cnt{}, map[any]*cnt{}
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	if !cfg.Start.IsZero() {
		start = cfg.Start
	}
	protoIdx := map[string]int{"tcp": 0, "udp": 1, "icmp": 2, "icmpv6": 3}
	var last time.Time
	n := 0
	for {
		d, ci, err := r.ReadPacketData()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if ci.Timestamp.Before(last) {
			t.Fatalf("packet %d: time %v before %v", n, ci.Timestamp, last)
		}
		last = ci.Timestamp
		p := parseFrame(t, d, cmp.Or(cfg.SensorNet, DefaultSensorNet), cmp.Or(cfg.SensorNet6, DefaultSensorNet6))
		p.day = int(ci.Timestamp.Sub(start) / (24 * time.Hour))
		if p.day < 0 || p.day >= cfg.Days {
			t.Fatalf("packet %d at %v outside the days", n, ci.Timestamp)
		}
		if visit != nil {
			visit(p)
		}
		cc := pool.country(p.src)
		for c := classify.Class(0); c < classify.NumClasses; c++ {
			if p.tags.Has(c) {
				bump(mDC, dc{p.day, c}, p.src)
				bump(mDCC, dcc{dc{p.day, c}, cc}, p.src)
				bump(mCP, cp{c, protoIdx[p.proto], p.port}, p.src)
			}
		}
		n++
	}
	tr := &Truth{ByDayClass: []DayClass{}, ByDayClassCountry: []DayClassCountry{}, ByClassPort: []ClassPort{}}
	day := func(d int) string { return start.AddDate(0, 0, d).Format("2006-01-02") }
	for k, v := range mDC {
		k := k.(dc)
		tr.ByDayClass = append(tr.ByDayClass, DayClass{day(k.day), k.class.String(), v.pk, uint64(len(v.src))})
	}
	for k, v := range mDCC {
		k := k.(dcc)
		tr.ByDayClassCountry = append(tr.ByDayClassCountry, DayClassCountry{day(k.day), k.class.String(), k.cc, v.pk, uint64(len(v.src))})
	}
	for k, v := range mCP {
		k := k.(cp)
		tr.ByClassPort = append(tr.ByClassPort, ClassPort{k.class.String(), protoNames[k.proto], k.port, v.pk, uint64(len(v.src))})
	}
	ci := func(name string) int { c, _ := classify.ParseClass(name); return int(c) }
	slices.SortFunc(tr.ByDayClass, func(a, b DayClass) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(ci(a.Class), ci(b.Class)))
	})
	slices.SortFunc(tr.ByDayClassCountry, func(a, b DayClassCountry) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(ci(a.Class), ci(b.Class)), cmp.Compare(a.Country, b.Country))
	})
	slices.SortFunc(tr.ByClassPort, func(a, b ClassPort) int {
		return cmp.Or(cmp.Compare(ci(a.Class), ci(b.Class)), cmp.Compare(protoIdx[a.Proto], protoIdx[b.Proto]), cmp.Compare(a.Port, b.Port))
	})
	tr.Packets = n
	return tr
}

func diffSlices[T comparable](t *testing.T, name string, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: truth has %d entries, packets give %d", name, len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("%s[%d]: truth %+v, packets give %+v", name, i, got[i], want[i])
			return
		}
	}
}

func TestTruthMatchesPackets(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"week", Config{Packets: 60000, Days: 7, Seed: 1, Pool: newPool(), Spikes: []Spike{{Country: "IT", Day: 5, Factor: 12}}}},
		{"one day no v6", Config{Packets: 5000, Days: 1, Seed: 2, Pool: &newPool().fakePool}},
		{"tiny", Config{Packets: 3, Days: 2, Seed: 3, Pool: newPool()}},
		{"other nets", Config{Packets: 20000, Days: 3, Seed: 4, Pool: newPool(),
			SensorNet: netip.MustParsePrefix("198.18.0.0/20"), SensorNet6: netip.MustParsePrefix("2001:db8:1::/48"),
			Start: time.Date(2025, 12, 30, 15, 4, 0, 0, time.UTC)}},
		{"small pool", Config{Packets: 20000, Days: 4, Seed: 5, Pool: &fakePool{cc: []string{"CN", "US", "JP"}, size: 50}}},
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
			got := rederive(t, data, cfg, pool, nil)
			if got.Packets != tc.cfg.Packets {
				t.Errorf("file holds %d packets, want %d", got.Packets, tc.cfg.Packets)
			}
			var access uint64
			for _, e := range tr.ByDayClass {
				if e.Class == "access" {
					access += e.Packets
				}
			}
			if access != uint64(tc.cfg.Packets) {
				t.Errorf("access packets in truth sum to %d, want %d", access, tc.cfg.Packets)
			}
			diffSlices(t, "by_day_class", tr.ByDayClass, got.ByDayClass)
			diffSlices(t, "by_day_class_country", tr.ByDayClassCountry, got.ByDayClassCountry)
			diffSlices(t, "by_class_port", tr.ByClassPort, got.ByClassPort)
		})
	}
}

func bufioDiscard() *bufio.Writer { return bufio.NewWriterSize(io.Discard, 1<<20) }
