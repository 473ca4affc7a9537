package owner

import (
	"context"
	"net/netip"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/session"
	"github.com/honeyscope/honeyscope/internal/store"
)

// read runs one store.Reader call while the store is open, cancelled when
// Stop gives up waiting.
func read[R any](g *guarded, ctx context.Context, f func(st store.Store, ctx context.Context) (R, error)) (R, error) {
	st, err := g.c.enter()
	if err != nil {
		var zero R
		return zero, err
	}
	defer g.c.leave()
	ctx, done := g.c.opContext(ctx)
	defer done()
	return f(st, ctx)
}

func (g *guarded) Sensors(ctx context.Context) ([]store.Sensor, error) {
	return read(g, ctx, store.Store.Sensors)
}

func (g *guarded) DataRange(ctx context.Context, sensors []string) (first, last civil.Day, ok bool, err error) {
	type r struct {
		a, b civil.Day
		ok   bool
	}
	v, err := read(g, ctx, func(st store.Store, ctx context.Context) (r, error) {
		a, b, ok, err := st.DataRange(ctx, sensors)
		return r{a, b, ok}, err
	})
	return v.a, v.b, v.ok, err
}

func (g *guarded) Captures(ctx context.Context, sensors []string) ([]store.Capture, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]store.Capture, error) { return st.Captures(ctx, sensors) })
}

func (g *guarded) Series(ctx context.Context, q store.SeriesQuery) ([]store.Series, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]store.Series, error) { return st.Series(ctx, q) })
}

func (g *guarded) TopKeys(ctx context.Context, q store.TopKeysQuery) ([]store.Key, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]store.Key, error) { return st.TopKeys(ctx, q) })
}

func (g *guarded) DistinctSources(ctx context.Context, sensors []string, qs []store.KeyDays) ([]float64, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]float64, error) {
		return st.DistinctSources(ctx, sensors, qs)
	})
}

func (g *guarded) Breakdown(ctx context.Context, q store.BreakdownQuery) ([]store.BreakdownRow, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]store.BreakdownRow, error) { return st.Breakdown(ctx, q) })
}

func (g *guarded) TopSources(ctx context.Context, q store.BreakdownQuery, n int) ([]store.SourcePackets, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]store.SourcePackets, error) {
		return st.TopSources(ctx, q, n)
	})
}

func (g *guarded) ClassTotals(ctx context.Context, q store.TotalsQuery) (store.ClassTotals, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) (store.ClassTotals, error) { return st.ClassTotals(ctx, q) })
}

func (g *guarded) HighPorts(ctx context.Context, s store.Selection, from int) ([]store.HighPorts, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]store.HighPorts, error) {
		return st.HighPorts(ctx, s, from)
	})
}

func (g *guarded) ASOrgs(ctx context.Context, s store.Selection) (map[uint32]string, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) (map[uint32]string, error) { return st.ASOrgs(ctx, s) })
}

func (g *guarded) SourceDays(ctx context.Context, addr netip.Addr, s store.Selection) ([]store.SourceDay, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]store.SourceDay, error) {
		return st.SourceDays(ctx, addr, s)
	})
}

func (g *guarded) GeoDatabases(ctx context.Context, sensors []string) ([]store.GeoDBUse, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]store.GeoDBUse, error) {
		return st.GeoDatabases(ctx, sensors)
	})
}

func (g *guarded) ExploitPatterns(ctx context.Context, s store.Selection) (store.ExploitPatterns, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) (store.ExploitPatterns, error) {
		return st.ExploitPatterns(ctx, s)
	})
}

func (g *guarded) FixedSourcePorts(ctx context.Context, s store.Selection, n int) ([]store.SourcePortRow, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]store.SourcePortRow, error) {
		return st.FixedSourcePorts(ctx, s, n)
	})
}

func (g *guarded) Sessions(ctx context.Context, q store.SessionQuery) ([]session.Session, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]session.Session, error) { return st.Sessions(ctx, q) })
}

func (g *guarded) Samples(ctx context.Context, q store.SampleQuery) ([]session.Sample, error) {
	return read(g, ctx, func(st store.Store, ctx context.Context) ([]session.Sample, error) { return st.Samples(ctx, q) })
}

// CommitSessions counts as a commit when it carries intrusion hits.
func (g *guarded) CommitSessions(ctx context.Context, b store.SessionBatch) error {
	st, err := g.c.enter()
	if err != nil {
		return err
	}
	defer g.c.leave()
	ctx, done := g.c.opContext(ctx)
	defer done()
	err = st.CommitSessions(ctx, b)
	switch {
	case err != nil:
		g.c.m.commitFailures.Inc()
	case b.Hits != nil:
		g.c.m.commits.Inc()
	}
	return err
}
