package classify

import (
	"encoding/binary"

	"github.com/honeyscope/honeyscope/internal/decode"
)

// Classifier tags inbound packets with traffic classes. The zero value is
// usable and never reports the exploit class. A Classifier is read-only after
// construction and safe for concurrent use when its ExploitMatcher is (the
// built-in one is).
//
// Class definitions (a packet may carry several classes):
//
//   - access: every packet passed in. The caller decides what is inbound and
//     passes only that.
//   - mirai: IPv4, TCP with the transport header present (HasTransport), SYN
//     set and ACK clear, and the sequence number equal to the destination IPv4
//     address read as a big-endian uint32 (the leaked Mirai scanner sets
//     seq = daddr). Never for IPv6, never for later fragments (they carry no
//     TCP header). A SYN-ACK with seq == destination is not mirai.
//   - zmap: IPv4 TCP SYN without ACK (transport header present, not a later
//     fragment) with IP ID == 54321, ZMap's fixed IP identification.
//   - masscan: IPv4 TCP SYN without ACK (same conditions) with
//     IP ID == (dstIPv4 ^ dport ^ seq) & 0xffff, masscan's SYN-cookie relation
//     between the IP ID and the sequence number.
//   - backscatter: replies to traffic that someone sent with our address as
//     spoofed source: TCP with SYN and ACK both set, or TCP with RST set (with
//     or without other flags); ICMP (IPv4) echo reply (type 0), destination
//     unreachable (3) or time exceeded (11); ICMPv6 echo reply (129),
//     destination unreachable (1) or time exceeded (3). TCP and ICMP fields
//     are only read when the transport header is present; ICMP types are only
//     read for ICMP over IPv4 and ICMPv6 over IPv6.
//   - exploit: the payload matches a pattern of the Exploits matcher (see
//     NewBuiltinExploits for the built-in set). Only the first fragment or an
//     unfragmented packet has a payload; later fragments are never matched.
//     ICMP errors that quote another packet (Quoted) are not matched either:
//     their payload is the start of a packet the quoting router received, not
//     something the sender sent to us.
type Classifier struct {
	// Exploits finds exploit patterns; nil disables the exploit class.
	Exploits ExploitMatcher
}

// ZMapIPID is the fixed IP identification ZMap puts in its probes.
const ZMapIPID = 54321

// Classify returns the tags of an inbound packet (Access always set) and the
// exploit pattern id (-1 when none). It allocates nothing and does no I/O.
// A nil packet gets no tags.
func (c *Classifier) Classify(p *decode.Packet) (Tags, int) {
	if p == nil {
		return 0, -1
	}
	t := Access.Bit()
	if p.HasTransport && p.Frag != decode.FragLater {
		switch p.Proto {
		case decode.ProtoTCP:
			f := p.TCPFlags
			if f&(decode.TCPSyn|decode.TCPAck) == decode.TCPSyn {
				if !p.IPv6 && p.Dst.Is4() {
					d := p.Dst.As4()
					dst := binary.BigEndian.Uint32(d[:])
					if p.Seq == dst {
						t |= Mirai.Bit()
					}
					if p.IPID == ZMapIPID {
						t |= ZMap.Bit()
					}
					if p.IPID == uint16(dst^uint32(p.DstPort)^p.Seq) {
						t |= Masscan.Bit()
					}
				}
			}
			// RST counts whatever else is set (SYN+RST is both a SYN and RST).
			if f&(decode.TCPSyn|decode.TCPAck) == decode.TCPSyn|decode.TCPAck || f&decode.TCPRst != 0 {
				t |= Backscatter.Bit()
			}
		case decode.ProtoICMP:
			if !p.IPv6 {
				switch p.ICMPType {
				case 0, 3, 11:
					t |= Backscatter.Bit()
				}
			}
		case decode.ProtoICMPv6:
			if p.IPv6 {
				switch p.ICMPType {
				case 129, 1, 3:
					t |= Backscatter.Bit()
				}
			}
		}
	}
	id := -1
	if c != nil && c.Exploits != nil && len(p.Payload) > 0 && p.Frag != decode.FragLater && !p.Quoted {
		if id = c.Exploits.Match(p.Payload); id >= 0 {
			t |= Exploit.Bit()
		}
	}
	return t, id
}
