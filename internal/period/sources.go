package period

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/store"
)

// TopSources returns the n sources with most packets in the series of one
// class and key (dim: analysis.DimCountry, DimPort or DimASN; key as
// Series keys it: "JP", "23/tcp", "AS64500") over r, most first.
func (s *Source) TopSources(ctx context.Context, r Range, class, dim, key string, n int) ([]store.SourcePackets, error) {
	sd, err := storeDim(dim)
	if err != nil {
		return nil, err
	}
	k, err := parseKey(dim, key)
	if err != nil {
		return nil, err
	}
	return s.r.TopSources(ctx, store.BreakdownQuery{Selection: r.selection(s.sensors), Class: class, Dim: sd, Key: k, Unit: store.UnitPackets}, n)
}
