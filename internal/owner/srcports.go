package owner

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/srcports"
	"github.com/honeyscope/honeyscope/internal/store"
)

var (
	_ store.SrcPortStore  = (*guarded)(nil)
	_ store.SrcPortRanker = (*guarded)(nil)
)

// SrcPortObs implements store.SrcPortStore on the owned store.
func (g *guarded) SrcPortObs(ctx context.Context, q store.SrcPortQuery) ([]srcports.Obs, bool, error) {
	type r struct {
		obs []srcports.Obs
		cut bool
	}
	v, err := read(g, ctx, func(st store.Store, ctx context.Context) (r, error) {
		sp, err := store.SrcPortsOf(st)
		if err != nil {
			return r{}, err
		}
		obs, cut, err := sp.SrcPortObs(ctx, q)
		return r{obs, cut}, err
	})
	return v.obs, v.cut, err
}

// SrcPortDays implements store.SrcPortStore on the owned store.
func (g *guarded) SrcPortDays(ctx context.Context, from, to civil.Day, sensors []string) (map[civil.Day]int, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) (map[civil.Day]int, error) {
		sp, err := store.SrcPortsOf(st)
		if err != nil {
			return nil, err
		}
		return sp.SrcPortDays(ctx, from, to, sensors)
	})
}

// SrcPortTop implements store.SrcPortRanker on the owned store.
func (g *guarded) SrcPortTop(ctx context.Context, q store.SrcPortQuery, n, minDays int) (store.SrcPortRanking, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) (store.SrcPortRanking, error) {
		r, ok := st.(store.SrcPortRanker)
		if !ok {
			return store.SrcPortRanking{}, store.ErrNoSrcPortRanking
		}
		return r.SrcPortTop(ctx, q, n, minDays)
	})
}
