package decode

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"testing"
)

var (
	srcA = netip.MustParseAddr("198.51.100.7")
	dstA = netip.MustParseAddr("203.0.113.9")
	tunS = netip.MustParseAddr("192.0.2.1")
	tunD = netip.MustParseAddr("192.0.2.2")
	src6 = netip.MustParseAddr("2001:db8::1")
	dst6 = netip.MustParseAddr("2001:db8::2")
	tun6 = netip.MustParseAddr("2001:db8:ffff::1")
)

type decodeCase struct {
	name    string
	link    LinkType
	frame   []byte
	want    Packet
	wantErr error
	// lenFromCapture marks frames whose IP length field is zero, so that
	// IPLen follows the captured length.
	lenFromCapture bool
}

// le32 is a 4-byte little-endian value, as written by a little-endian host
// in a BSD null header.
func le32(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }

func sllHeader(proto uint16) []byte {
	return cat([]byte{0, 0, 0, 1, 0, 6}, macA, []byte{0, 0}, be16(proto))
}

func sll2Header(proto uint16) []byte {
	return cat(be16(proto), []byte{0, 0}, be32(3), be16(1), []byte{0, 6}, macA, []byte{0, 0})
}

// decodeCases returns generated frames covering every link type and
// encapsulation the decoder handles, with the Packet each must produce.
func decodeCases() []decodeCase {
	syn := tcpSeg{sport: 40000, dport: 23, seq: 0xcb007109, flags: TCPSyn}
	synIP := ip4{src: srcA, dst: dstA, proto: ProtoTCP, ttl: 64, id: 54321, payload: syn.bytes()}
	synWant := Packet{Src: srcA, Dst: dstA, Proto: ProtoTCP, TTL: 64, IPID: 54321, IPLen: 40,
		HasTransport: true, SrcPort: 40000, DstPort: 23, TCPFlags: TCPSyn, Seq: 0xcb007109}
	with := func(p Packet, f func(*Packet)) Packet { f(&p); return p }

	data := []byte("GET / HTTP/1.1\r\n\r\n")
	psh := tcpSeg{sport: 51000, dport: 80, seq: 7, ack: 9, flags: TCPPsh | TCPAck,
		opts: []byte{1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2}, payload: data}
	pshIP := ip4{src: srcA, dst: dstA, proto: ProtoTCP, ttl: 50, id: 7, payload: psh.bytes()}
	pshWant := Packet{Src: srcA, Dst: dstA, Proto: ProtoTCP, TTL: 50, IPID: 7, IPLen: 20 + 32 + len(data),
		HasTransport: true, SrcPort: 51000, DstPort: 80, TCPFlags: TCPPsh | TCPAck, Seq: 7, Ack: 9, Payload: data}

	dns := []byte{0x12, 0x34, 1, 0, 0, 1}
	udpIP := ip4{src: srcA, dst: dstA, proto: ProtoUDP, ttl: 60, id: 99, payload: udpDgram(5353, 53, dns)}
	udpWant := Packet{Src: srcA, Dst: dstA, Proto: ProtoUDP, TTL: 60, IPID: 99, IPLen: 20 + 8 + len(dns),
		HasTransport: true, SrcPort: 5353, DstPort: 53, Payload: dns}

	syn6 := ip6{src: src6, dst: dst6, next: ProtoTCP, hop: 57, payload: syn.bytes()}
	syn6Want := Packet{Src: src6, Dst: dst6, IPv6: true, Proto: ProtoTCP, TTL: 57, IPLen: 60,
		HasTransport: true, SrcPort: 40000, DstPort: 23, TCPFlags: TCPSyn, Seq: 0xcb007109}

	// The inner packet of the tunnel cases.
	inner := synIP.bytes()
	innerWant := with(synWant, func(p *Packet) { p.Encap = 1 })
	outer := func(proto uint8, payload []byte) []byte {
		return ip4{src: tunS, dst: tunD, proto: proto, ttl: 254, id: 1, payload: payload}.bytes()
	}

	// ICMP errors quoting what the spoofed source "sent".
	quotedTCP := ip4{src: dstA, dst: srcA, proto: ProtoTCP, ttl: 40, id: 5, payload: tcpSeg{sport: 443, dport: 61000, seq: 1, flags: TCPSyn | TCPAck}.bytes()}.bytes()
	unreach := icmpMsg(3, 3, 0, quotedTCP[:28])
	quotedUDP := ip4{src: dstA, dst: srcA, proto: ProtoUDP, ttl: 1, payload: udpDgram(33434, 33435, nil)}.bytes()
	quotedNoL4 := quotedUDP[:20]
	quoted6 := ip6{src: dst6, dst: src6, next: protoDstOpts, hop: 1, payload: cat(ext6(ProtoUDP, 1), udpDgram(1000, 2000, []byte("x")))}.bytes()

	// Five GRE layers: only MaxEncap (4) are stripped.
	nested := inner
	for i := range 5 {
		a := netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)})
		nested = ip4{src: a, dst: a, proto: ProtoGRE, ttl: 9, payload: gre(etherIPv4, false, nil, nil, nested)}.bytes()
	}
	level4 := netip.AddrFrom4([4]byte{10, 0, 0, 1})

	cases := []decodeCase{
		{name: "ethernet tcp syn", link: LinkEthernet, frame: eth(etherIPv4, nil, synIP.bytes()), want: synWant},
		{name: "ethernet padding after tcp", link: LinkEthernet, frame: cat(eth(etherIPv4, nil, synIP.bytes()), make([]byte, 6)), want: synWant},
		{name: "ethernet padding after udp", link: LinkEthernet, frame: cat(eth(etherIPv4, nil, udpIP.bytes()), []byte{0xee, 0xee, 0xee, 0xee}), want: udpWant},
		{name: "ipv4 options and tcp options", link: LinkEthernet,
			frame: eth(etherIPv4, nil, with2(pshIP, func(h *ip4) { h.opts = []byte{1, 1, 1, 0} })),
			want:  with(pshWant, func(p *Packet) { p.IPLen += 4 })},
		{name: "mirai data offset past capture", link: LinkEthernet,
			frame: eth(etherIPv4, nil, ip4{src: srcA, dst: dstA, proto: ProtoTCP, ttl: 54, id: 1,
				payload: tcpSeg{sport: 55524, dport: 23, seq: 0xcb007109, flags: TCPSyn, doff: 6}.bytes()}.bytes()),
			want: with(synWant, func(p *Packet) { p.TTL, p.IPID, p.SrcPort = 54, 1, 55524 })},
		{name: "tcp header shorter than 14 bytes", link: LinkIPv4,
			frame: ip4{src: srcA, dst: dstA, proto: ProtoTCP, ttl: 64, payload: syn.bytes()[:13]}.bytes(),
			want:  Packet{Src: srcA, Dst: dstA, Proto: ProtoTCP, TTL: 64, IPLen: 33}},
		{name: "tcp cut after the flags by the snap length", link: LinkIPv4,
			frame: synIP.bytes()[:20+14], want: synWant},
		{name: "ipv4 total length zero (offload)", link: LinkIPv4,
			frame: with3(with3(udpIP.bytes(), 2, 0), 3, 0), want: udpWant, lenFromCapture: true},
		{name: "udp length shorter than ip payload", link: LinkIPv4,
			frame: ip4{src: srcA, dst: dstA, proto: ProtoUDP, ttl: 60, id: 99, payload: cat(udpDgram(5353, 53, dns), []byte{9, 9})}.bytes(),
			want:  with(udpWant, func(p *Packet) { p.IPLen += 2 })},
		{name: "802.1Q", link: LinkEthernet, frame: eth(etherIPv4, []uint16{etherVLAN}, synIP.bytes()),
			want: with(synWant, func(p *Packet) { p.VLANs = 1 })},
		{name: "802.1ad QinQ", link: LinkEthernet, frame: eth(etherIPv4, []uint16{etherQinQ, etherVLAN}, synIP.bytes()),
			want: with(synWant, func(p *Packet) { p.VLANs = 2 })},
		{name: "0x9100 triple tag ipv6", link: LinkEthernet, frame: eth(etherIPv6, []uint16{etherQinQOld, etherVLAN, etherVLAN}, syn6.bytes()),
			want: with(syn6Want, func(p *Packet) { p.VLANs = 3 })},
		{name: "too many tags", link: LinkEthernet,
			frame:   eth(etherIPv4, []uint16{etherVLAN, etherVLAN, etherVLAN, etherVLAN, etherVLAN, etherVLAN, etherVLAN, etherVLAN, etherVLAN}, synIP.bytes()),
			wantErr: ErrTooManyTags},
		{name: "mpls two labels", link: LinkEthernet,
			frame: eth(etherMPLS, nil, cat([]byte{0, 1, 0x00, 64}, []byte{0, 2, 0x01, 64}, synIP.bytes())), want: synWant},
		{name: "mpls ipv6", link: LinkEthernet,
			frame: eth(etherMPLS, nil, cat([]byte{0, 1, 0x01, 64}, syn6.bytes())), want: syn6Want},
		{name: "sll", link: LinkSLL, frame: cat(sllHeader(etherIPv4), pshIP.bytes()), want: pshWant},
		{name: "sll vlan", link: LinkSLL, frame: cat(sllHeader(etherVLAN), []byte{0, 5}, be16(etherIPv4), pshIP.bytes()),
			want: with(pshWant, func(p *Packet) { p.VLANs = 1 })},
		{name: "sll2 ipv6", link: LinkSLL2, frame: cat(sll2Header(etherIPv6), syn6.bytes()), want: syn6Want},
		{name: "raw ipv4", link: LinkRaw, frame: synIP.bytes(), want: synWant},
		{name: "raw ipv6", link: LinkRaw, frame: syn6.bytes(), want: syn6Want},
		{name: "linktype ipv4", link: LinkIPv4, frame: udpIP.bytes(), want: udpWant},
		{name: "linktype ipv6", link: LinkIPv6, frame: syn6.bytes(), want: syn6Want},
		{name: "null little-endian inet", link: LinkNull, frame: cat(le32(2), synIP.bytes()), want: synWant},
		{name: "null big-endian inet", link: LinkNull, frame: cat(be32(2), synIP.bytes()), want: synWant},
		{name: "null inet6 24", link: LinkNull, frame: cat(le32(24), syn6.bytes()), want: syn6Want},
		{name: "null inet6 28", link: LinkNull, frame: cat(le32(28), syn6.bytes()), want: syn6Want},
		{name: "null inet6 30 big-endian", link: LinkNull, frame: cat(be32(30), syn6.bytes()), want: syn6Want},
		{name: "loop inet", link: LinkLoop, frame: cat(be32(2), synIP.bytes()), want: synWant},
		{name: "loop inet6", link: LinkLoop, frame: cat(be32(24), syn6.bytes()), want: syn6Want},
		{name: "first fragment", link: LinkIPv4,
			frame: with2(udpIP, func(h *ip4) { h.flagsFrag = 0x2000 }),
			want:  with(udpWant, func(p *Packet) { p.Frag = FragFirst })},
		{name: "later fragment", link: LinkIPv4,
			frame: with2(udpIP, func(h *ip4) { h.flagsFrag = 0x2000 | 185 }),
			want:  Packet{Src: srcA, Dst: dstA, Proto: ProtoUDP, TTL: 60, IPID: 99, IPLen: udpWant.IPLen, Frag: FragLater}},
		{name: "last fragment", link: LinkIPv4,
			frame: with2(udpIP, func(h *ip4) { h.flagsFrag = 185 }),
			want:  Packet{Src: srcA, Dst: dstA, Proto: ProtoUDP, TTL: 60, IPID: 99, IPLen: udpWant.IPLen, Frag: FragLater}},
		{name: "ipv6 hop-by-hop routing dstopts", link: LinkIPv6,
			frame: ip6{src: src6, dst: dst6, next: protoHopByHop, hop: 57,
				payload: cat(ext6(protoRouting, 1), ext6(protoDstOpts, 3), ext6(ProtoTCP, 2), syn.bytes())}.bytes(),
			want: with(syn6Want, func(p *Packet) { p.IPLen += 48 })},
		{name: "ipv6 ah", link: LinkIPv6,
			frame: ip6{src: src6, dst: dst6, next: protoAH, hop: 57, payload: cat(ah6(ProtoTCP, 3), syn.bytes())}.bytes(),
			want:  with(syn6Want, func(p *Packet) { p.IPLen += 24 })},
		{name: "ipv6 first fragment", link: LinkIPv6,
			frame: ip6{src: src6, dst: dst6, next: protoFragment, hop: 57, payload: cat(frag6(ProtoTCP, 0, true), syn.bytes())}.bytes(),
			want:  with(syn6Want, func(p *Packet) { p.IPLen += 8; p.Frag = FragFirst })},
		{name: "ipv6 later fragment", link: LinkIPv6,
			frame: ip6{src: src6, dst: dst6, next: protoHopByHop, hop: 57, payload: cat(ext6(protoFragment, 1), frag6(ProtoTCP, 100, false), syn.bytes())}.bytes(),
			want:  Packet{Src: src6, Dst: dst6, IPv6: true, Proto: ProtoTCP, TTL: 57, IPLen: 76, Frag: FragLater}},
		{name: "ipv6 esp", link: LinkIPv6,
			frame: ip6{src: src6, dst: dst6, next: protoESP, hop: 57, payload: make([]byte, 24)}.bytes(),
			want:  Packet{Src: src6, Dst: dst6, IPv6: true, Proto: protoESP, TTL: 57, IPLen: 64}},
		{name: "ipv6 no next header", link: LinkIPv6,
			frame: ip6{src: src6, dst: dst6, next: protoDstOpts, hop: 57, payload: ext6(protoNoNext, 1)}.bytes(),
			want:  Packet{Src: src6, Dst: dst6, IPv6: true, Proto: protoNoNext, TTL: 57, IPLen: 48}},
		{name: "ipv6 too many extension headers", link: LinkIPv6,
			frame: ip6{src: src6, dst: dst6, next: protoDstOpts, hop: 57, payload: cat(
				ext6(protoDstOpts, 1), ext6(protoDstOpts, 1), ext6(protoDstOpts, 1), ext6(protoDstOpts, 1),
				ext6(protoDstOpts, 1), ext6(protoDstOpts, 1), ext6(protoDstOpts, 1), ext6(protoDstOpts, 1), ext6(ProtoTCP, 1), syn.bytes())}.bytes(),
			want: Packet{Src: src6, Dst: dst6, IPv6: true, Proto: protoDstOpts, TTL: 57, IPLen: 40 + 72 + 20}},
		{name: "ipv6 jumbo payload length zero", link: LinkIPv6,
			frame: ip6{src: src6, dst: dst6, next: ProtoTCP, hop: 57, payloadLen: -1, payload: syn.bytes()}.bytes(),
			want:  syn6Want, lenFromCapture: true},
		{name: "ipv6 padding after payload", link: LinkEthernet,
			frame: cat(eth(etherIPv6, nil, ip6{src: src6, dst: dst6, next: ProtoUDP, hop: 3, payload: udpDgram(1, 2, dns)}.bytes()), []byte{7, 7, 7}),
			want:  Packet{Src: src6, Dst: dst6, IPv6: true, Proto: ProtoUDP, TTL: 3, IPLen: 54, HasTransport: true, SrcPort: 1, DstPort: 2, Payload: dns}},
		{name: "gre ipv4 with checksum key seq", link: LinkEthernet,
			frame: eth(etherIPv4, nil, outer(ProtoGRE, gre(etherIPv4, true, ptr32(42), ptr32(7), inner))), want: innerWant},
		{name: "gre ipv6 with key", link: LinkEthernet,
			frame: eth(etherIPv4, nil, outer(ProtoGRE, gre(etherIPv6, false, ptr32(1), nil, syn6.bytes()))),
			want:  with(syn6Want, func(p *Packet) { p.Encap = 1 })},
		{name: "gre over ipv6", link: LinkIPv6,
			frame: ip6{src: tun6, dst: tun6, next: ProtoGRE, hop: 64, payload: gre(etherIPv4, false, nil, nil, inner)}.bytes(),
			want:  innerWant},
		{name: "gre transparent ethernet with vlan", link: LinkEthernet,
			frame: eth(etherIPv4, nil, outer(ProtoGRE, gre(etherTEB, false, ptr32(5), nil, eth(etherIPv4, []uint16{etherVLAN}, inner)))),
			want:  with(innerWant, func(p *Packet) { p.VLANs = 1 })},
		{name: "erspan type II", link: LinkEthernet,
			frame: eth(etherIPv4, nil, outer(ProtoGRE, gre(etherERSPAN2, false, nil, ptr32(3), erspan2(6, eth(etherIPv4, nil, pshIP.bytes()))))),
			want:  with(pshWant, func(p *Packet) { p.Encap = 1 })},
		{name: "erspan type I", link: LinkEthernet,
			frame: eth(etherIPv4, nil, outer(ProtoGRE, gre(etherERSPAN2, false, nil, nil, eth(etherIPv4, nil, inner)))),
			want:  innerWant},
		{name: "erspan type III", link: LinkEthernet,
			frame: eth(etherIPv4, nil, outer(ProtoGRE, gre(etherERSPAN3, false, nil, ptr32(3), erspan3(0, false, eth(etherIPv4, nil, inner))))),
			want:  innerWant},
		{name: "erspan type III with subheader", link: LinkEthernet,
			frame: eth(etherIPv4, []uint16{etherVLAN}, outer(ProtoGRE, gre(etherERSPAN3, false, nil, ptr32(3), erspan3(0, true, eth(etherIPv6, nil, syn6.bytes()))))),
			want:  with(syn6Want, func(p *Packet) { p.Encap = 1; p.VLANs = 1 })},
		{name: "erspan type III ip frame", link: LinkEthernet,
			frame: eth(etherIPv4, nil, outer(ProtoGRE, gre(etherERSPAN3, false, nil, ptr32(3), erspan3(2, false, inner)))),
			want:  innerWant},
		{name: "gre carrying arp stays outer", link: LinkEthernet,
			frame: eth(etherIPv4, nil, outer(ProtoGRE, gre(etherTEB, false, nil, nil, eth(0x0806, nil, make([]byte, 28))))),
			want:  Packet{Src: tunS, Dst: tunD, Proto: ProtoGRE, TTL: 254, IPID: 1, IPLen: 20 + 4 + 14 + 28}},
		{name: "gre version 1 not decapsulated", link: LinkIPv4,
			frame: outer(ProtoGRE, cat([]byte{0x30, 0x01}, be16(0x880b), make([]byte, 8))),
			want:  Packet{Src: tunS, Dst: tunD, Proto: ProtoGRE, TTL: 254, IPID: 1, IPLen: 32}},
		{name: "gre nesting bounded", link: LinkIPv4, frame: nested,
			want: Packet{Src: level4, Dst: level4, Proto: ProtoGRE, TTL: 9, IPLen: len(nested) - 4*24, Encap: MaxEncap}},
		{name: "ip in ip", link: LinkIPv4, frame: outer(protoIPIP, inner), want: innerWant},
		{name: "ipv6 in ipv4", link: LinkEthernet, frame: eth(etherIPv4, nil, outer(protoIPv6, syn6.bytes())),
			want: with(syn6Want, func(p *Packet) { p.Encap = 1 })},
		{name: "icmp unreachable quoting tcp", link: LinkIPv4,
			frame: ip4{src: srcA, dst: dstA, proto: ProtoICMP, ttl: 250, id: 3, payload: unreach}.bytes(),
			want: Packet{Src: srcA, Dst: dstA, Proto: ProtoICMP, TTL: 250, IPID: 3, IPLen: 20 + len(unreach),
				HasTransport: true, ICMPType: 3, ICMPCode: 3, Payload: quotedTCP[:28],
				Quoted: true, QuotedSrc: dstA, QuotedDst: srcA, QuotedProto: ProtoTCP, QuotedSrcPort: 443, QuotedDstPort: 61000}},
		{name: "icmp time exceeded quoting udp", link: LinkIPv4,
			frame: ip4{src: srcA, dst: dstA, proto: ProtoICMP, ttl: 250, payload: icmpMsg(11, 0, 0, quotedUDP)}.bytes(),
			want: Packet{Src: srcA, Dst: dstA, Proto: ProtoICMP, TTL: 250, IPLen: 20 + 8 + len(quotedUDP),
				HasTransport: true, ICMPType: 11, Payload: quotedUDP,
				Quoted: true, QuotedSrc: dstA, QuotedDst: srcA, QuotedProto: ProtoUDP, QuotedSrcPort: 33434, QuotedDstPort: 33435}},
		{name: "icmp quote without transport", link: LinkIPv4,
			frame: ip4{src: srcA, dst: dstA, proto: ProtoICMP, ttl: 250, payload: icmpMsg(12, 0, 0, quotedNoL4)}.bytes(),
			want: Packet{Src: srcA, Dst: dstA, Proto: ProtoICMP, TTL: 250, IPLen: 48, HasTransport: true, ICMPType: 12, Payload: quotedNoL4,
				Quoted: true, QuotedSrc: dstA, QuotedDst: srcA, QuotedProto: ProtoUDP}},
		{name: "icmp echo not quoted", link: LinkIPv4,
			frame: ip4{src: srcA, dst: dstA, proto: ProtoICMP, ttl: 250, payload: icmpMsg(8, 0, 0x00010002, quotedUDP)}.bytes(),
			want:  Packet{Src: srcA, Dst: dstA, Proto: ProtoICMP, TTL: 250, IPLen: 20 + 8 + len(quotedUDP), HasTransport: true, ICMPType: 8, Payload: quotedUDP}},
		{name: "icmpv6 unreachable quoting udp behind dstopts", link: LinkIPv6,
			frame: ip6{src: src6, dst: dst6, next: ProtoICMPv6, hop: 64, payload: icmpMsg(1, 4, 0, quoted6)}.bytes(),
			want: Packet{Src: src6, Dst: dst6, IPv6: true, Proto: ProtoICMPv6, TTL: 64, IPLen: 40 + 8 + len(quoted6),
				HasTransport: true, ICMPType: 1, ICMPCode: 4, Payload: quoted6,
				Quoted: true, QuotedSrc: dst6, QuotedDst: src6, QuotedProto: ProtoUDP, QuotedSrcPort: 1000, QuotedDstPort: 2000}},
		{name: "icmpv6 echo not quoted", link: LinkIPv6,
			frame: ip6{src: src6, dst: dst6, next: ProtoICMPv6, hop: 64, payload: icmpMsg(128, 0, 1, quoted6)}.bytes(),
			want: Packet{Src: src6, Dst: dst6, IPv6: true, Proto: ProtoICMPv6, TTL: 64, IPLen: 40 + 8 + len(quoted6),
				HasTransport: true, ICMPType: 128, Payload: quoted6}},
		{name: "arp", link: LinkEthernet, frame: eth(0x0806, nil, make([]byte, 28)), wantErr: ErrNotIP},
		{name: "short ethernet", link: LinkEthernet, frame: eth(etherIPv4, nil, nil)[:13], wantErr: ErrTruncated},
		{name: "ethernet without ip header", link: LinkEthernet, frame: eth(etherIPv4, nil, make([]byte, 19)), wantErr: ErrTruncated},
		{name: "unsupported link", link: 147, frame: synIP.bytes(), wantErr: ErrUnsupportedLink},
		{name: "ipv4 header length below 20", link: LinkIPv4, frame: with3(synIP.bytes(), 0, 0x44), wantErr: ErrBadIPHeader},
		{name: "ipv4 link with version 6", link: LinkIPv4, frame: syn6.bytes(), wantErr: ErrBadIPHeader},
		{name: "ipv6 link with version 4", link: LinkIPv6, frame: cat(synIP.bytes(), make([]byte, 20)), wantErr: ErrBadIPHeader},
		{name: "total length below header length", link: LinkIPv4, frame: with3(synIP.bytes(), 3, 19), wantErr: ErrBadIPHeader},
		{name: "raw unknown version", link: LinkRaw, frame: with3(synIP.bytes(), 0, 0x75), wantErr: ErrNotIP},
		{name: "null unknown family", link: LinkNull, frame: cat(le32(7), synIP.bytes()), wantErr: ErrNotIP},
		{name: "sll truncated", link: LinkSLL, frame: sllHeader(etherIPv4)[:15], wantErr: ErrTruncated},
	}
	return append(append(cases, nflogCases()...), linkCases()...)
}

// with2 returns the bytes of h after f modifies a copy of it.
func with2(h ip4, f func(*ip4)) []byte { f(&h); return h.bytes() }

// with3 returns b with byte i set to v.
func with3(b []byte, i int, v byte) []byte { b[i] = v; return b }

// headersOf returns p without its payload, for comparison.
func headersOf(p Packet) Packet { p.Payload = nil; return p }

func samePacket(got, want Packet) bool {
	return reflect.DeepEqual(headersOf(got), headersOf(want)) && bytes.Equal(got.Payload, want.Payload)
}

func TestDecode(t *testing.T) {
	for _, tc := range decodeCases() {
		t.Run(tc.name, func(t *testing.T) {
			var got Packet
			err := Decode(tc.link, tc.frame, &got)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Decode error = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				return
			}
			if !samePacket(got, tc.want) {
				t.Errorf("Decode =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// TestDecodeResets checks that every field left over from a previous frame
// is cleared, whatever the new frame is.
func TestDecodeResets(t *testing.T) {
	cases := decodeCases()
	for _, prev := range cases {
		var dirty Packet
		_ = Decode(prev.link, prev.frame, &dirty)
		dirty.Quoted, dirty.QuotedSrcPort, dirty.VLANs, dirty.Encap = true, 1, 9, 9
		for _, tc := range cases {
			p := dirty
			err := Decode(tc.link, tc.frame, &p)
			var fresh Packet
			freshErr := Decode(tc.link, tc.frame, &fresh)
			if err != freshErr || !samePacket(p, fresh) {
				t.Fatalf("%s after %s: got %+v (%v), want %+v (%v)", tc.name, prev.name, p, err, fresh, freshErr)
			}
		}
	}
}

// TestDecodeTruncated decodes every prefix of every generated frame. Each
// must decode without panicking, fail only with a sentinel error, and once
// the headers are all captured give the full frame's result with a payload
// cut where the capture ends.
func TestDecodeTruncated(t *testing.T) {
	sentinels := []error{ErrTruncated, ErrNotIP, ErrBadIPHeader, ErrTooManyTags, ErrUnsupportedLink}
	for _, tc := range decodeCases() {
		if tc.wantErr != nil {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			var full Packet
			if err := Decode(tc.link, tc.frame, &full); err != nil {
				t.Fatal(err)
			}
			payloadOff := len(tc.frame)
			if len(full.Payload) > 0 {
				payloadOff = cap(tc.frame) - cap(full.Payload)
			}
			payloadEnd := payloadOff + len(full.Payload)
			complete := -1 // shortest prefix giving the full headers
			for n := 0; n <= len(tc.frame); n++ {
				var p Packet
				err := Decode(tc.link, tc.frame[:n], &p)
				if err != nil {
					if !slicesContainsErr(sentinels, err) {
						t.Fatalf("prefix %d: unexpected error %v", n, err)
					}
					if complete >= 0 {
						t.Fatalf("prefix %d: error %v after prefix %d decoded fully", n, err, complete)
					}
					continue
				}
				if !p.Src.IsValid() || !p.Dst.IsValid() || p.Src.Is4() == p.IPv6 {
					t.Fatalf("prefix %d: incoherent addresses %+v", n, p)
				}
				want := headersOf(full)
				if tc.lenFromCapture {
					want.IPLen -= len(tc.frame) - n
				}
				same := reflect.DeepEqual(headersOf(p), want)
				if complete < 0 && same {
					complete = n
				}
				if complete >= 0 {
					if !same {
						t.Fatalf("prefix %d: headers %+v differ from %+v (equal at %d)", n, p, want, complete)
					}
					wantLen := max(0, min(n, payloadEnd)-payloadOff)
					if !bytes.Equal(p.Payload, full.Payload[:wantLen]) {
						t.Fatalf("prefix %d: payload %x, want %x", n, p.Payload, full.Payload[:wantLen])
					}
				}
			}
			// The headers must be complete before the payload starts,
			// except that an ICMP error's quoted header is its payload.
			if complete < 0 || (complete > payloadOff && !full.Quoted) {
				t.Errorf("headers complete at prefix %d, payload starts at %d", complete, payloadOff)
			}
		})
	}
}

func slicesContainsErr(list []error, err error) bool {
	for _, e := range list {
		if e == err {
			return true
		}
	}
	return false
}

func TestDecodeAllocs(t *testing.T) {
	for _, tc := range decodeCases() {
		var p Packet
		allocs := testing.AllocsPerRun(100, func() { _ = Decode(tc.link, tc.frame, &p) })
		if allocs != 0 {
			t.Errorf("%s: %v allocations per Decode, want 0", tc.name, allocs)
		}
	}
}

func TestV4Helpers(t *testing.T) {
	tests := []struct {
		src, dst         netip.Addr
		wantSrc, wantDst uint32
	}{
		{srcA, dstA, 198<<24 | 51<<16 | 100<<8 | 7, 203<<24 | 113<<8 | 9},
		{src6, dstA, 0, 203<<24 | 113<<8 | 9},
		{netip.Addr{}, netip.MustParseAddr("::ffff:1.2.3.4"), 0, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.src, "-", tc.dst), func(t *testing.T) {
			p := Packet{Src: tc.src, Dst: tc.dst}
			if got := p.SrcV4(); got != tc.wantSrc {
				t.Errorf("SrcV4 = %#x, want %#x", got, tc.wantSrc)
			}
			if got := p.DstV4(); got != tc.wantDst {
				t.Errorf("DstV4 = %#x, want %#x", got, tc.wantDst)
			}
		})
	}
}
