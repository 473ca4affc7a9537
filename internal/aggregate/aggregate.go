// Package aggregate folds classified packets of one capture into the facts
// the store keeps: per source per day (first/last seen, packets, source-port
// behaviour), per source × protocol × destination port × class set (packets),
// exploit pattern matches, and per-hour totals.
//
// It is on the per-packet hot path and allocates only when a new source-day or
// a new (source, port, classes) cell appears. Go maps cost more than decoding
// here, so both tables are hand-written: an open-addressing table interns
// (day, source) pairs, and a direct-mapped cache in front of an append-and-sort
// log counts cells (repeats of the same cell, which are the common case for
// scanners, stay in the cache).
package aggregate

import (
	"encoding/binary"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/decode"
)

// Day is a calendar day in the store's time zone, counted in days since
// 1970-01-01 (a civil date, not an instant): civil.Day.
type Day = civil.Day

// DayOf returns the civil day of t in loc.
func DayOf(t time.Time, loc *time.Location) Day { return civil.FromTime(t, loc) }

// SourceDay is what one capture saw of one source address on one day.
type SourceDay struct {
	Addr      netip.Addr
	Day       Day
	Packets   uint64
	Bytes     uint64 // sum of IP total lengths
	First     int64  // first packet, Unix nanoseconds
	Last      int64  // last packet, Unix nanoseconds
	Tags      classify.Tags
	SrcPort   uint16 // the source port, when every TCP/UDP packet used the same one
	PortState uint8  // 0: no TCP/UDP packet seen, 1: one source port (SrcPort), 2: several
}

// SingleSrcPort reports whether every TCP/UDP packet of the source that day
// came from one source port (as Mirai scanners do).
func (s *SourceDay) SingleSrcPort() bool { return s.PortState == 1 }

// Hit counts packets of one source-day to one protocol and destination port
// with one exact set of classes.
type Hit struct {
	Source  uint32 // index into Result.Sources
	Proto   uint8
	Port    uint16 // TCP/UDP destination port; ICMP type for ICMP/ICMPv6; 0 otherwise
	Tags    classify.Tags
	Packets uint64
}

// ExploitHit counts packets of one source-day that matched one exploit pattern.
type ExploitHit struct {
	Source  uint32
	Proto   uint8
	Port    uint16
	Pattern int
	Packets uint64
}

// HourCount totals packets per hour (UTC), protocol and class set.
type HourCount struct {
	Hour    int64 // Unix seconds of the hour's start
	Proto   uint8
	Tags    classify.Tags
	Packets uint64
	Bytes   uint64
}

// Result is everything a capture contributed.
type Result struct {
	Sources  []SourceDay
	Hits     []Hit
	Exploits []ExploitHit
	Hourly   []HourCount
	Packets  uint64 // frames read
	Inbound  uint64 // IP packets addressed to the sensor (counted)
	Outbound uint64 // IP packets not addressed to the sensor (skipped)
	First    int64  // first counted packet, Unix nanoseconds (0 when none)
	Last     int64  // last counted packet
}

// Aggregator accumulates one capture. It is not safe for concurrent use; use
// one per file.
type Aggregator struct {
	loc      *time.Location
	dayLo    int64 // [dayLo, dayHi) in Unix nanoseconds is day curDay
	dayHi    int64
	curDay   Day
	srcs     srcTable
	cells    cellCounter
	exploits map[exploitKey]uint64
	hour     int64 // current hour (Unix seconds); hourly counts below belong to it
	hourLo   int64 // [hourLo, hourHi) in Unix nanoseconds is that hour
	hourHi   int64
	hourPk   [256]uint64
	hourBy   [256]uint64
	hourUsed [256]bool
	hourly   []HourCount
	res      Result
	// prefetchSink keeps AddBatch's prefetch loads from being optimised
	// away; it is per Aggregator so shards do not share a variable.
	prefetchSink uint64
}

type exploitKey struct {
	src     uint32
	proto   uint8
	port    uint16
	pattern int
}

// New returns an Aggregator that assigns days in loc (UTC when nil).
func New(loc *time.Location) *Aggregator {
	if loc == nil {
		loc = time.UTC
	}
	a := &Aggregator{loc: loc, dayLo: 1, dayHi: 0, hour: -1, hourLo: 1, hourHi: 0}
	a.srcs.init(1 << 12)
	a.cells.init()
	return a
}

// protoSlot maps a protocol to one of four hourly buckets.
func protoSlot(p uint8) uint8 {
	switch p {
	case decode.ProtoTCP:
		return 0
	case decode.ProtoUDP:
		return 1
	case decode.ProtoICMP, decode.ProtoICMPv6:
		return 2
	}
	return 3
}

var slotProto = [4]uint8{decode.ProtoTCP, decode.ProtoUDP, decode.ProtoICMP, 0}

// CountFrame counts a frame that was read (whether or not it was counted).
func (a *Aggregator) CountFrame() { a.res.Packets++ }

// CountOutbound counts an IP packet that was not addressed to the sensor.
func (a *Aggregator) CountOutbound() { a.res.Outbound++ }

// Add counts one inbound packet with its classes and exploit pattern (-1 for none).
func (a *Aggregator) Add(ts int64, p *decode.Packet, tags classify.Tags, pattern int) {
	var r Rec
	r.Set(ts, p, tags, pattern)
	a.addRec(&r)
}

// Rec is the part of a classified packet that counting needs: small and
// free of pointers, so batches of them are cheap to hand between goroutines.
type Rec struct {
	TS      int64
	hi, lo  uint64 // source address as 16 bytes (IPv4-mapped for IPv4)
	IPLen   uint32
	SrcPort uint16
	Port    uint16 // TCP/UDP destination port, ICMP type, or 0
	Pattern int16  // exploit pattern, -1 for none
	Proto   uint8
	Tags    classify.Tags
	ports   bool // SrcPort is meaningful (TCP/UDP with a transport header)
	v6      bool // an IPv6 source (an IPv4-mapped one included)
	// Scan marks the packet for the collectors that ride on the counting
	// shards (the source-port histograms: srcports.Scan); set by the
	// caller after Set, ignored by counting.
	Scan bool
}

// Src returns the record's source address as 16 bytes, big-endian (an
// IPv4 address IPv4-mapped), and whether it was an IPv6 address.
func (r *Rec) Src() (hi, lo uint64, v6 bool) { return r.hi, r.lo, r.v6 }

// Set fills r from a decoded, classified packet.
func (r *Rec) Set(ts int64, p *decode.Packet, tags classify.Tags, pattern int) {
	b := p.Src.As16()
	*r = Rec{
		TS: ts, hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:]),
		IPLen: uint32(p.IPLen), Proto: p.Proto, Tags: tags, Pattern: int16(pattern), v6: p.Src.Is6(),
	}
	switch p.Proto {
	case decode.ProtoTCP, decode.ProtoUDP:
		if p.HasTransport {
			r.Port, r.SrcPort, r.ports = p.DstPort, p.SrcPort, true
		}
	case decode.ProtoICMP, decode.ProtoICMPv6:
		if p.HasTransport {
			r.Port = uint16(p.ICMPType)
		}
	}
}

// Shard returns which of n shards counts this record's source: shards
// partition sources, so each shard's source-days and cells are disjoint and
// shards can count in parallel, then be merged with Merge.
func (r *Rec) Shard(n int) int { return shardOf(r.hi, r.lo, n) }

// ShardOf returns the shard (Rec.Shard) of the record Set fills from a
// packet from src, so that a caller can Set it in place in that shard's
// batch.
func ShardOf(src netip.Addr, n int) int {
	if n <= 1 {
		return 0
	}
	b := src.As16()
	return shardOf(binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:]), n)
}

func shardOf(hi, lo uint64, n int) int {
	if n <= 1 {
		return 0
	}
	h := (hi ^ lo) * 0x9E3779B97F4A7C15
	if n&(n-1) == 0 {
		return int((h >> 32) & uint64(n-1)) // the same as %, without a division
	}
	return int((h >> 32) % uint64(n))
}

// addRec counts r and returns the position of its source-day's slot in the
// source table (valid until the table next grows).
func (a *Aggregator) addRec(r *Rec) int {
	ts := r.TS
	a.res.Inbound++
	if a.res.First == 0 || ts < a.res.First {
		a.res.First = ts
	}
	if ts > a.res.Last {
		a.res.Last = ts
	}
	if ts < a.dayLo || ts >= a.dayHi {
		a.setDay(ts)
	}
	sk := srcKey{hi: r.hi, lo: r.lo, day: a.curDay}
	kh := sk.hash()
	pos := a.srcs.internKey(sk, kh, ts)
	s := &a.srcs.slots[pos]
	idx := s.idx - 1
	s.packets++
	s.bytes += uint64(r.IPLen)
	if ts < s.first {
		s.first = ts
	}
	if ts > s.last {
		s.last = ts
	}
	tags := r.Tags
	s.tags |= tags
	port := r.Port
	if r.ports {
		switch s.state {
		case 0:
			s.state, s.sport = 1, r.SrcPort
		case 1:
			if s.sport != r.SrcPort {
				s.state = 2
			}
		}
	}
	low := uint64(r.Proto)<<24 | uint64(port)<<8 | uint64(tags)
	a.cells.add(cellSlot(kh, low), uint64(idx)<<32|low)
	if r.Pattern >= 0 {
		if a.exploits == nil {
			a.exploits = make(map[exploitKey]uint64)
		}
		a.exploits[exploitKey{idx, r.Proto, port, int(r.Pattern)}]++
	}
	if ts < a.hourLo || ts >= a.hourHi {
		a.setHour(ts)
	}
	// Packets carry the six packet classes (bits 0-5); intrusion (bit 6)
	// counts honeypot sessions and never comes from a packet, so 64 tag
	// combinations per protocol slot cover every packet.
	k := protoSlot(r.Proto)<<6 | uint8(tags)&63
	a.hourPk[k]++
	a.hourBy[k] += uint64(r.IPLen)
	a.hourUsed[k] = true
	return pos
}

func (a *Aggregator) setDay(ts int64) {
	t := time.Unix(0, ts).In(a.loc)
	y, m, d := t.Date()
	lo := time.Date(y, m, d, 0, 0, 0, 0, a.loc)
	hi := time.Date(y, m, d+1, 0, 0, 0, 0, a.loc)
	a.dayLo, a.dayHi = lo.UnixNano(), hi.UnixNano()
	a.curDay = civil.FromDate(y, m, d)
}

// setHour makes the hour of ts (Unix nanoseconds) the current one, with
// the counts of the one before passed on: a packet only divides its time
// when it leaves the current hour.
func (a *Aggregator) setHour(ts int64) {
	h := ts / 3600e9
	if ts < 0 && ts%3600e9 != 0 {
		h--
	}
	a.flushHour()
	a.hour = h * 3600
	a.hourLo = h * 3600e9
	a.hourHi = math.MaxInt64 // the last hour an int64 holds has no end in it
	if a.hourLo <= math.MaxInt64-3600e9 {
		a.hourHi = a.hourLo + 3600e9
	}
}

func (a *Aggregator) flushHour() {
	if a.hour == -1 { // no hour yet (real hours are multiples of 3600)
		return
	}
	for k := range a.hourUsed {
		if !a.hourUsed[k] {
			continue
		}
		a.hourly = append(a.hourly, HourCount{
			Hour: a.hour, Proto: slotProto[k>>6], Tags: classify.Tags(k & 63),
			Packets: a.hourPk[k], Bytes: a.hourBy[k],
		})
		a.hourPk[k], a.hourBy[k], a.hourUsed[k] = 0, 0, false
	}
}

// Result finishes the capture and returns its facts. The Aggregator must not
// be used afterwards.
func (a *Aggregator) Result() *Result {
	a.flushHour()
	r := &a.res
	r.Sources = a.srcs.sources()
	cells := a.cells.finish(int(a.srcs.n))
	r.Hits = make([]Hit, 0, len(cells))
	for _, c := range cells {
		r.Hits = append(r.Hits, Hit{
			Source:  uint32(c.key >> 32),
			Proto:   uint8(c.key >> 24),
			Port:    uint16(c.key >> 8),
			Tags:    classify.Tags(c.key),
			Packets: c.n,
		})
	}
	for k, n := range a.exploits {
		r.Exploits = append(r.Exploits, ExploitHit{k.src, k.proto, k.port, k.pattern, n})
	}
	slices.SortFunc(r.Exploits, func(x, y ExploitHit) int {
		if x.Source != y.Source {
			return int(x.Source) - int(y.Source)
		}
		if x.Port != y.Port {
			return int(x.Port) - int(y.Port)
		}
		return x.Pattern - y.Pattern
	})
	// Merge hourly rows of the same hour that out-of-order packets split.
	r.Hourly = mergeHourly(a.hourly)
	return r
}

// Batch is a group of classified packets handed to AddBatch.
type Batch struct {
	N    int
	Recs [BatchSize]Rec
	// Seq is each record's position in the capture, for the collectors
	// that ride on the shards (set by the caller, unused by counting).
	Seq [BatchSize]uint64
	// Src is, after AddBatch, the index of each record's source-day in the
	// part being counted (Result.Sources of the next Flush or Result).
	Src [BatchSize]uint32
	pos [BatchSize]uint32 // each record's slot in the source table (Memo)
	day [BatchSize]Day    // each record's day, while AddBatch runs
}

// BatchSize is the number of packets in a Batch.
const BatchSize = 256

// AddBatch counts b's packets as Add would, fills b.Src, and empties b (N
// is 0 afterwards; Recs, Seq and Src keep what they held). Tables larger than the CPU
// caches make every packet wait for memory; touching all of a batch's
// source slots and cell cache entries first lets those waits overlap.
func (a *Aggregator) AddBatch(b *Batch) {
	var slot, cslot [BatchSize]uint64
	mask := a.srcs.mask
	for i := 0; i < b.N; i++ {
		r := &b.Recs[i]
		h := srcKey{hi: r.hi, lo: r.lo, day: a.curDay}.hash()
		slot[i] = h & mask
		cslot[i] = cellSlot(h, uint64(r.Proto)<<24|uint64(r.Port)<<8|uint64(r.Tags))
	}
	// A short loop of independent loads: the CPU keeps many in flight.
	var sink uint64
	slots, cache := a.srcs.slots, a.cells.cache
	for i := 0; i < b.N; i++ {
		sink += slots[slot[i]].hi + cache[cslot[i]].n
	}
	a.prefetchSink += sink
	for i := 0; i < b.N; i++ {
		b.pos[i] = uint32(a.addRec(&b.Recs[i]))
		b.day[i] = a.curDay
	}
	// The table may have grown during the batch: positions taken before
	// the last growth moved. Growth is rare (the table doubles), so the
	// positions are taken again then.
	if len(a.srcs.slots) != int(mask+1) {
		for i := 0; i < b.N; i++ {
			r := &b.Recs[i]
			k := srcKey{hi: r.hi, lo: r.lo, day: b.day[i]}
			b.pos[i] = uint32(a.srcs.find(k, k.hash()))
		}
	}
	for i := 0; i < b.N; i++ {
		b.Src[i] = a.srcs.slots[b.pos[i]].idx - 1
	}
	b.N = 0
}

// Memo returns the memo word of the source-day of record i of b, which
// AddBatch has just counted (valid until a's next AddBatch, Flush or
// Result): a word a collector that rides on the counting keeps per
// source-day of the part, 0 when the source-day is new to the part, on
// the cache line counting has just touched.
func (a *Aggregator) Memo(b *Batch, i int) *int32 {
	return &a.srcs.slots[b.pos[i]].memo
}

// Merge combines the results of shards that counted disjoint sources of one
// capture. Frame and outbound counters are summed.
func Merge(parts []*Result) *Result {
	if len(parts) == 1 {
		return parts[0]
	}
	out := &Result{}
	var hourly []HourCount
	var ns, nh int
	for _, p := range parts {
		ns += len(p.Sources)
		nh += len(p.Hits)
	}
	out.Sources = make([]SourceDay, 0, ns)
	out.Hits = make([]Hit, 0, nh)
	for _, p := range parts {
		off := uint32(len(out.Sources))
		out.Sources = append(out.Sources, p.Sources...)
		for _, h := range p.Hits {
			h.Source += off
			out.Hits = append(out.Hits, h)
		}
		for _, e := range p.Exploits {
			e.Source += off
			out.Exploits = append(out.Exploits, e)
		}
		hourly = append(hourly, p.Hourly...)
		out.Packets += p.Packets
		out.Inbound += p.Inbound
		out.Outbound += p.Outbound
		if p.Inbound > 0 && (out.First == 0 || p.First < out.First) {
			out.First = p.First
		}
		if p.Last > out.Last {
			out.Last = p.Last
		}
	}
	out.Hourly = mergeHourly(hourly)
	return out
}

// mergeHourly sorts hourly rows and sums rows of the same hour, protocol and
// class set.
func mergeHourly(rows []HourCount) []HourCount {
	slices.SortFunc(rows, func(x, y HourCount) int {
		switch {
		case x.Hour != y.Hour:
			if x.Hour < y.Hour {
				return -1
			}
			return 1
		case x.Proto != y.Proto:
			return int(x.Proto) - int(y.Proto)
		}
		return int(x.Tags) - int(y.Tags)
	})
	var out []HourCount
	for _, h := range rows {
		if n := len(out); n > 0 && out[n-1].Hour == h.Hour && out[n-1].Proto == h.Proto && out[n-1].Tags == h.Tags {
			out[n-1].Packets += h.Packets
			out[n-1].Bytes += h.Bytes
			continue
		}
		out = append(out, h)
	}
	return out
}

// Size reports how many source-days and cell entries the Aggregator holds:
// what its memory grows with.
func (a *Aggregator) Size() (sources, cells int) {
	return int(a.srcs.n), len(a.cells.log) + len(a.cells.cache)
}

// Flush returns what was counted so far and starts afresh, so that a long
// capture can be counted in parts of bounded size. Counting a capture in
// parts gives the same totals: a source-day that spans parts appears once in
// each, and the store adds them up. The next part counts in the tables of
// this one, emptied: a file's days are much alike, and growing the tables
// from small again for every part cost more than clearing them.
func (a *Aggregator) Flush() *Result {
	r := *a.Result() // Result points into a, which is reset below
	loc, slots, cache, log := a.loc, a.srcs.slots, a.cells.cache, a.cells.log[:0]
	*a = Aggregator{loc: loc, dayLo: 1, dayHi: 0, hour: -1, hourLo: 1, hourHi: 0}
	clear(slots)
	a.srcs.reuse(slots)
	clear(cache)
	a.cells = cellCounter{cache: cache, log: log, floor: compactFloor, compact: compactFloor}
	return &r
}
