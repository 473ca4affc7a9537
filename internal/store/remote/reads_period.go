package remote

import (
	"context"
	"net/netip"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/store"
)

// The period layer's questions (store.Reader beyond Stats). A method of
// several arguments takes them in a struct.
const (
	opSensors         = "sensors"
	opDataRange       = "data-range"
	opCaptures        = "captures"
	opSeries          = "series"
	opTopKeys         = "top-keys"
	opDistinctSources = "distinct-sources"
	opBreakdown       = "breakdown"
	opTopSources      = "top-sources"
	opClassTotals     = "class-totals"
	opHighPorts       = "high-ports"
	opASOrgs          = "as-orgs"
	opSourceDays      = "source-days"
	opGeoDatabases    = "geo-databases"
	opExploitPatterns = "exploit-patterns"
	opFixedSrcPorts   = "fixed-source-ports"
)

type fixedPortsArgs struct {
	S store.Selection
	N int
}

type dataRangeResult struct {
	First, Last civil.Day
	OK          bool
}

type distinctArgs struct {
	Sensors []string
	Qs      []store.KeyDays
}

type topSourcesArgs struct {
	Q store.BreakdownQuery
	N int
}

type highPortsArgs struct {
	S    store.Selection
	From int
}

type sourceDaysArgs struct {
	Addr netip.Addr
	S    store.Selection
}

func init() {
	for op, f := range map[string]readFunc{
		opSensors: readOp0(store.Store.Sensors),
		opDataRange: readOp(func(st store.Store, ctx context.Context, sensors []string) (dataRangeResult, error) {
			a, b, ok, err := st.DataRange(ctx, sensors)
			return dataRangeResult{a, b, ok}, err
		}),
		opCaptures:  readOp(store.Store.Captures),
		opSeries:    readOp(store.Store.Series),
		opTopKeys:   readOp(store.Store.TopKeys),
		opBreakdown: readOp(store.Store.Breakdown),
		opDistinctSources: readOp(func(st store.Store, ctx context.Context, a distinctArgs) ([]float64, error) {
			return st.DistinctSources(ctx, a.Sensors, a.Qs)
		}),
		opTopSources: readOp(func(st store.Store, ctx context.Context, a topSourcesArgs) ([]store.SourcePackets, error) {
			return st.TopSources(ctx, a.Q, a.N)
		}),
		opClassTotals: readOp(store.Store.ClassTotals),
		opHighPorts: readOp(func(st store.Store, ctx context.Context, a highPortsArgs) ([]store.HighPorts, error) {
			return st.HighPorts(ctx, a.S, a.From)
		}),
		opASOrgs: readOp(store.Store.ASOrgs),
		opSourceDays: readOp(func(st store.Store, ctx context.Context, a sourceDaysArgs) ([]store.SourceDay, error) {
			return st.SourceDays(ctx, a.Addr, a.S)
		}),
		opGeoDatabases:    readOp(store.Store.GeoDatabases),
		opExploitPatterns: readOp(store.Store.ExploitPatterns),
		opFixedSrcPorts: readOp(func(st store.Store, ctx context.Context, a fixedPortsArgs) ([]store.SourcePortRow, error) {
			return st.FixedSourcePorts(ctx, a.S, a.N)
		}),
	} {
		readOps[op] = f
	}
}

// Sensors asks the owner.
func (cl *Client) Sensors(ctx context.Context) ([]store.Sensor, error) {
	return readCall[[]store.Sensor](ctx, cl, opSensors, nil)
}

// DataRange asks the owner.
func (cl *Client) DataRange(ctx context.Context, sensors []string) (first, last civil.Day, ok bool, err error) {
	r, err := readCall[dataRangeResult](ctx, cl, opDataRange, sensors)
	return r.First, r.Last, r.OK, err
}

// Captures asks the owner.
func (cl *Client) Captures(ctx context.Context, sensors []string) ([]store.Capture, error) {
	return readCall[[]store.Capture](ctx, cl, opCaptures, sensors)
}

// Series asks the owner.
func (cl *Client) Series(ctx context.Context, q store.SeriesQuery) ([]store.Series, error) {
	return readCall[[]store.Series](ctx, cl, opSeries, q)
}

// TopKeys asks the owner.
func (cl *Client) TopKeys(ctx context.Context, q store.TopKeysQuery) ([]store.Key, error) {
	return readCall[[]store.Key](ctx, cl, opTopKeys, q)
}

// DistinctSources asks the owner.
func (cl *Client) DistinctSources(ctx context.Context, sensors []string, qs []store.KeyDays) ([]float64, error) {
	return readCall[[]float64](ctx, cl, opDistinctSources, distinctArgs{sensors, qs})
}

// Breakdown asks the owner.
func (cl *Client) Breakdown(ctx context.Context, q store.BreakdownQuery) ([]store.BreakdownRow, error) {
	return readCall[[]store.BreakdownRow](ctx, cl, opBreakdown, q)
}

// TopSources asks the owner.
func (cl *Client) TopSources(ctx context.Context, q store.BreakdownQuery, n int) ([]store.SourcePackets, error) {
	return readCall[[]store.SourcePackets](ctx, cl, opTopSources, topSourcesArgs{q, n})
}

// ClassTotals asks the owner.
func (cl *Client) ClassTotals(ctx context.Context, q store.TotalsQuery) (store.ClassTotals, error) {
	return readCall[store.ClassTotals](ctx, cl, opClassTotals, q)
}

// HighPorts asks the owner.
func (cl *Client) HighPorts(ctx context.Context, s store.Selection, from int) ([]store.HighPorts, error) {
	return readCall[[]store.HighPorts](ctx, cl, opHighPorts, highPortsArgs{s, from})
}

// ASOrgs asks the owner.
func (cl *Client) ASOrgs(ctx context.Context, s store.Selection) (map[uint32]string, error) {
	return readCall[map[uint32]string](ctx, cl, opASOrgs, s)
}

// SourceDays asks the owner.
func (cl *Client) SourceDays(ctx context.Context, addr netip.Addr, s store.Selection) ([]store.SourceDay, error) {
	return readCall[[]store.SourceDay](ctx, cl, opSourceDays, sourceDaysArgs{addr, s})
}

// GeoDatabases asks the owner.
func (cl *Client) GeoDatabases(ctx context.Context, sensors []string) ([]store.GeoDBUse, error) {
	return readCall[[]store.GeoDBUse](ctx, cl, opGeoDatabases, sensors)
}

// ExploitPatterns asks the owner.
func (cl *Client) ExploitPatterns(ctx context.Context, s store.Selection) (store.ExploitPatterns, error) {
	return readCall[store.ExploitPatterns](ctx, cl, opExploitPatterns, s)
}

// FixedSourcePorts asks the owner.
func (cl *Client) FixedSourcePorts(ctx context.Context, s store.Selection, n int) ([]store.SourcePortRow, error) {
	return readCall[[]store.SourcePortRow](ctx, cl, opFixedSrcPorts, fixedPortsArgs{s, n})
}
