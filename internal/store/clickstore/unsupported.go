package clickstore

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// The methods below are not implemented by the ClickHouse store yet: each
// returns an error wrapping store.ErrUnsupported that names it.

// CommitSessions is not supported yet: the honeypot's sessions stay in a
// DuckDB store.
func (s *Store) CommitSessions(ctx context.Context, b store.SessionBatch) error {
	return unsupported("CommitSessions")
}

// Sessions is not supported yet.
func (s *Store) Sessions(ctx context.Context, q store.SessionQuery) ([]session.Session, error) {
	return nil, unsupported("Sessions")
}

// Samples is not supported yet.
func (s *Store) Samples(ctx context.Context, q store.SampleQuery) ([]session.Sample, error) {
	return nil, unsupported("Samples")
}
