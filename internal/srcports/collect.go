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
	"net/netip"
	"slices"
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

type slot struct {
	port  uint16
	proto uint8
	n     uint64
}

type entry struct {
	key     key
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
func (c *Collector) Add(ts int64, p *decode.Packet) {
	if !Scan(p) {
		return
	}
	if ts < c.dayLo || ts >= c.dayHi {
		c.setDay(ts)
	}
	c.packets++
	k := key{c.day, p.Src}
	h := hashKey(k)
	i, at := c.idx.lookup(k, h, c.ents)
	if i < 0 {
		if len(c.ents) >= c.opt.MaxSources {
			c.dropped++
			return
		}
		i = int32(len(c.ents))
		c.ents = append(c.ents, entry{key: k})
		c.idx.insert(h, at, i, c.ents)
		c.src = slices.Grow(c.src, c.opt.K)[:len(c.src)+c.opt.K]
		c.dst = slices.Grow(c.dst, c.opt.DstPorts)[:len(c.dst)+c.opt.DstPorts]
	}
	e := &c.ents[i]
	e.packets++
	if e.many {
		return
	}
	if !bump(c.src[int(i)*c.opt.K:int(i+1)*c.opt.K], &e.nsrc, p.Proto, p.SrcPort) {
		e.many = true
		return
	}
	if !bump(c.dst[int(i)*c.opt.DstPorts:int(i+1)*c.opt.DstPorts], &e.ndst, p.Proto, p.DstPort) {
		e.other++
	}
}

// bump counts (proto, port) in slots, of which *n are used; false when it
// is not there and every slot is taken.
func bump(slots []slot, n *uint16, proto uint8, port uint16) bool {
	used := slots[:*n]
	for j := range used {
		if used[j].port == port && used[j].proto == proto {
			used[j].n++
			return true
		}
	}
	if int(*n) == len(slots) {
		return false
	}
	slots[*n] = slot{port: port, proto: proto, n: 1}
	*n++
	return true
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
func (c *Collector) Result() *Part {
	p := &Part{Packets: c.packets, Dropped: c.dropped, K: c.opt.K}
	for i := range c.ents {
		e := &c.ents[i]
		switch {
		case e.many:
			p.Many++
			continue
		case e.packets < c.opt.MinPackets:
			p.Few++
			continue
		}
		p.Confined++
		for _, s := range c.src[i*c.opt.K : i*c.opt.K+int(e.nsrc)] {
			p.Rows = append(p.Rows, Row{e.key.day, e.key.src, KindSrc, s.proto, s.port, s.n})
		}
		for _, s := range c.dst[i*c.opt.DstPorts : i*c.opt.DstPorts+int(e.ndst)] {
			p.Rows = append(p.Rows, Row{e.key.day, e.key.src, KindDst, s.proto, s.port, s.n})
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
