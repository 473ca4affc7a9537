package aggregate

import (
	"encoding/binary"
	"net/netip"
	"slices"
)

// srcTable interns (day, source address) pairs into indexes of the sources
// slice: open addressing with linear probing, power-of-two capacity.
type srcTable struct {
	keys []srcKey
	idx  []uint32 // index+1 into sources; 0 = empty slot
	mask uint64
	n    int
	// last is a one-entry cache: scanners send bursts from one address.
	lastKey srcKey
	lastIdx uint32
}

type srcKey struct {
	hi, lo uint64
	day    Day
}

func (t *srcTable) init(capacity int) {
	t.keys = make([]srcKey, capacity)
	t.idx = make([]uint32, capacity)
	t.mask = uint64(capacity - 1)
	t.n = 0
	t.lastIdx = 0
}

func keyOf(a netip.Addr, d Day) srcKey {
	b := a.As16()
	return srcKey{hi: binary.BigEndian.Uint64(b[:8]), lo: binary.BigEndian.Uint64(b[8:]), day: d}
}

func (k srcKey) hash() uint64 {
	h := k.lo*0x9E3779B97F4A7C15 ^ k.hi*0xC2B2AE3D27D4EB4F ^ uint64(uint32(k.day))*0x165667B19E3779F9
	return h ^ h>>29
}

// intern returns the index of (a, d) in *sources, appending a new SourceDay
// first seen at ts when absent.
func (t *srcTable) intern(a netip.Addr, d Day, sources *[]SourceDay, ts int64) uint32 {
	k := keyOf(a, d)
	if t.lastIdx != 0 && k == t.lastKey {
		return t.lastIdx - 1
	}
	i := k.hash() & t.mask
	for {
		v := t.idx[i]
		if v == 0 {
			break
		}
		if t.keys[i] == k {
			t.lastKey, t.lastIdx = k, v
			return v - 1
		}
		i = (i + 1) & t.mask
	}
	*sources = append(*sources, SourceDay{Addr: a.Unmap(), Day: d, First: ts, Last: ts})
	v := uint32(len(*sources))
	t.keys[i], t.idx[i] = k, v
	t.n++
	t.lastKey, t.lastIdx = k, v
	if t.n*4 > len(t.keys)*3 {
		t.grow()
	}
	return v - 1
}

func (t *srcTable) grow() {
	old, oldIdx := t.keys, t.idx
	t.keys = make([]srcKey, len(old)*2)
	t.idx = make([]uint32, len(old)*2)
	t.mask = uint64(len(t.keys) - 1)
	for j, v := range oldIdx {
		if v == 0 {
			continue
		}
		i := old[j].hash() & t.mask
		for t.idx[i] != 0 {
			i = (i + 1) & t.mask
		}
		t.keys[i], t.idx[i] = old[j], v
	}
}

// cellCounter counts packed 64-bit cell keys. A direct-mapped cache absorbs
// repeats; evicted entries go to an append-only log that is sorted and
// merged when it grows, so memory stays proportional to the distinct cells.
type cellCounter struct {
	cache   []cell
	log     []cell
	compact int // log length after the last compaction
}

type cell struct {
	key uint64
	n   uint64
}

const cacheBits = 14

func (c *cellCounter) init() {
	c.cache = make([]cell, 1<<cacheBits)
	c.compact = 1 << 16
}

func (c *cellCounter) add(key uint64) {
	h := (key * 0x9E3779B97F4A7C15) >> (64 - cacheBits)
	e := &c.cache[h]
	if e.n != 0 && e.key == key {
		e.n++
		return
	}
	if e.n != 0 {
		c.log = append(c.log, *e)
		if len(c.log) >= 2*c.compact {
			c.log = sortMerge(c.log)
			c.compact = max(len(c.log), 1<<16)
		}
	}
	e.key, e.n = key, 1
}

// finish returns all cells sorted by key with their counts.
func (c *cellCounter) finish() []cell {
	for _, e := range c.cache {
		if e.n != 0 {
			c.log = append(c.log, e)
		}
	}
	c.cache = nil
	return sortMerge(c.log)
}

// sortMerge sorts cells by key and sums the counts of equal keys in place.
func sortMerge(s []cell) []cell {
	slices.SortFunc(s, func(a, b cell) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		return 0
	})
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
