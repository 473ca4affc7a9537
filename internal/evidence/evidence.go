// Package evidence keeps what the exploit classifier of the packet pipeline
// looked at, so that rules can be run again over it later (rules backfill):
// the distinct payloads, each once with its first MaxLen bytes, and how
// many packets carried each payload per day, source, protocol and
// destination port.
//
// The pipeline's exploit matcher (rules.ExploitAdapter through
// classify.Classifier) decides on a payload's bytes alone: it inspects the
// payload as that of a TCP packet to a server, with addresses and ports
// unknown (so header conditions are skipped) and no flow state. A payload
// kept whole is therefore classified again exactly as it was; one longer
// than MaxLen is kept cut (Payload.Truncated), and a rule that looks past
// the cut, or at the length (dsize, bsize, endswith, isdataat), may decide
// otherwise on it.
//
// A Collector is bounded: past MaxBytes of payload copies or MaxCells
// count rows, packets with a payload or a count row it does not hold yet
// are not kept, only counted (Part.Dropped).
package evidence

import (
	"bytes"
	"crypto/sha256"
	"hash/maphash"
	"net/netip"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/decode"
)

// Defaults of Options.
const (
	DefaultMaxLen   = 4 << 10   // bytes kept of one payload
	DefaultMaxBytes = 128 << 20 // payload bytes one Collector holds
	DefaultMaxCells = 2 << 20   // count rows one Collector holds (about 64 bytes each)
)

// MaxMaxLen bounds Options.MaxLen (a payload in one IP packet is shorter).
const MaxMaxLen = 64 << 10

// Options bound a Collector.
type Options struct {
	MaxLen   int   // bytes kept of a payload (0: DefaultMaxLen; at most MaxMaxLen)
	MaxBytes int64 // payload bytes held (0: DefaultMaxBytes)
	MaxCells int   // count rows held (0: DefaultMaxCells)
}

func (o Options) withDefaults() Options {
	if o.MaxLen <= 0 {
		o.MaxLen = DefaultMaxLen
	}
	o.MaxLen = min(o.MaxLen, MaxMaxLen)
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxCells <= 0 {
		o.MaxCells = DefaultMaxCells
	}
	return o
}

// Inspected reports whether the pipeline's exploit classifier looks at p's
// payload (classify.Classifier.Classify): a payload that is not empty, not
// of a later fragment and not an ICMP error's quoted packet.
func Inspected(p *decode.Packet) bool {
	return len(p.Payload) > 0 && p.Frag != decode.FragLater && !p.Quoted
}

// Port is the destination port the pipeline counts a packet under
// (aggregate.Rec): the TCP/UDP destination port, the ICMP type, or 0.
func Port(p *decode.Packet) uint16 {
	if !p.HasTransport {
		return 0
	}
	switch p.Proto {
	case decode.ProtoTCP, decode.ProtoUDP:
		return p.DstPort
	case decode.ProtoICMP, decode.ProtoICMPv6:
		return uint16(p.ICMPType)
	}
	return 0
}

// Payload is one distinct payload.
type Payload struct {
	Hash [32]byte // SHA-256 of the whole payload
	Len  int      // the whole payload's length
	Data []byte   // its first MaxLen bytes
}

// Truncated reports whether Data is shorter than the payload.
func (p *Payload) Truncated() bool { return len(p.Data) < p.Len }

// Count is the packets of one source on one day to one protocol and port
// that carried one payload.
type Count struct {
	Day     civil.Day
	Src     netip.Addr
	Proto   uint8
	Port    uint16
	Payload uint32 // index into Part.Payloads
	Packets uint64
}

// Part is what a Collector kept.
type Part struct {
	Payloads []Payload
	Counts   []Count // sorted by day, source, protocol, port, payload
	MaxLen   int     // Options.MaxLen
	// Packets inspected; Kept of them are in Counts, Dropped are not (the
	// bounds were reached), Truncated were kept cut to MaxLen.
	Packets, Kept, Dropped, Truncated uint64
}

// Collector gathers one capture's evidence. It is not safe for concurrent
// use.
type Collector struct {
	opt   Options
	loc   *time.Location
	seed  maphash.Seed
	dayLo int64
	dayHi int64
	day   civil.Day
	index map[uint64]int32 // payload hash -> first payload with it
	next  []int32          // next payload with the same hash, -1 ends
	keys  []uint64
	pays  []Payload
	arena []byte
	bytes int64
	cells cellTable
	part  Part
}

// cellRow is one count row being collected.
type cellRow struct {
	k cellKey
	n uint64
}

type cellKey struct {
	hi, lo uint64
	day    civil.Day
	pay    uint32
	port   uint16
	proto  uint8
}

// NewCollector returns a Collector that assigns days in loc (UTC when nil).
func NewCollector(loc *time.Location, opt Options) *Collector {
	if loc == nil {
		loc = time.UTC
	}
	opt = opt.withDefaults()
	return &Collector{
		opt: opt, loc: loc, seed: maphash.MakeSeed(), dayLo: 1,
		index: make(map[uint64]int32),
	}
}

// Add keeps the payload of one inbound packet received at ts (Unix
// nanoseconds); packets the classifier does not inspect are ignored.
func (c *Collector) Add(ts int64, p *decode.Packet) {
	if !Inspected(p) {
		return
	}
	c.AddPayload(ts, p.Src, p.Proto, Port(p), p.Payload)
}

// AddPayload keeps the payload pay of an inbound packet the classifier
// inspects (Inspected), received at ts (Unix nanoseconds) from src, to
// protocol proto and port (Port): Add with the packet's fields taken out,
// for a caller that hands packets over to the collector's goroutine. The
// collector does not keep pay.
func (c *Collector) AddPayload(ts int64, src netip.Addr, proto uint8, port uint16, pay []byte) {
	c.part.Packets++
	if ts < c.dayLo || ts >= c.dayHi {
		c.setDay(ts)
	}
	b := src.As16()
	k := cellKey{day: c.day, proto: proto, port: port}
	k.hi = be64(b[:8])
	k.lo = be64(b[8:])
	h := maphash.Bytes(c.seed, pay)
	idx := c.find(h, pay)
	var kh uint64
	at := -1
	if idx >= 0 {
		k.pay = uint32(idx)
		kh = k.hash()
		var r int
		if r, at = c.cells.lookup(&k, kh); r >= 0 {
			c.cells.slots[r].n++
			c.kept(pay)
			return
		}
	}
	if c.cells.n >= c.opt.MaxCells {
		c.part.Dropped++
		return
	}
	if idx < 0 {
		keep := min(len(pay), c.opt.MaxLen)
		if c.bytes+int64(keep) > c.opt.MaxBytes {
			c.part.Dropped++
			return
		}
		idx = c.intern(h, pay, keep)
		k.pay = uint32(idx)
		kh = k.hash()
		_, at = c.cells.lookup(&k, kh) // absent: a new payload
	}
	c.cells.insert(&k, kh, at)
	c.kept(pay)
}

func (c *Collector) kept(pay []byte) {
	c.part.Kept++
	if len(pay) > c.opt.MaxLen {
		c.part.Truncated++
	}
}

// find returns the index of the payload equal to pay, or -1.
func (c *Collector) find(h uint64, pay []byte) int {
	i, ok := c.index[h]
	if !ok {
		return -1
	}
	var sum [32]byte
	summed := false
	for ; i >= 0; i = c.next[i] {
		q := &c.pays[i]
		if q.Len != len(pay) {
			continue
		}
		if !q.Truncated() {
			if bytes.Equal(q.Data, pay) {
				return int(i)
			}
			continue
		}
		if !summed {
			sum, summed = sha256.Sum256(pay), true
		}
		if q.Hash == sum {
			return int(i)
		}
	}
	return -1
}

// intern stores the first keep bytes of pay as a new payload.
func (c *Collector) intern(h uint64, pay []byte, keep int) int {
	if cap(c.arena)-len(c.arena) < keep {
		c.arena = make([]byte, 0, max(1<<20, keep))
	}
	start := len(c.arena)
	c.arena = append(c.arena, pay[:keep]...)
	q := Payload{Len: len(pay), Data: c.arena[start:len(c.arena):len(c.arena)]}
	if keep < len(pay) {
		q.Hash = sha256.Sum256(pay) // the whole payload; others are summed at the end
	}
	idx := int32(len(c.pays))
	c.pays = append(c.pays, q)
	c.keys = append(c.keys, h)
	if first, ok := c.index[h]; ok {
		c.next = append(c.next, first)
	} else {
		c.next = append(c.next, -1)
	}
	c.index[h] = idx
	c.bytes += int64(keep)
	return int(idx)
}

func (c *Collector) setDay(ts int64) {
	t := time.Unix(0, ts).In(c.loc)
	y, m, d := t.Date()
	c.dayLo = time.Date(y, m, d, 0, 0, 0, 0, c.loc).UnixNano()
	c.dayHi = time.Date(y, m, d+1, 0, 0, 0, 0, c.loc).UnixNano()
	c.day = civil.FromDate(y, m, d)
}

// Size reports the payloads and count rows held.
func (c *Collector) Size() (payloads, cells int) { return len(c.pays), c.cells.n }

// Result returns what was kept. The Collector must not be used afterwards.
func (c *Collector) Result() *Part {
	r := c.part
	r.MaxLen = c.opt.MaxLen
	for i := range c.pays {
		if q := &c.pays[i]; !q.Truncated() {
			q.Hash = sha256.Sum256(q.Data)
		}
	}
	r.Payloads = c.pays
	// Sorted on the keys' integers (no address compares): sortRows.
	rows := sortRows(c.cells.take())
	r.Counts = make([]Count, len(rows))
	var last cellKey
	var src netip.Addr
	for i := range rows {
		k := &rows[i].k
		if i == 0 || k.hi != last.hi || k.lo != last.lo {
			var b [16]byte
			put64(b[:8], k.hi)
			put64(b[8:], k.lo)
			src, last = netip.AddrFrom16(b).Unmap(), *k
		}
		r.Counts[i] = Count{Day: k.day, Src: src, Proto: k.proto, Port: k.port, Payload: k.pay, Packets: rows[i].n}
	}
	c.cells, c.index = cellTable{}, nil
	return &r
}

// isV4 reports whether a key's source is an IPv4 address (v4-mapped).
func isV4(k *cellKey) bool { return k.hi == 0 && k.lo>>32 == 0xffff }

func be64(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

func put64(b []byte, v uint64) {
	_ = b[7]
	b[0], b[1], b[2], b[3] = byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32)
	b[4], b[5], b[6], b[7] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}
