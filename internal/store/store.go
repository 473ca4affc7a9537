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
	"net/netip"
	"time"

	"github.com/honeyscope/honeyscope/internal/aggregate"
)

// Store is an open store: what can be read and written.
type Store interface {
	Reader
	Writer
	// Path is the store's file (or the owner's announcement for a remote store).
	Path() string
	// TimeZone is the name of the zone the store's days are in.
	TimeZone() string
	// Location is the zone the store's days are in.
	Location() *time.Location
	// Close releases the store.
	Close() error
}

// Reader is what can be asked.
type Reader interface {
	// Stats groups stored hits (see StatsQuery).
	Stats(ctx context.Context, q StatsQuery) ([]StatsRow, error)
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
