package owner

import (
	"context"
	"errors"

	"github.com/honeyscope/honeyscope/internal/infra"
)

// errNoResolutions is returned when the open store keeps no resolutions.
var errNoResolutions = errors.New("this store keeps no DNS resolutions")

var _ infra.ResolutionStore = (*guarded)(nil)

// PutResolutions implements infra.ResolutionStore over the open store.
func (g *guarded) PutResolutions(ctx context.Context, rs []infra.Resolution) error {
	st, err := g.c.enter()
	if err != nil {
		return err
	}
	defer g.c.leave()
	r, ok := st.(infra.ResolutionStore)
	if !ok {
		return errNoResolutions
	}
	ctx, done := g.c.opContext(ctx)
	defer done()
	return r.PutResolutions(ctx, rs)
}

// Resolutions implements infra.ResolutionStore over the open store.
func (g *guarded) Resolutions(ctx context.Context, names []string) ([]infra.Resolution, error) {
	st, err := g.c.enter()
	if err != nil {
		return nil, err
	}
	defer g.c.leave()
	r, ok := st.(infra.ResolutionStore)
	if !ok {
		return nil, errNoResolutions
	}
	ctx, done := g.c.opContext(ctx)
	defer done()
	return r.Resolutions(ctx, names)
}
