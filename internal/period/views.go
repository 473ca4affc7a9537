package period

import (
	"context"

	"github.com/honeyscope/honeyscope/internal/store"
)

// GeoDatabases returns the GeoIP database pairs the selected sensors'
// ingests were geolocated with, most used first.
func (s *Source) GeoDatabases(ctx context.Context) ([]store.GeoDBUse, error) {
	return s.r.GeoDatabases(ctx, s.sensors)
}

// ExploitPatterns returns the exploit matches over r by pattern.
func (s *Source) ExploitPatterns(ctx context.Context, r Range) (store.ExploitPatterns, error) {
	return s.r.ExploitPatterns(ctx, r.selection(s.sensors))
}

// FixedSourcePorts returns the n source ports most distinct sources kept as
// their one source port on a day over r.
func (s *Source) FixedSourcePorts(ctx context.Context, r Range, n int) ([]store.SourcePortRow, error) {
	return s.r.FixedSourcePorts(ctx, r.selection(s.sensors), n)
}
