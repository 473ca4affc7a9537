// Package store says what can be asked of honeyscope's facts and what can be
// written to them: typed questions and answers, with no SQL. Each backend
// (package duckstore, the embedded DuckDB file; a remote owner reached over
// its socket) implements Store and keeps its own queries, encodings and
// migrations.
//
// Shape (see docs/store.md): every row carries the ingest it came from, so a
// capture's contribution can be replaced or removed as a unit, and several
// captures covering the same day simply add up at query time. A capture is
// committed in one transaction: either all of its rows are there or none.
package store

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
	"github.com/honeyscope/honeyscope/internal/civil"
)

// Store is an open store: what can be read and written.
type Store interface {
	Reader
	Writer
	// SessionStore: the honeypot's sessions and samples (sessions.go).
	SessionStore
	// Path is the store's file (or the owner's announcement for a remote store).
	Path() string
	// TimeZone is the name of the zone the store's days are in.
	TimeZone() string
	// Location is the zone the store's days are in.
	Location() *time.Location
	// Close releases the store.
	Close() error
}

// Reader is what can be asked. Days are in the store's time zone; see
// read.go for the questions' types.
type Reader interface {
	// Stats groups stored hits (see StatsQuery).
	Stats(ctx context.Context, q StatsQuery) ([]StatsRow, error)
	// Sensors lists the sensors with at least one ingested capture, by
	// name, with their monitored addresses.
	Sensors(ctx context.Context) ([]Sensor, error)
	// DataRange returns the first and last day with data of the sensors
	// (nil: all); ok is false when there is none.
	DataRange(ctx context.Context, sensors []string) (first, last civil.Day, ok bool, err error)
	// Captures returns the time each ingested capture of the sensors (nil:
	// all) covers.
	Captures(ctx context.Context, sensors []string) ([]Capture, error)
	// Series returns daily series per class and key (see SeriesQuery).
	Series(ctx context.Context, q SeriesQuery) ([]Series, error)
	// TopKeys returns the keys among the q.N of some class with most
	// packets over the days, or with most packets on one day.
	TopKeys(ctx context.Context, q TopKeysQuery) ([]Key, error)
	// DistinctSources returns the distinct sources of each of qs (over
	// the sensors, narrowed to KeyDays.Sensor when set), in order.
	DistinctSources(ctx context.Context, sensors []string, qs []KeyDays) ([]float64, error)
	// Breakdown returns one series' values per day by AS, destination
	// port and IPv4 /24 (see BreakdownQuery).
	Breakdown(ctx context.Context, q BreakdownQuery) ([]BreakdownRow, error)
	// TopSources returns the n sources with most packets in q's series
	// over its days, most first.
	TopSources(ctx context.Context, q BreakdownQuery, n int) ([]SourcePackets, error)
	// ClassTotals returns packets and distinct sources per class on each
	// side of q.Split, and distinct sources per class and day.
	ClassTotals(ctx context.Context, q TotalsQuery) (ClassTotals, error)
	// HighPorts counts the distinct destination ports from port `from`
	// up, per class and protocol.
	HighPorts(ctx context.Context, s Selection, from int) ([]HighPorts, error)
	// ASOrgs returns the organisation of each AS seen (AS 0 and ASes
	// without a name are left out).
	ASOrgs(ctx context.Context, s Selection) (map[uint32]string, error)
	// SourceDays returns what the store holds of one source address per
	// day, in day order.
	SourceDays(ctx context.Context, addr netip.Addr, s Selection) ([]SourceDay, error)
	// GeoDatabases returns the GeoIP database pairs the ingests of the
	// sensors (nil: all) were geolocated with, most used first.
	GeoDatabases(ctx context.Context, sensors []string) ([]GeoDBUse, error)
	// ExploitPatterns returns the exploit matches over s by pattern.
	ExploitPatterns(ctx context.Context, s Selection) (ExploitPatterns, error)
	// FixedSourcePorts returns the n source ports that most distinct
	// sources kept as their one source port over s.
	FixedSourcePorts(ctx context.Context, s Selection, n int) ([]SourcePortRow, error)
}

// Writer is what can be written.
type Writer interface {
	// Begin starts one capture's transaction.
	Begin(ctx context.Context) (Tx, error)
	// Commit writes a batch in one transaction and returns its ingest id.
	Commit(ctx context.Context, b *Batch) (int32, error)
	// KnownSizes returns earlier ingests by file size.
	KnownSizes(ctx context.Context) (map[int64][]KnownIngest, error)
	// Reassign geolocates the stored sources of days [from, to] again.
	Reassign(ctx context.Context, from, to string, locate func(netip.Addr) Place, countryDB, asnDB string) (ReassignResult, error)
}

// Tx is one capture's contribution being written: rows are appended in
// parts, and Finish makes them visible all at once. Until Finish nothing of
// it is visible to readers, and a crash or Abort leaves the store as it was.
type Tx interface {
	// ID is the ingest id the capture's rows carry.
	ID() int32
	// Append writes one part of the capture's rows.
	Append(ctx context.Context, r *aggregate.Result, places []Place, sensor string, pattern func(int) string) error
	// Finish records the ingest and commits.
	Finish(ctx context.Context, in Ingest, replace bool, sensor Sensor) error
	// Abort rolls back.
	Abort() error
}

// ContinuingTx is a Tx that can keep, once committed, what it knows of the
// distinct sources of its days, so that the next commit of the same sensor
// adds to them without recounting the days (Batch.Continues: a live
// capture's intervals). Continues is called before the first Append. The
// counts are the same either way.
type ContinuingTx interface {
	Tx
	Continues()
}

// CommitBatch writes b through one transaction begun by begin (Append of
// its result, then Finish) and returns the ingest id: how a Writer's Commit
// is made of its Tx. ErrDuplicate comes back unwrapped.
func CommitBatch(ctx context.Context, b *Batch, begin func(context.Context) (Tx, error)) (int32, error) {
	tx, err := begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("commit %s: %w", b.Ingest.Path, err)
	}
	if ct, ok := tx.(ContinuingTx); ok && b.Continues {
		ct.Continues()
	}
	if b.Result != nil {
		if err := tx.Append(ctx, b.Result, b.Places, b.Ingest.Sensor, b.Pattern); err != nil {
			tx.Abort()
			return 0, fmt.Errorf("commit %s: %w", b.Ingest.Path, err)
		}
	}
	if b.Evidence != nil {
		if et, ok := tx.(EvidenceTx); ok {
			if err := et.AppendEvidence(ctx, b.Evidence, b.Ingest.Sensor); err != nil {
				tx.Abort()
				return 0, fmt.Errorf("commit %s: %w", b.Ingest.Path, err)
			}
		}
	}
	if b.SrcPorts != nil {
		if st, ok := tx.(SrcPortTx); ok {
			if err := st.AppendSrcPorts(ctx, b.SrcPorts, b.Ingest.Sensor); err != nil {
				tx.Abort()
				return 0, fmt.Errorf("commit %s: %w", b.Ingest.Path, err)
			}
		}
	}
	if err := tx.Finish(ctx, b.Ingest, b.Replace, b.Sensor); err != nil {
		if errors.Is(err, ErrDuplicate) {
			return 0, err
		}
		return 0, fmt.Errorf("commit %s: %w", b.Ingest.Path, err)
	}
	return tx.ID(), nil
}
