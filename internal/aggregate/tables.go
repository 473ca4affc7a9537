package aggregate

import (
	"encoding/binary"
	"github.com/honeyscope/honeyscope/internal/classify"
	"net/netip"
	"slices"
)

// srcTable interns (day, source address) pairs and keeps each pair's
// SourceDay inline in its slot, so a packet touches one cache line for its
// source: open addressing with linear probing, power-of-two capacity.
type srcTable struct {
	slots []srcSlot
	mask  uint64
	n     uint32
	// last is a one-entry cache: scanners send bursts from one address.
	lastKey  srcKey
	lastSlot int
}

type srcKey struct {
	hi, lo uint64
	day    Day
}

// srcSlot is 64 bytes, one cache line, and holds no pointers (the GC does
// not scan the table). The key's fields are inline (hi, lo, day) so that
// idx and memo fill what would be the key struct's padding: with a srcKey
// field the slot was 72 bytes, and most slots straddled two cache lines.
type srcSlot struct {
	hi, lo  uint64
	day     Day
	idx     uint32 // index+1 in order of first appearance; 0 = empty slot
	packets uint64
	bytes   uint64
	first   int64
	last    int64
	sport   uint16
	tags    classify.Tags
	state   uint8
	// memo is a word kept for a collector that rides on the counting
	// (Aggregator.Memo): on the line counting has just touched, it costs
	// no cache miss of its own.
	memo int32
}

// is reports whether the slot holds key k.
func (s *srcSlot) is(k srcKey) bool { return s.lo == k.lo && s.hi == k.hi && s.day == k.day }

func (s *srcSlot) key() srcKey { return srcKey{hi: s.hi, lo: s.lo, day: s.day} }

func (t *srcTable) init(capacity int) {
	t.reuse(make([]srcSlot, capacity))
}

// reuse makes the table an empty one in slots, whose length is a power of
// two and every slot of which is empty.
func (t *srcTable) reuse(slots []srcSlot) {
	t.slots = slots
	t.mask = uint64(len(slots) - 1)
	t.n = 0
	t.lastSlot = -1
}

func (k srcKey) hash() uint64 {
	h := k.lo*0x9E3779B97F4A7C15 ^ k.hi*0xC2B2AE3D27D4EB4F ^ uint64(uint32(k.day))*0x165667B19E3779F9
	return h ^ h>>29
}

// internKey returns the position of the slot of key k (a source address
// and day, whose hash is h), creating it (first seen at ts) when absent.
func (t *srcTable) internKey(k srcKey, h uint64, ts int64) int {
	if t.lastSlot >= 0 && k == t.lastKey {
		return t.lastSlot
	}
	i := h & t.mask
	for {
		s := &t.slots[i]
		if s.idx == 0 {
			break
		}
		if s.is(k) {
			t.lastKey, t.lastSlot = k, int(i)
			return int(i)
		}
		i = (i + 1) & t.mask
	}
	if (uint64(t.n)+1)*4 > uint64(len(t.slots))*3 {
		t.grow()
		return t.internKey(k, h, ts)
	}
	t.n++
	t.slots[i] = srcSlot{hi: k.hi, lo: k.lo, day: k.day, idx: t.n, first: ts, last: ts}
	t.lastKey, t.lastSlot = k, int(i)
	return int(i)
}

// find returns the position of the slot of key k, present, whose hash is h.
func (t *srcTable) find(k srcKey, h uint64) int {
	i := h & t.mask
	for !t.slots[i].is(k) {
		i = (i + 1) & t.mask
	}
	return int(i)
}

func (t *srcTable) grow() {
	old := t.slots
	t.slots = make([]srcSlot, len(old)*2)
	t.mask = uint64(len(t.slots) - 1)
	for j := range old {
		if old[j].idx == 0 {
			continue
		}
		i := old[j].key().hash() & t.mask
		for t.slots[i].idx != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = old[j]
	}
	t.lastSlot = -1
}

// sources returns the SourceDays in order of first appearance (index idx-1).
func (t *srcTable) sources() []SourceDay {
	out := make([]SourceDay, t.n)
	for i := range t.slots {
		if s := &t.slots[i]; s.idx != 0 {
			var b [16]byte
			binary.BigEndian.PutUint64(b[:8], s.hi)
			binary.BigEndian.PutUint64(b[8:], s.lo)
			out[s.idx-1] = SourceDay{
				Addr: netip.AddrFrom16(b).Unmap(), Day: s.day, Packets: s.packets, Bytes: s.bytes,
				First: s.first, Last: s.last, Tags: s.tags, SrcPort: s.sport, PortState: s.state,
			}
		}
	}
	return out
}

// cellCounter counts packed 64-bit cell keys. A direct-mapped cache absorbs
// repeats; evicted entries go to an append-only log that is sorted and
// merged when it grows, so memory stays proportional to the distinct cells.
type cellCounter struct {
	cache   []cell
	log     []cell
	compact int // log length after the last compaction
	floor   int // the log is not compacted before it holds twice this many
}

type cell struct {
	key uint64
	n   uint64
}

const cacheBits = 14

// compactFloor: a log shorter than twice this (32 MiB) is never compacted.
// A compaction sorts the whole log, and one at every doubling from a small
// size sorted each cell about three times over before the last sort; a
// file's parts are bounded by Config.PartCells anyway, so most parts now
// sort their cells once, at the end.
const compactFloor = 1 << 20

func (c *cellCounter) init() {
	c.cache = make([]cell, 1<<cacheBits)
	c.floor = compactFloor
	c.compact = c.floor
}

// cellSlot is the cache entry of the cell of source-day hash srcHash with
// protocol, port and classes low: computed from the source's address and
// day rather than its index, so that a batch can touch the entries of its
// packets before their sources are looked up.
func cellSlot(srcHash, low uint64) uint64 {
	return ((srcHash ^ low) * 0x9E3779B97F4A7C15) >> (64 - cacheBits)
}

// add counts key in cache entry slot (cellSlot of the key's source and
// low bits); the cache only has to place equal keys alike.
func (c *cellCounter) add(slot, key uint64) {
	e := &c.cache[slot]
	if e.n != 0 && e.key == key {
		e.n++
		return
	}
	if e.n != 0 {
		c.log = append(c.log, *e)
		if len(c.log) >= 2*c.compact {
			c.log = sortMerge(c.log)
			c.compact = max(len(c.log), c.floor)
		}
	}
	e.key, e.n = key, 1
}

// finish returns all cells sorted by key with their counts; every key's
// top 32 bits (its source) are below nsrc.
func (c *cellCounter) finish(nsrc int) []cell {
	for _, e := range c.cache {
		if e.n != 0 {
			c.log = append(c.log, e)
		}
	}
	return sortBySource(c.log, nsrc)
}

// sortBySource sorts cells by key and sums the counts of equal keys, for
// keys whose top 32 bits (the source) are below nsrc: a counting sort by
// source (one pass to count, one to place), then each source's cells,
// few but for scanners, sorted on their own, where the LSD radix sort of
// sortMerge makes six or seven passes over all of them.
func sortBySource(s []cell, nsrc int) []cell {
	if len(s) < 256 || nsrc <= 0 || nsrc > len(s) {
		return sortMerge(s)
	}
	start := make([]uint32, nsrc+1)
	for _, e := range s {
		start[e.key>>32+1]++
	}
	for i := 1; i <= nsrc; i++ {
		start[i] += start[i-1]
	}
	buf := make([]cell, len(s))
	fill := slices.Clone(start[:nsrc])
	for _, e := range s {
		src := e.key >> 32
		buf[fill[src]] = e
		fill[src]++
	}
	out := s[:0]
	for i := 0; i < nsrc; i++ {
		g := buf[start[i]:start[i+1]]
		if len(g) <= 16 {
			insertionSort(g)
		} else {
			radixSort(g)
		}
		for _, e := range g {
			if n := len(out); n > 0 && out[n-1].key == e.key {
				out[n-1].n += e.n
				continue
			}
			out = append(out, e)
		}
	}
	return out
}

func insertionSort(s []cell) {
	for i := 1; i < len(s); i++ {
		e := s[i]
		j := i
		for ; j > 0 && s[j-1].key > e.key; j-- {
			s[j] = s[j-1]
		}
		s[j] = e
	}
}

// sortMerge sorts cells by key and sums the counts of equal keys in place.
// An LSD radix sort (8-bit digits, skipping digits where all keys agree) is
// several times faster here than a comparison sort.
func sortMerge(s []cell) []cell {
	radixSort(s)
	out := s[:0]
	for _, e := range s {
		if n := len(out); n > 0 && out[n-1].key == e.key {
			out[n-1].n += e.n
			continue
		}
		out = append(out, e)
	}
	return out
}

func radixSort(s []cell) {
	if len(s) < 256 {
		slices.SortFunc(s, func(a, b cell) int {
			switch {
			case a.key < b.key:
				return -1
			case a.key > b.key:
				return 1
			}
			return 0
		})
		return
	}
	var counts [8][256]int
	for _, e := range s {
		k := e.key
		for d := 0; d < 8; d++ {
			counts[d][byte(k>>(8*d))]++
		}
	}
	buf := make([]cell, len(s))
	src, dst := s, buf
	for d := 0; d < 8; d++ {
		c := &counts[d]
		if c[byte(s[0].key>>(8*d))] == len(s) {
			continue // every key has the same digit here
		}
		pos := 0
		for b := range c {
			n := c[b]
			c[b] = pos
			pos += n
		}
		shift := 8 * d
		for _, e := range src {
			b := byte(e.key >> shift)
			dst[c[b]] = e
			c[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &s[0] {
		copy(s, src)
	}
}
