package store

import (
	"net/netip"
	"slices"
	"testing"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/srcports"
)

// TestRankSrcPortObs: sources ranked by their source-port bins' packets,
// ties with the n-th kept, and the first source of minDays days added.
func TestRankSrcPortObs(t *testing.T) {
	a, b, c, d := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("192.0.2.9")
	bin := func(day int, src netip.Addr, kind uint8, packets uint64) srcports.Obs {
		return srcports.Obs{Day: civil.Day(20000 + day), Src: src, Kind: kind, Proto: 6, Port: 40000, Packets: packets}
	}
	obs := []srcports.Obs{
		bin(0, a, srcports.KindSrc, 10), bin(0, a, srcports.KindDst, 99),
		bin(0, b, srcports.KindSrc, 6), bin(1, b, srcports.KindSrc, 4),
		bin(0, c, srcports.KindSrc, 7),
		bin(0, d, srcports.KindSrc, 1), bin(1, d, srcports.KindSrc, 1), bin(2, d, srcports.KindDst, 50),
	}
	tot := func(src netip.Addr, p uint64, days int) SrcPortTotal {
		return SrcPortTotal{Src: src, Packets: p, Days: days}
	}
	for _, tc := range []struct {
		n, minDays int
		want       []SrcPortTotal
	}{
		{1, 1, []SrcPortTotal{tot(a, 10, 1), tot(b, 10, 2)}}, // a and b tie on packets; a's address first
		{2, 2, []SrcPortTotal{tot(a, 10, 1), tot(b, 10, 2)}},
		{1, 3, []SrcPortTotal{tot(a, 10, 1), tot(b, 10, 2), tot(d, 2, 3)}},
		{3, 4, []SrcPortTotal{tot(a, 10, 1), tot(b, 10, 2), tot(c, 7, 1)}},
		{9, 1, []SrcPortTotal{tot(a, 10, 1), tot(b, 10, 2), tot(c, 7, 1), tot(d, 2, 3)}},
	} {
		got := RankSrcPortObs(obs, tc.n, tc.minDays)
		if got.Sources != 4 || !slices.Equal(got.Top, tc.want) {
			t.Errorf("n %d, %d days: %d sources, %v; want 4, %v", tc.n, tc.minDays, got.Sources, got.Top, tc.want)
		}
	}
}
