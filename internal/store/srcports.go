package store

import (
	"cmp"
	"context"
	"errors"
	"net/netip"
	"slices"

	"github.com/honeyscope/honeyscope/internal/civil"
	"github.com/honeyscope/honeyscope/internal/srcports"
)

// SrcPortTx is a capture's transaction that can keep the histograms of
// its confined-source-port sources (package srcports) with its rows:
// replaced and removed with them. duckstore's Tx implements it.
type SrcPortTx interface {
	// AppendSrcPorts writes the capture's histograms, all of sensor.
	AppendSrcPorts(ctx context.Context, p *srcports.Part, sensor string) error
}

// MaxSrcPortObs bounds the bins one SrcPortObs call returns.
const MaxSrcPortObs = 2_000_000

// SrcPortQuery selects stored source-port histograms: the days [From, To]
// (zero: open) of the sources that match every field set.
type SrcPortQuery struct {
	From, To civil.Day
	// Sensors keeps those sensors only (nil: all); Exclude leaves those
	// out (the sandbox's own sensor, when looking into the wild).
	Sensors, Exclude []string
	// Run keeps the ingests of one sandbox run's capture (0: any): those
	// of its sensor whose packets lie within the run.
	Run int64
	// Src, Net, ASN and Country narrow to one source, a prefix, an AS or a
	// country (zero: any).
	Src netip.Addr
	Net netip.Prefix
	// Srcs narrows to these sources (nil: any; with Src, to both).
	Srcs    []netip.Addr
	ASN     uint32
	Country string
	// Used keeps the (day, source) pairs that used one of these source
	// ports (nil: any).
	Used []srcports.PortKey
	// Limit bounds the bins returned (0 or more than MaxSrcPortObs:
	// MaxSrcPortObs); Truncated says when it cut.
	Limit int
}

// SrcPortStore reads stored source-port histograms.
type SrcPortStore interface {
	// SrcPortObs returns the bins in q by day, sensor, source, kind,
	// protocol and port, with each source's country and AS, and whether
	// q.Limit cut them.
	SrcPortObs(ctx context.Context, q SrcPortQuery) (obs []srcports.Obs, truncated bool, err error)
	// SrcPortDays counts the confined (day, source) pairs per day in
	// [from, to] of sensors (nil: all).
	SrcPortDays(ctx context.Context, from, to civil.Day, sensors []string) (map[civil.Day]int, error)
}

// ErrNoSrcPortStore is returned for a store that keeps no source-port
// histograms.
var ErrNoSrcPortStore = errors.New("this store keeps no source-port histograms")

// SrcPortsOf returns st as a SrcPortStore, or an error saying it keeps
// none.
func SrcPortsOf(st any) (SrcPortStore, error) {
	if s, ok := st.(SrcPortStore); ok {
		return s, nil
	}
	return nil, ErrNoSrcPortStore
}

// SrcPortTotal is one source's totals over the bins of a SrcPortQuery.
type SrcPortTotal struct {
	Src netip.Addr
	// Packets is the sum of the source's source-port bins
	// (srcports.KindSrc), as srcports.Study counts them.
	Packets uint64
	// Days is the number of days with a bin of the source.
	Days int
}

// SrcPortRanking is what RankSrcPorts and SrcPortRanker.SrcPortTop
// return.
type SrcPortRanking struct {
	// Sources is the number of distinct sources with a bin in the query.
	Sources int
	// Top holds every source that can be among the first n by packets
	// (each with at least the packets of the n-th), and every source of
	// at least minDays days that can be the first of those (each with
	// at least the packets of the first), ordered by packets, most first,
	// then by address.
	Top []SrcPortTotal
}

// ErrNoSrcPortRanking is SrcPortTop's error from a layer (a cache, the
// owner's guard, a client of the owner) whose store does not rank:
// RankSrcPorts then ranks the bins.
var ErrNoSrcPortRanking = errors.New("this store does not rank source-port histograms")

// SrcPortRanker ranks the sources of stored histograms without returning
// their bins. duckstore's Store implements it.
type SrcPortRanker interface {
	// SrcPortTop ranks the sources of q's bins (q.Net unset; q.Limit
	// unused) as SrcPortRanking says, the first n, and the first of
	// those of at least minDays days.
	SrcPortTop(ctx context.Context, q SrcPortQuery, n, minDays int) (SrcPortRanking, error)
}

// RankSrcPorts is sp's SrcPortTop when it has one and q has no prefix;
// otherwise it is counted from the bins SrcPortObs returns for q, and
// truncated says that q.Limit cut them (the ranking is then of the bins
// read).
func RankSrcPorts(ctx context.Context, sp SrcPortStore, q SrcPortQuery, n, minDays int) (rk SrcPortRanking, truncated bool, err error) {
	if r, ok := sp.(SrcPortRanker); ok && !q.Net.IsValid() {
		rk, err = r.SrcPortTop(ctx, q, n, minDays)
		if !errors.Is(err, ErrNoSrcPortRanking) {
			return rk, false, err
		}
	}
	obs, truncated, err := sp.SrcPortObs(ctx, q)
	if err != nil {
		return SrcPortRanking{}, false, err
	}
	return RankSrcPortObs(obs, n, minDays), truncated, nil
}

// RankSrcPortObs ranks the sources of bins as SrcPortRanking says.
func RankSrcPortObs(obs []srcports.Obs, n, minDays int) SrcPortRanking {
	type acc struct {
		packets uint64
		days    map[civil.Day]bool
	}
	by := map[netip.Addr]*acc{}
	for _, o := range obs {
		a := by[o.Src]
		if a == nil {
			a = &acc{days: map[civil.Day]bool{}}
			by[o.Src] = a
		}
		if o.Kind == srcports.KindSrc {
			a.packets += o.Packets
		}
		a.days[o.Day] = true
	}
	all := make([]SrcPortTotal, 0, len(by))
	for src, a := range by {
		all = append(all, SrcPortTotal{Src: src, Packets: a.packets, Days: len(a.days)})
	}
	SortSrcPortTotals(all)
	return SrcPortRanking{Sources: len(all), Top: CutSrcPortTotals(all, n, minDays)}
}

// SortSrcPortTotals orders ts by packets, most first, then by address.
func SortSrcPortTotals(ts []SrcPortTotal) {
	slices.SortFunc(ts, func(a, b SrcPortTotal) int {
		return cmp.Or(cmp.Compare(b.Packets, a.Packets), a.Src.Compare(b.Src))
	})
}

// CutSrcPortTotals keeps of totals ordered by SortSrcPortTotals those
// SrcPortRanking.Top holds (n at least 1).
func CutSrcPortTotals(sorted []SrcPortTotal, n, minDays int) []SrcPortTotal {
	var least uint64
	if n > 0 && len(sorted) >= n {
		least = sorted[n-1].Packets
	}
	long, hasLong := uint64(0), false
	for _, t := range sorted {
		if t.Days >= minDays {
			long, hasLong = t.Packets, true
			break
		}
	}
	var out []SrcPortTotal
	for _, t := range sorted {
		if t.Packets >= least || hasLong && t.Days >= minDays && t.Packets >= long {
			out = append(out, t)
		}
	}
	return out
}
