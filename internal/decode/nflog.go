package decode

import "encoding/binary"

// NFLOG (LINKTYPE_NFLOG, 239) frames are the netlink message a Linux
// NFLOG logger receives: a 4-byte header (address family, version 0,
// big-endian group number) followed by TLVs, each a 16-bit length
// (including the 4-byte TLV header) and a 16-bit type, both in the byte
// order of the host that captured them, the value padded to 4 bytes.
const (
	nflogHdrLen = 4
	nflogTLVLen = 4

	// NFLOGPayload is the TLV type (NFULA_PAYLOAD) holding the IP packet.
	NFLOGPayload = 9
	// NFLOGTimestamp is the TLV type (NFULA_TIMESTAMP) holding the kernel's
	// timestamp; Decode ignores it (the capture record's time is used).
	NFLOGTimestamp = 3

	afInet  = 2  // AF_INET on Linux
	afInet6 = 10 // AF_INET6 on Linux
)

// decodeNFLOG finds the payload TLV and decodes the IP packet it holds,
// choosing IPv4 or IPv6 by the header's address family.
func decodeNFLOG(b []byte, p *Packet) error {
	if len(b) < nflogHdrLen {
		return ErrTruncated
	}
	fam := b[0]
	if fam != afInet && fam != afInet6 {
		return ErrNotIP
	}
	b = b[nflogHdrLen:]
	// The TLV byte order is the capturing host's, which the frame does not
	// record: types are small, so a type with only its high byte set was
	// written by a host of the other endianness.
	var bo binary.ByteOrder = binary.LittleEndian
	if len(b) >= nflogTLVLen && b[2] == 0 && b[3] != 0 {
		bo = binary.BigEndian
	}
	for range MaxNFLOGTLVs {
		if len(b) < nflogTLVLen {
			return ErrTruncated
		}
		n := int(bo.Uint16(b[0:2]))
		typ := bo.Uint16(b[2:4])
		if n < nflogTLVLen {
			return ErrTruncated
		}
		if n > len(b) {
			// A snap length cuts the payload TLV, the last one the
			// kernel writes: what was captured of it is the packet.
			if typ != NFLOGPayload {
				return ErrTruncated
			}
			n = len(b)
		}
		if typ == NFLOGPayload {
			if fam == afInet {
				return decodeIPv4(b[nflogTLVLen:n], p)
			}
			return decodeIPv6(b[nflogTLVLen:n], p)
		}
		n = (n + 3) &^ 3
		if n >= len(b) {
			return ErrTruncated
		}
		b = b[n:]
	}
	return ErrTooManyTags
}

// AppendNFLOG appends to dst an NFLOG frame (LinkNFLOG) carrying the IP
// packet pkt of address family fam (2 for IPv4, 10 for IPv6) logged to
// group, its TLVs in little-endian order as a little-endian Linux host
// writes them. It allocates only when dst lacks the capacity. A packet
// longer than a TLV can hold is cut to fit.
func AppendNFLOG(dst []byte, fam uint8, group uint16, pkt []byte) []byte {
	const maxValue = 0xffff - nflogTLVLen
	if len(pkt) > maxValue {
		pkt = pkt[:maxValue]
	}
	dst = append(dst, fam, 0)
	dst = binary.BigEndian.AppendUint16(dst, group)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(nflogTLVLen+len(pkt)))
	dst = binary.LittleEndian.AppendUint16(dst, NFLOGPayload)
	dst = append(dst, pkt...)
	for pad := (4 - len(pkt)%4) % 4; pad > 0; pad-- {
		dst = append(dst, 0)
	}
	return dst
}
