package srcports

import (
	"encoding/binary"
	"math/bits"
)

// index maps a (day, source) key to its entry: open addressing with
// linear probing over a power-of-two table at most half full. A slot
// holds 32 bits of the key's hash and the entry's position plus one (0
// for an empty slot); a tag match is confirmed against the entry's key,
// which the caller reads anyway. It replaces a Go map, whose generic hash
// of the 32-byte key cost about two thirds of a packet's time.
type index struct {
	slots []islot
	n     int
}

type islot struct {
	tag uint32
	pos int32 // entry + 1; 0 when empty
}

const minIndexSlots = 1024

func hashKey(k key) uint64 {
	a := k.src.As16()
	hi, lo := binary.LittleEndian.Uint64(a[:8]), binary.LittleEndian.Uint64(a[8:])
	if k.src.Is4() {
		hi ^= 0x9e3779b97f4a7c15 // an IPv4 address and its IPv4-mapped form are distinct keys
	}
	h1, l1 := bits.Mul64(lo^uint64(uint32(k.day))<<32, 0xff51afd7ed558ccd)
	h2, l2 := bits.Mul64(hi, 0xc4ceb9fe1a85ec53)
	return h1 ^ l1 ^ h2 ^ l2
}

// lookup returns the entry of k (-1 when absent) and the slot where k
// would go.
func (x *index) lookup(k key, h uint64, ents []entry) (int32, int) {
	if len(x.slots) == 0 {
		return -1, -1
	}
	mask := len(x.slots) - 1
	tag := uint32(h)
	for i := int(h>>32) & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s.pos == 0 {
			return -1, i
		}
		if s.tag == tag && ents[s.pos-1].key == k {
			return s.pos - 1, i
		}
	}
}

// insert records entry e for a key of hash h at slot i from lookup,
// growing the table first when it would be more than half full.
func (x *index) insert(h uint64, i int, e int32, ents []entry) {
	if i < 0 || 2*(x.n+1) > len(x.slots) {
		x.grow(ents)
		_, i = x.lookup(ents[e].key, h, ents)
	}
	x.slots[i] = islot{tag: uint32(h), pos: e + 1}
	x.n++
}

func (x *index) grow(ents []entry) {
	old := x.slots
	x.slots = make([]islot, max(minIndexSlots, 2*len(old)))
	mask := len(x.slots) - 1
	for _, s := range old {
		if s.pos == 0 {
			continue
		}
		h := hashKey(ents[s.pos-1].key)
		i := int(h>>32) & mask
		for x.slots[i].pos != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = s
	}
}
