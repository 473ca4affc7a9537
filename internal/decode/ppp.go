package decode

import "encoding/binary"

// PPP, PPPoE and Cisco HDLC framing: the link layers of a router's or a
// DSL line's capture.
const (
	etherPPPoEDisc = 0x8863 // PPPoE discovery (PADI, PADO, ...): no IP inside
	etherPPPoESess = 0x8864 // PPPoE session: a PPP frame inside
	pppoeHdrLen    = 6      // version/type, code, session id, length

	pppAddress = 0xff // HDLC-like framing: all-stations address ...
	pppControl = 0x03 // ... and unnumbered-information control

	pppIPv4  = 0x0021
	pppIPv6  = 0x0057
	pppMPLS  = 0x0281 // MPLS unicast
	pppMPLSM = 0x0283 // MPLS multicast

	chdlcUnicast   = 0x0f // Cisco HDLC address bytes
	chdlcBroadcast = 0x8f
	chdlcHdrLen    = 4 // address, control, EtherType
)

// decodePPP decodes a PPP frame (LinkPPP): the HDLC-like address and
// control bytes are optional (address-and-control-field compression).
func decodePPP(b []byte, p *Packet) error {
	if len(b) >= 2 && b[0] == pppAddress && b[1] == pppControl {
		b = b[2:]
	}
	return decodePPPProto(b, p)
}

// decodePPPHDLC decodes LinkPPPHDLC: PPP in HDLC-like framing, or Cisco
// HDLC when the address byte says so (RFC 1547 section 4.3.1).
func decodePPPHDLC(b []byte, p *Packet) error {
	if len(b) < 1 {
		return ErrTruncated
	}
	if b[0] == chdlcUnicast || b[0] == chdlcBroadcast {
		return decodeCHDLC(b, p)
	}
	return decodePPP(b, p)
}

// decodePPPProto reads a PPP protocol field, one byte when its low bit is
// set (protocol-field compression) and two otherwise, and decodes the IP
// or MPLS packet that follows.
func decodePPPProto(b []byte, p *Packet) error {
	if len(b) < 1 {
		return ErrTruncated
	}
	var proto uint16
	if b[0]&0x01 != 0 {
		proto, b = uint16(b[0]), b[1:]
	} else {
		if len(b) < 2 {
			return ErrTruncated
		}
		proto, b = binary.BigEndian.Uint16(b[0:2]), b[2:]
	}
	switch proto {
	case pppIPv4:
		return decodeIPv4(b, p)
	case pppIPv6:
		return decodeIPv6(b, p)
	case pppMPLS, pppMPLSM:
		return decodeMPLS(b, p)
	}
	// LCP, IPCP, authentication, Van Jacobson compressed TCP, ...
	return ErrNotIP
}

// decodePPPoE decodes a PPPoE session header and the PPP frame it holds.
// The header's length bounds the PPP frame (Ethernet pads short frames).
func decodePPPoE(b []byte, p *Packet) error {
	if len(b) < pppoeHdrLen {
		return ErrTruncated
	}
	if b[0] != 0x11 || b[1] != 0x00 {
		// Version 1, type 1, code 0 (session data) is the only kind that
		// carries packets.
		return ErrNotIP
	}
	n := int(binary.BigEndian.Uint16(b[4:6]))
	b = b[pppoeHdrLen:]
	if n < len(b) {
		b = b[:n]
	}
	return decodePPPProto(b, p)
}

// decodeCHDLC decodes a Cisco HDLC frame: address, control, EtherType.
func decodeCHDLC(b []byte, p *Packet) error {
	if len(b) < chdlcHdrLen {
		return ErrTruncated
	}
	return decodeEtherType(binary.BigEndian.Uint16(b[2:4]), b[chdlcHdrLen:], p)
}
