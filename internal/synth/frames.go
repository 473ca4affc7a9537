package synth

import (
	"encoding/binary"

	"github.com/honeyscope/honeyscope/internal/classify"
)

// TCP flags and IP protocol numbers.
const (
	fFIN = 0x01
	fSYN = 0x02
	fRST = 0x04
	fPSH = 0x08
	fACK = 0x10

	ipTCP    = 6
	ipUDP    = 17
	ipICMP   = 1
	ipICMPv6 = 58

	l4Off4 = 14 + 20
	l4Off6 = 14 + 40

	zmapID = 54321
)

var be = binary.BigEndian

// TCP option sets as the senders put them.
var (
	optMSS     = []byte{2, 4, 0x05, 0xb4}
	optWindows = []byte{2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2}
	optLinux   = []byte{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7} // TSval patched per packet
	optSynAck  = []byte{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7}
)

// Mirai variants: extra destination ports scanned besides 23/2323.
var miraiVariants = [][]uint16{nil, {80, 8080}, {5555}, {37215}, {52869}, {37215, 52869}, {8080, 80, 81}}

var (
	nmapPorts = []uint16{80, 443, 22, 21, 23, 25, 3389, 445, 1433, 3306, 6379, 5900, 8080, 8443, 110, 143, 135, 139, 53,
		5432, 9200, 27017, 11211, 2375, 5000, 7547, 8000, 8888, 9000, 10000, 1723, 5060, 502, 102, 47808, 161, 993, 995, 587, 49152}
	windowsPorts = [][]uint16{{445}, {445}, {445}, {445, 139}, {1433}, {3389}, {135, 445}}
	linuxPorts   = [][]uint16{{22}, {22}, {22, 2222}, {23, 2323}, {6379}, {5555}, {22, 23, 80, 8080}, {3306}, {5432}}
	zmapPopular  = []uint16{80, 443, 8080, 22, 23, 21, 25, 3389, 8443, 7547, 8000, 8888, 9200, 2323, 5060, 1433, 3306, 445, 6379, 5900, 502, 102, 20000, 47808}
	v6Ports      = []uint16{22, 80, 443, 23, 8080, 3389, 445, 21, 25, 53}
	v6UDPPorts   = []uint16{53, 123, 161, 5353}
	// masscan port ranges [lo, hi] per source-day
	massRanges = [][2]uint16{{1, 65535}, {1, 65535}, {1, 1024}, {1024, 65535}, {8000, 10000}, {30000, 65535}, {1, 10000}}
)

// dst4 draws a destination in the sensor prefix.
func (g *gen) dst4() uint32 { return g.sensorBase + g.r.intn(g.sensorHosts) }

// dst6 draws an IPv6 destination: mostly low host numbers (::1, ::2, ...),
// which IPv6 scanners favour, sometimes a random host.
func (g *gen) dst6() [16]byte {
	a := g.sensor6
	if g.r.intn(10) < 7 {
		x := 1 + g.r.intn(255)
		a[15] |= byte(x) & g.host6Mask[15]
		return a
	}
	x, y := g.r.next(), g.r.next()
	for i := 0; i < 8; i++ {
		a[i] |= byte(x>>(8*i)) & g.host6Mask[i]
		a[8+i] |= byte(y>>(8*i)) & g.host6Mask[8+i]
	}
	return a
}

// masscanRel is the masscan fingerprint value of a SYN.
func masscanRel(dst uint32, dport uint16, seq uint32) uint16 {
	return uint16(dst ^ uint32(dport) ^ seq)
}

// plainSYN draws a sequence number (for a random IP ID that is already
// known) that matches none of the IPv4 SYN fingerprints.
func (g *gen) plainSeq(dst uint32, dport, id uint16) uint32 {
	seq := uint32(g.r.next())
	for seq == dst || masscanRel(dst, dport, seq) == id {
		seq = uint32(g.r.next())
	}
	return seq
}

// plainID draws a random IP ID other than ZMap's.
func (g *gen) plainID() uint16 {
	id := uint16(g.r.next())
	if id == zmapID {
		id++
	}
	return id
}

// tags4 classifies an IPv4 TCP packet by the class definitions.
func tags4(flags uint8, seq, dst uint32, id, dport uint16, exploit bool) classify.Tags {
	t := classify.Access.Bit()
	if flags&(fSYN|fACK) == fSYN {
		if seq == dst {
			t |= classify.Mirai.Bit()
		}
		if id == zmapID {
			t |= classify.ZMap.Bit()
		}
		if id == masscanRel(dst, dport, seq) {
			t |= classify.Masscan.Bit()
		}
	}
	if flags&(fSYN|fACK) == fSYN|fACK || flags&fRST != 0 {
		t |= classify.Backscatter.Bit()
	}
	if exploit {
		t |= classify.Exploit.Bit()
	}
	return t
}

// tcpHdr writes a TCP header with options at b and returns its length.
func tcpHdr(b []byte, sport, dport uint16, seq, ack uint32, flags uint8, win uint16, opts []byte) int {
	be.PutUint16(b[0:], sport)
	be.PutUint16(b[2:], dport)
	be.PutUint32(b[4:], seq)
	be.PutUint32(b[8:], ack)
	hl := 20 + len(opts)
	b[12] = byte(hl/4) << 4
	b[13] = flags
	be.PutUint16(b[14:], win)
	b[16], b[17], b[18], b[19] = 0, 0, 0, 0
	copy(b[20:], opts)
	return hl
}

// sum16 adds b as big-endian 16-bit words to s (ones' complement sum).
func sum16(b []byte, s uint32) uint32 {
	for len(b) >= 8 {
		s += uint32(be.Uint16(b)) + uint32(be.Uint16(b[2:])) + uint32(be.Uint16(b[4:])) + uint32(be.Uint16(b[6:]))
		b = b[8:]
	}
	for len(b) >= 2 {
		s += uint32(be.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

func fold(s uint32) uint16 {
	for s>>16 != 0 {
		s = s&0xffff + s>>16
	}
	return ^uint16(s)
}

// ip4Header writes an IPv4 header at b (20 bytes) with a valid checksum.
func ip4Header(b []byte, proto uint8, totalLen int, src, dst uint32, id uint16, ttl uint8, df bool) {
	b[0], b[1] = 0x45, 0
	be.PutUint16(b[2:], uint16(totalLen))
	be.PutUint16(b[4:], id)
	b[6], b[7] = 0, 0
	if df {
		b[6] = 0x40
	}
	b[8], b[9] = ttl, proto
	b[10], b[11] = 0, 0
	be.PutUint32(b[12:], src)
	be.PutUint32(b[16:], dst)
	be.PutUint16(b[10:], fold(sum16(b[:20], 0)))
}

// finish4 writes the Ethernet type and IPv4 header for an L4 segment of
// l4len bytes already at buf[l4Off4:], fills in its checksum and returns the
// frame length.
func (g *gen) finish4(proto uint8, l4len int, src, dst uint32, id uint16, ttl uint8, df bool) int {
	g.buf[12], g.buf[13] = 0x08, 0x00
	ip4Header(g.buf[14:34], proto, 20+l4len, src, dst, id, ttl, df)
	l4 := g.buf[l4Off4 : l4Off4+l4len]
	switch proto {
	case ipTCP, ipUDP:
		ps := src>>16 + src&0xffff + dst>>16 + dst&0xffff + uint32(proto) + uint32(l4len)
		off := 16
		if proto == ipUDP {
			off = 6
		}
		c := fold(sum16(l4, ps))
		if c == 0 && proto == ipUDP {
			c = 0xffff
		}
		be.PutUint16(l4[off:], c)
	case ipICMP:
		be.PutUint16(l4[2:], fold(sum16(l4, 0)))
	}
	return l4Off4 + l4len
}

// finish6 is finish4 for IPv6.
func (g *gen) finish6(next uint8, l4len int, src, dst *[16]byte, hop uint8, flow uint32) int {
	g.buf[12], g.buf[13] = 0x86, 0xdd
	b := g.buf[14:54]
	be.PutUint32(b[0:], 6<<28|flow&0xfffff)
	be.PutUint16(b[4:], uint16(l4len))
	b[6], b[7] = next, hop
	copy(b[8:24], src[:])
	copy(b[24:40], dst[:])
	l4 := g.buf[l4Off6 : l4Off6+l4len]
	ps := sum16(b[8:40], uint32(next)+uint32(l4len))
	off := 16
	switch next {
	case ipUDP:
		off = 6
	case ipICMPv6:
		off = 2
	}
	c := fold(sum16(l4, ps))
	if c == 0 && next == ipUDP {
		c = 0xffff
	}
	be.PutUint16(l4[off:], c)
	return l4Off6 + l4len
}

// mirai: the Mirai scanner's SYN (seq = dst, no options, random ID and window).
func (g *gen) mirai(s *source) out {
	dst := g.dst4()
	port := uint16(23)
	if v := miraiVariants[s.variant]; len(v) > 0 && g.r.intn(2) == 0 {
		port = v[g.r.intn(uint32(len(v)))]
	} else if g.r.intn(10) == 0 {
		port = 2323
	}
	id := g.plainID()
	for id == masscanRel(dst, port, dst) {
		id = g.plainID()
	}
	hl := tcpHdr(g.buf[l4Off4:], s.sport, port, dst, 0, fSYN, uint16(g.r.next()), nil)
	n := g.finish4(ipTCP, hl, s.addr4, dst, id, s.ttl, false)
	return out{n, tags4(fSYN, dst, dst, id, port, false), protoTCP, port}
}

// scanPort is a ZMap/masscan destination port: the source's plan for the day.
func (g *gen) scanPort(s *source, masscan bool) uint16 {
	day := uint64((g.now - g.cfg.Start.UnixMicro()) / (24 * 3600 * 1000000))
	h := hash(g.cfg.Seed, uint64(s.addr4), day, 7)
	if masscan {
		rg := massRanges[h%uint64(len(massRanges))]
		return rg[0] + uint16(g.r.intn(uint32(rg[1]-rg[0])+1))
	}
	switch h % 4 {
	case 0: // one popular port all day
		return zmapPopular[(h>>8)%uint64(len(zmapPopular))]
	case 1: // one random high port all day
		return uint16(1024 + (h>>8)%64512)
	case 2: // popular ports
		return zmapPopular[g.r.intn(uint32(len(zmapPopular)))]
	default: // all ports
		return uint16(1 + g.r.intn(65535))
	}
}

// zmap: IP ID 54321, random source port per probe, MSS option.
func (g *gen) zmap(s *source) out {
	dst := g.dst4()
	port := g.scanPort(s, false)
	seq := uint32(g.r.next())
	for seq == dst || masscanRel(dst, port, seq) == zmapID {
		seq = uint32(g.r.next())
	}
	sport := uint16(32768 + g.r.intn(28233))
	hl := tcpHdr(g.buf[l4Off4:], sport, port, seq, 0, fSYN, 65535, optMSS)
	n := g.finish4(ipTCP, hl, s.addr4, dst, zmapID, s.ttl, false)
	return out{n, tags4(fSYN, seq, dst, zmapID, port, false), protoTCP, port}
}

// masscan: IP ID = dst ^ dport ^ seq, fixed source port, window 1024.
func (g *gen) masscan(s *source) out {
	dst := g.dst4()
	port := g.scanPort(s, true)
	seq := uint32(g.r.next())
	for seq == dst || masscanRel(dst, port, seq) == zmapID {
		seq = uint32(g.r.next())
	}
	id := masscanRel(dst, port, seq)
	hl := tcpHdr(g.buf[l4Off4:], s.sport, port, seq, 0, fSYN, 1024, nil)
	n := g.finish4(ipTCP, hl, s.addr4, dst, id, s.ttl, false)
	return out{n, tags4(fSYN, seq, dst, id, port, false), protoTCP, port}
}

// nmap: window 1024, MSS option, random TTL and ID, popular ports.
func (g *gen) nmap(s *source) out {
	dst := g.dst4()
	port := nmapPorts[g.r.intn(uint32(len(nmapPorts)))]
	if g.r.intn(8) == 0 {
		port = uint16(1 + g.r.intn(65535))
	}
	id := g.plainID()
	seq := g.plainSeq(dst, port, id)
	ttl := uint8(37 + g.r.intn(23))
	hl := tcpHdr(g.buf[l4Off4:], s.sport, port, seq, 0, fSYN, 1024, optMSS)
	n := g.finish4(ipTCP, hl, s.addr4, dst, id, ttl, false)
	return out{n, tags4(fSYN, seq, dst, id, port, false), protoTCP, port}
}

// windows: SYN with Windows options, sequential IP IDs and 1-3 tries per
// connection (retransmissions keep seq and source port).
func (g *gen) windows(s *source) out {
	if s.sStep == 0 {
		ports := windowsPorts[s.variant]
		s.sPort = ports[g.r.intn(uint32(len(ports)))]
		s.sDst = g.dst4()
		s.sport++
		if s.sport < 49152 {
			s.sport = 49152
		}
		s.sSeq = uint32(g.r.next())
		if s.sSeq == s.sDst {
			s.sSeq++
		}
		s.sLen = uint8(1 + g.r.intn(3))
	}
	s.ipid += uint16(1 + g.r.intn(24))
	for s.ipid == zmapID || s.ipid == masscanRel(s.sDst, s.sPort, s.sSeq) {
		s.ipid++
	}
	s.sStep++
	if s.sStep >= s.sLen {
		s.sStep = 0
	}
	hl := tcpHdr(g.buf[l4Off4:], s.sport, s.sPort, s.sSeq, 0, fSYN, s.win, optWindows)
	n := g.finish4(ipTCP, hl, s.addr4, s.sDst, s.ipid, s.ttl, true)
	return out{n, tags4(fSYN, s.sSeq, s.sDst, s.ipid, s.sPort, false), protoTCP, s.sPort}
}

// linux: SYN with Linux options (timestamps), DF, random ID.
func (g *gen) linux(s *source) out {
	dst := g.dst4()
	ports := linuxPorts[s.variant]
	port := ports[g.r.intn(uint32(len(ports)))]
	id := g.plainID()
	seq := g.plainSeq(dst, port, id)
	sport := uint16(32768 + g.r.intn(28232))
	hl := tcpHdr(g.buf[l4Off4:], sport, port, seq, 0, fSYN, s.win, optLinux)
	be.PutUint32(g.buf[l4Off4+28:], uint32(g.now/1000)+s.tsOff)
	n := g.finish4(ipTCP, hl, s.addr4, dst, id, s.ttl, true)
	return out{n, tags4(fSYN, seq, dst, id, port, false), protoTCP, port}
}

// udp: protocol probes; 70% to the source's favourite service.
func (g *gen) udp(s *source) out {
	dst := g.dst4()
	pl := g.pl
	var port uint16
	var plen int
	pay := g.buf[l4Off4+8:]
	switch x := g.r.intn(20); {
	case x < 14:
		port = pl.udpPorts[s.variant]
	case x < 19:
		port = pl.udpPorts[g.udpAlias.pick(&g.r)]
	default: // stray datagram to a random high port (P2P leftovers)
		port = uint16(1024 + g.r.intn(64512))
		plen = int(g.r.intn(3)) * 10
		clear(pay[:plen])
	}
	if ts := pl.udp[port]; len(ts) > 0 {
		plen = ts[g.r.intn(uint32(len(ts)))].put(pay, dst)
	}
	sport := s.sport
	if g.r.intn(3) == 0 {
		sport = uint16(1024 + g.r.intn(64512))
	}
	b := g.buf[l4Off4:]
	be.PutUint16(b[0:], sport)
	be.PutUint16(b[2:], port)
	be.PutUint16(b[4:], uint16(8+plen))
	b[6], b[7] = 0, 0
	n := g.finish4(ipUDP, 8+plen, s.addr4, dst, uint16(g.r.next()), s.ttl, false)
	return out{n, classify.Access.Bit(), protoUDP, port}
}

// icmpReq: echo requests (Linux, Windows, scanner flavours) or timestamp requests.
func (g *gen) icmpReq(s *source) out {
	dst := g.dst4()
	b := g.buf[l4Off4:]
	typ := uint8(8)
	plen := 0
	switch s.variant {
	case 0: // Linux ping: 8-byte timestamp then 0x10, 0x11, ...
		binary.LittleEndian.PutUint64(b[8:], uint64(g.now/1000000)|uint64(g.now%1000000)<<32)
		plen = 8 + copy(b[16:], g.pl.pingLinux)
	case 1:
		plen = copy(b[8:], g.pl.pingWin)
	case 2: // scanner: header only
	case 3: // timestamp request: originate = ms since midnight UTC
		typ = 13
		be.PutUint32(b[8:], uint32((g.now/1000)%(24*3600*1000)))
		clear(b[12:20])
		plen = 12
	}
	s.icmpSq++
	b[0], b[1], b[2], b[3] = typ, 0, 0, 0
	be.PutUint16(b[4:], s.icmpID)
	be.PutUint16(b[6:], s.icmpSq)
	n := g.finish4(ipICMP, 8+plen, s.addr4, dst, uint16(g.r.next()), s.ttl, false)
	return out{n, classify.Access.Bit(), protoICMP, uint16(typ)}
}

// quote4 writes at b the start of the packet our address was spoofed as
// sending (an IPv4 header + 8 bytes) and returns its length.
func (g *gen) quote4(b []byte, src, dst uint32, proto uint8, sport, dport uint16, ttl uint8) int {
	ip4Header(b, proto, 20+8+int(g.r.intn(4))*16, src, dst, uint16(g.r.next()), ttl, false)
	t := b[20:]
	be.PutUint16(t[0:], sport)
	be.PutUint16(t[2:], dport)
	if proto == ipUDP {
		be.PutUint16(t[4:], uint16(8+int(g.r.intn(4))*16))
		be.PutUint16(t[6:], uint16(g.r.next()))
	} else {
		be.PutUint32(t[4:], uint32(g.r.next()))
	}
	return 28
}

// backscatter: replies of flood victims (or routers on their path) to
// packets spoofed with our addresses.
func (g *gen) backscatter(s *source) out {
	dst := g.dst4()
	b := g.buf[l4Off4:]
	dport := uint16(1024 + g.r.intn(64512))
	switch s.variant {
	case 0: // SYN-ACK from a SYN-flooded server
		opts := optMSS
		if s.win == 29200 {
			opts = optSynAck
		}
		hl := tcpHdr(b, s.sport, dport, uint32(g.r.next()), uint32(g.r.next()), fSYN|fACK, s.win, opts)
		if len(opts) == len(optSynAck) {
			be.PutUint32(b[28:], uint32(g.now/1000)+s.tsOff)
			be.PutUint32(b[32:], uint32(g.r.next()))
		}
		n := g.finish4(ipTCP, hl, s.addr4, dst, 0, s.ttl, true)
		return out{n, tags4(fSYN|fACK, 0, dst, 0, dport, false), protoTCP, dport}
	case 1: // RST or RST-ACK
		flags, seq, ack := uint8(fRST|fACK), uint32(0), uint32(g.r.next())
		if g.r.intn(2) == 0 {
			flags, seq, ack = fRST, uint32(g.r.next()), 0
		}
		hl := tcpHdr(b, s.sport, dport, seq, ack, flags, 0, nil)
		n := g.finish4(ipTCP, hl, s.addr4, dst, g.plainID(), s.ttl, false)
		return out{n, tags4(flags, seq, dst, 0, dport, false), protoTCP, dport}
	case 2: // echo reply to a spoofed ping flood
		plen := int(g.r.intn(5)) * 8
		clear(b[8 : 8+plen])
		b[0], b[1], b[2], b[3] = 0, 0, 0, 0
		be.PutUint32(b[4:], uint32(g.r.next()))
		n := g.finish4(ipICMP, 8+plen, s.addr4, dst, g.plainID(), s.ttl, false)
		return out{n, classify.Access.Bit() | classify.Backscatter.Bit(), protoICMP, 0}
	default: // 3: destination unreachable, 4: time exceeded, quoting the spoofed packet
		typ, code := uint8(3), uint8(3)
		victim := s.addr4
		proto := uint8(ipUDP)
		qttl := uint8(40 + g.r.intn(200))
		vport := uint16(53)
		if g.r.intn(2) == 0 {
			vport = uint16(1 + g.r.intn(65535))
		}
		if s.variant == 4 {
			typ, code, qttl = 11, 0, 1
			victim = s.addr4&^0xff | (s.addr4+1+g.r.intn(254))&0xff
			if g.r.intn(2) == 0 {
				proto = ipTCP
				vport = s.sport
			}
		} else if x := g.r.intn(10); x >= 6 {
			code = 1 // host unreachable, from a router in front of the victim
			if x >= 8 {
				code, proto, vport = 13, ipTCP, s.sport // administratively prohibited
			}
			victim = s.addr4&^0xff | (s.addr4+1+g.r.intn(254))&0xff
		}
		b[0], b[1], b[2], b[3] = typ, code, 0, 0
		be.PutUint32(b[4:], 0)
		q := g.quote4(b[8:], dst, victim, proto, dport, vport, qttl)
		n := g.finish4(ipICMP, 8+q, s.addr4, dst, g.plainID(), s.ttl, false)
		return out{n, classify.Access.Bit() | classify.Backscatter.Bit(), protoICMP, uint16(typ)}
	}
}

// session: one step of a TCP session of an exploit or probe source: SYN,
// payload segment(s) with PSH|ACK, FIN|ACK. A third of the sessions start
// mid-stream without a SYN, as captures often show.
func (g *gen) session(s *source) out {
	pl := g.pl
	exploit := s.prof == pExploit
	if s.sStep == 0 && s.sLen == 0 {
		s.sDst = g.dst4()
		if exploit {
			ports := exploitPorts[s.variant]
			s.sPort = ports[g.r.intn(uint32(len(ports)))]
			switch s.variant {
			case exTelnet:
				s.sLen = 6
				s.sTmpl = uint16(g.r.intn(uint32(len(pl.creds) / 2)))
			default:
				s.sLen = 3
				s.sTmpl = uint16(g.r.intn(uint32(len(pl.http[s.variant]))))
			}
		} else {
			ports := probePorts[s.variant]
			s.sPort = ports[g.r.intn(uint32(len(ports)))]
			s.sLen = 3
			s.sTmpl = uint16(g.r.intn(uint32(len(pl.probes[s.variant]))))
		}
		s.sSport = uint16(32768 + g.r.intn(28232))
		s.sAck = uint32(g.r.next())
		if g.r.intn(3) == 0 {
			s.sStep = 1
			s.sSeq = uint32(g.r.next())
		}
	}
	step := s.sStep
	s.sStep++
	last := s.sStep >= s.sLen
	b := g.buf[l4Off4:]
	dst := s.sDst
	var flags uint8
	var hl, plen int
	var tm *template
	switch {
	case step == 0:
		flags = fSYN
		id := g.plainID()
		seq := g.plainSeq(dst, s.sPort, id)
		s.sSeq = seq + 1
		hl = tcpHdr(b, s.sSport, s.sPort, seq, 0, flags, s.win, optLinux)
		be.PutUint32(b[28:], uint32(g.now/1000)+s.tsOff)
		n := g.finish4(ipTCP, hl, s.addr4, dst, id, s.ttl, true)
		return out{n, tags4(flags, seq, dst, id, s.sPort, false), protoTCP, s.sPort}
	case last:
		flags = fFIN | fACK
	case !exploit:
		tm = &pl.probes[s.variant][s.sTmpl]
	case s.variant != exTelnet:
		tm = &pl.http[s.variant][s.sTmpl]
	case step == 1:
		tm = &pl.creds[2*s.sTmpl]
	case step == 2:
		tm = &pl.creds[2*s.sTmpl+1]
	case step == 3:
		tm = &pl.telnetEn
	default:
		tm = &pl.telnetLoad[s.sTmpl%uint16(len(pl.telnetLoad))]
	}
	if tm != nil {
		flags = fPSH | fACK
	}
	hl = tcpHdr(b, s.sSport, s.sPort, s.sSeq, s.sAck, flags, s.win, nil)
	if tm != nil {
		plen = tm.put(b[hl:], dst)
	}
	seq := s.sSeq
	s.sSeq += uint32(plen)
	if last {
		s.sStep, s.sLen = 0, 0
	}
	n := g.finish4(ipTCP, hl+plen, s.addr4, dst, g.plainID(), s.ttl, true)
	return out{n, tags4(flags, seq, dst, 0, s.sPort, tm != nil && tm.exploit), protoTCP, s.sPort}
}

// v6: IPv6 senders: SYN scans, ICMPv6 echo requests, ICMPv6 backscatter
// (echo reply, unreachable, time exceeded) and UDP probes.
func (g *gen) v6(s *source) out {
	dst := g.dst6()
	b := g.buf[l4Off6:]
	switch s.variant {
	case 0: // SYN
		port := v6Ports[g.r.intn(uint32(len(v6Ports)))]
		hl := tcpHdr(b, uint16(32768+g.r.intn(28232)), port, uint32(g.r.next()), 0, fSYN, s.win, optLinux)
		be.PutUint32(b[28:], uint32(g.now/1000)+s.tsOff)
		n := g.finish6(ipTCP, hl, &s.addr6, &dst, s.ttl, s.flow)
		return out{n, classify.Access.Bit(), protoTCP, port}
	case 1: // echo request
		s.icmpSq++
		b[0], b[1], b[2], b[3] = 128, 0, 0, 0
		be.PutUint16(b[4:], s.icmpID)
		be.PutUint16(b[6:], s.icmpSq)
		binary.LittleEndian.PutUint64(b[8:], uint64(g.now/1000000)|uint64(g.now%1000000)<<32)
		plen := 8 + copy(b[16:], g.pl.pingLinux)
		n := g.finish6(ipICMPv6, 8+plen, &s.addr6, &dst, s.ttl, s.flow)
		return out{n, classify.Access.Bit(), protoICMPv6, 128}
	case 2: // echo reply (backscatter)
		b[0], b[1], b[2], b[3] = 129, 0, 0, 0
		be.PutUint32(b[4:], uint32(g.r.next()))
		plen := int(g.r.intn(4)) * 8
		clear(b[8 : 8+plen])
		n := g.finish6(ipICMPv6, 8+plen, &s.addr6, &dst, s.ttl, s.flow)
		return out{n, classify.Access.Bit() | classify.Backscatter.Bit(), protoICMPv6, 129}
	case 3, 4: // unreachable (port unreachable) / time exceeded, quoting the spoofed packet
		typ, code := uint8(1), uint8(4)
		victim := s.addr6
		if s.variant == 4 {
			typ, code = 3, 0
			victim[15] ^= byte(1 + g.r.intn(255))
		}
		b[0], b[1], b[2], b[3] = typ, code, 0, 0
		be.PutUint32(b[4:], 0)
		q := b[8:]
		be.PutUint32(q[0:], 6<<28)
		be.PutUint16(q[4:], 8+uint16(g.r.intn(4))*16)
		q[6], q[7] = ipUDP, 1
		if typ == 1 {
			q[7] = uint8(40 + g.r.intn(24))
		}
		copy(q[8:24], dst[:])
		copy(q[24:40], victim[:])
		be.PutUint16(q[40:], uint16(1024+g.r.intn(64512)))
		be.PutUint16(q[42:], 53)
		be.PutUint16(q[44:], be.Uint16(q[4:]))
		be.PutUint16(q[46:], uint16(g.r.next()))
		n := g.finish6(ipICMPv6, 8+48, &s.addr6, &dst, s.ttl, s.flow)
		return out{n, classify.Access.Bit() | classify.Backscatter.Bit(), protoICMPv6, uint16(typ)}
	default: // UDP
		port := v6UDPPorts[g.r.intn(uint32(len(v6UDPPorts)))]
		ts := g.pl.udp[port]
		plen := ts[g.r.intn(uint32(len(ts)))].put(b[8:], 0)
		be.PutUint16(b[0:], uint16(1024+g.r.intn(64512)))
		be.PutUint16(b[2:], port)
		be.PutUint16(b[4:], uint16(8+plen))
		b[6], b[7] = 0, 0
		n := g.finish6(ipUDP, 8+plen, &s.addr6, &dst, s.ttl, s.flow)
		return out{n, classify.Access.Bit(), protoUDP, port}
	}
}
