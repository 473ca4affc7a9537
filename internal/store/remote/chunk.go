package remote

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/classify"
	"github.com/honeyscope/honeyscope/internal/store"
)

// A chunk is one self-contained piece of a Tx.Append: a run of sources
// with their places, the hits and exploit hits of exactly those sources
// (indexes local to the chunk) and some hourly counts. The owner appends
// each chunk as it comes; since a Tx numbers each Append's sources after
// the previous ones, the chunks of one Result give the rows one Append of
// the whole Result would.
//
// Encoding: fixed-width little-endian fields, strings as a uint32 length
// and bytes. Every element has a fixed encoded size, so a count is checked
// against the bytes left before anything is allocated: a frame of at most
// maxBulkFrame bytes decodes into at most about twice that in memory.

const chunkVersion = 1

// Encoded sizes of one element.
const (
	sourceSize  = 1 + 16 + 4 + 8*4 + 1 + 2 + 1 + 4*4 // addr kind, addr, day, packets..last, tags, src port, port state, place
	hitSize     = 4 + 1 + 2 + 1 + 8
	exploitSize = 4 + 1 + 2 + 4 + 8
	hourSize    = 8 + 1 + 1 + 8 + 8
	patternSize = 4 + 4 // id, name index
)

// chunk is a decoded chunk.
type chunk struct {
	sensor     string
	hasPattern bool
	patterns   map[int]string
	result     aggregate.Result
	places     []store.Place
}

// pattern returns the chunk's pattern names as Append wants them (nil when
// the client had none).
func (c *chunk) pattern() func(int) string {
	if !c.hasPattern {
		return nil
	}
	return func(id int) string {
		if n, ok := c.patterns[id]; ok {
			return n
		}
		return fmt.Sprint(id)
	}
}

// chunker cuts a Result into chunks of about target encoded bytes.
type chunker struct {
	r       *aggregate.Result
	places  []store.Place
	sensor  string
	pattern func(int) string
	target  int

	hitOff, hitIdx []uint32 // hits of source s: hitIdx[hitOff[s]:hitOff[s+1]]
	expOff, expIdx []uint32
	nextSrc        int
	nextHour       int
	buf            []byte
}

func newChunker(r *aggregate.Result, places []store.Place, sensor string, pattern func(int) string, target int) (*chunker, error) {
	if len(places) != len(r.Sources) {
		return nil, fmt.Errorf("%d places for %d sources", len(places), len(r.Sources))
	}
	c := &chunker{r: r, places: places, sensor: sensor, pattern: pattern, target: target}
	var err error
	if c.hitOff, c.hitIdx, err = bySource(len(r.Sources), len(r.Hits), func(i int) uint32 { return r.Hits[i].Source }); err != nil {
		return nil, fmt.Errorf("hits: %w", err)
	}
	if c.expOff, c.expIdx, err = bySource(len(r.Sources), len(r.Exploits), func(i int) uint32 { return r.Exploits[i].Source }); err != nil {
		return nil, fmt.Errorf("exploit hits: %w", err)
	}
	return c, nil
}

// bySource groups n items by their source (a counting sort): the items of
// source s are idx[off[s]:off[s+1]], in their original order.
func bySource(sources, n int, src func(i int) uint32) (off, idx []uint32, err error) {
	off = make([]uint32, sources+1)
	for i := 0; i < n; i++ {
		s := src(i)
		if int(s) >= sources {
			return nil, nil, fmt.Errorf("item %d names source %d of %d", i, s, sources)
		}
		off[s+1]++
	}
	for s := 1; s <= sources; s++ {
		off[s] += off[s-1]
	}
	idx = make([]uint32, n)
	pos := make([]uint32, sources)
	copy(pos, off[:sources])
	for i := 0; i < n; i++ {
		s := src(i)
		idx[pos[s]] = uint32(i)
		pos[s]++
	}
	return off, idx, nil
}

// next encodes the next chunk, or returns nil when everything was encoded.
// The returned bytes are valid until the next call.
func (c *chunker) next() ([]byte, error) {
	r := c.r
	if c.nextSrc >= len(r.Sources) && c.nextHour >= len(r.Hourly) {
		return nil, nil
	}
	// Choose the sources: at least one, then as many as fit the target.
	from, to := c.nextSrc, c.nextSrc
	size := 64 + len(c.sensor)
	for to < len(r.Sources) {
		s := to
		nh := int(c.hitOff[s+1] - c.hitOff[s])
		ne := int(c.expOff[s+1] - c.expOff[s])
		p := &c.places[s]
		add := sourceSize + nh*hitSize + ne*(exploitSize+patternSize+64) + 12 + len(p.Country) + len(p.Org) + len(p.Special)
		if to > from && size+add > c.target {
			break
		}
		size += add
		to++
	}
	if size > maxBulkFrame {
		return nil, fmt.Errorf("source %s has too many hits (%d) to send in one frame", r.Sources[from].Addr, c.hitOff[from+1]-c.hitOff[from])
	}
	hourFrom, hourTo := c.nextHour, c.nextHour
	for hourTo < len(r.Hourly) && size+hourSize <= c.target {
		size += hourSize
		hourTo++
	}
	c.nextSrc, c.nextHour = to, hourTo

	var e encoder
	e.b = c.buf[:0]
	e.u8(chunkVersion)
	e.str(c.sensor)
	// String table for places and pattern names.
	strs := map[string]uint32{}
	var table []string
	intern := func(s string) uint32 {
		if i, ok := strs[s]; ok {
			return i
		}
		i := uint32(len(table))
		strs[s] = i
		table = append(table, s)
		return i
	}
	type pat struct{ id, name uint32 }
	var pats []pat
	seen := map[int]bool{}
	if c.pattern != nil {
		for s := from; s < to; s++ {
			for _, j := range c.expIdx[c.expOff[s]:c.expOff[s+1]] {
				id := r.Exploits[j].Pattern
				if !seen[id] {
					seen[id] = true
					if id < math.MinInt32 || id > math.MaxInt32 {
						return nil, fmt.Errorf("exploit pattern id %d out of range", id)
					}
					pats = append(pats, pat{uint32(int32(id)), intern(c.pattern(id))})
				}
			}
		}
	}
	placeIdx := make([][3]uint32, to-from)
	for s := from; s < to; s++ {
		p := &c.places[s]
		placeIdx[s-from] = [3]uint32{intern(p.Country), intern(p.Org), intern(p.Special)}
	}
	e.u32(uint32(len(table)))
	for _, s := range table {
		e.str(s)
	}
	if c.pattern != nil {
		e.u8(1)
	} else {
		e.u8(0)
	}
	e.u32(uint32(len(pats)))
	for _, p := range pats {
		e.u32(p.id)
		e.u32(p.name)
	}
	e.u32(uint32(to - from))
	for s := from; s < to; s++ {
		sd := &r.Sources[s]
		if sd.Addr.Is4() {
			e.u8(4)
		} else if sd.Addr.Is6() {
			e.u8(6)
		} else {
			e.u8(0)
		}
		a := sd.Addr.As16()
		e.b = append(e.b, a[:]...)
		e.u32(uint32(sd.Day))
		e.u64(sd.Packets)
		e.u64(sd.Bytes)
		e.u64(uint64(sd.First))
		e.u64(uint64(sd.Last))
		e.u8(uint8(sd.Tags))
		e.u16(sd.SrcPort)
		e.u8(sd.PortState)
		pi := placeIdx[s-from]
		e.u32(pi[0])
		e.u32(c.places[s].ASN)
		e.u32(pi[1])
		e.u32(pi[2])
	}
	nh := int(c.hitOff[to] - c.hitOff[from])
	e.u32(uint32(nh))
	for s := from; s < to; s++ {
		for _, j := range c.hitIdx[c.hitOff[s]:c.hitOff[s+1]] {
			h := &r.Hits[j]
			e.u32(uint32(s - from))
			e.u8(h.Proto)
			e.u16(h.Port)
			e.u8(uint8(h.Tags))
			e.u64(h.Packets)
		}
	}
	ne := int(c.expOff[to] - c.expOff[from])
	e.u32(uint32(ne))
	for s := from; s < to; s++ {
		for _, j := range c.expIdx[c.expOff[s]:c.expOff[s+1]] {
			x := &r.Exploits[j]
			e.u32(uint32(s - from))
			e.u8(x.Proto)
			e.u16(x.Port)
			e.u32(uint32(int32(x.Pattern)))
			e.u64(x.Packets)
		}
	}
	e.u32(uint32(hourTo - hourFrom))
	for _, h := range r.Hourly[hourFrom:hourTo] {
		e.u64(uint64(h.Hour))
		e.u8(h.Proto)
		e.u8(uint8(h.Tags))
		e.u64(h.Packets)
		e.u64(h.Bytes)
	}
	c.buf = e.b
	if len(e.b) > maxBulkFrame {
		return nil, fmt.Errorf("chunk of %d bytes exceeds the %d-byte frame limit", len(e.b), maxBulkFrame)
	}
	return e.b, nil
}

type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)   { e.b = append(e.b, v) }
func (e *encoder) u16(v uint16) { e.b = binary.LittleEndian.AppendUint16(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *encoder) str(s string) { e.u32(uint32(len(s))); e.b = append(e.b, s...) }

// decoder reads a chunk; the first error sticks and every later read
// returns zero.
type decoder struct {
	b   []byte
	err error
}

var errShort = errors.New("chunk truncated")

func (d *decoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		if d.err == nil {
			d.err = errShort
		}
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) u8() uint8 {
	if b := d.take(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if b := d.take(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if b := d.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *decoder) u64() uint64 {
	if b := d.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *decoder) str() string {
	n := d.u32()
	if int64(n) > int64(len(d.b)) {
		d.fail(errShort)
		return ""
	}
	return string(d.take(int(n)))
}

// count reads an element count and checks that that many elements of size
// bytes each fit in what is left.
func (d *decoder) count(size int) int {
	n := d.u32()
	if d.err == nil && int64(n)*int64(size) > int64(len(d.b)) {
		d.fail(fmt.Errorf("chunk claims %d elements of %d bytes with %d bytes left", n, size, len(d.b)))
		return 0
	}
	return int(n)
}

func (d *decoder) fail(err error) {
	if d.err == nil {
		d.err = err
	}
}

// decodeChunk decodes and checks a chunk: every index in range, every
// address valid, nothing left over.
func decodeChunk(b []byte) (*chunk, error) {
	d := &decoder{b: b}
	if v := d.u8(); d.err == nil && v != chunkVersion {
		return nil, fmt.Errorf("bad append chunk: version %d, want %d", v, chunkVersion)
	}
	c := &chunk{sensor: d.str()}
	ns := d.count(4)
	table := make([]string, ns)
	for i := range table {
		table[i] = d.str()
	}
	str := func(i uint32) string {
		if int64(i) >= int64(len(table)) {
			d.fail(fmt.Errorf("string %d of %d", i, len(table)))
			return ""
		}
		return table[i]
	}
	c.hasPattern = d.u8() != 0
	np := d.count(patternSize)
	c.patterns = make(map[int]string, np)
	for i := 0; i < np; i++ {
		id := int(int32(d.u32()))
		c.patterns[id] = str(d.u32())
	}
	nsrc := d.count(sourceSize)
	r := &c.result
	r.Sources = make([]aggregate.SourceDay, nsrc)
	c.places = make([]store.Place, nsrc)
	for i := 0; i < nsrc && d.err == nil; i++ {
		sd := &r.Sources[i]
		kind := d.u8()
		var a [16]byte
		copy(a[:], d.take(16))
		switch kind {
		case 4:
			sd.Addr = netip.AddrFrom16(a).Unmap()
			if !sd.Addr.Is4() {
				d.fail(fmt.Errorf("source %d: IPv4 kind with a non-mapped address", i))
			}
		case 6:
			sd.Addr = netip.AddrFrom16(a)
		default:
			d.fail(fmt.Errorf("source %d: address kind %d", i, kind))
		}
		sd.Day = aggregate.Day(int32(d.u32()))
		sd.Packets = d.u64()
		sd.Bytes = d.u64()
		sd.First = int64(d.u64())
		sd.Last = int64(d.u64())
		sd.Tags = classify.Tags(d.u8())
		sd.SrcPort = d.u16()
		sd.PortState = d.u8()
		p := &c.places[i]
		p.Country = str(d.u32())
		p.ASN = d.u32()
		p.Org = str(d.u32())
		p.Special = str(d.u32())
	}
	src := func(what string, i int) uint32 {
		s := d.u32()
		if int64(s) >= int64(nsrc) {
			d.fail(fmt.Errorf("%s %d names source %d of %d", what, i, s, nsrc))
			return 0
		}
		return s
	}
	nh := d.count(hitSize)
	r.Hits = make([]aggregate.Hit, nh)
	for i := 0; i < nh && d.err == nil; i++ {
		h := &r.Hits[i]
		h.Source = src("hit", i)
		h.Proto = d.u8()
		h.Port = d.u16()
		h.Tags = classify.Tags(d.u8())
		h.Packets = d.u64()
	}
	ne := d.count(exploitSize)
	r.Exploits = make([]aggregate.ExploitHit, ne)
	for i := 0; i < ne && d.err == nil; i++ {
		x := &r.Exploits[i]
		x.Source = src("exploit hit", i)
		x.Proto = d.u8()
		x.Port = d.u16()
		x.Pattern = int(int32(d.u32()))
		x.Packets = d.u64()
	}
	nhr := d.count(hourSize)
	r.Hourly = make([]aggregate.HourCount, nhr)
	for i := 0; i < nhr && d.err == nil; i++ {
		h := &r.Hourly[i]
		h.Hour = int64(d.u64())
		h.Proto = d.u8()
		h.Tags = classify.Tags(d.u8())
		h.Packets = d.u64()
		h.Bytes = d.u64()
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail(fmt.Errorf("%d bytes after the chunk", len(d.b)))
	}
	if d.err != nil {
		return nil, fmt.Errorf("bad append chunk: %w", d.err)
	}
	return c, nil
}
