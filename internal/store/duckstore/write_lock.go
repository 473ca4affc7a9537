package duckstore

import (
	"context"
	"fmt"
)

// The store runs one write transaction at a time, whoever the writers are
// (files of an ingest, a live capture's intervals, honeypot sessions, a
// reassign or a backfill, all in one serve process): DuckDB transactions
// see the store as it was when they began, so two open at once could not
// see each other's ingest when checking for duplicates, and would conflict
// on the rows both rewrite (the rollups of a day both touch, the port
// peaks and blocks over every sensor), failing one of them at COMMIT
// ("Conflict on tuple deletion"). A writer that finds the lock held waits
// for it, or for its context.

// lockWrites takes the write lock, waiting while another write holds it.
func (s *Store) lockWrites(ctx context.Context) error {
	select {
	case s.wlock <- struct{}{}:
		return nil
	default:
	}
	select {
	case s.wlock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the store's other write to finish: %w", context.Cause(ctx))
	}
}

// unlockWrites gives the write lock back.
func (s *Store) unlockWrites() { <-s.wlock }
