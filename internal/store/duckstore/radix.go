package duckstore

import (
	"cmp"
	"slices"
)

// radixSort sorts s stably by key, 16 bits at a time from the lowest
// (LSD), skipping the digits every element shares (an IPv4 source key has
// only two). The parts' sorts by source key and cell ran as comparison
// sorts through a closure; this costs a few passes over the slice instead.
func radixSort[T any](s []T, key func(*T) uint64) {
	if len(s) < 512 {
		slices.SortStableFunc(s, func(a, b T) int { return cmp.Compare(key(&a), key(&b)) })
		return
	}
	counts := make([]uint32, 4<<16)
	for i := range s {
		k := key(&s[i])
		counts[k&0xffff]++
		counts[1<<16+(k>>16)&0xffff]++
		counts[2<<16+(k>>32)&0xffff]++
		counts[3<<16+(k>>48)&0xffff]++
	}
	var buf []T
	src := s
	for d := 0; d < 4; d++ {
		c := counts[d<<16 : (d+1)<<16]
		shift := 16 * d
		if c[key(&src[0])>>shift&0xffff] == uint32(len(s)) {
			continue // every element has this digit
		}
		if buf == nil {
			buf = make([]T, len(s))
		}
		dst := buf
		if &src[0] == &buf[0] {
			dst = s
		}
		var sum uint32
		for i, n := range c {
			c[i] = sum
			sum += n
		}
		for i := range src {
			k := key(&src[i]) >> shift & 0xffff
			dst[c[k]] = src[i]
			c[k]++
		}
		src = dst
	}
	if &src[0] != &s[0] {
		copy(s, src)
	}
}

// sortCells sorts cells by source key, then protocol and port.
func sortCells[T any](s []T, cell func(*T) *seenCell) {
	radixSort(s, func(x *T) uint64 { return uint64(cell(x).pp) })
	radixSort(s, func(x *T) uint64 { return cell(x).key })
}
