package decode

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// Sentinel errors returned by Decode. They are preallocated so that a failed
// decode does not allocate either; compare with errors.Is.
var (
	// ErrTruncated means the frame ended before an IP header could be read.
	ErrTruncated = errors.New("decode: frame truncated before the IP header")
	// ErrUnsupportedLink means the link type is not one Decode understands.
	ErrUnsupportedLink = errors.New("decode: unsupported link type")
	// ErrNotIP means the frame carries something other than IPv4 or IPv6
	// (ARP, LLDP, an unknown address family, ...).
	ErrNotIP = errors.New("decode: not an IP packet")
	// ErrBadIPHeader means an IP header was found but is malformed (wrong
	// version, header length below the minimum, total length shorter than
	// the header).
	ErrBadIPHeader = errors.New("decode: malformed IP header")
	// ErrTooManyTags means more VLAN tags or MPLS labels were stacked than
	// the decoder is willing to strip, or an NFLOG frame has more than
	// MaxNFLOGTLVs TLVs before its payload.
	ErrTooManyTags = errors.New("decode: too many VLAN tags or MPLS labels")
)

// Bounds that keep the decoder's work per frame constant.
const (
	// MaxVLANs is the number of 802.1Q/802.1ad tags stripped per Ethernet
	// header before the frame is rejected with ErrTooManyTags.
	MaxVLANs = 8
	// MaxMPLSLabels is the number of MPLS label stack entries accepted.
	MaxMPLSLabels = 8
	// MaxEncap is the number of tunnel layers (GRE, ERSPAN, IP-in-IP)
	// stripped; a packet nested deeper is described at that depth.
	MaxEncap = 4
	// MaxIPv6ExtHeaders is the number of IPv6 extension headers walked
	// before giving up on finding the transport header.
	MaxIPv6ExtHeaders = 8
	// MaxNFLOGTLVs is the number of NFLOG TLVs walked looking for the
	// payload; the kernel writes about twenty kinds at most.
	MaxNFLOGTLVs = 32
)

// EtherTypes understood by the decoder.
const (
	etherIPv4      = 0x0800
	etherIPv6      = 0x86dd
	etherVLAN      = 0x8100 // 802.1Q
	etherQinQ      = 0x88a8 // 802.1ad
	etherQinQOld   = 0x9100 // pre-standard QinQ
	etherMPLS      = 0x8847 // MPLS unicast
	etherMPLSMulti = 0x8848 // MPLS multicast
	etherTEB       = 0x6558 // transparent Ethernet bridging (GRE)
	etherERSPAN2   = 0x88be // ERSPAN type II (type I when GRE has no sequence number)
	etherERSPAN3   = 0x22eb // ERSPAN type III
	ethernetHdrLen = 14
)

// IP protocol numbers handled internally.
const (
	protoHopByHop uint8 = 0
	protoIPIP     uint8 = 4
	protoIPv6     uint8 = 41
	protoRouting  uint8 = 43
	protoFragment uint8 = 44
	protoESP      uint8 = 50
	protoAH       uint8 = 51
	protoNoNext   uint8 = 59
	protoDstOpts  uint8 = 60
	protoDCCP     uint8 = 33
	protoSCTP     uint8 = 132
	protoUDPLite  uint8 = 136
)

// Decode parses frame, captured with the given link type, into p. Every
// field of p is reset first. It never allocates and never panics.
//
// An error is returned only when no IP header can be found (the frame is cut
// short, is not IP, or the IP header is malformed). A packet whose transport
// header is missing or partly captured is not an error: HasTransport reports
// whether the transport fields are valid. GRE, ERSPAN and IP-in-IP tunnels
// are stripped up to MaxEncap layers and p describes the innermost packet;
// when an inner packet cannot be decoded, p describes the tunnel packet
// itself.
func Decode(link LinkType, frame []byte, p *Packet) error {
	*p = Packet{}
	switch link {
	case LinkEthernet:
		return decodeEthernet(frame, p)
	case LinkRaw, LinkRawDLT12, LinkRawDLT14:
		return decodeIPByVersion(frame, p)
	case LinkIPv4:
		return decodeIPv4(frame, p)
	case LinkIPv6:
		return decodeIPv6(frame, p)
	case LinkSLL:
		// Packet type(2) ARPHRD(2) addr len(2) addr(8) protocol(2).
		if len(frame) < 16 {
			return ErrTruncated
		}
		return decodeEtherType(binary.BigEndian.Uint16(frame[14:16]), frame[16:], p)
	case LinkSLL2:
		// Protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) addr len(1) addr(8).
		if len(frame) < 20 {
			return ErrTruncated
		}
		return decodeEtherType(binary.BigEndian.Uint16(frame[0:2]), frame[20:], p)
	case LinkNull:
		if len(frame) < 4 {
			return ErrTruncated
		}
		// The family is in the capturing host's byte order, which the file
		// does not record: families are small, so a value with only high
		// bytes set was written by a host of the other endianness.
		fam := binary.LittleEndian.Uint32(frame[0:4])
		if fam&0xffff0000 != 0 {
			fam = binary.BigEndian.Uint32(frame[0:4])
		}
		return decodeFamily(fam, frame[4:], p)
	case LinkLoop:
		if len(frame) < 4 {
			return ErrTruncated
		}
		return decodeFamily(binary.BigEndian.Uint32(frame[0:4]), frame[4:], p)
	case LinkNFLOG:
		return decodeNFLOG(frame, p)
	case LinkPPP:
		return decodePPP(frame, p)
	case LinkPPPHDLC:
		return decodePPPHDLC(frame, p)
	case LinkPPPoE:
		return decodePPPoE(frame, p)
	case LinkCHDLC:
		return decodeCHDLC(frame, p)
	}
	return ErrUnsupportedLink
}

// decodeFamily dispatches on a BSD address family (AF_INET is 2 everywhere;
// AF_INET6 is 24 on NetBSD/OpenBSD, 28 on FreeBSD and 30 on macOS).
func decodeFamily(fam uint32, b []byte, p *Packet) error {
	switch fam {
	case 2:
		return decodeIPv4(b, p)
	case 24, 28, 30:
		return decodeIPv6(b, p)
	}
	return ErrNotIP
}

func decodeEthernet(b []byte, p *Packet) error {
	if len(b) < ethernetHdrLen {
		return ErrTruncated
	}
	return decodeEtherType(binary.BigEndian.Uint16(b[12:14]), b[ethernetHdrLen:], p)
}

// decodeEtherType strips VLAN tags, a PPPoE session header and MPLS labels
// and decodes the IP packet that follows.
func decodeEtherType(et uint16, b []byte, p *Packet) error {
	for tags := 0; et == etherVLAN || et == etherQinQ || et == etherQinQOld; tags++ {
		if tags == MaxVLANs {
			return ErrTooManyTags
		}
		if len(b) < 4 {
			return ErrTruncated
		}
		et = binary.BigEndian.Uint16(b[2:4])
		b = b[4:]
		p.VLANs++
	}
	switch et {
	case etherIPv4:
		return decodeIPv4(b, p)
	case etherIPv6:
		return decodeIPv6(b, p)
	case etherMPLS, etherMPLSMulti:
		return decodeMPLS(b, p)
	case etherPPPoESess:
		return decodePPPoE(b, p)
	}
	return ErrNotIP
}

// decodeMPLS skips an MPLS label stack and decodes the IP packet below it,
// guessing its version from the first nibble as routers do.
func decodeMPLS(b []byte, p *Packet) error {
	for i := 0; ; i++ {
		if i == MaxMPLSLabels {
			return ErrTooManyTags
		}
		if len(b) < 4 {
			return ErrTruncated
		}
		bottom := b[2]&0x01 != 0
		b = b[4:]
		if bottom {
			break
		}
	}
	return decodeIPByVersion(b, p)
}

// decodeIPByVersion decodes an IPv4 or IPv6 packet chosen by its first nibble.
func decodeIPByVersion(b []byte, p *Packet) error {
	if len(b) < 1 {
		return ErrTruncated
	}
	switch b[0] >> 4 {
	case 4:
		return decodeIPv4(b, p)
	case 6:
		return decodeIPv6(b, p)
	}
	return ErrNotIP
}

// decodeIPv4 validates the header before writing anything to p, so that a
// failed inner decode leaves the tunnel packet's fields intact.
func decodeIPv4(b []byte, p *Packet) error {
	if len(b) < 20 {
		return ErrTruncated
	}
	if b[0]>>4 != 4 {
		return ErrBadIPHeader
	}
	hl := int(b[0]&0x0f) * 4
	if hl < 20 {
		return ErrBadIPHeader
	}
	tl := int(binary.BigEndian.Uint16(b[2:4]))
	if tl == 0 {
		// Segmentation offload on the capturing host leaves the field
		// zero; the captured bytes are all there is to go by.
		tl = len(b)
	} else if tl < hl {
		return ErrBadIPHeader
	}
	p.IPv6 = false
	p.IPLen = tl
	p.IPID = binary.BigEndian.Uint16(b[4:6])
	p.TTL = b[8]
	p.Proto = b[9]
	p.Src = netip.AddrFrom4([4]byte(b[12:16]))
	p.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	frag := binary.BigEndian.Uint16(b[6:8])
	switch {
	case frag&0x1fff != 0:
		p.Frag = FragLater
	case frag&0x2000 != 0:
		p.Frag = FragFirst
	default:
		p.Frag = FragNone
	}
	if p.Frag == FragLater || hl > len(b) {
		return nil
	}
	// Ethernet pads short frames: the total length, not the frame, says
	// where the packet ends.
	end := min(tl, len(b))
	decodeTransport(p.Proto, b[hl:end], p)
	return nil
}

func decodeIPv6(b []byte, p *Packet) error {
	if len(b) < 40 {
		return ErrTruncated
	}
	if b[0]>>4 != 6 {
		return ErrBadIPHeader
	}
	pl := int(binary.BigEndian.Uint16(b[4:6]))
	end := len(b)
	if pl == 0 {
		// Jumbogram (or offloaded packet): the length is elsewhere or
		// nowhere; use what was captured.
		p.IPLen = len(b)
	} else {
		p.IPLen = 40 + pl
		end = min(end, 40+pl)
	}
	p.IPv6 = true
	p.IPID = 0
	p.TTL = b[7]
	p.Src = netip.AddrFrom16([16]byte(b[8:24]))
	p.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	proto, body, frag, ok := walkIPv6Ext(b[6], b[40:end])
	p.Proto = proto
	p.Frag = frag
	if ok {
		decodeTransport(proto, body, p)
	}
	return nil
}

// walkIPv6Ext follows IPv6 extension headers starting with next header nh
// over b. It returns the final protocol, the bytes after the last extension
// header, the fragment state, and whether a transport header may follow
// (false for later fragments, ESP, no-next-header, truncated or too long
// chains; proto is then the header that could not be passed).
func walkIPv6Ext(nh uint8, b []byte) (proto uint8, body []byte, frag uint8, ok bool) {
	for range MaxIPv6ExtHeaders {
		var n int
		switch nh {
		case protoHopByHop, protoRouting, protoDstOpts:
			if len(b) < 2 {
				return nh, nil, frag, false
			}
			n = (int(b[1]) + 1) * 8
		case protoAH:
			if len(b) < 2 {
				return nh, nil, frag, false
			}
			n = (int(b[1]) + 2) * 4
		case protoFragment:
			if len(b) < 8 {
				return nh, nil, frag, false
			}
			off := binary.BigEndian.Uint16(b[2:4]) >> 3
			switch {
			case off != 0:
				frag = FragLater
			case b[3]&0x01 != 0:
				frag = FragFirst
			}
			if frag == FragLater {
				return b[0], nil, frag, false
			}
			n = 8
		case protoESP, protoNoNext:
			return nh, nil, frag, false
		default:
			return nh, b, frag, true
		}
		if n > len(b) {
			return nh, nil, frag, false
		}
		nh = b[0]
		b = b[n:]
	}
	return nh, nil, frag, false
}

// decodeTransport fills the transport fields from body (already clipped to
// the IP packet) or strips a tunnel layer.
func decodeTransport(proto uint8, body []byte, p *Packet) {
	switch proto {
	case ProtoTCP:
		// Ports, sequence, acknowledgement and flags live in the first 14
		// bytes; a data offset pointing past the capture (as in real
		// Mirai SYNs) still leaves those valid.
		if len(body) < 14 {
			return
		}
		p.HasTransport = true
		p.SrcPort = binary.BigEndian.Uint16(body[0:2])
		p.DstPort = binary.BigEndian.Uint16(body[2:4])
		p.Seq = binary.BigEndian.Uint32(body[4:8])
		p.Ack = binary.BigEndian.Uint32(body[8:12])
		p.TCPFlags = body[13]
		if off := int(body[12]>>4) * 4; off >= 20 && off <= len(body) {
			p.Payload = body[off:]
		}
	case ProtoUDP:
		if len(body) < 8 {
			return
		}
		p.HasTransport = true
		p.SrcPort = binary.BigEndian.Uint16(body[0:2])
		p.DstPort = binary.BigEndian.Uint16(body[2:4])
		if ul := int(binary.BigEndian.Uint16(body[4:6])); ul >= 8 && ul < len(body) {
			body = body[:ul]
		}
		p.Payload = body[8:]
	case ProtoICMP, ProtoICMPv6:
		if len(body) < 2 {
			return
		}
		p.HasTransport = true
		p.ICMPType = body[0]
		p.ICMPCode = body[1]
		if len(body) < 8 {
			return
		}
		p.Payload = body[8:]
		if isICMPError(proto, p.ICMPType) {
			decodeQuoted(p.Payload, p)
		}
	case ProtoGRE, protoIPIP, protoIPv6:
		if p.Encap < MaxEncap {
			decodeTunnel(proto, body, p)
		}
	}
}

// decodeTunnel decodes the packet inside a tunnel. On failure the counters
// it may have touched are restored and p keeps describing the tunnel packet
// (the inner decoders validate before they write any other field). A switch
// rather than a function value keeps p and the frame from escaping.
func decodeTunnel(proto uint8, b []byte, p *Packet) {
	vlans, encap := p.VLANs, p.Encap
	p.Encap++
	var err error
	switch proto {
	case ProtoGRE:
		err = decodeGRE(b, p)
	case protoIPIP:
		err = decodeIPv4(b, p)
	default:
		err = decodeIPv6(b, p)
	}
	if err != nil {
		p.VLANs, p.Encap = vlans, encap
	}
}

func isICMPError(proto, typ uint8) bool {
	if proto == ProtoICMPv6 {
		return typ >= 1 && typ <= 4
	}
	switch typ {
	case 3, 4, 5, 11, 12:
		return true
	}
	return false
}

// decodeQuoted reads the IP header quoted by an ICMP error and the ports of
// its transport header, tolerating any truncation.
func decodeQuoted(b []byte, p *Packet) {
	if len(b) < 1 {
		return
	}
	var (
		proto uint8
		th    []byte
	)
	switch b[0] >> 4 {
	case 4:
		if len(b) < 20 {
			return
		}
		proto = b[9]
		p.QuotedSrc = netip.AddrFrom4([4]byte(b[12:16]))
		p.QuotedDst = netip.AddrFrom4([4]byte(b[16:20]))
		hl := int(b[0]&0x0f) * 4
		if hl >= 20 && hl <= len(b) && binary.BigEndian.Uint16(b[6:8])&0x1fff == 0 {
			th = b[hl:]
		}
	case 6:
		if len(b) < 40 {
			return
		}
		p.QuotedSrc = netip.AddrFrom16([16]byte(b[8:24]))
		p.QuotedDst = netip.AddrFrom16([16]byte(b[24:40]))
		var ok bool
		proto, th, _, ok = walkIPv6Ext(b[6], b[40:])
		if !ok {
			th = nil
		}
	default:
		return
	}
	p.Quoted = true
	p.QuotedProto = proto
	switch proto {
	case ProtoTCP, ProtoUDP, protoSCTP, protoDCCP, protoUDPLite:
		if len(th) >= 4 {
			p.QuotedSrcPort = binary.BigEndian.Uint16(th[0:2])
			p.QuotedDstPort = binary.BigEndian.Uint16(th[2:4])
		}
	}
}

// GRE header flag bits (RFC 2784, RFC 2890; R from RFC 1701).
const (
	greChecksum = 0x8000
	greRouting  = 0x4000
	greKey      = 0x2000
	greSeq      = 0x1000
)

// decodeGRE strips a version 0 GRE header and any ERSPAN header and decodes
// the IP packet it carries.
func decodeGRE(b []byte, p *Packet) error {
	if len(b) < 4 {
		return ErrTruncated
	}
	flags := binary.BigEndian.Uint16(b[0:2])
	if flags&0x0007 != 0 || flags&greRouting != 0 {
		// Version 1 is PPTP's enhanced GRE carrying PPP; source routing
		// (RFC 1701) is obsolete. Neither is decapsulated.
		return ErrNotIP
	}
	n := 4
	if flags&greChecksum != 0 {
		n += 4
	}
	if flags&greKey != 0 {
		n += 4
	}
	if flags&greSeq != 0 {
		n += 4
	}
	if len(b) < n {
		return ErrTruncated
	}
	et := binary.BigEndian.Uint16(b[2:4])
	b = b[n:]
	switch et {
	case etherIPv4:
		return decodeIPv4(b, p)
	case etherIPv6:
		return decodeIPv6(b, p)
	case etherTEB:
		return decodeEthernet(b, p)
	case etherERSPAN2:
		if flags&greSeq == 0 {
			// ERSPAN type I: no ERSPAN header, no GRE sequence number.
			return decodeEthernet(b, p)
		}
		if len(b) < 8 {
			return ErrTruncated
		}
		return decodeEthernet(b[8:], p)
	case etherERSPAN3:
		if len(b) < 12 {
			return ErrTruncated
		}
		frameType := (b[10] >> 2) & 0x1f
		hdr := 12
		if b[11]&0x01 != 0 { // O bit: platform-specific subheader follows
			hdr += 8
		}
		if len(b) < hdr {
			return ErrTruncated
		}
		if frameType == 2 { // mirrored IP packet without its Ethernet header
			return decodeIPByVersion(b[hdr:], p)
		}
		return decodeEthernet(b[hdr:], p)
	}
	return ErrNotIP
}

// SrcV4 returns the IPv4 source address as a big-endian integer, or 0 when
// the source is not IPv4.
func (p *Packet) SrcV4() uint32 { return v4(p.Src) }

// DstV4 returns the IPv4 destination address as a big-endian integer, or 0
// when the destination is not IPv4.
func (p *Packet) DstV4() uint32 { return v4(p.Dst) }

func v4(a netip.Addr) uint32 {
	if !a.Is4() {
		return 0
	}
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}
