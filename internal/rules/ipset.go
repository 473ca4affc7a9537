package rules

import (
	"net/netip"
	"slices"
	"sort"
)

// v4set is an address group flattened to sorted, disjoint IPv4 ranges, so
// that a group of hundreds of addresses costs one binary search. IPv6
// addresses still walk the group tree.
type v4set struct {
	r [][2]uint32
}

func (s *v4set) contains(a uint32) bool {
	i := sort.Search(len(s.r), func(i int) bool { return s.r[i][1] >= a })
	return i < len(s.r) && s.r[i][0] <= a
}

// flatten4 returns the IPv4 ranges g matches.
func flatten4(g *addrGroup) [][2]uint32 {
	if g.any {
		return [][2]uint32{{0, ^uint32(0)}}
	}
	var pos, neg [][2]uint32
	hasPos := false
	for i := range g.items {
		it := &g.items[i]
		var r [][2]uint32
		if it.sub != nil {
			r = flatten4(it.sub)
		} else if it.prefix.Addr().Is4() {
			b := it.prefix.Masked().Addr().As4()
			lo := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
			hi := lo | uint32(uint64(1)<<(32-it.prefix.Bits())-1)
			r = [][2]uint32{{lo, hi}}
		}
		if it.neg {
			neg = append(neg, r...)
		} else {
			hasPos = true
			pos = append(pos, r...)
		}
	}
	if !hasPos {
		pos = [][2]uint32{{0, ^uint32(0)}}
	}
	return subtract(normalize(pos), normalize(neg))
}

func normalize(r [][2]uint32) [][2]uint32 {
	if len(r) == 0 {
		return nil
	}
	r = slices.Clone(r)
	slices.SortFunc(r, func(a, b [2]uint32) int {
		switch {
		case a[0] < b[0]:
			return -1
		case a[0] > b[0]:
			return 1
		}
		return 0
	})
	out := [][2]uint32{r[0]}
	for _, x := range r[1:] {
		last := &out[len(out)-1]
		if last[1] == ^uint32(0) || x[0] <= last[1]+1 {
			last[1] = max(last[1], x[1])
			continue
		}
		out = append(out, x)
	}
	return out
}

// subtract returns a minus b (both normalized).
func subtract(a, b [][2]uint32) [][2]uint32 {
	var out [][2]uint32
	for _, x := range a {
		lo, hi := uint64(x[0]), uint64(x[1])
		for _, y := range b {
			ylo, yhi := uint64(y[0]), uint64(y[1])
			if yhi < lo || ylo > hi {
				continue
			}
			if ylo > lo {
				out = append(out, [2]uint32{uint32(lo), uint32(ylo - 1)})
			}
			lo = yhi + 1
			if lo > hi {
				break
			}
		}
		if lo <= hi {
			out = append(out, [2]uint32{uint32(lo), uint32(hi)})
		}
	}
	return out
}

// addrMatcher matches an address against a group: IPv4 by ranges.
type addrMatcher struct {
	g  *addrGroup
	v4 v4set
}

func newAddrMatcher(g *addrGroup) *addrMatcher {
	return &addrMatcher{g: g, v4: v4set{r: flatten4(g)}}
}

func (m *addrMatcher) match(a netip.Addr) bool {
	if m.g.any {
		return true
	}
	if a.Is4() {
		b := a.As4()
		return m.v4.contains(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
	}
	return m.g.match(a)
}
