package storecache

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/store"
)

var _ store.FetchStore = (*Store)(nil)

// RecordFetch writes to the underlying store; a fetch that got content
// adds a sample, so cached views are invalidated.
func (s *Store) RecordFetch(ctx context.Context, f store.Fetch) error {
	fs, err := store.FetchesOf(s.Store)
	if err != nil {
		return err
	}
	err = fs.RecordFetch(ctx, f)
	if err == nil && f.SHA256 != "" {
		s.Invalidate()
	}
	return err
}

// PendingURLs asks the underlying store.
func (s *Store) PendingURLs(ctx context.Context, limit int) ([]store.PendingURL, error) {
	fs, err := store.FetchesOf(s.Store)
	if err != nil {
		return nil, err
	}
	return fs.PendingURLs(ctx, limit)
}

// Fetched asks the underlying store.
func (s *Store) Fetched(ctx context.Context, url string) (bool, error) {
	fs, err := store.FetchesOf(s.Store)
	if err != nil {
		return false, err
	}
	return fs.Fetched(ctx, url)
}

// Fetches asks the underlying store.
func (s *Store) Fetches(ctx context.Context, q store.FetchQuery) ([]store.Fetch, error) {
	fs, err := store.FetchesOf(s.Store)
	if err != nil {
		return nil, err
	}
	return fs.Fetches(ctx, q)
}
