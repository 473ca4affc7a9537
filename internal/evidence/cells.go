package evidence

import "math/bits"

// cellTable counts the count rows of a Collector in an open-addressing
// table (linear probing, at most three quarters full) that holds the rows
// themselves: a packet's row is found with one cache miss, where an index
// of positions into a slice of rows cost two (the index slot, then the row
// to confirm the key). It replaced a Go map keyed by the 40-byte cellKey,
// whose generic hash and probing were most of a payload packet's time.
// The rows' order is the table's; Result sorts them.
type cellTable struct {
	slots []cellRow // a slot with n == 0 is empty
	n     int       // rows held
}

const minCellSlots = 1024

func (k *cellKey) hash() uint64 {
	h1, l1 := bits.Mul64(k.lo^uint64(uint32(k.day))<<32, 0xff51afd7ed558ccd)
	h2, l2 := bits.Mul64(k.hi^uint64(k.pay)<<24^uint64(k.port)<<8^uint64(k.proto), 0xc4ceb9fe1a85ec53)
	return h1 ^ l1 ^ h2 ^ l2
}

// lookup returns the slot of k's row (-1 when absent) and the slot where k
// would go.
func (t *cellTable) lookup(k *cellKey, h uint64) (int, int) {
	if len(t.slots) == 0 {
		return -1, -1
	}
	mask := len(t.slots) - 1
	for i := int(h>>32) & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.n == 0 {
			return -1, i
		}
		if s.k == *k {
			return i, i
		}
	}
}

// insert adds k, absent, with one packet; at is the slot lookup returned.
func (t *cellTable) insert(k *cellKey, h uint64, at int) {
	if at < 0 || 4*(t.n+1) > 3*len(t.slots) {
		t.grow()
		_, at = t.lookup(k, h)
	}
	t.slots[at] = cellRow{*k, 1}
	t.n++
}

func (t *cellTable) grow() {
	old := t.slots
	t.slots = make([]cellRow, max(minCellSlots, 2*len(old)))
	mask := len(t.slots) - 1
	for r := range old {
		if old[r].n == 0 {
			continue
		}
		i := int(old[r].k.hash()>>32) & mask
		for t.slots[i].n != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = old[r]
	}
}

// take returns the rows, in the table's order, and empties the table (its
// slots are the rows' memory).
func (t *cellTable) take() []cellRow {
	rows := t.slots[:0]
	for i := range t.slots {
		if t.slots[i].n != 0 {
			rows = append(rows, t.slots[i])
		}
	}
	*t = cellTable{}
	return rows
}
