package owner

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/store"
)

var _ store.FetchStore = (*guarded)(nil)

// RecordFetch implements store.FetchStore on the owned store.
func (g *guarded) RecordFetch(ctx context.Context, f store.Fetch) error {
	_, err := read(g, ctx, func(st store.Store, ctx context.Context) (struct{}, error) {
		fs, err := store.FetchesOf(st)
		if err != nil {
			return struct{}{}, err
		}
		return struct{}{}, fs.RecordFetch(ctx, f)
	})
	return err
}

// PendingURLs implements store.FetchStore on the owned store.
func (g *guarded) PendingURLs(ctx context.Context, limit int) ([]store.PendingURL, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]store.PendingURL, error) {
		fs, err := store.FetchesOf(st)
		if err != nil {
			return nil, err
		}
		return fs.PendingURLs(ctx, limit)
	})
}

// Fetched implements store.FetchStore on the owned store.
func (g *guarded) Fetched(ctx context.Context, url string) (bool, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) (bool, error) {
		fs, err := store.FetchesOf(st)
		if err != nil {
			return false, err
		}
		return fs.Fetched(ctx, url)
	})
}

// Fetches implements store.FetchStore on the owned store.
func (g *guarded) Fetches(ctx context.Context, q store.FetchQuery) ([]store.Fetch, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]store.Fetch, error) {
		fs, err := store.FetchesOf(st)
		if err != nil {
			return nil, err
		}
		return fs.Fetches(ctx, q)
	})
}
