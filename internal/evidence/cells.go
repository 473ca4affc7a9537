package evidence

import "math/bits"

// cellTable counts the count rows of a Collector: the rows in a slice in
// order of first appearance, found through an open-addressing index
// (linear probing, at most three quarters full) of 32 bits of their hash
// and their position. It replaces a Go map keyed by the 40-byte cellKey,
// whose generic hash and probing were most of a payload packet's time.
type cellTable struct {
	rows  []cellRow
	slots []cellSlot
}

type cellSlot struct {
	tag uint32
	pos int32 // row + 1; 0 when empty
}

const minCellSlots = 1024

func (k *cellKey) hash() uint64 {
	h1, l1 := bits.Mul64(k.lo^uint64(uint32(k.day))<<32, 0xff51afd7ed558ccd)
	h2, l2 := bits.Mul64(k.hi^uint64(k.pay)<<24^uint64(k.port)<<8^uint64(k.proto), 0xc4ceb9fe1a85ec53)
	return h1 ^ l1 ^ h2 ^ l2
}

// lookup returns the row of k (-1 when absent) and the slot where k would
// go.
func (t *cellTable) lookup(k *cellKey, h uint64) (int32, int) {
	if len(t.slots) == 0 {
		return -1, -1
	}
	mask := len(t.slots) - 1
	tag := uint32(h)
	for i := int(h>>32) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s.pos == 0 {
			return -1, i
		}
		if s.tag == tag && t.rows[s.pos-1].k == *k {
			return s.pos - 1, i
		}
	}
}

// insert adds k, absent, with one packet; at is the slot lookup returned.
func (t *cellTable) insert(k *cellKey, h uint64, at int) {
	if at < 0 || 4*(len(t.rows)+1) > 3*len(t.slots) {
		t.grow()
		_, at = t.lookup(k, h)
	}
	t.rows = append(t.rows, cellRow{*k, 1})
	t.slots[at] = cellSlot{tag: uint32(h), pos: int32(len(t.rows))}
}

func (t *cellTable) grow() {
	t.slots = make([]cellSlot, max(minCellSlots, 2*len(t.slots)))
	mask := len(t.slots) - 1
	for r := range t.rows {
		h := t.rows[r].k.hash()
		i := int(h>>32) & mask
		for t.slots[i].pos != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = cellSlot{tag: uint32(h), pos: int32(r + 1)}
	}
}
