package storecache

import (
	"context"
	"errors"

	"github.com/honeyscope/honeyscope/internal/infra"
)

var _ infra.ResolutionStore = (*Store)(nil)

var errNoResolutions = errors.New("this store keeps no DNS resolutions")

// PutResolutions stores resolutions in the underlying store and moves the
// generation on (the dashboard's infrastructure page draws them).
func (s *Store) PutResolutions(ctx context.Context, rs []infra.Resolution) error {
	r, ok := s.Store.(infra.ResolutionStore)
	if !ok {
		return errNoResolutions
	}
	defer s.Invalidate()
	return r.PutResolutions(ctx, rs)
}

// Resolutions asks the underlying store (not cached: the page that asks
// is kept until the generation moves).
func (s *Store) Resolutions(ctx context.Context, names []string) ([]infra.Resolution, error) {
	r, ok := s.Store.(infra.ResolutionStore)
	if !ok {
		return nil, errNoResolutions
	}
	return r.Resolutions(ctx, names)
}
