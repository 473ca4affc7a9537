package store

import (
	"context"
	"errors"
	"net/netip"

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
	Src     netip.Addr
	Net     netip.Prefix
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
