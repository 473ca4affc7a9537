package evidence

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/honeyscope/honeyscope/internal/civil"
)

// TestSortRows: sortRows orders rows as a comparison sort with
// compareRows does, over days before and after 1970, IPv4 sources next
// to each other (sharing a prefix), IPv6 sources sharing a /31 and
// IPv4-mapped ones, several ports and payloads per source.
func TestSortRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 100, 255, 256, 5000, 60000} {
		rows := make([]cellRow, n)
		for i := range rows {
			k := cellKey{day: civil.Day(rng.IntN(9) - 4), proto: uint8(6 + 11*rng.IntN(2)),
				port: uint16(rng.IntN(40)), pay: uint32(rng.IntN(30))}
			switch rng.IntN(3) {
			case 0, 1: // IPv4, v4-mapped, in a small block: neighbours share a prefix
				k.lo = 0xffff<<32 | uint64(0xc6336400+rng.IntN(512))
			default: // IPv6 in one /31, or anywhere
				k.hi = 0x20010db800000000 | uint64(rng.IntN(4))<<16
				if rng.IntN(4) == 0 {
					k.hi = rng.Uint64()
				}
				k.lo = uint64(rng.IntN(8))
			}
			rows[i] = cellRow{k, uint64(i + 1)}
		}
		want := slices.Clone(rows)
		slices.SortStableFunc(want, func(x, y cellRow) int { return compareRows(&x, &y) })
		got := sortRows(slices.Clone(rows))
		for i := range want {
			if compareRows(&got[i], &want[i]) != 0 {
				t.Fatalf("n=%d: row %d is %+v, want %+v", n, i, got[i].k, want[i].k)
			}
		}
	}
}
