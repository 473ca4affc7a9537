package geo

import (
	"net/netip"
	"sync"
)

var builtin6 struct {
	once sync.Once
	byCC map[string][]int // country code -> indexes into the table's IPv6 ranges
}

// DefaultAddr6 returns a deterministic IPv6 address of country in the
// builtin table for index n: range n mod (number of the country's IPv6
// ranges), at an offset inside it derived from n. The address is never
// special-purpose and looks up as country with the builtin table. It returns
// false for a country with no IPv6 space there.
func DefaultAddr6(country string, n uint64) (netip.Addr, bool) {
	t, err := builtinTable()
	if err != nil {
		return netip.Addr{}, false
	}
	builtin6.once.Do(func() {
		builtin6.byCC = map[string][]int{}
		for i, cc := range t.c6 {
			if cc != 0 {
				code := t.codes[cc]
				builtin6.byCC[code] = append(builtin6.byCC[code], i)
			}
		}
	})
	rs := builtin6.byCC[normCode(country)]
	if len(rs) == 0 {
		return netip.Addr{}, false
	}
	i := rs[n%uint64(len(rs))]
	start := u128{t.h6[i], t.l6[i]}
	var size u128 // zero means "to the end of the address space"
	if i+1 < len(t.h6) {
		size = u128{t.h6[i+1], t.l6[i+1]}.sub(start)
	}
	// Spread addresses over the low 64 bits (interface identifiers), staying
	// inside the range.
	off := (n/uint64(len(rs)) + 1) * 0x9E3779B97F4A7C15
	if size.hi == 0 && size.lo != 0 {
		off %= size.lo
	}
	return start.add(u128{0, off}).addr(), true
}
