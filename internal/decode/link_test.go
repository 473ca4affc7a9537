package decode

// pppoe builds a PPPoE session header (session 0x1234) holding the PPP
// frame ppp.
func pppoe(ppp []byte) []byte {
	return cat([]byte{0x11, 0x00}, be16(0x1234), be16(uint16(len(ppp))), ppp)
}

// mplsLabels builds a label stack of n entries, the last with the
// bottom-of-stack bit.
func mplsLabels(n int) []byte {
	var out []byte
	for i := range n {
		entry := uint32(16+i)<<12 | 64 // label, TC 0, TTL 64
		if i == n-1 {
			entry |= 1 << 8
		}
		out = cat(out, be32(entry))
	}
	return out
}

// linkCases covers the point-to-point and router link layers: PPP, PPPoE,
// Cisco HDLC, MPLS, the old raw link types, and SLL/SLL2 carrying them.
func linkCases() []decodeCase {
	syn := tcpSeg{sport: 40000, dport: 23, seq: 0xcb007109, flags: TCPSyn}
	synIP := ip4{src: srcA, dst: dstA, proto: ProtoTCP, ttl: 64, id: 54321, payload: syn.bytes()}
	synWant := Packet{Src: srcA, Dst: dstA, Proto: ProtoTCP, TTL: 64, IPID: 54321, IPLen: 40,
		HasTransport: true, SrcPort: 40000, DstPort: 23, TCPFlags: TCPSyn, Seq: 0xcb007109}
	syn6 := ip6{src: src6, dst: dst6, next: ProtoTCP, hop: 57, payload: syn.bytes()}
	syn6Want := Packet{Src: src6, Dst: dst6, IPv6: true, Proto: ProtoTCP, TTL: 57, IPLen: 60,
		HasTransport: true, SrcPort: 40000, DstPort: 23, TCPFlags: TCPSyn, Seq: 0xcb007109}
	dns := []byte{0x12, 0x34, 1, 0, 0, 1}
	udpIP := ip4{src: srcA, dst: dstA, proto: ProtoUDP, ttl: 60, id: 99, payload: udpDgram(5353, 53, dns)}
	udpWant := Packet{Src: srcA, Dst: dstA, Proto: ProtoUDP, TTL: 60, IPID: 99, IPLen: 20 + 8 + len(dns),
		HasTransport: true, SrcPort: 5353, DstPort: 53, Payload: dns}
	vlans := func(p Packet, n uint8) Packet { p.VLANs = n; return p }

	v4, v6 := synIP.bytes(), syn6.bytes()
	hdlc := []byte{pppAddress, pppControl}
	return []decodeCase{
		{name: "ppp hdlc-like ipv4", link: LinkPPP, frame: cat(hdlc, be16(pppIPv4), v4), want: synWant},
		{name: "ppp no address and control", link: LinkPPP, frame: cat(be16(pppIPv6), v6), want: syn6Want},
		{name: "ppp compressed protocol field", link: LinkPPP, frame: cat(hdlc, []byte{0x21}, v4), want: synWant},
		{name: "ppp mpls", link: LinkPPP, frame: cat(hdlc, be16(pppMPLS), mplsLabels(2), v6), want: syn6Want},
		{name: "ppp lcp", link: LinkPPP, frame: cat(hdlc, be16(0xc021), []byte{1, 1, 0, 4}), wantErr: ErrNotIP},
		{name: "ppp vj compressed tcp", link: LinkPPP, frame: cat(hdlc, be16(0x002d), make([]byte, 20)), wantErr: ErrNotIP},
		{name: "ppp_hdlc ipv4", link: LinkPPPHDLC, frame: cat(hdlc, be16(pppIPv4), udpIP.bytes()), want: udpWant},
		{name: "ppp_hdlc cisco framing", link: LinkPPPHDLC, frame: cat([]byte{chdlcBroadcast, 0}, be16(etherIPv6), v6), want: syn6Want},
		{name: "ppp_hdlc empty", link: LinkPPPHDLC, frame: nil, wantErr: ErrTruncated},
		{name: "ppp_ether (pppoe link type)", link: LinkPPPoE, frame: pppoe(cat(be16(pppIPv4), v4)), want: synWant},
		{name: "cisco hdlc ipv4", link: LinkCHDLC, frame: cat([]byte{chdlcUnicast, 0}, be16(etherIPv4), v4), want: synWant},
		{name: "cisco hdlc mpls", link: LinkCHDLC, frame: cat([]byte{chdlcUnicast, 0}, be16(etherMPLS), mplsLabels(1), v4), want: synWant},
		{name: "cisco hdlc slarp", link: LinkCHDLC, frame: cat([]byte{chdlcBroadcast, 0}, be16(0x8035), make([]byte, 20)), wantErr: ErrNotIP},
		{name: "pppoe session", link: LinkEthernet, frame: eth(etherPPPoESess, nil, pppoe(cat(be16(pppIPv4), v4))), want: synWant},
		{name: "pppoe session padded", link: LinkEthernet,
			frame: cat(eth(etherPPPoESess, nil, pppoe(cat(be16(pppIPv4), udpIP.bytes()))), make([]byte, 8)), want: udpWant},
		{name: "pppoe ipv6 behind 802.1Q", link: LinkEthernet,
			frame: eth(etherPPPoESess, []uint16{etherVLAN}, pppoe(cat(be16(pppIPv6), v6))), want: vlans(syn6Want, 1)},
		{name: "pppoe behind QinQ", link: LinkEthernet,
			frame: eth(etherPPPoESess, []uint16{etherQinQ, etherVLAN}, pppoe(cat(be16(pppIPv4), v4))), want: vlans(synWant, 2)},
		{name: "pppoe discovery", link: LinkEthernet, frame: eth(etherPPPoEDisc, nil, []byte{0x11, 0x09, 0, 0, 0, 0}), wantErr: ErrNotIP},
		{name: "pppoe wrong version", link: LinkEthernet, frame: eth(etherPPPoESess, nil, with3(pppoe(cat(be16(pppIPv4), v4)), 0, 0x21)), wantErr: ErrNotIP},
		{name: "mpls multicast", link: LinkEthernet, frame: eth(etherMPLSMulti, nil, cat(mplsLabels(1), v4)), want: synWant},
		{name: "mpls stack behind 802.1Q", link: LinkEthernet,
			frame: eth(etherMPLS, []uint16{etherVLAN}, cat(mplsLabels(3), v6)), want: vlans(syn6Want, 1)},
		{name: "mpls labels past the limit", link: LinkEthernet, frame: eth(etherMPLS, nil, cat(mplsLabels(MaxMPLSLabels+1), v4)), wantErr: ErrTooManyTags},
		{name: "sll pppoe", link: LinkSLL, frame: cat(sllHeader(etherPPPoESess), pppoe(cat(be16(pppIPv4), v4))), want: synWant},
		{name: "sll2 mpls", link: LinkSLL2, frame: cat(sll2Header(etherMPLS), mplsLabels(2), v4), want: synWant},
		{name: "sll2 vlan pppoe ipv6", link: LinkSLL2,
			frame: cat(sll2Header(etherVLAN), be16(7), be16(etherPPPoESess), pppoe(cat(be16(pppIPv6), v6))), want: vlans(syn6Want, 1)},
		{name: "raw dlt 12", link: LinkRawDLT12, frame: v6, want: syn6Want},
		{name: "raw dlt 14", link: LinkRawDLT14, frame: v4, want: synWant},
		{name: "ppp ipv4 protocol with a broken header", link: LinkPPP,
			frame: cat(hdlc, be16(pppIPv4), with3(synIP.bytes(), 0, 0x43)), wantErr: ErrBadIPHeader},
	}
}
