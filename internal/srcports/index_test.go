package srcports

import (
	"net/netip"
	"testing"

	"github.com/honeyscope/honeyscope/internal/civil"
)

// TestIndex: every key inserted is found at its entry through growth,
// keys differing only in the day or in the address family are distinct,
// and absent keys are absent.
func TestIndex(t *testing.T) {
	var x index
	var ents []entry
	keyOf := func(i int) key {
		a := netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
		switch i % 3 {
		case 1:
			a = netip.AddrFrom16(a.As16()) // the IPv4-mapped form
		case 2:
			a = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 12: byte(i >> 16), 13: byte(i >> 8), 14: byte(i)})
		}
		return key{civil.Day(20000 + i%5), a}
	}
	const n = 20000
	for i := range n {
		k := keyOf(i)
		h := hashKey(k)
		if e, _ := x.lookup(k, h, ents); e >= 0 {
			t.Fatalf("key %d found before insertion (entry %d: %v)", i, e, ents[e].key)
		}
		_, at := x.lookup(k, h, ents)
		ents = append(ents, entry{key: k})
		x.insert(h, at, int32(len(ents)-1), ents)
	}
	if x.n != n || 2*x.n > len(x.slots) {
		t.Fatalf("%d keys in %d slots", x.n, len(x.slots))
	}
	for i := range n {
		k := keyOf(i)
		if e, _ := x.lookup(k, hashKey(k), ents); e != int32(i) {
			t.Fatalf("key %d at entry %d", i, e)
		}
		other := key{k.day + 7, k.src}
		if e, _ := x.lookup(other, hashKey(other), ents); e >= 0 {
			t.Fatalf("key %d on another day found at %d", i, e)
		}
	}
	v4 := keyOf(0)
	mapped := key{v4.day, netip.AddrFrom16(v4.src.As16())}
	if e, _ := x.lookup(mapped, hashKey(mapped), ents); e >= 0 {
		t.Fatalf("IPv4-mapped form of key 0 found at %d", e)
	}
}
