package geo

import (
	"net/netip"
	"testing"
)

func TestDefaultSize(t *testing.T) {
	if DefaultSize("XX") != 0 {
		t.Error("a country not in the table has addresses")
	}
	for _, cc := range []string{"LI", "IS", "MC"} {
		n := DefaultSize(cc)
		if n == 0 || n > 1<<26 {
			t.Fatalf("%s: size %d", cc, n)
		}
		// Addresses below the size are distinct; the size wraps to 0.
		seen := map[netip.Addr]bool{}
		for i := range n {
			a, ok := DefaultAddr(cc, i)
			if !ok || seen[a] {
				t.Fatalf("%s: address %d (%s) missing or repeated", cc, i, a)
			}
			seen[a] = true
		}
		a0, _ := DefaultAddr(cc, 0)
		if an, _ := DefaultAddr(cc, n); an != a0 {
			t.Errorf("%s: address %d is %s, not address 0 (%s)", cc, n, an, a0)
		}
	}
}
