package clickstore

import (
	"context"
	"net/netip"

	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// The methods below are not implemented by the ClickHouse store yet: each
// returns an error wrapping store.ErrUnsupported that names it.

// SourceDays is not supported yet.
func (s *Store) SourceDays(ctx context.Context, addr netip.Addr, sel store.Selection) ([]store.SourceDay, error) {
	return nil, unsupported("SourceDays")
}

// GeoDatabases is not supported yet.
func (s *Store) GeoDatabases(ctx context.Context, sensors []string) ([]store.GeoDBUse, error) {
	return nil, unsupported("GeoDatabases")
}

// ExploitPatterns is not supported yet.
func (s *Store) ExploitPatterns(ctx context.Context, sel store.Selection) (store.ExploitPatterns, error) {
	return store.ExploitPatterns{}, unsupported("ExploitPatterns")
}

// FixedSourcePorts is not supported yet.
func (s *Store) FixedSourcePorts(ctx context.Context, sel store.Selection, n int) ([]store.SourcePortRow, error) {
	return nil, unsupported("FixedSourcePorts")
}

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
