// Package decode parses link, network and transport headers of captured
// frames into a Packet without allocating. It is the hot path of ingest:
// gopacket's NewPacket is about 20x slower and rejects truncated TCP headers
// that real scanners produce, so the headers are parsed by hand here.
package decode

import "net/netip"

// LinkType is a pcap LINKTYPE_* value (see https://www.tcpdump.org/linktypes.html).
type LinkType uint32

// Link types the decoder understands.
const (
	LinkNull     LinkType = 0   // BSD loopback: 4-byte host-order address family
	LinkEthernet LinkType = 1   // Ethernet II, with 802.1Q / 802.1ad / QinQ tags, PPPoE sessions, MPLS
	LinkPPP      LinkType = 9   // PPP, with or without the HDLC-like ff 03 bytes
	LinkRawDLT12 LinkType = 12  // raw IPv4 or IPv6 (DLT_RAW's value on most systems, found in old files)
	LinkRawDLT14 LinkType = 14  // raw IPv4 or IPv6 (DLT_RAW's value on OpenBSD)
	LinkPPPHDLC  LinkType = 50  // PPP in HDLC-like framing, or Cisco HDLC (first byte 0x0f/0x8f)
	LinkPPPoE    LinkType = 51  // PPPoE session header, then PPP (LINKTYPE_PPP_ETHER)
	LinkRaw      LinkType = 101 // raw IPv4 or IPv6, version from the first nibble
	LinkCHDLC    LinkType = 104 // Cisco HDLC: address, control, EtherType
	LinkLoop     LinkType = 108 // OpenBSD loopback: 4-byte network-order family
	LinkSLL      LinkType = 113 // Linux cooked capture v1 (its protocol is an EtherType, as for Ethernet)
	LinkIPv4     LinkType = 228 // raw IPv4
	LinkIPv6     LinkType = 229 // raw IPv6
	LinkNFLOG    LinkType = 239 // Linux NFLOG: family, version, group, then TLVs holding the IP packet
	LinkSLL2     LinkType = 276 // Linux cooked capture v2
)

// IP protocol numbers used by the classifier.
const (
	ProtoICMP   uint8 = 1
	ProtoTCP    uint8 = 6
	ProtoUDP    uint8 = 17
	ProtoGRE    uint8 = 47
	ProtoICMPv6 uint8 = 58
)

// TCP flag bits as they appear in byte 13 of the TCP header.
const (
	TCPFin uint8 = 0x01
	TCPSyn uint8 = 0x02
	TCPRst uint8 = 0x04
	TCPPsh uint8 = 0x08
	TCPAck uint8 = 0x10
	TCPUrg uint8 = 0x20
)

// Fragment states of an IP packet.
const (
	FragNone  uint8 = 0 // not fragmented
	FragFirst uint8 = 1 // first fragment (offset 0, more-fragments set): transport header present
	FragLater uint8 = 2 // a later fragment: no transport header
)

// Packet is the decoded view of one frame. Decode fills it in place; slices
// (Payload) point into the frame buffer and are only valid as long as it is.
// The zero value is an empty packet; Decode resets every field it does not set.
type Packet struct {
	Src, Dst netip.Addr // outer-most IP header after decapsulation (GRE/ERSPAN inner packet)
	IPv6     bool
	Proto    uint8  // transport protocol (after IPv6 extension headers)
	TTL      uint8  // IPv4 TTL or IPv6 hop limit
	IPID     uint16 // IPv4 identification (0 for IPv6)
	IPLen    int    // IP total length in bytes from the header (not the frame length)
	Frag     uint8  // FragNone, FragFirst or FragLater

	// HasTransport is true when the transport header's fixed fields below were
	// present in the captured bytes (ports for TCP/UDP, type/code for ICMP).
	HasTransport bool
	SrcPort      uint16 // TCP/UDP source port
	DstPort      uint16 // TCP/UDP destination port
	TCPFlags     uint8  // TCP flags byte (byte 13)
	Seq          uint32 // TCP sequence number
	Ack          uint32 // TCP acknowledgement number
	ICMPType     uint8  // ICMP / ICMPv6 type
	ICMPCode     uint8  // ICMP / ICMPv6 code

	// Payload is the transport payload as captured (TCP after the data offset,
	// UDP after 8 bytes, ICMP after 8 bytes), clipped to the IP total length.
	// Empty when the header runs past the captured bytes.
	Payload []byte

	// Quoted is set for ICMP errors (unreachable, time exceeded, ...) that quote
	// an inner IP header; QuotedSrc/QuotedDst/QuotedProto/QuotedSrcPort/
	// QuotedDstPort describe the quoted packet (the one our address sent or was
	// spoofed as sending).
	Quoted        bool
	QuotedSrc     netip.Addr
	QuotedDst     netip.Addr
	QuotedProto   uint8
	QuotedSrcPort uint16
	QuotedDstPort uint16

	VLANs uint8 // number of 802.1Q/802.1ad tags stripped
	Encap uint8 // number of GRE/ERSPAN layers stripped
}
