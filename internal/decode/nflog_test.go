package decode

import (
	"encoding/binary"
	"testing"
)

// tlv is one NFLOG TLV before encoding.
type tlv struct {
	typ uint16
	val []byte
}

// nflogFrame builds an NFLOG frame by hand: the header, then each TLV with
// its length and type in byte order bo, padded to 4 bytes except where
// unpadded is set for the last TLV (as a snap length may leave it).
func nflogFrame(bo binary.AppendByteOrder, fam uint8, group uint16, tlvs ...tlv) []byte {
	out := append([]byte{fam, 0}, be16(group)...)
	for _, t := range tlvs {
		out = bo.AppendUint16(out, uint16(4+len(t.val)))
		out = bo.AppendUint16(out, t.typ)
		out = append(out, t.val...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out
}

// Kernel TLVs as a log rule on the input hook writes them before the
// payload: packet header (hardware protocol, hook), prefix, timestamp,
// input interface, hardware type, hardware header.
func nflogHead(etherType uint16) []tlv {
	return []tlv{
		{1, cat(be16(etherType), []byte{1, 0})},
		{10, []byte("honeyscope\x00")},
		{3, cat(be32(0), be32(1_700_000_000), be32(0), be32(250_000))},
		{4, be32(2)},
		{15, []byte{1, 0}},
		{16, eth(etherType, nil, nil)},
	}
}

func nflogCases() []decodeCase {
	// seq == destination address: the Mirai SYN.
	syn := tcpSeg{sport: 40000, dport: 23, seq: 0xcb007109, flags: TCPSyn}
	synIP := ip4{src: srcA, dst: dstA, proto: ProtoTCP, ttl: 64, id: 54321, payload: syn.bytes()}
	synWant := Packet{Src: srcA, Dst: dstA, Proto: ProtoTCP, TTL: 64, IPID: 54321, IPLen: 40,
		HasTransport: true, SrcPort: 40000, DstPort: 23, TCPFlags: TCPSyn, Seq: 0xcb007109}
	syn6 := ip6{src: src6, dst: dst6, next: ProtoTCP, hop: 57, payload: syn.bytes()}
	syn6Want := Packet{Src: src6, Dst: dst6, IPv6: true, Proto: ProtoTCP, TTL: 57, IPLen: 60,
		HasTransport: true, SrcPort: 40000, DstPort: 23, TCPFlags: TCPSyn, Seq: 0xcb007109}
	dns := []byte{0x12, 0x34, 1, 0, 0, 1, 7} // odd length: the payload TLV is padded
	udpIP := ip4{src: srcA, dst: dstA, proto: ProtoUDP, ttl: 60, id: 99, payload: udpDgram(5353, 53, dns)}
	udpWant := Packet{Src: srcA, Dst: dstA, Proto: ProtoUDP, TTL: 60, IPID: 99, IPLen: 20 + 8 + len(dns),
		HasTransport: true, SrcPort: 5353, DstPort: 53, Payload: dns}

	le, be := binary.LittleEndian, binary.BigEndian
	head4, head6 := nflogHead(etherIPv4), nflogHead(etherIPv6)
	with := func(head []tlv, more ...tlv) []tlv { return append(append([]tlv(nil), head...), more...) }
	many := make([]tlv, MaxNFLOGTLVs)
	for i := range many {
		many[i] = tlv{11, be32(0)}
	}
	return []decodeCase{
		{name: "nflog ipv4 mirai syn", link: LinkNFLOG,
			frame: nflogFrame(le, afInet, 5, with(head4, tlv{NFLOGPayload, synIP.bytes()})...), want: synWant},
		{name: "nflog ipv6 syn", link: LinkNFLOG,
			frame: nflogFrame(le, afInet6, 5, with(head6, tlv{NFLOGPayload, syn6.bytes()})...), want: syn6Want},
		{name: "nflog big-endian tlvs", link: LinkNFLOG,
			frame: nflogFrame(be, afInet, 0xffff, with(head4, tlv{NFLOGPayload, synIP.bytes()})...), want: synWant},
		{name: "nflog payload first", link: LinkNFLOG,
			frame: nflogFrame(le, afInet6, 1, tlv{NFLOGPayload, syn6.bytes()}), want: syn6Want},
		{name: "nflog padded udp payload", link: LinkNFLOG,
			frame: nflogFrame(le, afInet, 5, with(head4, tlv{NFLOGPayload, udpIP.bytes()})...), want: udpWant},
		{name: "nflog payload tlv cut by the snap length", link: LinkNFLOG,
			frame: cut(nflogFrame(le, afInet, 5, with(head4, tlv{NFLOGPayload, synIP.bytes()})...), 40-34),
			want:  synWant},
		{name: "nflog AppendNFLOG", link: LinkNFLOG, frame: AppendNFLOG(nil, afInet, 3, udpIP.bytes()), want: udpWant},
		{name: "nflog AppendNFLOG ipv6", link: LinkNFLOG, frame: AppendNFLOG(make([]byte, 0, 128), afInet6, 3, syn6.bytes()), want: syn6Want},
		{name: "nflog without payload", link: LinkNFLOG, frame: nflogFrame(le, afInet, 5, head4...), wantErr: ErrTruncated},
		{name: "nflog bridge family", link: LinkNFLOG,
			frame: nflogFrame(le, 7, 5, tlv{NFLOGPayload, synIP.bytes()}), wantErr: ErrNotIP},
		{name: "nflog family disagrees with the packet", link: LinkNFLOG,
			frame: nflogFrame(le, afInet6, 5, tlv{NFLOGPayload, cat(synIP.bytes(), make([]byte, 20))}), wantErr: ErrBadIPHeader},
		{name: "nflog tlv length below 4", link: LinkNFLOG,
			frame: cat([]byte{afInet, 0, 0, 5}, le16(2), le16(1), synIP.bytes()), wantErr: ErrTruncated},
		{name: "nflog non-payload tlv past the frame", link: LinkNFLOG,
			frame: cat([]byte{afInet, 0, 0, 5}, le16(400), le16(10), synIP.bytes()), wantErr: ErrTruncated},
		{name: "nflog too many tlvs", link: LinkNFLOG,
			frame: nflogFrame(le, afInet, 5, with(many, tlv{NFLOGPayload, synIP.bytes()})...), wantErr: ErrTooManyTags},
		{name: "nflog short header", link: LinkNFLOG, frame: []byte{afInet, 0, 0}, wantErr: ErrTruncated},
	}
}

// cut drops the last n bytes of b.
func cut(b []byte, n int) []byte { return b[:len(b)-n] }

func le16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }

// TestAppendNFLOG checks the frame layout AppendNFLOG writes and that it
// does not allocate when dst has room.
func TestAppendNFLOG(t *testing.T) {
	pkt := []byte{0x45, 1, 2, 3, 4}
	got := AppendNFLOG([]byte{0xee}, afInet, 0x0102, pkt)
	want := cat([]byte{0xee, afInet, 0, 1, 2}, le16(9), le16(NFLOGPayload), pkt, []byte{0, 0, 0})
	if string(got) != string(want) {
		t.Fatalf("AppendNFLOG = %x, want %x", got, want)
	}
	if len(got)%4 != 1 {
		t.Fatalf("frame of %d bytes after a 1-byte prefix is not padded to 4", len(got))
	}
	long := make([]byte, 70000)
	if n := len(AppendNFLOG(nil, afInet, 1, long)); n != 4+0xffff+1 {
		t.Fatalf("over-long packet gives a %d-byte frame", n)
	}
	buf := make([]byte, 0, 256)
	if a := testing.AllocsPerRun(100, func() { _ = AppendNFLOG(buf[:0], afInet6, 1, pkt) }); a != 0 {
		t.Fatalf("%v allocations with room in dst", a)
	}
}
