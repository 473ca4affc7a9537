package storecache

import (
	"context"
	"net/netip"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// Stats answers store.Reader's Stats from the cache.
func (s *Store) Stats(ctx context.Context, q store.StatsQuery) ([]store.StatsRow, error) {
	return get(ctx, s, key("Stats", q), func(ctx context.Context) ([]store.StatsRow, error) { return s.Store.Stats(ctx, q) })
}

// Sensors answers store.Reader's Sensors from the cache.
func (s *Store) Sensors(ctx context.Context) ([]store.Sensor, error) {
	return get(ctx, s, key("Sensors"), func(ctx context.Context) ([]store.Sensor, error) { return s.Store.Sensors(ctx) })
}

type dataRange struct {
	first, last civil.Day
	ok          bool
}

// DataRange answers store.Reader's DataRange from the cache.
func (s *Store) DataRange(ctx context.Context, sensors []string) (first, last civil.Day, ok bool, err error) {
	r, err := get(ctx, s, key("DataRange", sensors), func(ctx context.Context) (dataRange, error) {
		f, l, ok, err := s.Store.DataRange(ctx, sensors)
		return dataRange{f, l, ok}, err
	})
	return r.first, r.last, r.ok, err
}

// Captures answers store.Reader's Captures from the cache.
func (s *Store) Captures(ctx context.Context, sensors []string) ([]store.Capture, error) {
	return get(ctx, s, key("Captures", sensors), func(ctx context.Context) ([]store.Capture, error) { return s.Store.Captures(ctx, sensors) })
}

// Series answers store.Reader's Series from the cache.
func (s *Store) Series(ctx context.Context, q store.SeriesQuery) ([]store.Series, error) {
	return get(ctx, s, key("Series", q), func(ctx context.Context) ([]store.Series, error) { return s.Store.Series(ctx, q) })
}

// TopKeys answers store.Reader's TopKeys from the cache.
func (s *Store) TopKeys(ctx context.Context, q store.TopKeysQuery) ([]store.Key, error) {
	return get(ctx, s, key("TopKeys", q), func(ctx context.Context) ([]store.Key, error) { return s.Store.TopKeys(ctx, q) })
}

// DistinctSources answers store.Reader's DistinctSources from the cache.
func (s *Store) DistinctSources(ctx context.Context, sensors []string, qs []store.KeyDays) ([]float64, error) {
	return get(ctx, s, key("DistinctSources", sensors, qs), func(ctx context.Context) ([]float64, error) {
		return s.Store.DistinctSources(ctx, sensors, qs)
	})
}

// Breakdown answers store.Reader's Breakdown from the cache.
func (s *Store) Breakdown(ctx context.Context, q store.BreakdownQuery) ([]store.BreakdownRow, error) {
	return get(ctx, s, key("Breakdown", q), func(ctx context.Context) ([]store.BreakdownRow, error) { return s.Store.Breakdown(ctx, q) })
}

// TopSources answers store.Reader's TopSources from the cache.
func (s *Store) TopSources(ctx context.Context, q store.BreakdownQuery, n int) ([]store.SourcePackets, error) {
	return get(ctx, s, key("TopSources", q, n), func(ctx context.Context) ([]store.SourcePackets, error) {
		return s.Store.TopSources(ctx, q, n)
	})
}

// ClassTotals answers store.Reader's ClassTotals from the cache.
func (s *Store) ClassTotals(ctx context.Context, q store.TotalsQuery) (store.ClassTotals, error) {
	return get(ctx, s, key("ClassTotals", q), func(ctx context.Context) (store.ClassTotals, error) { return s.Store.ClassTotals(ctx, q) })
}

// HighPorts answers store.Reader's HighPorts from the cache.
func (s *Store) HighPorts(ctx context.Context, sel store.Selection, from int) ([]store.HighPorts, error) {
	return get(ctx, s, key("HighPorts", sel, from), func(ctx context.Context) ([]store.HighPorts, error) {
		return s.Store.HighPorts(ctx, sel, from)
	})
}

// ASOrgs answers store.Reader's ASOrgs from the cache.
func (s *Store) ASOrgs(ctx context.Context, sel store.Selection) (map[uint32]string, error) {
	return get(ctx, s, key("ASOrgs", sel), func(ctx context.Context) (map[uint32]string, error) { return s.Store.ASOrgs(ctx, sel) })
}

// SourceDays answers store.Reader's SourceDays from the cache.
func (s *Store) SourceDays(ctx context.Context, addr netip.Addr, sel store.Selection) ([]store.SourceDay, error) {
	return get(ctx, s, key("SourceDays", addr.String(), sel), func(ctx context.Context) ([]store.SourceDay, error) {
		return s.Store.SourceDays(ctx, addr, sel)
	})
}

// GeoDatabases answers store.Reader's GeoDatabases from the cache.
func (s *Store) GeoDatabases(ctx context.Context, sensors []string) ([]store.GeoDBUse, error) {
	return get(ctx, s, key("GeoDatabases", sensors), func(ctx context.Context) ([]store.GeoDBUse, error) {
		return s.Store.GeoDatabases(ctx, sensors)
	})
}

// ExploitPatterns answers store.Reader's ExploitPatterns from the cache.
func (s *Store) ExploitPatterns(ctx context.Context, sel store.Selection) (store.ExploitPatterns, error) {
	return get(ctx, s, key("ExploitPatterns", sel), func(ctx context.Context) (store.ExploitPatterns, error) {
		return s.Store.ExploitPatterns(ctx, sel)
	})
}

// FixedSourcePorts answers store.Reader's FixedSourcePorts from the cache.
func (s *Store) FixedSourcePorts(ctx context.Context, sel store.Selection, n int) ([]store.SourcePortRow, error) {
	return get(ctx, s, key("FixedSourcePorts", sel, n), func(ctx context.Context) ([]store.SourcePortRow, error) {
		return s.Store.FixedSourcePorts(ctx, sel, n)
	})
}

// Sessions answers store.SessionStore's Sessions from the cache.
func (s *Store) Sessions(ctx context.Context, q store.SessionQuery) ([]session.Session, error) {
	return get(ctx, s, key("Sessions", q), func(ctx context.Context) ([]session.Session, error) { return s.Store.Sessions(ctx, q) })
}

// Samples answers store.SessionStore's Samples from the cache.
func (s *Store) Samples(ctx context.Context, q store.SampleQuery) ([]session.Sample, error) {
	return get(ctx, s, key("Samples", q), func(ctx context.Context) ([]session.Sample, error) { return s.Store.Samples(ctx, q) })
}
