package storecache

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
)

var (
	_ store.SrcPortStore  = (*Store)(nil)
	_ store.SrcPortRanker = (*Store)(nil)
)

// SrcPortObs asks the underlying store (not cached).
func (s *Store) SrcPortObs(ctx context.Context, q store.SrcPortQuery) ([]srcports.Obs, bool, error) {
	sp, err := store.SrcPortsOf(s.Store)
	if err != nil {
		return nil, false, err
	}
	return sp.SrcPortObs(ctx, q)
}

// SrcPortDays asks the underlying store (not cached).
func (s *Store) SrcPortDays(ctx context.Context, from, to civil.Day, sensors []string) (map[civil.Day]int, error) {
	sp, err := store.SrcPortsOf(s.Store)
	if err != nil {
		return nil, err
	}
	return sp.SrcPortDays(ctx, from, to, sensors)
}

// SrcPortTop asks the underlying store (not cached), or says it does not
// rank (store.ErrNoSrcPortRanking).
func (s *Store) SrcPortTop(ctx context.Context, q store.SrcPortQuery, n, minDays int) (store.SrcPortRanking, error) {
	r, ok := s.Store.(store.SrcPortRanker)
	if !ok {
		return store.SrcPortRanking{}, store.ErrNoSrcPortRanking
	}
	return r.SrcPortTop(ctx, q, n, minDays)
}
