package duckstore

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestRadixSort compares radixSort with a stable comparison sort on keys
// of every width (shared digits skipped or not) and on short slices.
func TestRadixSort(t *testing.T) {
	type item struct {
		k   uint64
		ord int
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 511, 512, 5000, 70000} {
		for _, mask := range []uint64{0, 0xff, 0xffff_ffff, 0xffff_0000_0000, ^uint64(0)} {
			s := make([]item, n)
			for i := range s {
				s[i] = item{r.Uint64() & mask, i}
				if i%5 == 0 && i > 0 {
					s[i].k = s[i-1].k // equal keys: order must be kept
				}
			}
			want := slices.Clone(s)
			slices.SortStableFunc(want, func(a, b item) int {
				switch {
				case a.k < b.k:
					return -1
				case a.k > b.k:
					return 1
				}
				return 0
			})
			radixSort(s, func(x *item) uint64 { return x.k })
			if !slices.Equal(s, want) {
				t.Fatalf("n=%d mask=%x: not sorted stably", n, mask)
			}
		}
	}
	cells := make([]seenCell, 3000)
	for i := range cells {
		cells[i] = seenCell{key: r.Uint64N(50), pp: uint32(r.IntN(3))<<16 | uint32(r.IntN(1000)), classes: uint8(i)}
	}
	want := slices.Clone(cells)
	slices.SortStableFunc(want, cmpCell)
	sortCells(cells, func(c *seenCell) *seenCell { return c })
	if !slices.Equal(cells, want) {
		t.Fatal("sortCells: not sorted by key, then protocol and port")
	}
}
