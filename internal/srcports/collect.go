// Package srcports keeps, per day and source, the histograms of the
// source ports and destination ports of a source's scan packets when its
// source ports are confined to a few values (a scanner that binds one or a
// handful of fixed ports), and studies them: both histograms over days,
// whether the source ports stay confined, how the two move together, and
// which sources in the wild behave like a sample run in the sandbox.
//
// Scan packets are TCP packets with SYN set and ACK clear (backscatter,
// SYN-ACKs from a fixed service port, is left out) and UDP packets.
package srcports

import (
	"cmp"
	"encoding/binary"
	"math"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/decode"
)

// Kinds of histogram rows.
const (
	KindSrc   uint8 = 0 // a source port
	KindDst   uint8 = 1 // a destination port
	KindOther uint8 = 2 // destination ports beyond the kept ones (Port 0)
)

// Defaults of Options.
const (
	DefaultK          = 16
	DefaultDstPorts   = 32
	DefaultMinPackets = 8
	DefaultMaxSources = 50000
	// MaxK bounds Options.K and Options.DstPorts.
	MaxK = 256
)

// Options bound what a Collector keeps of one capture.
type Options struct {
	// K is the most distinct source ports a source may use on a day and
	// still count as confined (DefaultK when 0); beyond it only "many" is
	// kept of it.
	K int
	// DstPorts is how many distinct destination ports are kept per
	// confined source and day (DefaultDstPorts when 0); the packets to
	// others are counted as one KindOther row.
	DstPorts int
	// MinPackets is the fewest scan packets a source must send on a day
	// for its histograms to be kept (DefaultMinPackets when 0): a source
	// seen once is trivially confined.
	MinPackets uint64
	// MaxSources bounds the (day, source) pairs tracked per capture
	// (DefaultMaxSources when 0); packets of further pairs are counted as
	// dropped.
	MaxSources int
}

func (o Options) withDefaults() Options {
	if o.K <= 0 {
		o.K = DefaultK
	}
	if o.K > MaxK {
		o.K = MaxK
	}
	if o.DstPorts <= 0 {
		o.DstPorts = DefaultDstPorts
	}
	if o.DstPorts > MaxK {
		o.DstPorts = MaxK
	}
	if o.MinPackets == 0 {
		o.MinPackets = DefaultMinPackets
	}
	if o.MaxSources <= 0 {
		o.MaxSources = DefaultMaxSources
	}
	return o
}

// Scan reports whether p is a scan packet the collector counts.
func Scan(p *decode.Packet) bool {
	if !p.HasTransport || p.Frag == decode.FragLater {
		return false
	}
	switch p.Proto {
	case 6:
		return p.TCPFlags&0x12 == 0x02
	case 17:
		return true
	}
	return false
}

type key struct {
	day civil.Day
	src netip.Addr
}

// slot is one histogram bin of an entry: 8 bytes, so that the K +
// DstPorts bins every tracked pair has take half the memory 64-bit counts
// would. A count past 2^32-1 carries into Collector.carry.
type slot struct {
	port  uint16
	proto uint8
	n     uint32
}

type entry struct {
	key     key
	first   uint64 // Seq of the pair's first packet
	packets uint64
	other   uint64 // packets to destination ports beyond the kept ones
	nsrc    uint16 // source-port slots used
	ndst    uint16 // destination-port slots used
	many    bool   // more than K distinct source ports
}

// Collector counts one capture's scan packets. It is not safe for
// concurrent use. After its tables have grown to the capture's sources it
// allocates nothing per packet.
type Collector struct {
	opt     Options
	loc     *time.Location
	idx     index
	ents    []entry
	src     []slot // K slots per entry
	dst     []slot // DstPorts slots per entry
	dropped uint64
	packets uint64
	dayLo   int64
	dayHi   int64
	day     civil.Day
	seq     uint64 // Add's packet count, its packets' Seq
	// carry holds the counts of slots beyond their 32 bits, by slot
	// (srcSlot for a source-port slot, dstSlot for a destination-port one).
	carry map[int]uint64
	peers *peers // the collectors of the capture's other shards (NewShardCollectors)
	self  int    // this collector's place in peers
}

// peers is what the collectors of one capture's shards tell each other
// of the pairs they hold, so that together they hold not many more than
// Options.MaxSources (see entryOf).
type peers struct {
	s []peerState
}

// peerState: a shard's latest admission. last is stored before n, so a
// reader that loads n and then last knows n pairs whose first Seq is at
// most last.
type peerState struct {
	n    atomic.Int64
	last atomic.Uint64
	_    [48]byte // a cache line each: shards write their own
}

// NewShardCollectors returns n Collectors for the n counting shards of
// one capture (each counting its own sources; see Combine), that assign
// days in loc (UTC when nil). Each holds at most opt.MaxSources (day,
// source) pairs, and they stop taking new pairs once they know of
// MaxSources pairs before it among them: together they hold MaxSources
// pairs plus those the shards take while they tell each other (the
// packets of a few batches).
func NewShardCollectors(loc *time.Location, opt Options, n int) []*Collector {
	ps := &peers{s: make([]peerState, n)}
	cs := make([]*Collector, n)
	for i := range cs {
		cs[i] = NewCollector(loc, opt)
		cs[i].peers, cs[i].self = ps, i
	}
	return cs
}

// full reports whether MaxSources pairs of the capture are known to have
// come before a pair first seen at seq: such a pair is not kept.
func (c *Collector) full(seq uint64) bool {
	n := len(c.ents)
	if c.peers == nil {
		return n >= c.opt.MaxSources
	}
	for j := range c.peers.s {
		if j == c.self {
			continue
		}
		st := &c.peers.s[j]
		if m := st.n.Load(); st.last.Load() < seq {
			n += int(m)
		}
	}
	return n >= c.opt.MaxSources
}

// NewCollector returns a Collector that assigns days in loc (UTC when nil).
func NewCollector(loc *time.Location, opt Options) *Collector {
	if loc == nil {
		loc = time.UTC
	}
	return &Collector{opt: opt.withDefaults(), loc: loc, dayLo: 1}
}

func (c *Collector) setDay(ts int64) {
	t := time.Unix(0, ts).In(c.loc)
	y, m, d := t.Date()
	c.dayLo = time.Date(y, m, d, 0, 0, 0, 0, c.loc).UnixNano()
	c.dayHi = time.Date(y, m, d+1, 0, 0, 0, 0, c.loc).UnixNano()
	c.day = civil.FromDate(y, m, d)
}

// Add counts p, seen at ts (Unix nanoseconds), when it is a scan packet.
// Packets given to Add are ordered as they arrive (Packet.Seq is their
// count).
func (c *Collector) Add(ts int64, p *decode.Packet) {
	if !Scan(p) {
		return
	}
	b := p.Src.As16()
	c.seq++
	pk := Packet{Seq: c.seq, TS: ts, Hi: be64(b[:8]), Lo: be64(b[8:]), V6: p.Src.Is6(),
		Proto: p.Proto, SrcPort: p.SrcPort, DstPort: p.DstPort}
	c.AddScan(&pk, nil)
}

// Packet is a scan packet (see Scan) as a counting shard hands it over.
type Packet struct {
	// Seq is the packet's position among the capture's packets: packets
	// read later have a larger Seq. Collectors of one capture that count
	// disjoint sources (Combine) keep the pairs one collector counting
	// every packet in Seq order would keep.
	Seq uint64
	TS  int64 // Unix nanoseconds
	// Hi and Lo are the source address's 16 bytes, big-endian (an IPv4
	// address IPv4-mapped); V6 is set for an IPv6 source, an IPv4-mapped
	// one included (a different source from the IPv4 address).
	Hi, Lo           uint64
	V6               bool
	Proto            uint8 // 6 or 17
	SrcPort, DstPort uint16
}

// addr is the packet's source address.
func (p *Packet) addr() netip.Addr {
	var b [16]byte
	put64(b[:8], p.Hi)
	put64(b[8:], p.Lo)
	a := netip.AddrFrom16(b)
	if !p.V6 {
		a = a.Unmap()
	}
	return a
}

// AddScan counts p, a scan packet; the caller has checked that it is one.
// Packets of one source must come in Seq order. hint, when not nil, is the
// caller's memo of p's (day, source) pair, kept for the caller's own
// record of that pair (such as a counting table's source-day): 0 the
// first time, then whatever AddScan left there, which saves it looking
// the pair up again.
func (c *Collector) AddScan(p *Packet, hint *int32) {
	if p.TS < c.dayLo || p.TS >= c.dayHi {
		c.setDay(p.TS)
	}
	c.packets++
	var i int32
	switch {
	case hint != nil && *hint > 0:
		i = *hint - 1
	case hint != nil && *hint < 0:
		c.dropped++
		return
	default:
		i = c.entryOf(p)
		if hint != nil {
			*hint = i + 1
			if i < 0 {
				*hint = -1 // dropped: so are the pair's later packets
			}
		}
		if i < 0 {
			c.dropped++
			return
		}
	}
	e := &c.ents[i]
	e.packets++
	if e.many {
		return
	}
	if !c.bump(c.src, int(i)*c.opt.K, c.opt.K, &e.nsrc, p.Proto, p.SrcPort, srcSlot) {
		e.many = true
		return
	}
	if !c.bump(c.dst, int(i)*c.opt.DstPorts, c.opt.DstPorts, &e.ndst, p.Proto, p.DstPort, dstSlot) {
		e.other++
	}
}

// AddDropped counts a scan packet of a pair whose memo (AddScan's hint)
// AddScan has set negative: the pair was beyond Options.MaxSources, so the
// packet is only counted as dropped, as AddScan would with that hint,
// without the caller building a Packet for it.
func (c *Collector) AddDropped() {
	c.packets++
	c.dropped++
}

// entryOf returns the entry of p's pair on the current day, adding it
// when there is room, or -1: the pair is beyond Options.MaxSources.
func (c *Collector) entryOf(p *Packet) int32 {
	k := key{c.day, p.addr()}
	h := hashKey(k)
	i, at := c.idx.lookup(k, h, c.ents)
	if i >= 0 {
		return i
	}
	if len(c.ents) >= c.opt.MaxSources || c.full(p.Seq) {
		return -1
	}
	i = int32(len(c.ents))
	c.ents = append(c.ents, entry{key: k, first: p.Seq})
	if c.peers != nil {
		st := &c.peers.s[c.self]
		st.last.Store(p.Seq)
		st.n.Store(int64(len(c.ents)))
	}
	c.idx.insert(h, at, i, c.ents)
	c.src = slices.Grow(c.src, c.opt.K)[:len(c.src)+c.opt.K]
	c.dst = slices.Grow(c.dst, c.opt.DstPorts)[:len(c.dst)+c.opt.DstPorts]
	return i
}

// bump counts (proto, port) in the n slots of all from off, of which *used
// are used; false when it is not there and every slot is taken. key names
// a slot for carry.
func (c *Collector) bump(all []slot, off, n int, used *uint16, proto uint8, port uint16, key func(int) int) bool {
	slots := all[off : off+n]
	for j := range slots[:*used] {
		if s := &slots[j]; s.port == port && s.proto == proto {
			if s.n == math.MaxUint32 {
				if c.carry == nil {
					c.carry = make(map[int]uint64)
				}
				c.carry[key(off+j)] += 1 << 32
				s.n = 0
			}
			s.n++
			return true
		}
	}
	if int(*used) == n {
		return false
	}
	slots[*used] = slot{port: port, proto: proto, n: 1}
	*used++
	return true
}

func srcSlot(i int) int { return 2 * i }
func dstSlot(i int) int { return 2*i + 1 }

// count is a slot's whole count.
func (c *Collector) count(s *slot, key int) uint64 {
	if c.carry == nil {
		return uint64(s.n)
	}
	return uint64(s.n) + c.carry[key]
}

// Row is one histogram bin of a confined source on one day.
type Row struct {
	Day     civil.Day
	Src     netip.Addr
	Kind    uint8 // KindSrc, KindDst or KindOther
	Proto   uint8 // 6 or 17 (0 for KindOther)
	Port    uint16
	Packets uint64
}

// Part is what a capture's collection kept.
type Part struct {
	// Rows are the histograms of the confined sources, by day, source,
	// kind, protocol and port.
	Rows []Row
	// Packets is the scan packets seen; Dropped of them were of (day,
	// source) pairs beyond Options.MaxSources.
	Packets, Dropped uint64
	// Confined is the (day, source) pairs kept (at most K source ports and
	// at least MinPackets packets); Many those with more than K source
	// ports; Few those with fewer than MinPackets packets.
	Confined, Many, Few int
	// K is the confinement bound the part was collected with.
	K int
}

// Result returns what the collector kept.
func (c *Collector) Result() *Part { return Combine([]*Collector{c}) }

// Combine returns what collectors of one capture kept together, when each
// counted the packets of its own sources (as the counting shards of a file
// do, a source always in the same one), all with the same Options: the
// part one collector given every packet in Seq order would have kept. Of
// the (day, source) pairs they hold, the first Options.MaxSources by the
// Seq of their first packet are kept; the packets of the others are
// dropped. Every pair among those first MaxSources is held: a collector
// refuses a pair only when it knows of MaxSources pairs before it.
func Combine(cs []*Collector) *Part {
	opt := cs[0].opt
	p := &Part{K: opt.K}
	type ref struct {
		c *Collector
		i int
	}
	var refs []ref
	for _, c := range cs {
		p.Packets += c.packets
		p.Dropped += c.dropped
		for i := range c.ents {
			refs = append(refs, ref{c, i})
		}
	}
	if len(refs) > opt.MaxSources {
		slices.SortFunc(refs, func(a, b ref) int {
			return cmp.Compare(a.c.ents[a.i].first, b.c.ents[b.i].first)
		})
		for _, r := range refs[opt.MaxSources:] {
			p.Dropped += r.c.ents[r.i].packets
		}
		refs = refs[:opt.MaxSources]
	}
	for _, r := range refs {
		c, i := r.c, r.i
		e := &c.ents[i]
		switch {
		case e.many:
			p.Many++
			continue
		case e.packets < opt.MinPackets:
			p.Few++
			continue
		}
		p.Confined++
		for j := i * opt.K; j < i*opt.K+int(e.nsrc); j++ {
			s := &c.src[j]
			p.Rows = append(p.Rows, Row{e.key.day, e.key.src, KindSrc, s.proto, s.port, c.count(s, srcSlot(j))})
		}
		for j := i * opt.DstPorts; j < i*opt.DstPorts+int(e.ndst); j++ {
			s := &c.dst[j]
			p.Rows = append(p.Rows, Row{e.key.day, e.key.src, KindDst, s.proto, s.port, c.count(s, dstSlot(j))})
		}
		if e.other > 0 {
			p.Rows = append(p.Rows, Row{e.key.day, e.key.src, KindOther, 0, 0, e.other})
		}
	}
	slices.SortFunc(p.Rows, func(a, b Row) int {
		if a.Day != b.Day {
			return int(a.Day) - int(b.Day)
		}
		if c := a.Src.Compare(b.Src); c != 0 {
			return c
		}
		if a.Kind != b.Kind {
			return int(a.Kind) - int(b.Kind)
		}
		if a.Proto != b.Proto {
			return int(a.Proto) - int(b.Proto)
		}
		return int(a.Port) - int(b.Port)
	})
	return p
}

func put64(b []byte, v uint64) { binary.BigEndian.PutUint64(b, v) }

func be64(b []byte) uint64 { return binary.BigEndian.Uint64(b) }
