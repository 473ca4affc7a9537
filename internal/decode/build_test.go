package decode

import (
	"encoding/binary"
	"net/netip"
)

// Frame builders for generated fixtures. Each returns a fresh slice so that
// tests can truncate and modify frames freely.

var (
	macA = []byte{0x02, 0, 0, 0, 0, 0x01}
	macB = []byte{0x02, 0, 0, 0, 0, 0x02}
)

func cat(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
func be32(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }

// eth builds an Ethernet II header; tags are 802.1Q/802.1ad TPIDs, each
// followed by a TCI.
func eth(etherType uint16, tags []uint16, payload []byte) []byte {
	out := cat(macA, macB)
	for i, tpid := range tags {
		out = cat(out, be16(tpid), be16(uint16(100+i)))
	}
	return cat(out, be16(etherType), payload)
}

type ip4 struct {
	src, dst  netip.Addr
	proto     uint8
	ttl       uint8
	id        uint16
	flagsFrag uint16 // flags (MF = 0x2000) and fragment offset in 8-byte units
	opts      []byte // multiple of 4 bytes
	payload   []byte
}

func (h ip4) bytes() []byte {
	hl := 20 + len(h.opts)
	tl := hl + len(h.payload)
	b := make([]byte, 20, hl+len(h.payload))
	b[0] = 0x40 | byte(hl/4)
	binary.BigEndian.PutUint16(b[2:], uint16(tl))
	binary.BigEndian.PutUint16(b[4:], h.id)
	binary.BigEndian.PutUint16(b[6:], h.flagsFrag)
	b[8] = h.ttl
	b[9] = h.proto
	s, d := h.src.As4(), h.dst.As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	return cat(b, h.opts, h.payload)
}

type ip6 struct {
	src, dst   netip.Addr
	next       uint8
	hop        uint8
	payloadLen int // -1: zero (jumbogram); 0: computed
	payload    []byte
}

func (h ip6) bytes() []byte {
	b := make([]byte, 40)
	b[0] = 0x60
	pl := h.payloadLen
	switch pl {
	case 0:
		pl = len(h.payload)
	case -1:
		pl = 0
	}
	binary.BigEndian.PutUint16(b[4:], uint16(pl))
	b[6] = h.next
	b[7] = h.hop
	s, d := h.src.As16(), h.dst.As16()
	copy(b[8:], s[:])
	copy(b[24:], d[:])
	return cat(b, h.payload)
}

// ext6 builds an IPv6 extension header of the hop-by-hop / routing /
// destination options shape, units 8-byte units long.
func ext6(next uint8, units int) []byte {
	b := make([]byte, units*8)
	b[0] = next
	b[1] = byte(units - 1)
	return b
}

// frag6 builds an IPv6 fragment header.
func frag6(next uint8, offset uint16, more bool) []byte {
	b := make([]byte, 8)
	b[0] = next
	v := offset << 3
	if more {
		v |= 1
	}
	binary.BigEndian.PutUint16(b[2:], v)
	binary.BigEndian.PutUint32(b[4:], 0xdeadbeef)
	return b
}

// ah6 builds an authentication header with icvWords 4-byte words of ICV.
func ah6(next uint8, icvWords int) []byte {
	b := make([]byte, 12+icvWords*4)
	b[0] = next
	b[1] = byte(len(b)/4 - 2)
	return b
}

type tcpSeg struct {
	sport, dport uint16
	seq, ack     uint32
	flags        uint8
	doff         int // data offset in 32-bit words; 0: 5 + len(opts)/4
	opts         []byte
	payload      []byte
}

func (t tcpSeg) bytes() []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:], t.sport)
	binary.BigEndian.PutUint16(b[2:], t.dport)
	binary.BigEndian.PutUint32(b[4:], t.seq)
	binary.BigEndian.PutUint32(b[8:], t.ack)
	doff := t.doff
	if doff == 0 {
		doff = 5 + len(t.opts)/4
	}
	b[12] = byte(doff << 4)
	b[13] = t.flags
	binary.BigEndian.PutUint16(b[14:], 1024)
	return cat(b, t.opts, t.payload)
}

func udpDgram(sport, dport uint16, payload []byte) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	binary.BigEndian.PutUint16(b[4:], uint16(8+len(payload)))
	return cat(b, payload)
}

func icmpMsg(typ, code uint8, rest uint32, payload []byte) []byte {
	return cat([]byte{typ, code, 0, 0}, be32(rest), payload)
}

// gre builds a version 0 GRE header with the optional fields present when
// the corresponding pointer is non-nil.
func gre(proto uint16, csum bool, key, seq *uint32, payload []byte) []byte {
	var flags uint16
	var opt []byte
	if csum {
		flags |= 0x8000
		opt = cat(opt, []byte{0, 0, 0, 0})
	}
	if key != nil {
		flags |= 0x2000
		opt = cat(opt, be32(*key))
	}
	if seq != nil {
		flags |= 0x1000
		opt = cat(opt, be32(*seq))
	}
	return cat(be16(flags), be16(proto), opt, payload)
}

func erspan2(session uint16, inner []byte) []byte {
	return cat([]byte{0x10, 0x00, byte(session >> 8 & 0x03), byte(session)}, []byte{0, 0, 0, 0x14}, inner)
}

// erspan3 builds an ERSPAN type III header; withSub sets the O bit and
// appends an 8-byte platform-specific subheader; frameType 2 means the
// mirrored frame is an IP packet.
func erspan3(frameType uint8, withSub bool, inner []byte) []byte {
	h := make([]byte, 12)
	h[0] = 0x20
	binary.BigEndian.PutUint32(h[4:], 0x12345678) // timestamp
	h[10] = frameType << 2
	if withSub {
		h[11] |= 0x01
		h = cat(h, []byte{0x08, 0, 0, 0, 0xaa, 0xbb, 0xcc, 0xdd})
	}
	return cat(h, inner)
}

func ptr32(v uint32) *uint32 { return &v }
