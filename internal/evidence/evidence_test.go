package evidence

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/decode"
)

func pkt(src string, port uint16, payload []byte) *decode.Packet {
	return &decode.Packet{Src: netip.MustParseAddr(src), Proto: decode.ProtoTCP, HasTransport: true, DstPort: port, Payload: payload}
}

var t0 = time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC).UnixNano()

func TestCollectorCounts(t *testing.T) {
	c := NewCollector(time.UTC, Options{MaxLen: 8})
	a, b := []byte("GET /a"), []byte("GET /b")
	long := []byte("0123456789abcdef")
	long2 := []byte("0123456789XXXXXX") // same kept bytes, another payload
	c.Add(t0, pkt("198.51.100.1", 80, a))
	c.Add(t0+1, pkt("198.51.100.1", 80, bytes.Clone(a)))
	c.Add(t0+2, pkt("198.51.100.1", 81, a))
	c.Add(t0+3, pkt("198.51.100.2", 80, b))
	c.Add(t0+24*3600e9, pkt("198.51.100.1", 80, a)) // next day
	c.Add(t0, pkt("198.51.100.3", 80, long))
	c.Add(t0, pkt("198.51.100.3", 80, long2))
	c.Add(t0, pkt("198.51.100.3", 80, long))
	c.Add(t0, pkt("198.51.100.3", 80, nil)) // not inspected
	frag := pkt("198.51.100.3", 80, a)
	frag.Frag = decode.FragLater
	c.Add(t0, frag)
	p := c.Result()
	if p.Packets != 8 || p.Kept != 8 || p.Dropped != 0 || p.Truncated != 3 {
		t.Fatalf("totals %+v", p)
	}
	if len(p.Payloads) != 4 {
		t.Fatalf("%d payloads, want 4", len(p.Payloads))
	}
	for _, q := range p.Payloads {
		var whole []byte
		switch {
		case bytes.Equal(q.Data, a):
			whole = a
		case bytes.Equal(q.Data, b):
			whole = b
		case q.Len == len(long) && q.Hash == sha256.Sum256(long):
			whole = long
		case q.Len == len(long2) && q.Hash == sha256.Sum256(long2):
			whole = long2
		default:
			t.Fatalf("unexpected payload %+v", q)
		}
		if q.Hash != sha256.Sum256(whole) || q.Len != len(whole) || !bytes.Equal(q.Data, whole[:min(len(whole), 8)]) {
			t.Fatalf("payload %+v of %q", q, whole)
		}
	}
	want := map[string]uint64{}
	for _, k := range []string{"0 198.51.100.1 80 GET /a", "0 198.51.100.1 80 GET /a", "0 198.51.100.1 81 GET /a", "0 198.51.100.2 80 GET /b",
		"1 198.51.100.1 80 GET /a", "0 198.51.100.3 80 01234567", "0 198.51.100.3 80 01234567", "0 198.51.100.3 80 01234567"} {
		want[k]++
	}
	got := map[string]uint64{}
	rows := map[string]int{}
	d0 := p.Counts[0].Day
	for _, c := range p.Counts {
		k := string(rune('0'+int(c.Day-d0))) + " " + c.Src.String() + " " + itoa(c.Port) + " " + string(p.Payloads[c.Payload].Data)
		got[k] += c.Packets
		rows[k]++
	}
	if len(got) != len(want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Fatalf("counts %v, want %v", got, want)
		}
	}
	if rows["0 198.51.100.3 80 01234567"] != 2 {
		t.Fatal("two payloads with the same kept bytes were merged")
	}
}

func itoa(n uint16) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestCollectorBounds(t *testing.T) {
	c := NewCollector(time.UTC, Options{MaxLen: 4, MaxBytes: 8, MaxCells: 3})
	c.Add(t0, pkt("198.51.100.1", 80, []byte("aaaa")))
	c.Add(t0, pkt("198.51.100.1", 80, []byte("bbbbbb"))) // 4 bytes kept: 8 in all
	c.Add(t0, pkt("198.51.100.1", 80, []byte("cccc")))   // over MaxBytes: dropped
	c.Add(t0, pkt("198.51.100.2", 80, []byte("aaaa")))   // third cell
	c.Add(t0, pkt("198.51.100.3", 80, []byte("aaaa")))   // over MaxCells: dropped
	c.Add(t0, pkt("198.51.100.1", 80, []byte("aaaa")))   // a cell held: counted
	if n, m := c.Size(); n != 2 || m != 3 {
		t.Fatalf("size %d payloads %d cells", n, m)
	}
	p := c.Result()
	if p.Packets != 6 || p.Kept != 4 || p.Dropped != 2 || p.Truncated != 1 {
		t.Fatalf("totals %+v", p)
	}
	var sum uint64
	for _, c := range p.Counts {
		sum += c.Packets
	}
	if sum != p.Kept {
		t.Fatalf("counts sum %d, kept %d", sum, p.Kept)
	}
}

func TestPort(t *testing.T) {
	p := &decode.Packet{Proto: decode.ProtoICMP, HasTransport: true, ICMPType: 8}
	if Port(p) != 8 {
		t.Fatal("ICMP: want the type")
	}
	p = &decode.Packet{Proto: decode.ProtoUDP, HasTransport: false, DstPort: 53}
	if Port(p) != 0 {
		t.Fatal("no transport header: want 0")
	}
}

// spy is an exploit matcher that records whether it was asked.
type spy struct{ asked bool }

func (s *spy) Match([]byte) int             { s.asked = true; return -1 }
func (s *spy) Pattern(int) (string, string) { return "", "" }
func (s *spy) NumPatterns() int             { return 0 }

// TestInspectedAgrees: Inspected is true exactly for the packets whose
// payload the classifier hands its exploit matcher.
func TestInspectedAgrees(t *testing.T) {
	var ps []*decode.Packet
	for _, payload := range [][]byte{nil, {}, []byte("x")} {
		for _, frag := range []uint8{decode.FragNone, decode.FragFirst, decode.FragLater} {
			for _, quoted := range []bool{false, true} {
				for _, proto := range []uint8{decode.ProtoTCP, decode.ProtoUDP, decode.ProtoICMP} {
					ps = append(ps, &decode.Packet{Proto: proto, HasTransport: true, Payload: payload, Frag: frag, Quoted: quoted,
						Src: netip.MustParseAddr("198.51.100.1"), Dst: netip.MustParseAddr("192.0.2.1")})
				}
			}
		}
	}
	for i, p := range ps {
		s := &spy{}
		cl := classify.Classifier{Exploits: s}
		cl.Classify(p)
		if s.asked != Inspected(p) {
			t.Fatalf("packet %d %+v: classifier asked %v, Inspected %v", i, p, s.asked, Inspected(p))
		}
	}
}

// FuzzCollector: any packets keep the totals consistent and every count's
// payload is its packets' payload as far as kept.
func FuzzCollector(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\n"), uint16(80), int64(0), uint8(3))
	f.Add([]byte{0, 1, 2}, uint16(0), int64(-1), uint8(200))
	f.Fuzz(func(t *testing.T, payload []byte, port uint16, ts int64, n uint8) {
		c := NewCollector(time.UTC, Options{MaxLen: 7, MaxBytes: 40, MaxCells: 5})
		for i := 0; i < int(n)%16+1; i++ {
			p := payload
			if i%3 == 1 && len(p) > 0 {
				p = p[:len(p)-1]
			}
			c.Add(ts+int64(i)*3600e9, pkt("198.51.100."+itoa(uint16(i%4)), port+uint16(i%2), p))
		}
		r := c.Result()
		if r.Kept+r.Dropped != r.Packets {
			t.Fatalf("kept %d + dropped %d != %d", r.Kept, r.Dropped, r.Packets)
		}
		var sum uint64
		for _, k := range r.Counts {
			sum += k.Packets
			q := r.Payloads[k.Payload]
			if len(q.Data) > 7 || len(q.Data) > q.Len || !bytes.HasPrefix(payload, q.Data) {
				t.Fatalf("payload %+v of %q", q, payload)
			}
		}
		if sum != r.Kept {
			t.Fatalf("counts %d, kept %d", sum, r.Kept)
		}
	})
}

// TestCountsSorted: counts come sorted by day, source (netip order: IPv4
// before IPv6), protocol, port and payload, whatever order the packets
// came in.
func TestCountsSorted(t *testing.T) {
	c := NewCollector(time.UTC, Options{})
	srcs := []string{"2001:db8::1", "198.51.100.9", "::1", "10.0.0.1", "2001:db8::1:0", "255.255.255.255", "::ffff:1.2.3.4", "0.0.0.1"}
	n := 0
	for i := 0; i < 400; i++ {
		p := pkt(srcs[(i*5)%len(srcs)], uint16(80+(i*3)%4), []byte(fmt.Sprintf("payload %d", (i*7)%9)))
		if i%3 == 0 {
			p.Proto = decode.ProtoUDP
		}
		c.Add(t0+int64((i*11)%3)*24*3600e9, p)
		n++
	}
	r := c.Result()
	want := slices.Clone(r.Counts)
	slices.SortFunc(want, func(x, y Count) int {
		return cmp.Or(cmp.Compare(x.Day, y.Day), x.Src.Compare(y.Src), cmp.Compare(x.Proto, y.Proto),
			cmp.Compare(x.Port, y.Port), cmp.Compare(x.Payload, y.Payload))
	})
	if !slices.Equal(r.Counts, want) {
		t.Fatalf("counts not in order:\n%v\nwant\n%v", r.Counts, want)
	}
	var sum uint64
	for _, x := range r.Counts {
		sum += x.Packets
		if !x.Src.Is4() && x.Src.Is4In6() {
			t.Fatalf("source %v kept mapped", x.Src)
		}
	}
	if sum != uint64(n) || len(r.Counts) < 50 {
		t.Fatalf("%d packets in %d counts, want %d", sum, len(r.Counts), n)
	}
}

// TestCollectorAllocationFree: a packet whose payload and count row the
// collector holds already costs no allocation.
func TestCollectorAllocationFree(t *testing.T) {
	c := NewCollector(time.UTC, Options{})
	var ps []*decode.Packet
	for i := range 2000 {
		ps = append(ps, pkt(fmt.Sprintf("198.51.%d.%d", i/200, i%200), uint16(80+i%3), []byte(fmt.Sprintf("GET /%d HTTP/1.1\r\n", i%50))))
	}
	for _, p := range ps {
		c.Add(t0, p)
	}
	i := 0
	if n := testing.AllocsPerRun(1000, func() { c.Add(t0, ps[i%len(ps)]); i++ }); n != 0 {
		t.Fatalf("%v allocations per packet after warm-up", n)
	}
	if _, cells := c.Size(); cells != len(ps) {
		t.Fatalf("%d count rows, want %d", cells, len(ps))
	}
}
